"""Stream assembly checked against the official SDK's own accumulator, on the same bytes.

A scripted server sends one SSE answer with a thinking block, text and a tool_use whose input
arrives as JSON fragments; the connector's assembled output must equal the message the
official SDK's ``messages.stream(...).get_final_message()`` builds from the same stream.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
from conftest import MANIFEST, Answer, Recorder

from anthropic_connector import Connector

EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("message_start", {"type": "message_start", "message": {"id": "msg_stream_1", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5", "content": [], "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 472, "output_tokens": 2}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "The user wants the weather, "}}),
    ("ping", {"type": "ping"}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "so I call the tool."}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Okay, let's check "}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "the weather for San Francisco, CA:"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("content_block_start", {"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": "get_weather", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"location\": \"San Fra"}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "ncisco, CA\", \"unit\": \"fahrenheit\"}"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 2}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {"output_tokens": 89}}),
    ("message_stop", {"type": "message_stop"}),
]
SSE = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in EVENTS)
REQUEST = {
    "model": "claude-sonnet-5-5",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "What is the weather like in San Francisco?"}],
    "tools": [{"name": "get_weather", "description": "Get the weather", "input_schema": {"type": "object"}}],
}


def sse_answer() -> Answer:
    return Answer(200, SSE, {"content-type": "text/event-stream", "request-id": "req_stream_1"})


def drop_nulls(value: Any) -> Any:
    """The SDK's models carry every optional field as None; the wire JSON leaves them out."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def sdk_final_message(url: str) -> dict[str, Any]:
    client = anthropic.Anthropic(base_url=url, api_key="sk-ant-sdk", max_retries=0)
    with client.messages.stream(model=REQUEST["model"], max_tokens=REQUEST["max_tokens"], messages=REQUEST["messages"], tools=REQUEST["tools"]) as stream:
        return drop_nulls(stream.get_final_message().model_dump(mode="json"))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_assembled_stream_equals_the_official_sdks_final_message(recorder: Recorder, connection: dict[str, Any], mode: str) -> None:
    recorder.script(sse_answer())
    expected = sdk_final_message(recorder.url)
    with Connector(MANIFEST, connection) as connector:
        if mode == "sync":
            result = connector.run("create_message", {**REQUEST, "stream": True})
        else:
            import asyncio

            result = asyncio.run(connector.arun("create_message", {**REQUEST, "stream": True}))
    assert drop_nulls(result.output) == expected
    assert result.output["content"][2]["input"] == {"location": "San Francisco, CA", "unit": "fahrenheit"}
    assert result.output["usage"] == {"input_tokens": 472, "output_tokens": 89}
    assert result.request_id == "req_stream_1"
    assert MANIFEST.operation("create_message").output_validator.errors(result.output) == []


def test_events_are_handed_over_in_order(recorder: Recorder, connection: dict[str, Any]) -> None:
    import asyncio

    recorder.script(sse_answer())

    async def collect() -> list[str]:
        async with Connector(MANIFEST, connection) as connector:
            return [event["type"] async for event in connector.events("create_message", REQUEST)]

    assert collect and asyncio.run(collect()) == [name for name, _ in EVENTS if name != "ping"]
    assert recorder.requests[0].json()["stream"] is True
