"""The in-process wire: a reply body that streams to sync and async httpx2 clients alike.

A dropped connection surfaces exactly as httpx2's own transport reports one, so code under test
sees the same exception classes it would see against the network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx2


@dataclass
class Reply:
    """A transport-neutral answer: status, headers, body chunks, and how the connection ends."""

    status: int
    headers: list[tuple[str, str]]
    chunks: list[bytes] = field(default_factory=list)
    streaming: bool = False  # SSE: chunked on the wire, one chunk per event
    delay: float = 0.0  # seconds to wait before answering
    drop: str | None = None  # "start": no answer at all; "mid": close after `chunks`
    content_start: int = 0  # index of the first content event: where stream faults cut


NO_RESPONSE = "Server disconnected without sending a response."
INCOMPLETE = "peer closed connection without sending complete message body: incomplete chunked read"


class ReplyStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """Yields the reply chunks; raises RemoteProtocolError at the end of a dropped reply."""

    def __init__(self, reply: Reply, request: httpx2.Request) -> None:
        self._reply = reply
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        yield from self._reply.chunks
        self._maybe_drop()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._reply.chunks:
            yield chunk
        self._maybe_drop()

    def _maybe_drop(self) -> None:
        if self._reply.drop == "mid":
            raise httpx2.RemoteProtocolError(INCOMPLETE, request=self._request)


def to_response(reply: Reply, request: httpx2.Request) -> httpx2.Response:
    """Wrap a reply for httpx2; the caller has already honoured `reply.delay`."""
    if reply.drop == "start":
        raise httpx2.RemoteProtocolError(NO_RESPONSE, request=request)
    stream = ReplyStream(reply, request)
    return httpx2.Response(reply.status, headers=reply.headers, stream=stream, request=request)
