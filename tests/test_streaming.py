"""Stream assembly checked against the official SDK's own accumulator, on the same bytes.

A scripted server sends SSE answers with every block type a stream builds (thinking and its
signature, redacted thinking, text with citations, a tool_use and a server_tool_use whose input
arrives as JSON fragments, a web search result that arrives whole); the connector's assembled
output must equal the message the official SDK's ``messages.stream(...).get_final_message()``
builds from the same stream.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
from conftest import MANIFEST, Answer, Recorder

from anthropic_connector import Connector
from anthropic_connector.errors import ResponseTooLargeError

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
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None, "container": None}, "usage": {"output_tokens": 89}}),
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
    if mode == "sync":
        with Connector(MANIFEST, connection) as connector:
            result = connector.run("create_message", {**REQUEST, "stream": True})
    else:
        import asyncio

        async def arun() -> Any:
            async with Connector(MANIFEST, connection) as connector:
                return await connector.arun("create_message", {**REQUEST, "stream": True})

        result = asyncio.run(arun())
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


SAME_STREAM = {  # the same events, written in the other ways the SSE standard allows
    "crlf": (SSE.replace("\n", "\r\n"), "text/event-stream"),
    "cr": (SSE.replace("\n", "\r"), "text/event-stream"),
    "charset": (SSE, "Text/Event-Stream; charset=utf-8"),
    "bom": ("\ufeff" + SSE, "text/event-stream"),
    "retry block first": ("retry: 3000\n\n: proxy comment\n\n" + SSE, "text/event-stream"),
}


@pytest.mark.parametrize("body, content_type", SAME_STREAM.values(), ids=SAME_STREAM.keys())
def test_the_same_events_written_another_way_assemble_the_same_message(recorder: Recorder, connection: dict[str, Any], body: str, content_type: str) -> None:
    recorder.script(sse_answer())
    with Connector(MANIFEST, connection) as connector:
        expected = connector.run("create_message", {**REQUEST, "stream": True}).output
        recorder.script(Answer(200, body, {"content-type": content_type}))
        assert connector.run("create_message", {**REQUEST, "stream": True}).output == expected


# -- what the events API and the assembler do with streams that go wrong -----------------------


def sse(*events: tuple[str, Any]) -> str:
    return "".join(f"event: {name}\ndata: {data if isinstance(data, str) else json.dumps(data)}\n\n" for name, data in events)


START = EVENTS[0]
MALFORMED = {
    "not json": sse(START, ("content_block_start", "<html>proxy error</html>")),
    "delta before its block": sse(START, ("content_block_delta", {"type": "content_block_delta", "index": 3, "delta": {"type": "text_delta", "text": "x"}})),
    "delta without index": sse(START, ("content_block_delta", {"type": "content_block_delta"})),
    "data not an object": sse(START, ("message_delta", "[1, 2]")),
    "no message_start": sse(EVENTS[1]),
    "delta for a block never started, then message_stop": sse(START, ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}}), ("message_stop", {"type": "message_stop"})),
    "message_stop without the blank line that ends it": SSE[:-1],
    "message_stop without its blank line, the stream ending on a CR": SSE.replace("\n", "\r")[:-1],
    "tool input cut mid-JSON, then message_stop": sse(START, EVENTS[11], ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"a\":"}}), ("message_stop", {"type": "message_stop"})),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_stream_is_a_connection_error_not_a_traceback(recorder: Recorder, cli: Any, connection_env: dict[str, str], tmp_path: Any, body: str) -> None:
    recorder.script(Answer(200, body, {"content-type": "text/event-stream"}))
    payload = tmp_path / "in.json"
    payload.write_text(json.dumps({**REQUEST, "stream": True}))
    code, out, _ = cli("run", "create_message", str(payload), "--max-retries", "0", env=connection_env)
    assert code == 5 and out["error"]["type"] == "connection_error"


def test_cli_events_prints_one_json_line_per_event(recorder: Recorder, cli: Any, connection_env: dict[str, str], tmp_path: Any) -> None:
    recorder.script(sse_answer())
    payload = tmp_path / "in.json"
    payload.write_text(json.dumps(REQUEST))
    code, out, _ = cli("run", "create_message", str(payload), "--events", env=connection_env)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [e["type"] for e in lines] == [name for name, _ in EVENTS if name != "ping"]


async def _events(connector: Connector, seen: list[dict[str, Any]]) -> None:
    async for event in connector.events("create_message", REQUEST):
        seen.append(event)


def run_events(connection: dict[str, Any], **changes: Any) -> tuple[list[dict[str, Any]], Exception | None]:
    import asyncio

    seen: list[dict[str, Any]] = []

    async def go() -> Exception | None:
        async with Connector(MANIFEST, {**connection, **changes}) as connector:
            try:
                await _events(connector, seen)
            except Exception as exc:  # noqa: BLE001 - the test inspects it
                return exc
        return None

    return seen, asyncio.run(go())


def test_events_cut_after_some_were_handed_over_raise_and_are_not_retried(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, sse(*EVENTS[:8]), {"content-type": "text/event-stream"}))
    seen, exc = run_events(connection, max_retries=2)
    assert [e["type"] for e in seen][:2] == ["message_start", "content_block_start"]
    assert exc is not None and getattr(exc, "type", "") == "connection_error"
    assert len(recorder.requests) == 1  # events were handed over: no second request


def test_events_retry_before_the_stream_starts(recorder: Recorder, connection: dict[str, Any]) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    recorder.script(Answer(529, overloaded, {"retry-after-ms": "10"}), sse_answer())
    seen, exc = run_events(connection, max_retries=1)
    assert exc is None and seen[-1]["type"] == "message_stop"
    assert len(recorder.requests) == 2


def test_events_error_event_is_an_api_error(recorder: Recorder, connection: dict[str, Any]) -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    recorder.script(Answer(200, sse(*EVENTS[:3], ("error", error)), {"content-type": "text/event-stream"}))
    seen, exc = run_events(connection)
    assert len(seen) == 3 and getattr(exc, "type", "") == "api_error"
    assert exc.details == error  # type: ignore[union-attr]


SIZES = pytest.mark.parametrize("chunk", [0, 13], ids=["content-length", "chunked"])  # declared, or learnt by reading


@SIZES
def test_a_stream_of_comments_only_is_refused_at_the_size_limit(recorder: Recorder, connection: dict[str, Any], chunk: int) -> None:
    """Keep-alive comments dispatch nothing, but they are bytes of the body all the same."""
    flood = Answer(200, ": keep-alive\n" * 1000, {"content-type": "text/event-stream", "request-id": "req_flood"}, chunk=chunk)
    recorder.script(flood)
    seen, exc = run_events(connection, max_response_bytes=1024)
    assert seen == [] and getattr(exc, "type", "") == "response_too_large"
    assert getattr(exc, "request_id", None) == "req_flood"
    recorder.script(flood)
    with Connector(MANIFEST, {**connection, "max_response_bytes": 1024}) as connector, pytest.raises(ResponseTooLargeError):
        connector.run("create_message", {**REQUEST, "stream": True})


@SIZES
def test_events_refuse_an_oversized_answer_and_close_it(recorder: Recorder, connection: dict[str, Any], chunk: int) -> None:
    recorder.script(Answer(200, "x" * 4096, {"content-type": "text/event-stream"}, chunk=chunk))
    seen, exc = run_events(connection, max_response_bytes=1024)
    assert seen == [] and getattr(exc, "type", "") == "response_too_large"


def test_no_stream_whatever_its_bytes_crashes_the_cli(recorder: Recorder, cli: Any, connection_env: dict[str, str], tmp_path: Any) -> None:
    """Hypothesis writes event streams from real event names, random JSON and random text:
    every run ends in an output or an error envelope with its exit code, never a traceback."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    names = st.sampled_from([name for name, _ in EVENTS] + ["error", "completion", "", "x"])
    json_data = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["type", "index", "delta", "message", "content_block", "text", "error"]), inner, max_size=4),
        max_leaves=8,
    ).map(json.dumps)
    real = st.sampled_from([json.dumps(data) for _, data in EVENTS])
    data = real | json_data | st.text(max_size=20).filter(lambda t: "\n" not in t and "\r" not in t)
    streams = st.lists(st.tuples(names, data), max_size=12).map(lambda events: "".join(f"event: {n}\ndata: {d}\n\n" for n, d in events))
    payload = tmp_path / "in.json"
    payload.write_text(json.dumps({**REQUEST, "stream": True}))

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=streams)
    def check(body: str) -> None:
        recorder.script(Answer(200, body, {"content-type": "text/event-stream"}))
        code, out, _ = cli("run", "create_message", str(payload), "--max-retries", "0", env=connection_env)
        assert code in (0, 4, 5), (code, out)
        assert code == 0 or set(out) == {"error"}

    check()


# -- every block type a stream builds, against the SDK's accumulator ---------------------------


def _delta(index: int, **delta: Any) -> tuple[str, dict[str, Any]]:
    return ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})


def _block(index: int, block: dict[str, Any], *deltas: tuple[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    start = ("content_block_start", {"type": "content_block_start", "index": index, "content_block": block})
    return [start, *deltas, ("content_block_stop", {"type": "content_block_stop", "index": index})]


CITATION = {"type": "web_search_result_location", "url": "https://example.com/sf", "title": "SF weather", "encrypted_index": "Eo8BCioIAhgB", "cited_text": "Foggy, 14 °C."}
SEARCH = {"type": "web_search_result", "url": "https://example.com/sf", "title": "SF weather", "encrypted_content": "EqgfCioIARgBIiQ3", "page_age": "April 30, 2026"}
EVERY_BLOCK: list[tuple[str, dict[str, Any]]] = [
    ("message_start", {"type": "message_start", "message": {**EVENTS[0][1]["message"], "id": "msg_stream_2", "container": {"id": "container_01", "expires_at": "2026-11-30T12:00:00Z"}}}),
    *_block(0, {"type": "thinking", "thinking": "", "signature": ""}, _delta(0, type="thinking_delta", thinking="Search first."), _delta(0, type="signature_delta", signature="EqQBCgIYAh")),
    *_block(1, {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"}),
    *_block(2, {"type": "server_tool_use", "id": "srvtoolu_01", "name": "web_search", "input": {}},
            _delta(2, type="input_json_delta", partial_json='{"query": "weather '), _delta(2, type="input_json_delta", partial_json='San Francisco"}')),
    *_block(3, {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": [SEARCH]}),
    *_block(4, {"type": "text", "text": ""}, _delta(4, type="citations_delta", citation=CITATION), _delta(4, type="text_delta", text="It is foggy")),
    *_block(5, {"type": "text", "text": "", "citations": None}, _delta(5, type="citations_delta", citation=CITATION), _delta(5, type="text_delta", text=", 14 °C.")),
    *_block(6, {"type": "tool_use", "id": "toolu_02", "name": "get_weather", "input": {}}, _delta(6, type="input_json_delta", partial_json='{"location": "SF"}')),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None, "container": None},
                       "usage": {"output_tokens": 120, "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0}}}),
    ("message_stop", {"type": "message_stop"}),
]


def test_every_block_type_assembles_as_the_sdks_final_message(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, sse(*EVERY_BLOCK), {"content-type": "text/event-stream"}))
    client = anthropic.Anthropic(base_url=recorder.url, api_key="sk-ant-sdk", max_retries=0)
    with client.messages.stream(model=REQUEST["model"], max_tokens=1024, messages=REQUEST["messages"], tools=REQUEST["tools"]) as stream:
        expected = drop_nulls(stream.get_final_message().model_dump(mode="json"))
    with Connector(MANIFEST, connection) as connector:
        output = connector.run("create_message", {**REQUEST, "stream": True}).output
    assert drop_nulls(output) == expected
    assert [b["type"] for b in output["content"]] == ["thinking", "redacted_thinking", "server_tool_use", "web_search_tool_result", "text", "text", "tool_use"]
    assert output["content"][2]["input"] == {"query": "weather San Francisco"} and output["content"][5]["citations"] == [CITATION]
    assert output["container"]["id"] == "container_01"  # a null container in message_delta keeps message_start's
    assert MANIFEST.operation("create_message").output_validator.errors(output) == []
