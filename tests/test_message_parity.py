"""create_message sends what the official SDK 2.17 sends, on both API versions, for every
capability of the Messages API; and reads every answer as the SDK reads it.

Each case's input goes through the connector and, translated once (``sdk_call``), through the
SDK, to one recording server: method, path, query, JSON body, content type, the credential and
the anthropic-version / -beta / -workspace-id / -user-profile-id headers must be equal
(test_sdk_wire.seen). The cases are made from create_message's schemas (message_cases.py):
every content block, every tool, every tool choice and thinking config, each with the betas
its schema marks, sent through ``client.beta.messages.create(betas=...)`` when it has any;
then structured output, caching at each level, metadata, stop sequences, sampling (through
``extra_body`` on 2023-06-01, where the SDK dropped them as keywords; 2026-10-21 takes none),
streaming, and the SDK's own with_all_params bodies.
"""

from __future__ import annotations

import json
import typing
from typing import Any, Callable, Literal

import anthropic
import pytest
from conftest import MANIFEST, REPO, Answer, Recorded, Recorder, load_json
from message_cases import INPUT, MODEL, OUTPUT, block_names, instance, response_block_names, tool_names, valid_instance
from pydantic import BaseModel
from test_sdk_wire import seen

from anthropic_connector import Connector
from anthropic_connector.models import shipped
from anthropic_connector.rules import Facts, checks

VERSIONS = ["2023-06-01", "2026-10-21"]
SAMPLING = ("temperature", "top_p", "top_k")
OP = MANIFEST.operation("create_message")
CHECK = OP.validator.errors
CHECKS = checks(OP)
BASE: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": "Hello, Claude"}]}
# Blocks the model writes go in an assistant turn (followed by the user's), the others in the user's.
SPOKEN_BY_ASSISTANT = {"thinking", "redacted_thinking", "tool_use", "server_tool_use", "mcp_tool_use", "compaction", "fallback", "container_upload", "mcp_tool_listing"}


class Contact(BaseModel):
    name: str
    plan: Literal["free", "pro", "team"]


CONTACT = {"name": "John", "plan": "pro"}


def with_block(block: dict[str, Any]) -> dict[str, Any]:
    """A conversation the rules take with ``block`` in it: a tool_use answered by its
    tool_result in the next turn, a tool_result after the tool_use it answers."""
    hello = BASE["messages"][0]
    if block["type"] == "tool_use":
        answer = {"type": "tool_result", "tool_use_id": block["id"], "content": "Sunny."}
        messages = [hello, {"role": "assistant", "content": [block]}, {"role": "user", "content": [answer]}]
    elif block["type"] == "tool_result":
        asked = {"type": "tool_use", "id": block["tool_use_id"], "name": "get_weather", "input": {}}
        messages = [hello, {"role": "assistant", "content": [asked]}, {"role": "user", "content": [block]}]
    elif block["type"] in SPOKEN_BY_ASSISTANT or block["type"].endswith("_tool_result") and block["type"] not in ("tool_result", "mcp_tool_result"):
        messages = [hello, {"role": "assistant", "content": [block]}, {"role": "user", "content": "Go on."}]
    else:
        messages = [{"role": "user", "content": [block]}]
    return {**BASE, "messages": messages}


def block_case(name: str) -> tuple[str, dict[str, Any]]:
    block, betas = valid_instance(name, INPUT, CHECK, lambda b: with_block(b))
    return f"block {block['type']}", {**with_block(block), **({"betas": betas} if betas else {})}


def tool_case(name: str) -> tuple[str, dict[str, Any]]:
    tool, betas = valid_instance(name, INPUT, CHECK, lambda t: {**BASE, "tools": [t]})
    return f"tool {tool['type'] if 'type' in tool else 'custom'} {name}", {**BASE, "tools": [tool], **({"betas": betas} if betas else {})}


def choice_cases() -> list[tuple[str, dict[str, Any]]]:
    tool = {"name": "get_weather", "description": "The weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    choices = [{"type": "auto"}, {"type": "any", "disable_parallel_tool_use": True}, {"type": "tool", "name": "get_weather"}, {"type": "none"}]
    return [(f"tool_choice {c['type']}", {**BASE, "tools": [tool], "tool_choice": c}) for c in choices]


def thinking_cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for ref in INPUT["properties"]["thinking"]["oneOf"]:
        betas: list[str] = []
        config = instance(ref, INPUT, betas)
        if config["type"] == "enabled":
            config["budget_tokens"] = 1024  # the least the API takes, below max_tokens as it must be
        out.append((f"thinking {config['type']}", {**BASE, "max_tokens": 2048, "thinking": config, **({"betas": betas} if betas else {})}))
    return out


SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "plan": {"enum": ["free", "pro", "team"]}}, "required": ["name", "plan"], "additionalProperties": False}
CACHE = {"type": "ephemeral"}
TOOL = {"name": "get_weather", "description": "The weather", "input_schema": {"type": "object"}}
OTHER: dict[str, dict[str, Any]] = {
    "structured output (output_config.format)": {**BASE, "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}},
    "structured output with effort": {**BASE, "output_config": {"effort": "low", "format": {"type": "json_schema", "schema": SCHEMA}}},
    "caching: the whole request": {**BASE, "cache_control": CACHE},
    "caching: a system block, 1 h": {**BASE, "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]},
    "caching: a tool": {**BASE, "tools": [{**TOOL, "cache_control": CACHE}]},
    "caching: a message block": {**BASE, "messages": [{"role": "user", "content": [{"type": "text", "text": "A long document.", "cache_control": CACHE}]}]},
    "system as text": {**BASE, "system": "You are terse."},
    "metadata": {**BASE, "metadata": {"user_id": "13803d75-b4b5-4c3e-b2a2-6f21399b021b"}},
    "stop sequences": {**BASE, "stop_sequences": ["\n\nHuman:", "END"]},
    "a prefill": {**BASE, "messages": [*BASE["messages"], {"role": "assistant", "content": "{"}]},
    "service tier and speed": {**BASE, "service_tier": "standard_only", "speed": "standard"},
    "workspace and user profile headers": {**BASE, "workspace_id": "wrkspc_01", "user_profile_id": "prof_01"},
    "betas: context management": {**BASE, "betas": ["context-management-2025-06-27"], "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]}},
    "betas: two, one of them only a header": {**BASE, "betas": ["files-api-2025-04-14", "context-management-2025-06-27"]},
    "streaming": {**BASE, "stream": True},
    "streaming with tools and thinking": {**BASE, "max_tokens": 2048, "stream": True, "tools": [TOOL], "thinking": {"type": "enabled", "budget_tokens": 1024}},
    "streaming with betas": {**BASE, "stream": True, "betas": ["context-management-2025-06-27"]},
    "sampling (2023-06-01 only)": {**BASE, "temperature": 0.2, "top_p": 0.9, "top_k": 5},
}
SDK_BODIES = [(f"the SDK's own {b['from'].split('::')[1]} ({b['method']})", {k: v for k, v in b["kwargs"].items() if k != "extra_query"}) for b in load_json(REPO / "tests/sdk_examples.json")["bodies"]]

CASES: dict[str, dict[str, Any]] = dict(
    [block_case(n) for n in block_names()] + [tool_case(n) for n in tool_names()] + choice_cases() + thinking_cases() + list(OTHER.items()) + SDK_BODIES
)
FACTS = {version: Facts(version, shipped()) for version in VERSIONS}
# A case the connector refuses under a version (sampling, or a user's text block with citations,
# under 2026-10-21: test_rules.py) is compared under the other only.
PARAMS = [pytest.param(version, payload, id=f"{version} {name}") for name, payload in CASES.items() for version in VERSIONS
          if not CHECKS.violations(payload, FACTS[version])]


def test_the_suite_covers_every_block_and_tool_and_at_least_40_cases() -> None:
    sent = json.dumps(list(CASES.values()))
    for name in block_names():
        assert f'"type": "{INPUT["definitions"][name]["properties"]["type"]["const"]}"' in sent
    assert len([n for n in CASES if n.startswith("tool ")]) == len(tool_names())
    assert len(CASES) >= 40 and len(PARAMS) >= 80
    compared = {json.dumps(p.values[1], sort_keys=True) for p in PARAMS}
    assert all(json.dumps(payload, sort_keys=True) in compared for payload in CASES.values())  # each under one version at least


def reply(text: str = json.dumps(CONTACT)) -> dict[str, Any]:
    return {"id": "msg_p", "type": "message", "role": "assistant", "model": MODEL, "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 3}}


def stream_of(message: dict[str, Any]) -> str:
    events = [("message_start", {"type": "message_start", "message": {**message, "content": [], "stop_reason": None}})]
    events += [("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
               ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": message["content"][0]["text"]}}),
               ("content_block_stop", {"type": "content_block_stop", "index": 0}),
               ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 3}}),
               ("message_stop", {"type": "message_stop"})]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


def answer(request: Recorded) -> Answer:
    """A message (text that any schema of these cases accepts), streamed when asked."""
    if request.json().get("stream"):
        return Answer(200, stream_of(reply()), {"content-type": "text/event-stream"})
    return Answer(200, reply())


def sdk_call(client: anthropic.Anthropic, payload: dict[str, Any]) -> Any:
    """The connector's input as the SDK's call: betas choose client.beta.messages, sampling goes
    through extra_body, and a stream is read to its end."""
    kwargs = dict(payload)
    sampling = {k: kwargs.pop(k) for k in SAMPLING if k in kwargs}
    if sampling:
        kwargs["extra_body"] = sampling
    create = client.beta.messages.create if "betas" in kwargs else client.messages.create
    out = create(**kwargs)
    if kwargs.get("stream"):
        out = [event for event in out]
    return out


def sdk_client(fake_key: str, recorder: Recorder, version: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=fake_key, base_url=recorder.url, max_retries=0, default_headers={"anthropic-version": version})


def both(recorder: Recorder, fake_key: str, version: str, sdk: Callable[[anthropic.Anthropic], Any], connector: Callable[[Connector], Any]) -> tuple[dict[str, Any], dict[str, Any], Any, Any]:
    """What each client put on the wire, and what each returned."""
    recorder.script(answer)
    with sdk_client(fake_key, recorder, version) as client:
        sdk_out = sdk(client)
    (expected,) = recorder.requests
    recorder.reset()
    recorder.script(answer)
    with Connector(MANIFEST, {"api_key": fake_key, "base_url": recorder.url, "max_retries": 0, "anthropic_version": version}) as c:
        ours = connector(c)
    (request,) = recorder.requests
    return seen(expected), seen(request), sdk_out, ours


@pytest.mark.parametrize("version, payload", PARAMS)
def test_the_request_equals_the_sdks(version: str, payload: dict[str, Any], recorder: Recorder, fake_key: str) -> None:
    assert CHECK(payload) == []
    # The connector adds the betas the fields need (betas.py); told them, the SDK sends the same.
    needed = CHECKS.betas(payload)
    told = {**payload, "betas": list(dict.fromkeys([*payload.get("betas", []), *needed]))} if needed else payload
    expected, ours, _, _ = both(recorder, fake_key, version, lambda client: sdk_call(client, told), lambda c: c.run("create_message", payload))
    assert ours == expected
    assert ours["anthropic-version"] == version


@pytest.mark.parametrize("version", VERSIONS)
def test_output_model_sends_what_messages_parse_sends_and_parses_the_same(version: str, recorder: Recorder, fake_key: str) -> None:
    expected, ours, parsed, result = both(
        recorder, fake_key, version,
        lambda client: client.messages.parse(**BASE, output_format=Contact),
        lambda c: c.run("create_message", BASE, output_model=Contact),
    )
    assert ours == expected
    assert result.parsed == parsed.parsed_output == Contact(**CONTACT)
    assert result.output["parsed_output"] == CONTACT


# -- the answers, read as the SDK reads them -----------------------------------------------------


def response_block(name: str) -> dict[str, Any]:
    """An answer's block of definition ``name``, as full as the output schema takes it."""
    check = MANIFEST.operation("create_message").output_validator.errors
    return valid_instance(name, OUTPUT, check, lambda block: {**reply(), "content": [block]})[0]


BLOCKS = [pytest.param(response_block(name), id=name) for name in response_block_names()]
GA_BLOCKS = {typing.get_args(cls.model_fields["type"].annotation)[0] for cls in typing.get_args(typing.get_args(anthropic.types.ContentBlock)[0])}


@pytest.mark.parametrize("block", BLOCKS)
def test_every_answer_block_reads_as_the_sdks_model_dump(block: dict[str, Any], recorder: Recorder, fake_key: str) -> None:
    """The connector hands on the answer as it came; the SDK's typed model (BetaMessage, which
    every block of the output schema fits, GA values and beta ones), dumped with only the fields
    that were set, is the same JSON, and so is the GA Message for a GA block.

    One SDK difference, documented rather than copied: a field whose wire name is a Python
    keyword (the fallback block's ``from``) is dumped under its Python name (``from_``) unless
    ``by_alias=True``; the connector keeps the API's name, which the output schema declares."""
    message = {**reply(), "content": [block]}
    recorder.script(Answer(200, message))
    with sdk_client(fake_key, recorder, "2023-06-01") as client:
        typed = client.beta.messages.create(**BASE)
        ga = block["type"] in GA_BLOCKS and "advisor" not in json.dumps(block)  # the advisor server tool is beta-only
        plain = client.messages.create(**BASE) if ga else typed
    with Connector(MANIFEST, {"api_key": fake_key, "base_url": recorder.url, "max_retries": 0}) as c:
        output = c.run("create_message", BASE).output
    assert output == message
    for model in (typed, plain):
        assert model.model_dump(mode="json", exclude_unset=True, by_alias=True) == output
    if "from" in block:
        assert "from_" in typed.model_dump(mode="json", exclude_unset=True)["content"][0]
    else:
        assert typed.model_dump(mode="json", exclude_unset=True) == output


def test_an_empty_parsed_value_is_kept_where_the_sdks_message_property_drops_it(recorder: Recorder, fake_key: str) -> None:
    """An SDK difference, documented rather than copied: ParsedMessage.parsed_output returns the
    first *truthy* block value, so a reply of [] (or 0, false, "") reads as None there, though
    its text block holds []. The connector's parsed_output and Result.parsed are the value."""
    recorder.script(Answer(200, reply("[]")))
    with sdk_client(fake_key, recorder, "2026-10-21") as client:
        parsed = client.messages.parse(**BASE, output_format=list[int])
    with Connector(MANIFEST, {"api_key": fake_key, "base_url": recorder.url, "max_retries": 0}) as c:
        result = c.run("create_message", BASE, output_model=list[int])
    assert (parsed.content[0].parsed_output, parsed.parsed_output) == ([], None)
    assert (result.parsed, result.output["parsed_output"]) == ([], [])
