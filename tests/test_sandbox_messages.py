"""The sandbox speaks the whole Messages API: structured output, thinking, tool loops, server
tools, message threads and the API's rules for them, proved with the official `anthropic` SDK
and its helpers (`messages.parse`, `messages.stream`, `beta.messages.tool_runner`) on a real
socket, with strict response validation on.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import json
import uuid
from collections.abc import Iterator
from typing import Any, Literal, Optional

import anthropic
import pydantic
import pytest
from anthropic.lib._parse._transform import transform_schema
from jsonschema import Draft202012Validator

from anthropic_connector.sandbox import SandboxOptions, SandboxServer, serve
from conftest import but_id

MODEL = "claude-sonnet-5-5"
HELLO = [{"role": "user", "content": "Hello, sandbox"}]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with serve() as running:
        yield running


def sdk(server: SandboxServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key="sk-test", max_retries=0, _strict_response_validation=True)


def async_sdk(server: SandboxServer) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=server.url, api_key="sk-test", max_retries=0, _strict_response_validation=True)


@pytest.fixture
def client(server: SandboxServer) -> Iterator[anthropic.Anthropic]:
    with sdk(server) as made:
        yield made


def refusal(client: anthropic.Anthropic, **overrides: Any) -> str:
    """The API's message for a request the sandbox refuses with 400 invalid_request_error."""
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.messages.create(**{"model": MODEL, "max_tokens": 2048, "messages": HELLO, **overrides})
    assert refused.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    return refused.value.body["error"]["message"]  # type: ignore[index]


# -- structured output -----------------------------------------------------------------------


class Size(str, enum.Enum):
    SMALL = "small"
    LARGE = "large"


class Address(pydantic.BaseModel):
    street: str
    city: str
    postcode: Optional[str] = None


class Line(pydantic.BaseModel):
    product: str
    size: Size
    quantity: int = pydantic.Field(ge=1, le=9)
    price: float = pydantic.Field(gt=0)
    tags: list[str]


class Order(pydantic.BaseModel):
    """Nested objects, lists, enums, optional fields, formats and bounds the SDK moves into descriptions."""

    id: uuid.UUID
    placed: datetime.datetime
    channel: Literal["web", "phone"]
    ship_to: Address
    bill_to: Optional[Address]
    lines: list[Line] = pydantic.Field(min_length=1)
    note: Optional[str] = None
    code: str = pydantic.Field(min_length=12)


def test_parse_returns_the_pydantic_instance_plain_and_streamed(client: anthropic.Anthropic) -> None:
    kwargs: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "messages": HELLO, "output_format": Order}
    parsed = client.messages.parse(**kwargs)
    assert isinstance(parsed.parsed_output, Order) and parsed.stop_reason == "end_turn"
    assert parsed.parsed_output.lines and parsed.parsed_output.lines[0].quantity >= 1 and len(parsed.parsed_output.code) >= 12
    assert list(Draft202012Validator(transform_schema(Order)).iter_errors(json.loads(parsed.content[0].text))) == []
    with client.messages.stream(**kwargs) as stream:
        snapshots = [event.parsed_snapshot() for event in stream if event.type == "text"]
        final = stream.get_final_message()
    assert final.parsed_output == parsed.parsed_output and snapshots[-1] == json.loads(parsed.content[0].text)
    assert but_id(final) == but_id(parsed)


def test_parse_async(server: SandboxServer) -> None:
    async def scenario() -> Order | None:
        async with async_sdk(server) as client:
            parsed = await client.messages.parse(model=MODEL, max_tokens=1024, messages=HELLO, output_format=Order)
            return parsed.parsed_output

    assert isinstance(asyncio.run(scenario()), Order)


SCHEMA = {
    "type": "object",
    "required": ["kind", "version", "status", "owner", "parts", "when", "either", "both", "score", "site"],
    "properties": {
        "kind": {"const": "report"},
        "version": {"type": "integer", "minimum": 3, "multipleOf": 2},
        "status": {"enum": ["draft", "final"]},
        "owner": {"$ref": "#/$defs/person"},
        "parts": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/person"}},
        "when": {"type": "string", "format": "date"},
        "either": {"oneOf": [{"type": "null"}, {"type": "string", "maxLength": 3}]},
        "both": {"allOf": [{"type": "object", "required": ["a"], "properties": {"a": {"type": "boolean"}}}, {"required": ["b"], "properties": {"b": {"type": "number", "exclusiveMaximum": -1}}}]},
        "score": {"type": ["null", "number"], "exclusiveMinimum": 0},
        "site": {"type": "string", "format": "uri"},
        "unasked": {"type": "string"},
    },
    "$defs": {"person": {"type": "object", "required": ["name", "email"], "properties": {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}}}},
}


def test_a_json_schema_format_gets_the_simplest_instance_it_accepts(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(model=MODEL, max_tokens=1024, messages=HELLO, output_config={"format": {"type": "json_schema", "schema": SCHEMA}})
    value = json.loads(reply.content[0].text)  # type: ignore[union-attr]
    assert list(Draft202012Validator(SCHEMA).iter_errors(value)) == [] and reply.stop_reason == "end_turn"
    assert value["kind"] == "report" and value["version"] == 4 and len(value["parts"]) == 2 and "unasked" not in value


def test_a_canned_reply_is_used_when_the_schema_accepts_it() -> None:
    schema = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "integer"}}}
    canned = {"Valid": '{"answer": 42}', "Invalid": '{"answer": "forty-two"}', "Prose": "Forty-two."}
    with serve(options=SandboxOptions(canned=canned)) as running, sdk(running) as client:
        texts = [
            client.messages.create(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": prompt}], output_config={"format": {"type": "json_schema", "schema": schema}})
            .content[0]
            .text  # type: ignore[union-attr]
            for prompt in canned
        ]
    assert texts == ['{"answer": 42}', '{"answer": 0}', '{"answer": 0}']


@pytest.mark.parametrize(
    ("output_config", "message"),
    [
        ({"format": {"type": "json_object", "schema": {}}}, "output_config.format.type: Input should be 'json_schema'"),
        ({"format": {"type": "json_schema"}}, "output_config.format.schema: Field required"),
        ({"format": {"type": "json_schema", "schema": []}}, "output_config.format.schema: Input should be a valid dictionary"),
    ],
)
def test_a_malformed_output_config_is_refused(client: anthropic.Anthropic, output_config: dict, message: str) -> None:
    assert refusal(client, output_config=output_config) == message
