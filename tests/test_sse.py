"""The SSE decoder against the WHATWG HTML standard's own examples (§9.2 server-sent events),
fed as the reader feeds it: the body's bytes, in chunks of any size."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anthropic_connector.sse import Event, EventStream, Lines


def decode(stream: bytes) -> list[Event]:
    """Decode ``stream`` whole and in chunks of 1 to 4 bytes (a character, a CRLF or the BOM
    cut anywhere): every split must give the same events."""
    results = []
    for step in (len(stream) or 1, 1, 2, 3, 4):
        events = EventStream()
        results.append([e for i in range(0, len(stream), step) for e in events.feed(stream[i : i + step])])
    assert all(r == results[0] for r in results), results
    return results[0]


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


def test_a_stream_ending_on_cr_has_not_finished_its_event() -> None:
    # The CR ends the data line; the blank line that would dispatch the event never came.
    assert decode(b"data: 1\r\n\r\ndata: 2\r") == [Event("message", "1")]


def test_blocks_without_data_dispatch_nothing() -> None:
    # A proxy's "retry:" or "id:" block before the API's events: no event, but the fields stay.
    assert decode(b"retry: 3000\n\nid: 4\n\nevent: x\n\ndata: a\n\n") == [Event("message", "a", "4", 3000)]


@given(st.lists(st.sampled_from(["a", "é", "\r", "\n", "\r\n", "\u2028", "\x85", "\x0b", ""]), max_size=30), st.integers(1, 5))
def test_lines_end_only_at_cr_lf_or_crlf_whatever_the_chunks(pieces: list[str], step: int) -> None:
    """The lines are those the standard's three line endings make of the whole text (and not
    str.splitlines's, which also breaks at U+2028, NEL or VT), less the last while it is open."""
    text = "".join(pieces)
    lines = Lines()
    got = [line for i in range(0, len(text), step) for line in lines.feed(text[i : i + step])]
    assert got == re.split(r"\r\n|\r|\n", text)[:-1]


def test_text_is_decoded_as_utf_8_and_bad_bytes_are_replaced() -> None:
    assert decode("data: São Paulo 𝄞\n\n".encode() + b"data: \xff\n\n") == [Event("message", "São Paulo 𝄞"), Event("message", "\ufffd")]
