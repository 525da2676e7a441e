"""Structured outputs: a reply to output_config.format comes back as data (parsed_output),
held to the requested schema; a reply that cannot be that data is a structured_output_error.
``output_model`` sends a pydantic model's schema the SDK's way and returns its instance."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any, Literal, Optional

import pytest
from conftest import MANIFEST, REPO, SRC, Answer, Recorder, write_json
from pydantic import BaseModel, Field, field_validator
from test_doors_stay_out import PROBE

from anthropic_connector import Connector, StructuredOutputError, ValidationError
from anthropic_connector.output_model import transform_schema

SAMPLE = json.loads((REPO / "samples/create_message.structured_output.input.json").read_text())
CONTACT = {"name": "John Smith", "email": "john@example.com", "plan": "pro"}


def message(*blocks: dict[str, Any], stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "id": "msg_s", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6", "content": list(blocks),
        "stop_reason": stop_reason, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 5},
    }


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def sse(reply: dict[str, Any]) -> Answer:
    """``reply`` as the API streams it: text in two deltas per block."""
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": {**reply, "content": [], "stop_reason": None}})]
    for index, block in enumerate(reply["content"]):
        events.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": {**block, "text": ""}}))
        half = len(block["text"]) // 2
        for piece in (block["text"][:half], block["text"][half:]):
            events.append(("content_block_delta", {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(("message_delta", {"type": "message_delta", "delta": {"stop_reason": reply["stop_reason"], "stop_sequence": None}, "usage": {"output_tokens": 5}}))
    events.append(("message_stop", {"type": "message_stop"}))
    body = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    return Answer(200, body, {"content-type": "text/event-stream", "request-id": "req_stream"})


def run(connection: dict[str, Any], payload: dict[str, Any], **kwargs: Any) -> Any:
    with Connector(MANIFEST, connection) as connector:
        return connector.run("create_message", payload, **kwargs)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_the_reply_comes_back_as_data_checked_against_the_schema(recorder: Recorder, connection: dict[str, Any], stream: bool) -> None:
    reply = message(text(json.dumps(CONTACT)))
    recorder.script(sse(reply) if stream else Answer(200, reply, {"request-id": "req_plain"}))
    result = run(connection, {**SAMPLE, "stream": stream})
    assert result.output == {**reply, "parsed_output": CONTACT}
    assert result.parsed is None  # no output model: the data is in the output, as JSON
    assert recorder.requests[0].json()["output_config"] == SAMPLE["output_config"]  # sent as given
    assert MANIFEST.operation("create_message").output_validator.errors(result.output) == []


BROKEN = {
    "not json": (message(text("Sure! Here is the contact: John")), "is not JSON", []),
    "cut at max_tokens": (message(text('{"name": "John Sm'), stop_reason="max_tokens"), "cut short at max_tokens", []),
    "breaks the schema": (message(text(json.dumps({"name": "John", "plan": "gold"}))), "breaks the schema", ["/email", "/plan"]),
    "a refusal": (message(text("I can't help with that."), stop_reason="refusal"), "the model refused", []),
    "no text at all": (message(), "is not JSON", []),
}


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("reply, says, paths", BROKEN.values(), ids=BROKEN.keys())
def test_a_reply_that_is_not_the_data_is_a_structured_output_error(recorder: Recorder, connection: dict[str, Any], reply: dict[str, Any], says: str, paths: list[str], stream: bool) -> None:
    recorder.script(sse(reply) if stream and reply["content"] else Answer(200, reply, {"request-id": "req_bad"}))
    with pytest.raises(StructuredOutputError) as caught:
        run(connection, {**SAMPLE, "stream": stream and bool(reply["content"])})
    error = caught.value
    assert (error.type, error.exit_code) == ("structured_output_error", 4)
    assert says in error.message and error.status == 200 and error.request_id in ("req_bad", "req_stream")
    assert error.details["stop_reason"] == reply["stop_reason"]
    assert error.details["text"] == "".join(b["text"] for b in reply["content"])
    assert [v["path"] for v in error.details["violations"]] == paths
    assert error.output["id"] == "msg_s"  # the whole message, for a host that wants to log it


def test_a_tool_call_is_a_step_not_the_answer(recorder: Recorder, connection: dict[str, Any]) -> None:
    reply = message({"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}, stop_reason="tool_use")
    recorder.script(Answer(200, reply))
    assert run(connection, SAMPLE).output == reply  # no parsed_output, and no error


def test_text_split_around_a_citation_reads_as_one_json_text(recorder: Recorder, connection: dict[str, Any]) -> None:
    whole = json.dumps(CONTACT)
    recorder.script(Answer(200, message(text(whole[:10]), text(whole[10:]))))
    assert run(connection, SAMPLE).output["parsed_output"] == CONTACT


def test_the_cli_exits_4_with_the_envelope(recorder: Recorder, cli: Any, connection_env: dict[str, str], tmp_path: Any) -> None:
    recorder.script(Answer(200, message(text("nope")), {"request-id": "req_cli"}))
    code, out, err = cli("run", "create_message", str(write_json(tmp_path / "in.json", SAMPLE)), env=connection_env)
    assert code == 4 and out["error"]["type"] == "structured_output_error" and out["error"]["request_id"] == "req_cli"
    assert "structured_output_error" in err


def test_cli_events_end_with_the_error_when_the_assembled_reply_breaks_the_schema(recorder: Recorder, cli: Any, connection_env: dict[str, str], tmp_path: Any) -> None:
    recorder.script(sse(message(text('{"name": 1}'))))
    code, out, _ = cli("run", "create_message", str(write_json(tmp_path / "in.json", SAMPLE)), "--events", env=connection_env)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 4 and lines[0]["type"] == "message_start" and lines[-1]["error"]["type"] == "structured_output_error"


def test_count_tokens_with_a_format_has_nothing_to_parse(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, {"input_tokens": 42}))
    payload = {k: v for k, v in SAMPLE.items() if k != "max_tokens"}
    with Connector(MANIFEST, connection) as connector:
        assert connector.run("count_tokens", payload).output == {"input_tokens": 42}


def test_a_schema_that_cannot_be_compiled_is_refused_before_sending(recorder: Recorder, connection: dict[str, Any]) -> None:
    broken = {**SAMPLE, "output_config": {"format": {"type": "json_schema", "schema": {"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}}}}}
    with pytest.raises(ValidationError) as caught:
        run(connection, broken)
    assert caught.value.details[0]["path"] == "/output_config/format/schema"
    assert recorder.requests == []


# -- output_model ----------------------------------------------------------------------------


class Contact(BaseModel):
    name: str
    email: str = Field(description="Where to write", pattern=r".+@.+")
    plan: Literal["free", "pro", "team"]
    tags: list[str] = Field(default_factory=list, min_length=1, max_length=5)
    age: Optional[int] = Field(default=None, ge=0)

    @field_validator("name")
    @classmethod
    def _capitalised(cls, value: str) -> str:
        if not value[:1].isupper():
            raise ValueError("must start with a capital letter")
        return value


class Address(BaseModel):
    street: str
    city: str


class Customer(BaseModel):
    contact: Contact
    addresses: list[Address] = Field(min_length=2)
    kind: Literal["person"] | Literal["company"]


MODELS = [Contact, Customer, list[Address], Literal["a", "b"]]


@pytest.mark.parametrize("model", MODELS, ids=["fields", "nested $defs", "a list type", "a literal"])
def test_the_models_schema_is_made_strict_as_the_sdk_makes_it(model: Any) -> None:
    from anthropic.lib._parse._transform import transformed_json_schema
    from pydantic import TypeAdapter

    adapter = TypeAdapter(model)
    assert transform_schema(adapter.json_schema()) == transformed_json_schema(adapter)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_output_model_sends_its_schema_and_returns_an_instance(recorder: Recorder, connection: dict[str, Any], mode: str) -> None:
    data = {**CONTACT, "name": "John", "tags": ["vip"]}
    recorder.script(Answer(200, message(text(json.dumps(data)))))
    payload = {k: v for k, v in SAMPLE.items() if k != "output_config"}

    async def arun() -> Any:
        async with Connector(MANIFEST, connection) as connector:
            return await connector.arun("create_message", payload, output_model=Contact)

    result = run(connection, payload, output_model=Contact) if mode == "sync" else asyncio.run(arun())
    assert result.parsed == Contact(**data) and result.output["parsed_output"] == data
    sent = recorder.requests[0].json()["output_config"]["format"]
    assert sent == {"type": "json_schema", "schema": transform_schema(Contact.model_json_schema())}


def test_a_reply_the_model_refuses_is_a_structured_output_error(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, message(text(json.dumps({**CONTACT, "name": "john"})))))  # the schema takes it, the validator does not
    with pytest.raises(StructuredOutputError) as caught:
        run(connection, {k: v for k, v in SAMPLE.items() if k != "output_config"}, output_model=Contact)
    assert caught.value.details["violations"][0]["path"] == "/name"
    assert "capital letter" in caught.value.message


def test_output_model_and_a_format_of_its_own_are_refused_together(recorder: Recorder, connection: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        run(connection, SAMPLE, output_model=Contact)
    assert caught.value.details == [{"path": "/output_config/format", "message": "is given, and so is output_model: give one of them"}]
    assert recorder.requests == []


def test_output_model_keeps_the_rest_of_output_config(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, message(text(json.dumps({**CONTACT, "tags": ["a"]})))))
    payload = {**SAMPLE, "output_config": {"effort": "low"}}
    run(connection, payload, output_model=Contact)
    assert recorder.requests[0].json()["output_config"]["effort"] == "low"


@pytest.mark.parametrize("sample", ["create_message.structured_output", "create_completion"])
def test_a_one_shot_run_imports_no_pydantic(sample: str) -> None:
    probe = PROBE % (("pydantic", "pydantic_core"), ())
    args = ["run", sample.split(".")[0], f"samples/{sample}.input.json", "--sandbox"]
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=REPO, env={"PYTHONPATH": str(SRC), "PATH": ""}, timeout=60)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["loaded"] == []
