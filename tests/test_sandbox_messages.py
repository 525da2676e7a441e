"""The sandbox speaks the whole Messages API: structured output, thinking, tool loops, server
tools, message threads and the API's rules for them, proved with the official `anthropic` SDK
and its helpers (`messages.parse`, `messages.stream`, `beta.messages.tool_runner`) on a real
socket, with strict response validation on.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Optional

import anthropic
import httpx2
import pydantic
import pytest
from anthropic.lib._parse._transform import transform_schema
from jsonschema import Draft202012Validator

from anthropic_connector.sandbox import SandboxOptions, SandboxServer, serve
from anthropic_connector.sandbox.call import ApiError
from anthropic_connector.sandbox.threads import Threads
from conftest import REPO, but_id

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
    assert refused.value.body["error"]["type"] == "invalid_request_error"
    return refused.value.body["error"]["message"]


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
    value = json.loads(reply.content[0].text)
    assert list(Draft202012Validator(SCHEMA).iter_errors(value)) == [] and reply.stop_reason == "end_turn"
    assert value["kind"] == "report" and value["version"] == 4 and len(value["parts"]) == 2 and "unasked" not in value


def test_a_canned_reply_is_used_when_the_schema_accepts_it() -> None:
    schema = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "integer"}}}
    canned = {"Valid": '{"answer": 42}', "Invalid": '{"answer": "forty-two"}', "Prose": "Forty-two."}
    with serve(options=SandboxOptions(canned=canned)) as running, sdk(running) as client:
        texts = [
            client.messages.create(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": prompt}], output_config={"format": {"type": "json_schema", "schema": schema}})
            .content[0]
            .text
            for prompt in canned
        ]
    assert texts == ['{"answer": 42}', '{"answer": 0}', '{"answer": 0}']


def test_a_schema_cannot_ask_for_an_enormous_value(client: anthropic.Anthropic) -> None:
    """Nested minItems and $refs that fan out would multiply; the value stops growing instead."""
    nested: dict[str, Any] = {"type": "array", "minItems": 100, "items": {}}
    for _ in range(30):
        nested = {"type": "array", "minItems": 100, "items": nested}
    fan = {f"D{i}": {"type": "object", "required": ["a", "b"], "properties": {"a": {"$ref": f"#/$defs/D{i + 1}"}, "b": {"$ref": f"#/$defs/D{i + 1}"}}} for i in range(40)}
    for schema in (nested, {"$ref": "#/$defs/D0", "$defs": fan}):
        reply = client.messages.create(model=MODEL, max_tokens=21_000, messages=HELLO, output_config={"format": {"type": "json_schema", "schema": schema}})
        assert reply.stop_reason == "end_turn" and len(reply.content[0].text) < 100_000


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


# -- thinking --------------------------------------------------------------------------------

ADAPTIVE = {"type": "adaptive", "display": "summarized"}
ENABLED = {"type": "enabled", "budget_tokens": 1024}
REDACTED_TRIGGER = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB"


def events_of(server: SandboxServer, **body: Any) -> list[tuple[str, dict[str, Any]]]:
    """The raw SSE events the sandbox sends for `body` (pings included), in order."""
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    text = httpx2.post(f"{server.url}/v1/messages", json={"model": MODEL, "max_tokens": 2048, "messages": HELLO, **body, "stream": True}, headers=headers).text
    return [(lines[0][7:], json.loads(lines[1][6:])) for lines in (block.splitlines() for block in text.strip().split("\n\n"))]


@pytest.mark.parametrize("config", [ADAPTIVE, ENABLED, {**ENABLED, "display": "omitted"}], ids=["adaptive", "enabled", "omitted"])
def test_thinking_streamed_by_the_sdk_is_the_plain_reply(client: anthropic.Anthropic, config: dict) -> None:
    kwargs: dict[str, Any] = {"model": MODEL, "max_tokens": 4096, "messages": HELLO, "thinking": config}
    plain = client.messages.create(**kwargs)
    thought, text = plain.content
    assert thought.type == "thinking" and thought.signature and text.type == "text" and plain.stop_reason == "end_turn"
    assert bool(thought.thinking) is (config.get("display") != "omitted")
    details = plain.usage.output_tokens_details
    assert details and 0 < details.thinking_tokens < plain.usage.output_tokens
    with client.messages.stream(**kwargs) as stream:
        seen = [event.type for event in stream]
        final = stream.get_final_message()
    assert but_id(final) == but_id(plain) and seen.count("signature") == 1
    assert ("thinking" in seen) is bool(thought.thinking)


def test_thinking_events_come_in_the_apis_order(server: SandboxServer) -> None:
    events = events_of(server, thinking=ENABLED)
    names = [name for name, _ in events]
    first_stop = names.index("content_block_stop")
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert events[1][1]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    deltas = [data["delta"]["type"] for name, data in events[:first_stop] if name == "content_block_delta"]
    assert deltas[-1] == "signature_delta" and set(deltas[:-1]) == {"thinking_delta"}
    assert events[first_stop + 1][1]["content_block"] == {"type": "text", "text": ""}
    assert "output_tokens_details" not in events[0][1]["message"]["usage"]
    assert events[-2][1]["usage"]["output_tokens_details"]["thinking_tokens"] > 0


def test_the_documented_trigger_gives_redacted_thinking_whole(client: anthropic.Anthropic, server: SandboxServer) -> None:
    messages = [{"role": "user", "content": REDACTED_TRIGGER}]
    reply = client.messages.create(model=MODEL, max_tokens=4096, messages=messages, thinking=ENABLED)
    assert [block.type for block in reply.content] == ["thinking", "redacted_thinking", "text"]
    redacted = [data for name, data in events_of(server, messages=messages, thinking=ENABLED) if name == "content_block_start"][1]
    assert redacted["content_block"] == reply.content[1].model_dump()


@pytest.mark.parametrize("config", [None, {"type": "disabled"}, {"type": "between_tools"}], ids=["absent", "disabled", "between_tools"])
def test_no_thinking_without_it(client: anthropic.Anthropic, config: dict | None) -> None:
    reply = client.messages.create(model=MODEL, max_tokens=1024, messages=HELLO, **({"thinking": config} if config else {}))
    assert [block.type for block in reply.content] == ["text"] and reply.usage.output_tokens_details is None


def test_thinking_spends_max_tokens_first(client: anthropic.Anthropic) -> None:
    short = client.messages.create(model=MODEL, max_tokens=5, messages=HELLO, thinking=ADAPTIVE)
    assert [block.type for block in short.content] == ["thinking"] and short.stop_reason == "max_tokens"
    assert short.usage.output_tokens == 5 == short.usage.output_tokens_details.thinking_tokens


def test_thinking_async(server: SandboxServer) -> None:
    async def scenario() -> tuple[Any, Any]:
        async with async_sdk(server) as client:
            kwargs: dict[str, Any] = {"model": MODEL, "max_tokens": 4096, "messages": HELLO, "thinking": ADAPTIVE}
            plain = await client.messages.create(**kwargs)
            async with client.messages.stream(**kwargs) as stream:
                return plain, await stream.get_final_message()

    plain, final = asyncio.run(scenario())
    assert but_id(final) == but_id(plain) and plain.content[0].type == "thinking"


DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
V1 = {"anthropic-version": "2023-06-01"}  # sampling fields exist only there; SDK 2.x sends 2026-10-21


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"thinking": {"type": "enabled", "budget_tokens": 1023}}, "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"),
        ({"thinking": {"type": "enabled"}}, "thinking.enabled.budget_tokens: Field required"),
        ({"thinking": {**ENABLED, "budget_tokens": 2048}}, f"`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at {DOCS}#max-tokens-and-context-window-size"),
        ({"thinking": {"type": "sometimes"}}, "thinking: Input tag 'sometimes' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'between_tools', 'adaptive'"),
        ({"thinking": {**ADAPTIVE, "display": "full"}}, "thinking.adaptive.display: Input should be 'summarized', 'omitted' or 'updates'"),
        ({"thinking": ADAPTIVE, "tools": [{"name": "t", "input_schema": {"type": "object"}}], "tool_choice": {"type": "any"}}, "Thinking may not be enabled when tool_choice forces tool use."),
        ({"thinking": ENABLED, "extra_body": {"temperature": 0.5}, "extra_headers": V1}, "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode."),
        ({"thinking": ADAPTIVE, "extra_body": {"top_k": 5}, "extra_headers": V1}, f"`top_k` must be unset when thinking is enabled. Please consult our documentation at {DOCS}#important-considerations-when-using-extended-thinking"),
        ({"thinking": ADAPTIVE, "extra_body": {"top_p": 0.9}, "extra_headers": V1}, f"`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our documentation at {DOCS}#important-considerations-when-using-extended-thinking"),
        ({"thinking": ADAPTIVE, "model": "claude-sonnet-4-5"}, '"thinking.type.adaptive" is not supported for this model. Use "thinking.type.enabled".'),
        ({"thinking": ENABLED, "model": "claude-3-opus-20240229"}, '"thinking.type.enabled" is not supported for this model.'),
    ],
    ids=["budget-low", "budget-missing", "budget-not-below-max", "type", "display", "forced-tool", "temperature", "top_k", "top_p", "adaptive-unsupported", "no-thinking-model"],
)
def test_the_apis_thinking_rules(client: anthropic.Anthropic, overrides: dict, message: str) -> None:
    assert refusal(client, **overrides) == message


def test_thinking_allows_what_the_docs_allow(client: anthropic.Anthropic) -> None:
    sampling = {"temperature": 1, "top_p": 0.95}
    assert client.messages.create(model=MODEL, max_tokens=2048, messages=HELLO, thinking=ENABLED, extra_body=sampling, extra_headers=V1).content
    assert client.messages.count_tokens(model=MODEL, messages=HELLO, thinking={**ENABLED, "budget_tokens": 5000}).input_tokens > 0


def test_manual_thinking_must_come_back_with_its_tool_call(client: anthropic.Anthropic) -> None:
    call = {"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}
    messages = [*HELLO, {"role": "assistant", "content": [call]}, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]}]
    tools = [{"name": "t", "input_schema": {"type": "object"}}]
    assert refusal(client, messages=messages, tools=tools, thinking=ENABLED).startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block"
    )
    assert client.messages.create(model=MODEL, max_tokens=2048, messages=messages, tools=tools, thinking=ADAPTIVE).content


# -- tools -----------------------------------------------------------------------------------

WEATHER = {
    "name": "get_weather",
    "description": "Get the weather for a specific location",
    "input_schema": {"type": "object", "required": ["location"], "properties": {"location": {"type": "string"}, "unit": {"enum": ["c", "f"]}}},
}
CLOCK = {"name": "get_time", "input_schema": {"type": "object", "required": ["zone"], "properties": {"zone": {"type": "string", "format": "date-time"}}}}
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search"}


def answered(reply: Any, result: str = "73F") -> list[dict[str, Any]]:
    """The conversation after `reply`'s tool call, with the caller's result for it."""
    call = next(block for block in reply.content if block.type == "tool_use")
    return [*HELLO, {"role": "assistant", "content": reply.content}, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": result}]}]


@pytest.mark.parametrize("choice", [None, {"type": "auto"}], ids=["absent", "auto"])
def test_a_tool_loop_calls_then_answers(client: anthropic.Anthropic, choice: dict | None) -> None:
    kwargs: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "tools": [WEATHER], **({"tool_choice": choice} if choice else {})}
    called = client.messages.create(messages=HELLO, **kwargs)
    (call,) = called.content
    assert called.stop_reason == "tool_use" and call.type == "tool_use" and call.name == "get_weather"
    assert list(Draft202012Validator(WEATHER["input_schema"]).iter_errors(call.input)) == []
    with client.messages.stream(messages=HELLO, **kwargs) as stream:
        assert but_id(stream.get_final_message()) == but_id(called)
    answer = client.messages.create(messages=answered(called), **kwargs)
    assert [block.type for block in answer.content] == ["text"] and answer.stop_reason == "end_turn"


def test_tool_choice_none_never_calls_and_forced_choices_always_do(client: anthropic.Anthropic) -> None:
    base: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "tools": [WEATHER, CLOCK]}
    assert client.messages.create(messages=HELLO, tool_choice={"type": "none"}, **base).content[0].type == "text"
    named = client.messages.create(messages=HELLO, tool_choice={"type": "tool", "name": "get_time"}, **base)
    assert named.content[0].name == "get_time" and named.content[0].input == {"zone": "2025-01-01T00:00:00Z"}
    again = client.messages.create(messages=answered(named), tool_choice={"type": "any"}, **base)
    assert again.stop_reason == "tool_use"  # a forced choice calls even after a result
    asked = client.messages.create(messages=[{"role": "user", "content": "Please get_time for me"}], **base)
    assert asked.content[0].name == "get_time"  # the tool the prompt names


def test_anthropic_defined_client_tools_get_a_plausible_input(client: anthropic.Anthropic) -> None:
    bash = client.messages.create(model=MODEL, max_tokens=1024, messages=HELLO, tools=[{"type": "bash_20250124", "name": "bash"}])
    assert bash.content[0].type == "tool_use" and bash.content[0].input == {"command": "echo sandbox"}


@pytest.mark.parametrize(
    ("tool", "prompt", "result_type", "counts"),
    [
        (WEB_SEARCH, "What's the weather in New York?", "web_search_tool_result", {"web_search_requests": 1, "web_fetch_requests": 0}),
        ({"type": "web_fetch_20250910", "name": "web_fetch"}, "Summarise https://example.org/post", "web_fetch_tool_result", {"web_search_requests": 0, "web_fetch_requests": 1}),
    ],
    ids=["web_search", "web_fetch"],
)
def test_server_tools_run_in_the_reply(client: anthropic.Anthropic, tool: dict, prompt: str, result_type: str, counts: dict) -> None:
    kwargs: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": prompt}], "tools": [tool]}
    reply = client.messages.create(**kwargs)
    use, result, text = reply.content
    assert (use.type, result.type, text.type, reply.stop_reason) == ("server_tool_use", result_type, "text", "end_turn")
    assert result.tool_use_id == use.id and reply.usage.server_tool_use.model_dump() == counts
    assert use.input == ({"query": prompt} if use.name == "web_search" else {"url": "https://example.org/post"})
    with client.beta.messages.stream(**kwargs) as stream:
        streamed = stream.get_final_message()
    assert [b.model_dump(exclude_none=True) for b in streamed.content] == [b.model_dump(exclude_none=True) for b in reply.content]
    assert streamed.usage.server_tool_use.model_dump() == counts


def test_a_server_tool_the_sandbox_cannot_play_gets_text(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(model=MODEL, max_tokens=1024, messages=HELLO, tools=[{"type": "code_execution_20250825", "name": "code_execution"}])
    assert [block.type for block in reply.content] == ["text"]


def test_thinking_in_a_tool_loop(client: anthropic.Anthropic) -> None:
    """Manual thinking thinks at the start of a turn only; adaptive thinking interleaves."""
    base: dict[str, Any] = {"model": MODEL, "max_tokens": 4096, "tools": [WEATHER]}
    for config, after in ((ENABLED, ["text"]), (ADAPTIVE, ["thinking", "text"])):
        called = client.messages.create(messages=HELLO, thinking=config, **base)
        assert [block.type for block in called.content] == ["thinking", "tool_use"]
        answer = client.messages.create(messages=answered(called), thinking=config, **base)
        assert [block.type for block in answer.content] == after


def test_structured_output_after_a_tool_call(client: anthropic.Anthropic) -> None:
    base: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "tools": [WEATHER], "output_format": Address}
    called = client.messages.parse(messages=HELLO, **base)
    assert called.stop_reason == "tool_use" and called.parsed_output is None
    assert isinstance(client.messages.parse(messages=answered(called), **base).parsed_output, Address)


def test_the_apis_tool_rules(client: anthropic.Anthropic) -> None:
    call = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"location": "x"}}
    results = [{"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": "73F"} for n in (1, 2)]
    tools = [WEATHER]
    assert refusal(client, tools=tools, tool_choice={"type": "tool", "name": "get_time"}) == "Tool 'get_time' not found in provided tools"
    assert refusal(client, tools=tools, messages=[*HELLO, {"role": "assistant", "content": [call]}, {"role": "user", "content": results}]) == (
        "messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_2. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
    )
    assert refusal(client, tools=tools, messages=[*HELLO, {"role": "assistant", "content": [call]}, *HELLO]) == (
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    )


def test_a_batch_answers_what_messages_answers(client: anthropic.Anthropic) -> None:
    """Batch params run through the same code: thinking, tool calls, server tools, structured
    output, and the same refusals (here a budget that is not below max_tokens)."""
    schema = {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}
    params: list[dict[str, Any]] = [
        {"model": MODEL, "max_tokens": 4096, "messages": HELLO, "thinking": ADAPTIVE, "tools": [WEATHER]},
        {"model": MODEL, "max_tokens": 1024, "messages": HELLO, "tools": [WEB_SEARCH]},
        {"model": MODEL, "max_tokens": 1024, "messages": HELLO, "output_config": {"format": {"type": "json_schema", "schema": schema}}},
    ]
    refused = {"model": MODEL, "max_tokens": 1024, "messages": HELLO, "thinking": ENABLED}
    with serve(options=SandboxOptions(batch_seconds=0)) as running, sdk(running) as batched:
        requests = [{"custom_id": f"r{i}", "params": p} for i, p in enumerate([*params, refused])]
        batch = batched.messages.batches.create(requests=requests)
        results = {line.custom_id: line.result for line in batched.messages.batches.results(batch.id)}
    for i, p in enumerate(params):
        assert results[f"r{i}"].type == "succeeded" and but_id(results[f"r{i}"].message) == but_id(client.messages.create(**p))
    assert results["r3"].type == "errored" and results["r3"].error.error.message == refusal(client, **refused)


# -- the SDK's tool runner and message threads -----------------------------------------------


@anthropic.beta_tool
def get_weather(location: str, units: Literal["c", "f"]) -> str:
    """Look up the weather in a city.

    Args:
        location: The city and state, e.g. San Francisco, CA
        units: Unit for the output, 'c' or 'f'
    """
    return json.dumps({"location": location, "temperature": "20" + units})


@anthropic.beta_async_tool
async def get_weather_async(location: str, units: Literal["c", "f"]) -> str:
    """Look up the weather in a city, without blocking.

    Args:
        location: The city and state
        units: Unit for the output, 'c' or 'f'
    """
    return get_weather.call({"location": location, "units": units})


RUNNER: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": "What is the weather in SF?"}]}


@pytest.mark.parametrize("extra", [{}, {"thinking": ADAPTIVE}, {"stream": True}], ids=["plain", "thinking", "streamed"])
def test_the_sdk_tool_runner_runs_to_completion_on_a_thread(server: SandboxServer, extra: dict) -> None:
    before = len(server.requests)
    with sdk(server) as client:
        runner = client.beta.messages.tool_runner(tools=[get_weather], **RUNNER, **extra)
        turns = [item.get_final_message() if extra.get("stream") else item for item in runner]
    assert [turn.stop_reason for turn in turns] == ["tool_use", "end_turn"]
    sent = [json.loads(r.body) for r in server.requests[before:]]
    assert [body["thread"]["type"] for body in sent] == ["create", "continue"] and sent[1]["thread"]["previous_message_id"] == turns[0].id
    assert "tools" not in sent[1] and sent[1]["messages"][0]["content"][0]["content"] == '{"location": "sandbox", "temperature": "20c"}'


def test_the_async_tool_runner(server: SandboxServer) -> None:
    async def scenario() -> list[str | None]:
        async with async_sdk(server) as client:
            runner = client.beta.messages.tool_runner(tools=[get_weather_async], **RUNNER)
            return [message.stop_reason async for message in runner]

    assert asyncio.run(scenario()) == ["tool_use", "end_turn"]


def test_a_thread_continues_once_from_a_reply_it_holds(client: anthropic.Anthropic) -> None:
    threads = {"extra_headers": {"anthropic-beta": "message-threads-2026-08-12"}}
    first = client.beta.messages.create(model=MODEL, max_tokens=100, messages=HELLO, system="Be brief.", thread={"type": "create"}, **threads)
    follow = [{"role": "user", "content": "And then?"}]
    whole = client.beta.messages.create(model=MODEL, max_tokens=100, system="Be brief.", messages=[*HELLO, {"role": "assistant", "content": first.content}, *follow])
    resumed = client.beta.messages.create(model=MODEL, max_tokens=100, messages=follow, thread={"type": "continue", "previous_message_id": first.id}, **threads)
    assert resumed.content == whole.content and resumed.usage.input_tokens == whole.usage.input_tokens
    with pytest.raises(anthropic.BadRequestError) as twice:
        client.beta.messages.create(model=MODEL, max_tokens=100, messages=follow, thread={"type": "continue", "previous_message_id": first.id}, **threads)
    assert twice.value.body["error"]["details"] == {"error_code": "thread_already_continued"}
    with pytest.raises(anthropic.NotFoundError) as unknown:
        client.beta.messages.create(model=MODEL, max_tokens=100, messages=follow, thread={"type": "continue", "previous_message_id": "msg_unknown"}, **threads)
    assert unknown.value.body["error"]["details"] == {"error_code": "thread_not_found"}
    with pytest.raises(anthropic.BadRequestError, match="system: Extra inputs are not permitted"):
        client.beta.messages.create(model=MODEL, max_tokens=100, system="Again", messages=follow, thread={"type": "continue", "previous_message_id": resumed.id}, **threads)


def test_the_sandbox_holds_the_latest_threads_only() -> None:
    """An older reply is forgotten as a server may lose one: `thread_not_found`, which the SDK
    answers by replaying the conversation under a new thread; `--any-id` continues an empty one."""
    def turn(held: Threads, reply_id: str, thread: dict[str, Any]) -> dict[str, Any]:
        body = held.resolve({"messages": HELLO, "thread": thread})
        held.keep(body, {"id": reply_id, "content": [{"type": "text", "text": "Hi"}]})
        return body

    held = Threads(any_id=False, limit=2)
    for n in range(3):
        turn(held, f"msg_{n}", {"type": "create"})
    with pytest.raises(ApiError) as forgotten:
        turn(held, "msg_3", {"type": "continue", "previous_message_id": "msg_0"})
    assert (forgotten.value.status, forgotten.value.code) == (404, "thread_not_found")
    assert len(turn(held, "msg_3", {"type": "continue", "previous_message_id": "msg_2"})["messages"]) == 3
    assert turn(Threads(any_id=True), "msg_4", {"type": "continue", "previous_message_id": "msg_0"})["messages"] == HELLO


# -- the SDK's own examples ------------------------------------------------------------------

EXAMPLES = {
    "messages.py": "Message(",
    "messages_stream.py": "accumulated message:",
    "tools.py": "Final response:",
    "tools_stream.py": "snapshot: {'location': 'sandbox'}",
    "tools_runner.py": "stop_reason='end_turn'",
    "tools_runner_deferred_streaming.py": "",
    "tools_runner_search_tool.py": "stop_reason='end_turn'",
    "structured_outputs.py": "product_name='sandbox'",
    "structured_outputs_streaming.py": "Final parsed order: product_name='sandbox'",
    "thinking.py": "Thinking: ",
    "thinking_stream.py": "Thinking:\n---------",
    "web_search.py": "Web search requests: 1",
    "web_search_stream.py": "[Web search completed]",
}
"""The examples in the installed SDK's sdist that use the Messages API, and a line each prints."""


@pytest.fixture(scope="module")
def sdk_examples() -> Path:
    """The examples/ folder of the installed SDK's sdist, fetched (once, into .sdk-suite/) by
    scripts/sdk_suite.py, so nothing of the SDK is copied here."""
    spec = importlib.util.spec_from_file_location("sdk_suite", REPO / "scripts" / "sdk_suite.py")
    assert spec and spec.loader
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    _, tree = suite.sdk_source()
    return tree / "examples"


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_sdks_examples_run_unchanged(server: SandboxServer, sdk_examples: Path, name: str) -> None:
    """Each runs as shipped, with only ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY set for it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")} | {"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "sk-ant-sandbox"}
    done = subprocess.run([sys.executable, str(sdk_examples / name)], cwd=sdk_examples, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert EXAMPLES[name] in done.stdout, done.stdout[-2000:]
