"""Legacy completion steps on the Messages API (the connection's completion_model): the mapping
as pure functions, on every prompt shape the legacy API took and every stop reason, then the
request on the wire and the reply back in the completion's shape, plain, streamed and as events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from conftest import MANIFEST, Answer, Recorder, write_json

from anthropic_connector import Connector, ValidationError, completion

OP = MANIFEST.operation("create_completion")
MODEL = "claude-sonnet-4-6"
BASE = {"model": "claude-2.1", "max_tokens_to_sample": 300}


def asked(prompt: str, prefill: bool = True, **fields: Any) -> dict[str, Any]:
    return completion.messages_request({**BASE, "prompt": prompt, **fields}, MODEL, prefill)


PROMPTS = {
    "one turn": ("\n\nHuman: Hello\n\nAssistant:", None, [("user", "Hello")]),
    "system text before the first turn": (
        "You are a pirate.\n\nHuman: Hello\n\nAssistant:", "You are a pirate.", [("user", "Hello")]),
    "several turns": (
        "\n\nHuman: Hi\n\nAssistant: Hello! How can I help?\n\nHuman: Tell a joke.\n\nAssistant:",
        None, [("user", "Hi"), ("assistant", "Hello! How can I help?"), ("user", "Tell a joke.")]),
    "a trailing assistant text (prefill)": (
        "\n\nHuman: Give JSON.\n\nAssistant: {", None, [("user", "Give JSON."), ("assistant", "{")]),
    "a prefill with trailing white space, which the Messages API refuses": (
        "\n\nHuman: Count.\n\nAssistant: One, two, \n", None, [("user", "Count."), ("assistant", "One, two,")]),
    "an empty assistant turn at the end, with spaces": ("\n\nHuman: Hi\n\nAssistant:  ", None, [("user", "Hi")]),
    "multi-line turns": ("\n\nHuman: line one\nline two\n\nAssistant:", None, [("user", "line one\nline two")]),
    "an empty turn in the middle": (
        "\n\nHuman: a\n\nAssistant:\n\nHuman: b\n\nAssistant:", None, [("user", "a"), ("user", "b")]),
    "no final assistant turn (the legacy API refused it; the Messages API answers)": ("\n\nHuman: Hi", None, [("user", "Hi")]),
    "a system text and a prefill": (
        "Answer in French.\n\nHuman: Hi\n\nAssistant: Bonjour", "Answer in French.", [("user", "Hi"), ("assistant", "Bonjour")]),
}


@pytest.mark.parametrize("prompt, system, turns", PROMPTS.values(), ids=PROMPTS.keys())
def test_every_prompt_shape_becomes_messages(prompt: str, system: str | None, turns: list[tuple[str, str]]) -> None:
    body = asked(prompt)
    assert body["messages"] == [{"role": role, "content": text} for role, text in turns]
    assert body.get("system") == system
    assert (body["model"], body["max_tokens"]) == (MODEL, 300)
    assert MANIFEST.operation("create_message").validator.errors(body) == []  # a valid create_message input


def test_every_setting_carries_over() -> None:
    settings = {"stop_sequences": ["\n\nHuman:", "END"], "temperature": 0.2, "top_p": 0.9, "top_k": 5, "metadata": {"user_id": "u1"}, "stream": True, "betas": ["b-1"]}
    body = asked("\n\nHuman: Hi\n\nAssistant:", **settings)
    assert body == {"model": MODEL, "max_tokens": 300, "messages": [{"role": "user", "content": "Hi"}], **settings}
    assert "prompt" not in body and "max_tokens_to_sample" not in body


REFUSED = {
    "no turn at all": ("Just some text", "must start with"),
    "an assistant turn first": ("\n\nAssistant: Hi\n\nHuman: Hello\n\nAssistant:", "must start with"),
    "a human turn with no text": ("\n\nHuman:  \n\nAssistant:", "has no text"),
}


@pytest.mark.parametrize("prompt, says", REFUSED.values(), ids=REFUSED.keys())
def test_a_prompt_with_no_human_turn_first_is_refused_at_its_path(prompt: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        asked(prompt)
    assert caught.value.details[0]["path"] == "/prompt" and says in caught.value.details[0]["message"]


def test_a_prefill_is_refused_when_the_model_takes_none() -> None:
    with pytest.raises(ValidationError) as caught:
        asked("\n\nHuman: Give JSON.\n\nAssistant: {", prefill=False)
    assert "completion_prefill" in caught.value.message
    assert asked("\n\nHuman: Hi\n\nAssistant:", prefill=False)["messages"] == [{"role": "user", "content": "Hi"}]


STOP_REASONS = [*MANIFEST.operation("create_message").output_schema["properties"]["stop_reason"]["examples"], None]  # the known ones
LEGACY = {"end_turn": "stop_sequence", "stop_sequence": "stop_sequence", "max_tokens": "max_tokens", "model_context_window_exceeded": "max_tokens",
          "tool_use": "tool_use", "pause_turn": "pause_turn", "compaction": "compaction", "refusal": "refusal", None: None}


@pytest.mark.parametrize("reason", STOP_REASONS)
def test_every_stop_reason_has_its_legacy_counterpart(reason: str | None) -> None:
    assert completion.stop_reason(reason) == LEGACY[reason]


def test_a_stop_reason_added_later_is_passed_through() -> None:
    assert completion.stop_reason("a_reason_added_later") == "a_reason_added_later"


def reply(*blocks: dict[str, Any], stop_reason: str = "end_turn") -> dict[str, Any]:
    return {"id": "msg_c", "type": "message", "role": "assistant", "model": MODEL, "content": list(blocks), "stop_reason": stop_reason,
            "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 7}}


def test_a_message_becomes_the_completion() -> None:
    message = reply({"type": "thinking", "thinking": "hmm", "signature": "s"}, {"type": "text", "text": "Hello"}, {"type": "text", "text": " there"}, stop_reason="max_tokens")
    out = completion.from_message(message)
    assert out == {"type": "completion", "id": "msg_c", "completion": "Hello there", "stop_reason": "max_tokens", "model": MODEL}
    assert OP.output_validator.errors(out) == []


# -- on the wire -----------------------------------------------------------------------------


def events_of(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    start = {**message, "content": [], "stop_reason": None}
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        events.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": {**block, "text": ""}}))
        for piece in (block["text"][:3], block["text"][3:]):
            events.append(("content_block_delta", {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(("ping", {"type": "ping"}))
    events.append(("message_delta", {"type": "message_delta", "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None}, "usage": {"output_tokens": 7}}))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def sse(message: dict[str, Any]) -> Answer:
    body = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events_of(message))
    return Answer(200, body, {"content-type": "text/event-stream", "request-id": "req_s"})


SAMPLE = OP.sample_input
REPLY = reply({"type": "text", "text": "Python is general-purpose."})
COMPLETION = {"type": "completion", "id": "msg_c", "completion": "Python is general-purpose.", "stop_reason": "stop_sequence", "model": MODEL}


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_step_goes_to_the_messages_api_and_comes_back_a_completion(recorder: Recorder, connection: dict[str, Any], stream: bool, mode: str) -> None:
    recorder.script(sse(REPLY) if stream else Answer(200, REPLY, {"request-id": "req_p"}))
    settings = {**connection, "completion_model": MODEL, "anthropic_beta": ["b-conn"]}
    payload = {**SAMPLE, "stream": stream, "betas": ["b-run"]}

    async def arun() -> Any:
        async with Connector(MANIFEST, settings) as connector:
            return await connector.arun("create_completion", payload)

    if mode == "sync":
        with Connector(MANIFEST, settings) as connector:
            result = connector.run("create_completion", payload)
    else:
        result = asyncio.run(arun())
    assert result.output == COMPLETION and result.request_id == ("req_s" if stream else "req_p")
    (request,) = recorder.requests
    assert (request.method, request.path) == ("POST", "/v1/messages")
    assert request.headers["anthropic-beta"] == "b-conn,b-run"
    assert request.json() == {
        "model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": "What are the main differences between Python and JavaScript?"}],
        "stop_sequences": ["\n\nHuman:"], "temperature": 0.7, "metadata": {"user_id": "user_123456789"}, "stream": stream,
    }


def test_events_are_completion_shaped(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(sse(REPLY))

    async def collect() -> list[dict[str, Any]]:
        async with Connector(MANIFEST, {**connection, "completion_model": MODEL}) as connector:
            return [event async for event in connector.events("create_completion", SAMPLE)]

    events = asyncio.run(collect())
    head = {"type": "completion", "id": "msg_c"}
    assert events == [
        {**head, "completion": "Pyt", "stop_reason": None, "model": MODEL},
        {**head, "completion": "hon is general-purpose.", "stop_reason": None, "model": MODEL},
        {**head, "completion": "", "stop_reason": "stop_sequence", "model": MODEL},
    ]


def test_cli_events_and_run_with_a_connection_file(recorder: Recorder, cli: Any, fake_key: str, tmp_path: Any) -> None:
    settings = write_json(tmp_path / "connection.json", {"api_key": fake_key, "base_url": recorder.url, "completion_model": MODEL})
    payload = write_json(tmp_path / "in.json", SAMPLE)
    recorder.script(sse(REPLY))
    code, out, _ = cli("run", "create_completion", str(payload), "--events", "--connection", str(settings))
    assert code == 0 and "".join(json.loads(line)["completion"] for line in out.splitlines()) == COMPLETION["completion"]
    recorder.script(Answer(200, REPLY))
    code, out, _ = cli("run", "create_completion", str(payload), "--connection", str(settings))
    assert (code, out) == (0, COMPLETION)


def test_an_answer_that_is_not_a_message_is_an_unexpected_response(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, {"type": "completion", "completion": "legacy?"}))
    with Connector(MANIFEST, {**connection, "completion_model": MODEL}) as connector:
        with pytest.raises(Exception) as caught:
            connector.run("create_completion", SAMPLE)
    assert getattr(caught.value, "type", None) == "unexpected_response"


def test_without_completion_model_the_legacy_endpoint_is_called_as_written(recorder: Recorder, connection: dict[str, Any]) -> None:
    # A model the table does not know passes (the API decides); the sample's claude-2.1 is
    # retired, refused before sending (test_rules.py).
    legacy = {**SAMPLE, "model": "claude-legacy-private"}
    recorder.script(Answer(200, OP.sample_output))
    with Connector(MANIFEST, connection) as connector:
        assert connector.run("create_completion", legacy).output == OP.sample_output
    assert recorder.requests[-1].path == "/v1/complete" and recorder.requests[-1].json() == legacy


def test_with_completion_model_the_rules_judge_the_model_sent(recorder: Recorder, connection: dict[str, Any]) -> None:
    """The step's own model is not what is sent: the rules judge the completion_model instead."""
    with Connector(MANIFEST, {**connection, "completion_model": "claude-3-opus-20240229"}) as connector:
        with pytest.raises(ValidationError, match="claude-3-opus-20240229 was retired"):
            connector.run("create_completion", SAMPLE)
    assert [r.path for r in recorder.requests if r.path != "/v1/models"] == []


def test_a_refused_prompt_sends_nothing(recorder: Recorder, connection: dict[str, Any]) -> None:
    with Connector(MANIFEST, {**connection, "completion_model": MODEL, "completion_prefill": False}) as connector:
        with pytest.raises(ValidationError):
            connector.run("create_completion", {**SAMPLE, "prompt": "\n\nHuman: JSON please\n\nAssistant: {"})
    assert recorder.requests == []


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_the_sample_runs_on_the_sandbox_through_a_current_model(stream: bool) -> None:
    with Connector(MANIFEST, {"completion_model": MODEL}, sandbox=True) as connector:
        output = connector.run("create_completion", {**SAMPLE, "stream": stream}).output
        short = connector.run("create_completion", {**SAMPLE, "stream": stream, "max_tokens_to_sample": 3}).output
    assert output["stop_reason"] == "stop_sequence" and output["model"] == MODEL and output["completion"]
    assert short["stop_reason"] == "max_tokens"
    assert OP.output_validator.errors(output) == [] and OP.output_validator.errors(short) == []
