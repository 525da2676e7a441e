"""The anthropic-beta header an input's fields need, read from the schema's x-anthropic-beta marks.

One case per mark, found in the schema and not listed here: for each, the smallest input that
takes the marked subschema is built from the schema itself (the shortest way from the root to
the mark, every other field at its smallest valid value), sent to the recording server, and
its header must carry exactly the marks on that way, after the connection's and the run's
betas. A mark the generator script adds tomorrow is a case tomorrow, with no code here.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any, Iterator

import anthropic
import pytest
from conftest import MANIFEST, Answer, Recorder

from anthropic_connector import Connector
from anthropic_connector.betas import MARK, WARM, BetaMarks, Triggers

OP = MANIFEST.operation("create_message")
SCHEMA = OP.input_schema
MESSAGE = MANIFEST.operation("create_message").sample_output
BASE = {"model": "claude-sonnet-5-5", "max_tokens": 4096, "messages": [{"role": "user", "content": "Hi"}]}


# -- the way to each mark, from the schema -----------------------------------------------------

Step = tuple[str, Any]  # (schema keyword, its key): properties/NAME, items, oneOf/i, anyOf/i, $ref


def node_at(pointer: str) -> Any:
    node: Any = SCHEMA
    for token in pointer.split("/")[1:]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def marks(node: Any = SCHEMA, at: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        if MARK in node:
            yield at
        for key, value in node.items():
            if key not in ("const", "enum", "examples", "default"):
                yield from marks(value, f"{at}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from marks(value, f"{at}/{i}")


def way(target: str) -> list[str]:
    """The schema pointers from the root to ``target``, shortest first found (breadth first)."""
    seen, queue = {""}, deque([[""]])
    while queue:
        path = queue.popleft()
        if path[-1] == target:
            return path
        node = node_at(path[-1])
        nexts = []
        if "$ref" in node:
            nexts.append(node["$ref"][1:])
        nexts += [f"{path[-1]}/properties/{name}" for name in node.get("properties", {})]
        if isinstance(node.get("items"), dict):
            nexts.append(f"{path[-1]}/items")
        for word in ("oneOf", "anyOf", "allOf"):
            nexts += [f"{path[-1]}/{word}/{i}" for i in range(len(node.get(word, [])))]
        for nxt in nexts:
            if nxt not in seen:
                seen.add(nxt)
                queue.append([*path, nxt])
    raise AssertionError(f"no way to {target}")


def smallest(pointer: str, forced: list[str]) -> Any:
    """The smallest instance of the subschema at ``pointer`` that goes the way ``forced``."""
    node = node_at(pointer)
    nxt = forced[0] if forced else None
    if "$ref" in node:
        return smallest(node["$ref"][1:], forced[1:] if nxt == node["$ref"][1:] else forced)
    for word in ("oneOf", "anyOf"):
        if word in node:
            branches = [f"{pointer}/{word}/{i}" for i in range(len(node[word]))]
            if nxt in branches:
                return smallest(nxt, forced[1:])
            return next(v for v in (smallest(b, []) for b in branches) if v is not None or node_at(b).get("type") == "null")
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    kind = next((k for k in kind if k != "null"), "null") if isinstance(kind, list) else kind
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        value = {name: smallest(f"{pointer}/properties/{name}", []) for name in node.get("required", [])}
        if nxt is not None and nxt.startswith(f"{pointer}/properties/"):
            name = nxt.rsplit("/", 1)[1]
            value[name] = smallest(nxt, forced[1:])
        return value if props or value else {}
    if kind == "array":
        count = max(node.get("minItems", 0), 1 if nxt == f"{pointer}/items" else 0)
        return [smallest(f"{pointer}/items", forced[1:] if nxt == f"{pointer}/items" else []) for _ in range(count)]
    if kind == "string":
        return (node.get("examples") or ["x" * max(node.get("minLength", 1), 1)])[0]
    if kind in ("integer", "number"):
        return max(node.get("minimum", 1), 1) if "examples" not in node else node["examples"][0]
    if kind == "boolean":
        return False
    return None


def marked_input(target: str) -> tuple[dict[str, Any], list[str]]:
    """The smallest create_message input that takes the mark at ``target``, and every beta
    marked on its way (outer ones first, as the header lists them)."""
    path = way(target)
    value = smallest("", path[1:])
    payload = {**BASE, **{k: v for k, v in value.items() if k not in BASE or path[1].split("/")[2] == k}}
    betas = [node_at(p)[MARK] for p in path if MARK in node_at(p)]
    return payload, list(dict.fromkeys(betas))


MARKS = list(marks())


def test_every_mark_is_found_and_triggers_the_precise_pass() -> None:
    assert len(MARKS) == sum(1 for _ in json.dumps(SCHEMA).split(f'"{MARK}"')[1:])
    triggers = Triggers.of(SCHEMA)
    for target in MARKS:
        payload, _ = marked_input(target)
        assert triggers.held_by(payload), target


def test_the_triggers_change_the_cost_not_the_answer() -> None:
    """Outright (the first inputs a connector sees) or behind the triggers (the rest), the same betas."""
    cold, warm = BetaMarks(OP.validator), BetaMarks(OP.validator)
    warm.triggers = Triggers.of(SCHEMA)
    inputs = [marked_input(target)[0] for target in MARKS] + [BASE, {**BASE, "speed": "standard"}, {**BASE, "output_config": {"effort": "low"}}]
    for payload in inputs:
        assert cold.needed(payload) == warm.needed(payload), payload
    assert len(inputs) > WARM and cold.triggers is not None  # worked out once enough inputs were evaluated


@pytest.mark.parametrize("target", MARKS)
def test_each_mark_adds_its_beta_and_only_on_its_way(target: str, recorder: Recorder, connection: dict[str, Any]) -> None:
    payload, betas = marked_input(target)
    assert OP.validator.errors(payload) == [], (target, payload)
    recorder.script(Answer(200, MESSAGE))
    with Connector(MANIFEST, {**connection, "anthropic_beta": ["files-api-2025-04-14"]}) as connector:
        connector.run("create_message", {**payload, "betas": ["a-run-beta-2026-01-01"]})
    (request,) = recorder.requests
    assert request.headers["anthropic-beta"].split(",") == ["files-api-2025-04-14", "a-run-beta-2026-01-01", *betas]
    assert "betas" not in request.json()


@pytest.mark.parametrize(
    ("change", "header"),
    [
        ({"speed": "standard"}, None),
        ({"speed": "fast"}, "fast-mode-2026-02-01"),
        ({"tools": [{"type": "bash_20250124", "name": "bash"}]}, None),
        ({"tools": [{"type": "bash_20241022", "name": "bash"}]}, "computer-use-2024-10-22"),
        ({"thinking": {"type": "adaptive", "display": "summarized"}}, None),
        ({"thinking": {"type": "adaptive", "display": "updates"}}, "thinking-display-updates-2026-08-18"),
        ({"output_config": {"effort": "low"}}, None),
    ],
    ids=["standard", "fast", "bash-ga", "bash-2024", "display-summarized", "display-updates", "output-config-at-the-top"],
)
def test_a_mark_counts_only_where_the_input_takes_its_branch(change: dict[str, Any], header: str | None, recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, MESSAGE))
    with Connector(MANIFEST, connection) as connector:
        connector.run("create_message", {**BASE, **change})
    assert recorder.requests[0].headers.get("anthropic-beta") == header


def test_count_tokens_adds_the_betas_its_fields_need(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, {"input_tokens": 12}))
    body = {k: v for k, v in BASE.items() if k != "max_tokens"}
    with Connector(MANIFEST, connection) as connector:
        connector.run("count_tokens", {**body, "speed": "fast", "tools": [{"type": "computer_20250124", "name": "computer", "display_width_px": 1024, "display_height_px": 768}]})
    assert recorder.requests[0].headers["anthropic-beta"] == "fast-mode-2026-02-01,computer-use-2025-01-24"


def test_a_batch_carries_every_beta_any_of_its_requests_needs(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, MANIFEST.operation("create_message_batch").sample_output))
    requests = [
        {"custom_id": "plain", "params": BASE},
        {"custom_id": "fast", "params": {**BASE, "speed": "fast"}},
        {"custom_id": "bash", "params": {**BASE, "speed": "fast", "tools": [{"type": "bash_20241022", "name": "bash"}]}},
    ]
    with Connector(MANIFEST, {**connection, "anthropic_beta": "files-api-2025-04-14"}) as connector:
        connector.run("create_message_batch", {"requests": requests, "betas": ["message-batches-2024-09-24"]})
    request = recorder.requests[0]
    assert request.headers["anthropic-beta"] == "files-api-2025-04-14,message-batches-2024-09-24,fast-mode-2026-02-01,computer-use-2024-10-22"
    assert [r["params"] for r in request.json()["requests"]] == [r["params"] for r in requests]


def test_no_mark_no_header(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, MESSAGE))
    with Connector(MANIFEST, connection) as connector:
        connector.run("create_message", json.loads(json.dumps(MANIFEST.operation("count_tokens").sample_input)) | {"max_tokens": 256})
    assert "anthropic-beta" not in recorder.requests[0].headers


@pytest.mark.parametrize("target", [m for m in MARKS if m.startswith("/properties/")] + ["/definitions/toolBash20241022", "/properties/speed/oneOf/1"])
def test_the_header_is_what_the_official_sdk_sends_when_told_the_betas(target: str, recorder: Recorder, connection: dict[str, Any], fake_key: str) -> None:
    """The SDK adds no beta by itself: told the marked betas with betas=[...] on its beta
    namespace, it sends the header the connector sends unasked, after the connection's."""
    payload, betas = marked_input(target)
    recorder.script(Answer(200, MESSAGE))
    sdk = anthropic.Anthropic(api_key=fake_key, base_url=recorder.url, max_retries=0, default_headers={"anthropic-version": "2023-06-01"})
    with sdk:
        sdk.beta.messages.create(**payload, betas=["files-api-2025-04-14", *betas])
    with Connector(MANIFEST, {**connection, "anthropic_beta": ["files-api-2025-04-14"]}) as connector:
        connector.run("create_message", payload)
    theirs, ours = recorder.requests
    assert ours.headers["anthropic-beta"] == theirs.headers["anthropic-beta"]
    assert ours.json() == theirs.json()
