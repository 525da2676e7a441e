"""Server-sent events, decoded line by line as the WHATWG HTML standard (§9.2.6) says.

No package does this for httpx2 (httpx-sse imports httpx), so this is the one small decoder.
It takes lines already split on CRLF, LF or CR (httpx2's ``iter_lines`` does that) and
dispatches an event at each blank line. An event still pending at the end of the stream is
discarded, as the standard requires, so a stream cut mid-event never yields half an event.
"""

from __future__ import annotations

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

    __slots__ = ("_event", "_data", "_last_id", "_retry", "_first")

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._last_id = ""
        self._retry: int | None = None
        self._first = True

    def feed(self, line: str) -> Event | None:
        if self._first:
            self._first = False
            line = line.removeprefix("\ufeff")
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
