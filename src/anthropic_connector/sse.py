"""Server-sent events, decoded as the WHATWG HTML standard (§9.2.6) says.

``EventStream`` takes the body's bytes as they arrive: it decodes them as UTF-8 (a leading
BOM dropped), ``Lines`` splits the text on CRLF, LF or CR across chunk boundaries, and
``Decoder`` dispatches an event at each blank line. An event still pending at the end of the
stream is discarded, as the standard requires, so a stream cut mid-event never yields half
an event.

Why not httpx2's own ``EventSource`` (tried, and reverted): it dispatches a block with no
``data`` line (a proxy's ``retry:`` block) as an event with empty data, keeps a leading BOM
in the first field name, and takes a final event whose blank line never came when the
stream ends on a CR. Why not ``iter_lines``: it holds a line until its newline arrives, so a
body cannot be refused by size before it is held; the reader counts raw chunks instead.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """One dispatched event: its type ('message' unless named), data, and last event id."""

    event: str
    data: str
    id: str = ""
    retry: int | None = None


class Decoder:
    """Feed it lines; it returns an Event when a blank line completes one."""

    __slots__ = ("_event", "_data", "_last_id", "_retry")

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._last_id = ""
        self._retry: int | None = None

    def feed(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line[0] == ":":
            return None
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        return None

    def _dispatch(self) -> Event | None:
        event, data = self._event, self._data
        self._event, self._data = "", []
        if not data:
            return None
        return Event(event or "message", "\n".join(data), self._last_id, self._retry)


class Lines:
    """Feed it text as it arrives; it returns the lines completed so far (without newlines).

    A CR that ends a chunk ends its line at once, and an LF opening the next chunk is then the
    same newline. A line still open when the stream ends is never returned: without the blank
    line after it, it cannot complete an event.
    """

    __slots__ = ("_parts", "_after_cr")

    def __init__(self) -> None:
        self._parts: list[str] = []  # the open line, in pieces: joined once, when it ends
        self._after_cr = False

    def feed(self, text: str) -> list[str]:
        if not text:
            return []
        if self._after_cr and text[0] == "\n":
            text = text[1:]
        self._after_cr = text.endswith("\r")
        if "\n" not in text and "\r" not in text:
            if text:
                self._parts.append(text)
            return []
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._parts.append(lines[0])
        lines[0] = "".join(self._parts)
        last = lines.pop()
        self._parts = [last] if last else []
        return lines


class EventStream:
    """Feed it the body's bytes as they arrive; it returns the events they complete."""

    __slots__ = ("_text", "_lines", "_decoder")

    def __init__(self) -> None:
        # Event streams are always UTF-8, whatever the content type says; utf-8-sig drops the BOM.
        self._text = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._lines = Lines()
        self._decoder = Decoder()

    def feed(self, chunk: bytes) -> list[Event]:
        events = (self._decoder.feed(line) for line in self._lines.feed(self._text.decode(chunk)))
        return [event for event in events if event is not None]
