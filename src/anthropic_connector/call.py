"""A request ready to send, and what its answer must become: the one value between the
builders (operations/), the send loop (dispatch.py) and the reader of answers (output.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, IO, Any, Callable, NamedTuple

import httpx2

if TYPE_CHECKING:
    from .connection import Connection
    from .validate import Validator


class Reshape(NamedTuple):
    """What becomes of an answer the API gave in another shape than the operation's output: a
    structured reply gains parsed_output (structured.py), a Messages reply becomes a legacy
    completion (completion.py). ``output`` takes the whole answer once it passed ``check``;
    ``event`` each streamed event's data with the message started so far, and gives the event
    handed on (None: held back)."""

    output: Callable[[dict[str, Any]], dict[str, Any]]
    event: Callable[[dict[str, Any], dict[str, Any] | None], dict[str, Any] | None] | None = None


@dataclass(frozen=True)
class Call:
    """One request and how its answer becomes the output.

    ``response`` is the manifest's kind (json, jsonl, bytes, message, completion, ok) or raw
    (raw_http_request: every status is output). The connection travels with the call for its
    limits, so a per-run override (a connection with another timeout) needs no client of its own.
    """

    request: httpx2.Request
    connection: Connection = field(repr=False)  # whose limits (retries, sizes, deadlines) apply
    response: str = "json"
    stream: bool = False  # read a 2xx answer as server-sent events of the family `response`
    check: Validator | None = field(default=None, repr=False)  # what a 2xx output must match
    reshape: Reshape | None = field(default=None, repr=False)  # applied to a 2xx answer once checked
    sink: Path | None = None  # jsonl / bytes: write the answer to this file instead of holding it
    name_hint: str | None = None  # bytes: the file name when the answer does not give one
    opened: tuple[IO[Any], ...] = ()  # files the request streams from, closed after sending
    guard: Callable[[httpx2.Request], None] | None = field(default=None, repr=False)  # a door's check of every hop before it is sent

    @property
    def max_retries(self) -> int:
        return self.connection.max_retries

    @property
    def max_response_bytes(self) -> int:
        return self.connection.max_response_bytes

    @property
    def deadline(self) -> float | None:
        """Seconds an attempt may take (a stream: until its events begin)."""
        return self.connection.deadline

    @property
    def stream_idle_timeout(self) -> float | None:
        """Seconds a stream may go without an event."""
        return self.connection.stream_idle_timeout

    @property
    def raw(self) -> bool:
        return self.response == "raw"

    def close(self) -> None:
        for handle in self.opened:
            handle.close()
