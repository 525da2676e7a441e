"""The checks before sending that a schema cannot say (rules.json, conversation.py), end to end.

Each rule: an input that breaks it is refused at its path, as a validation_error listing every
violation, with nothing sent to the recording server; the input that keeps it is sent. Then the
API versions, and the rules that read the model table (models.json) as it ships; how the table
is fetched and kept is test_model_table.py's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import MANIFEST, REPO, Answer, Recorded, Recorder, run_cli, write_json

from anthropic_connector import Connector, ValidationError, models
from anthropic_connector.models import ModelFacts, ModelTable

MESSAGE = MANIFEST.operation("create_message").sample_output
BASE = {"model": "claude-sonnet-5-5", "max_tokens": 4096, "messages": [{"role": "user", "content": "What is the weather in Paris?"}]}
WEATHER = {"name": "get_weather", "description": "The weather in a city.", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
TOOL_USE = {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}
TOOL_RESULT = {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18 °C, sunny"}


def turns(*messages: tuple[str, Any]) -> dict[str, Any]:
    return {"messages": [{"role": role, "content": content} for role, content in messages]}


def answer(request: Recorded) -> Answer:
    """Each operation's request answered with its sample output."""
    name = {"/v1/messages/count_tokens": "count_tokens", "/v1/messages/batches": "create_message_batch"}.get(request.path, "create_message")
    return Answer(200, MANIFEST.operation(name).sample_output)


@pytest.fixture(autouse=True)
def _answers(recorder: Recorder) -> None:
    recorder.script(answer)


def posted(recorder: Recorder) -> list[Recorded]:
    """What was sent: every request but a look at the model table (GET /v1/models)."""
    return [r for r in recorder.requests if r.path != "/v1/models"]


def refused(connection: dict[str, Any], payload: dict[str, Any], name: str = "create_message", **changes: Any) -> list[dict[str, str]]:
    with Connector(MANIFEST, {**connection, **changes}) as connector, pytest.raises(ValidationError) as caught:
        connector.run(name, payload)
    assert caught.value.exit_code == 2 and caught.value.type == "validation_error"
    assert caught.value.message.startswith("the input is invalid: ")
    return list(caught.value.details)


def sent(connection: dict[str, Any], payload: dict[str, Any], recorder: Recorder, name: str = "create_message", **changes: Any) -> Recorded:
    with Connector(MANIFEST, {**connection, **changes}) as connector:
        connector.run(name, payload)
    (request,) = posted(recorder)
    return request


# -- across fields and messages --------------------------------------------------------------

RULES = [
    (
        "budget not below max_tokens",
        {"max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 2048}},
        [("/thinking/budget_tokens", "must be less than max_tokens (2048): thinking tokens count toward it")],
        {"max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}},
    ),
    (
        "named tool not in tools",
        {"tools": [WEATHER], "tool_choice": {"type": "tool", "name": "get_time"}},
        [("/tool_choice/name", "must name one of the request's tools (tools: get_weather)")],
        {"tools": [WEATHER], "tool_choice": {"type": "tool", "name": "get_weather"}},
    ),
    (
        "named tool and no tools",
        {"tool_choice": {"type": "tool", "name": "get_time"}},
        [("/tool_choice/name", "must name one of the request's tools (tools: none)")],
        {"tool_choice": {"type": "auto"}},
    ),
    (
        "tool_use with no tool_result",
        turns(("user", "Weather?"), ("assistant", [TOOL_USE]), ("user", "Thanks")),
        [("/messages/1/content/0", "is a tool_use (toolu_01) that no tool_result answers in the next message, a user's")],
        turns(("user", "Weather?"), ("assistant", [TOOL_USE]), ("user", [TOOL_RESULT])),
    ),
    (
        "tool_result with no tool_use",
        turns(("user", [TOOL_RESULT])),
        [("/messages/0/content/0/tool_use_id", "answers no tool_use of the assistant message before it")],
        turns(("user", [{"type": "text", "text": "18 °C, sunny"}])),
    ),
    (
        "tool_result two turns late",
        turns(("user", "Weather?"), ("assistant", [TOOL_USE]), ("user", "Well?"), ("assistant", "Checking."), ("user", [TOOL_RESULT])),
        [
            ("/messages/1/content/0", "is a tool_use (toolu_01) that no tool_result answers in the next message, a user's"),
            ("/messages/4/content/0/tool_use_id", "answers no tool_use of the assistant message before it"),
        ],
        # consecutive messages of one role are one turn, as the API combines them
        turns(("user", "Weather?"), ("assistant", [TOOL_USE]), ("assistant", "Checking."), ("user", "Well?"), ("user", [TOOL_RESULT])),
    ),
    (
        "empty user text, wrapped or blank",
        turns(("user", {"string": ""}), ("assistant", "Yes?"), ("user", " \n")),
        [("/messages/0/content", "must not be empty"), ("/messages/2/content", "must not be empty")],
        turns(("user", {"string": "Hello"}), ("assistant", "Yes?"), ("user", "Paris?")),
    ),
    (
        "empty assistant turn before the last",
        turns(("user", "Hi"), ("assistant", ""), ("user", "Paris?")),
        [("/messages/1/content", "must not be empty: only the final assistant message may be (it is then prefill)")],
        turns(("user", "Paris?"), ("assistant", "")),  # an empty final assistant message is prefill
    ),
    (
        "prefill ending in white space",
        turns(("user", "Paris?"), ("assistant", [{"type": "text", "text": "The weather is "}])),
        [("/messages/1/content", "must not end with white space: the model continues the final assistant message from there")],
        turns(("user", "Paris?"), ("assistant", [{"type": "text", "text": "The weather is"}])),
    ),
]


@pytest.mark.parametrize(("bad", "violations", "good"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_each_rule_refuses_at_its_path_and_sends_nothing(bad: dict[str, Any], violations: list[tuple[str, str]], good: dict[str, Any], recorder: Recorder, connection: dict[str, Any]) -> None:
    details = refused(connection, {**BASE, **bad})
    assert [(d["path"], d["message"]) for d in details] == violations
    assert posted(recorder) == []
    request = sent(connection, {**BASE, **good}, recorder)
    assert request.path == "/v1/messages" and request.json()["messages"] == [{**m, "content": m["content"].get("string", m["content"]) if isinstance(m["content"], dict) else m["content"]} for m in {**BASE, **good}["messages"]]


def test_every_violation_is_reported_at_once_in_path_order(connection: dict[str, Any], recorder: Recorder) -> None:
    payload = {**BASE, "max_tokens": 1024, "thinking": {"type": "enabled", "budget_tokens": 1024}, "tool_choice": {"type": "tool", "name": "x"}, **turns(("user", " "), ("assistant", "ok "))}
    details = refused(connection, payload)
    assert [d["path"] for d in details] == ["/messages/0/content", "/messages/1/content", "/thinking/budget_tokens", "/tool_choice/name"]
    assert posted(recorder) == []


def test_the_schema_speaks_first(connection: dict[str, Any], recorder: Recorder) -> None:
    """A rule reads only an input its schema passed: then its violations alone."""
    details = refused(connection, {**BASE, "max_tokens": "many", "thinking": {"type": "enabled", "budget_tokens": 5000}})
    assert [d["path"] for d in details] == ["/max_tokens"]


def test_a_batch_is_checked_request_by_request_at_full_paths(connection: dict[str, Any], recorder: Recorder) -> None:
    requests = [
        {"custom_id": "ok", "params": BASE},
        {"custom_id": "bad", "params": {**BASE, "thinking": {"type": "enabled", "budget_tokens": 4096}}},
        {"custom_id": "old", "params": {**BASE, "model": "claude-3-opus-20240229"}},
    ]
    details = refused(connection, {"requests": requests}, "create_message_batch")
    assert details == [
        {"path": "/requests/1/params/thinking/budget_tokens", "message": "must be less than max_tokens (4096): thinking tokens count toward it"},
        {"path": "/requests/2/params/model", "message": "claude-3-opus-20240229 was retired (2026-01-05): use claude-opus-5-5 instead"},
    ]
    assert posted(recorder) == []


def test_count_tokens_is_held_to_the_same_rules(connection: dict[str, Any], recorder: Recorder) -> None:
    body = {k: v for k, v in BASE.items() if k != "max_tokens"}
    details = refused(connection, {**body, **turns(("user", "Hi"), ("assistant", [TOOL_USE]))}, "count_tokens")
    assert [d["path"] for d in details] == ["/messages/1/content/0"]
    assert sent(connection, {**body, "thinking": {"type": "enabled", "budget_tokens": 2048}}, recorder, "count_tokens").path == "/v1/messages/count_tokens"


def test_validate_and_the_cli_say_the_same(connection: dict[str, Any], recorder: Recorder, cli: Any, tmp_path: Path) -> None:
    payload = {**BASE, "tool_choice": {"type": "tool", "name": "get_time"}}
    with Connector(MANIFEST, connection) as connector:
        found = connector.validate("create_message", payload)
    assert found == [{"path": "/tool_choice/name", "message": "must name one of the request's tools (tools: none)"}]
    code, out, _ = cli("validate", "create_message", str(write_json(tmp_path / "in.json", payload)))
    assert code == 2 and out["error"]["details"] == found
    code, out, _ = cli("run", "create_message", str(tmp_path / "in.json"), env={"ANTHROPIC_API_KEY": connection["api_key"], "ANTHROPIC_BASE_URL": recorder.url})
    assert code == 2 and out["error"]["details"] == found and posted(recorder) == []


# -- API versions ----------------------------------------------------------------------------

USER_CITED = {"type": "text", "text": "Paris is the capital.", "citations": [{"type": "char_location", "cited_text": "Paris", "document_index": 0, "document_title": "Atlas", "start_char_index": 0, "end_char_index": 5}]}
DOCUMENT = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "The forecast."}}
VERSIONED = [
    ("temperature", {"temperature": 0.2}, [("/temperature", "is not accepted under API version 2026-10-21: leave it out, or use 2023-06-01")]),
    ("top_p and top_k", {"top_p": 0.9, "top_k": 5}, [("/top_k", "is not accepted under API version 2026-10-21: leave it out, or use 2023-06-01"), ("/top_p", "is not accepted under API version 2026-10-21: leave it out, or use 2023-06-01")]),
    ("a document from the assistant", turns(("user", "Forecast?"), ("assistant", [DOCUMENT]), ("user", "Thanks")), [("/messages/1/content/0", "is a document block, which an assistant message may not hold under API version 2026-10-21")]),
    ("a user's cited text", turns(("user", [USER_CITED])), [("/messages/0/content/0/citations", "is not accepted on a user's text block under API version 2026-10-21")]),
]


@pytest.mark.parametrize(("change", "violations"), [v[1:] for v in VERSIONED], ids=[v[0] for v in VERSIONED])
def test_what_2026_10_21_refuses_2023_06_01_sends(change: dict[str, Any], violations: list[tuple[str, str]], recorder: Recorder, connection: dict[str, Any]) -> None:
    details = refused(connection, {**BASE, **change}, anthropic_version="2026-10-21")
    assert [(d["path"], d["message"]) for d in details] == violations and posted(recorder) == []
    request = sent(connection, {**BASE, **change}, recorder, anthropic_version="2023-06-01")
    assert request.headers["anthropic-version"] == "2023-06-01"


def test_a_user_text_with_no_citations_is_fine_under_2026_10_21(recorder: Recorder, connection: dict[str, Any]) -> None:
    plain = {**USER_CITED, "citations": []}
    assert sent(connection, {**BASE, **turns(("user", [plain]))}, recorder, anthropic_version="2026-10-21").json()["messages"][0]["content"] == [plain]


def test_another_version_is_sent_as_given_with_a_note(recorder: Recorder, connection: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    request = sent(connection, {**BASE, "temperature": 0.2}, recorder, anthropic_version="2027-03-01")
    assert request.headers["anthropic-version"] == "2027-03-01" and request.json()["temperature"] == 0.2
    assert any("anthropic-version 2027-03-01 is not one the connector knows" in r.getMessage() for r in caplog.records)


def test_the_verbose_log_says_so_on_the_command_line(recorder: Recorder, fake_key: str, tmp_path: Path) -> None:
    connection = write_json(tmp_path / "c.json", {"api_key": fake_key, "base_url": recorder.url, "anthropic_version": "2027-03-01", "max_retries": 0})
    recorder.script(Answer(200, MESSAGE))
    done = run_cli(["run", "create_message", str(write_json(tmp_path / "in.json", BASE)), "--connection", str(connection), "-v"])
    assert done.code == 0 and "anthropic-version 2027-03-01 is not one the connector knows (2023-06-01, 2026-10-21): sent as given" in done.err


def test_the_connection_takes_any_date_as_the_version(manifest: Any) -> None:
    schema = manifest.connection_schema["properties"]["anthropic_version"]
    assert schema["examples"] == list(json.loads((REPO / "src/anthropic_connector/rules.json").read_text())["versions"])
    assert manifest.connection_validator.errors({"anthropic_version": "2027-03-01"}) == []
    (problem,) = manifest.connection_validator.errors({"anthropic_version": "latest"})
    assert problem["path"] == "/anthropic_version" and "2023-06-01" in problem["message"]


# -- the rules that read the model table, as it ships ---------------------------------------


def test_a_retired_model_is_refused_naming_its_replacement(recorder: Recorder, connection: dict[str, Any]) -> None:
    details = refused(connection, {**BASE, "model": "claude-2.1"})
    assert details == [{"path": "/model", "message": "claude-2.1 was retired (2025-07-21): use claude-sonnet-5-5 instead"}]
    assert posted(recorder) == []


def test_an_alias_of_a_retired_model_and_create_completion_too(recorder: Recorder, connection: dict[str, Any]) -> None:
    completion = {**MANIFEST.operation("create_completion").sample_input, "model": "claude-2"}
    (detail,) = refused(connection, completion, "create_completion")
    assert detail == {"path": "/model", "message": "claude-2 was retired (2025-07-21), and Text Completions serve no current model: use claude-sonnet-5-5 with create_message"}
    assert posted(recorder) == []


def test_the_sandbox_serves_the_seeds_retired_model_with_a_note(caplog: pytest.LogCaptureFixture) -> None:
    with Connector(sandbox=True) as connector:
        for name in ("create_message", "create_completion"):
            assert connector.run(name, MANIFEST.operation(name).sample_input).output["model"] == "claude-2.1"
        assert connector.validate("create_message", MANIFEST.operation("create_message").sample_input) == []
    notes = [r.getMessage() for r in caplog.records if "the sandbox serves it" in r.getMessage()]
    assert notes and notes[0].startswith("/model claude-2.1 was retired (2025-07-21): use claude-sonnet-5-5 instead")


def test_validate_on_the_command_line_says_which_way(cli: Any) -> None:
    sample = str(REPO / "samples/create_message.input.json")
    assert cli("validate", "create_message", sample, "--sandbox").out == {"valid": True}
    code, out, _ = cli("validate", "create_message", sample)
    assert code == 2 and out["error"]["details"] == [{"path": "/model", "message": "claude-2.1 was retired (2025-07-21): use claude-sonnet-5-5 instead"}]


def test_max_tokens_within_the_models_limit(recorder: Recorder, connection: dict[str, Any]) -> None:
    assert refused(connection, {**BASE, "max_tokens": 200000}) == [{"path": "/max_tokens", "message": "must be at most 128000, the most claude-sonnet-5-5 writes"}]
    assert sent(connection, {**BASE, "max_tokens": 128000}, recorder).json()["max_tokens"] == 128000


def test_an_unknown_model_passes_the_api_decides(recorder: Recorder, connection: dict[str, Any]) -> None:
    request = sent(connection, {**BASE, "model": "claude-from-the-future", "max_tokens": 900000, "thinking": {"type": "enabled", "budget_tokens": 2048}}, recorder)
    assert request.json()["model"] == "claude-from-the-future"


MODEL_RULES = [
    ("refuses_sampling", {"temperature": 0.5}, "/temperature", "is not accepted by claude-sonnet-5-5: leave it out"),
    ("refuses_budget_thinking", {"thinking": {"type": "enabled", "budget_tokens": 2048}}, "/thinking/type", "\"enabled\" (thinking with a token budget) is not accepted by claude-sonnet-5-5: use \"adaptive\""),
    ("refuses_prefill", turns(("user", "Paris?"), ("assistant", "The weather is")), "/messages/1", "is a final assistant message (prefill), which claude-sonnet-5-5 does not accept"),
    ("refuses_forced_tool_choice", {"tools": [WEATHER], "tool_choice": {"type": "any"}}, "/tool_choice/type", "\"any\" forces a tool call, which claude-sonnet-5-5 does not accept: use \"auto\""),
]


@pytest.mark.parametrize(("fact", "change", "path", "message"), MODEL_RULES, ids=[m[0] for m in MODEL_RULES])
def test_what_a_model_refuses_as_the_table_says(fact: str, change: dict[str, Any], path: str, message: str, recorder: Recorder, connection: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped table names no model for these (the SDK names none); a table that does is obeyed."""
    table = models.shipped()
    facts = ModelFacts("claude-sonnet-5-5", 128000, frozenset({fact.removeprefix("refuses_")}))
    monkeypatch.setattr(models, "shipped", lambda: ModelTable({**table.models, facts.id: facts}, table.aliases))
    assert refused(connection, {**BASE, **change}) == [{"path": path, "message": message}]
    assert sent(connection, {**BASE, **change, "model": "claude-opus-5-5"}, recorder).json()["model"] == "claude-opus-5-5"


# -- the table's data ------------------------------------------------------------------------


def test_the_table_covers_the_sdks_models_and_names_current_replacements() -> None:
    import typing

    from anthropic.types import ModelParam

    table = models.shipped()
    current = set(typing.get_args(typing.get_args(ModelParam)[0]))
    assert all(table.get(name) is not None and table.get(name).max_tokens for name in current)  # type: ignore[union-attr]
    retired = [f for f in table.models.values() if f.retired]
    assert retired and all(f.use in current and not table.get(f.use).retired for f in retired)  # type: ignore[union-attr]
    data = json.loads((REPO / "src/anthropic_connector/models.json").read_text())
    assert all(entry["source"] for entry in [data["aliases"], data["max_tokens"], data["retired"], *data["refuses"].values()])
