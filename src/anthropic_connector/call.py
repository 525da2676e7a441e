"""A request ready to send, and what its answer must become: the one value between the
builders (operations/), the send loop (dispatch.py) and the reader of answers (output.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, IO, Any, Callable

import httpx2

if TYPE_CHECKING:
    from .validate import Validator


@dataclass(frozen=True)
class Call:
    """One request and how its answer becomes the output.

    ``response`` is the manifest's kind (json, jsonl, bytes, message, completion, ok) or raw
    (raw_http_request: every status is output). The connection's limits travel with the call,
    so a per-run override needs no client of its own.
    """

    request: httpx2.Request
    response: str = "json"
    stream: bool = False  # read a 2xx answer as server-sent events of the family `response`
    check: Validator | None = field(default=None, repr=False)  # what a 2xx output must match
    max_retries: int = 0
    max_response_bytes: int = 64 * 1024 * 1024
    deadline: float | None = None  # seconds an attempt may take (a stream: until its events begin)
    stream_idle_timeout: float | None = None  # seconds a stream may go without an event
    sink: Path | None = None  # jsonl / bytes: write the answer to this file instead of holding it
    name_hint: str | None = None  # bytes: the file name when the answer does not give one
    opened: tuple[IO[Any], ...] = ()  # files the request streams from, closed after sending
    guard: Callable[[httpx2.Request], None] | None = field(default=None, repr=False)  # a door's check of every hop before it is sent

    @property
    def raw(self) -> bool:
        return self.response == "raw"

    def close(self) -> None:
        for handle in self.opened:
            handle.close()
