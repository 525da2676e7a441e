"""The SSE decoder against the WHATWG HTML standard's own examples (§9.2 server-sent events)."""

from __future__ import annotations

import httpx2
import pytest

from anthropic_connector.sse import Decoder, Event


def decode(stream: bytes) -> list[Event]:
    """Split as the transport does (httpx2 iter_lines: CRLF, LF or CR) and decode."""
    response = httpx2.Response(200, content=stream)
    decoder = Decoder()
    events = [decoder.feed(line) for line in response.iter_lines()]
    return [e for e in events if e is not None]


def test_spec_stock_example_multiline_data_and_comment() -> None:
    # "data: YHOO\ndata: +2\ndata: 10\n\n" → one message "YHOO\n+2\n10"
    assert decode(b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n") == [
        Event("message", "first event", "1"),
        Event("message", "second event", ""),
        Event("message", " third event", ""),
    ]
    assert decode(b"data: YHOO\ndata: +2\ndata: 10\n\n") == [Event("message", "YHOO\n+2\n10")]


def test_spec_empty_data_and_field_without_colon() -> None:
    # The spec: "data\n\ndata\ndata\n\ndata:" → "", "\n"; the last block never completes.
    assert decode(b"data\n\ndata\ndata\n\ndata:") == [Event("message", ""), Event("message", "\n")]


def test_spec_space_after_colon_is_removed_once() -> None:
    assert decode(b"data:test\n\ndata: test\n\n") == [Event("message", "test"), Event("message", "test")]


@pytest.mark.parametrize("newline", [b"\r\n", b"\n", b"\r"])
def test_any_line_ending(newline: bytes) -> None:
    stream = newline.join([b"event: ping", b"data: {}", b"", b"event: message_stop", b"data: {\"a\":1}", b"", b""])
    assert decode(stream) == [Event("ping", "{}"), Event("message_stop", '{"a":1}')]


def test_missing_final_blank_line_discards_the_pending_event() -> None:
    # "If the file ends in the middle of an event, before the final empty line, the incomplete
    # event is not dispatched": a stream cut mid-event yields nothing half-done.
    assert decode(b"event: a\ndata: 1\n\nevent: b\ndata: 2") == [Event("a", "1")]
    assert decode(b"event: a\ndata: 1\n\nevent: b\ndata: 2\n") == [Event("a", "1")]


def test_event_type_resets_between_events_and_unknown_fields_are_ignored() -> None:
    assert decode(b"event: x\nfoo: bar\ndata: 1\n\ndata: 2\n\n") == [Event("x", "1"), Event("message", "2")]


def test_bom_retry_and_id_rules() -> None:
    events = decode("\ufeffretry: 1500\nid: 7\ndata: a\n\nretry: soon\nid: bad\0id\ndata: b\n\n".encode())
    assert events == [Event("message", "a", "7", 1500), Event("message", "b", "7", 1500)]
