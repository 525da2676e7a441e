"""The sandbox as a raw ASGI application: one HTTP exchange in, `Sandbox.respond()`'s reply out.

No framework: the emulator routes requests itself, so this only reads the body within the
route's limit, hands the request to `respond()` on a worker thread (it is synchronous Python, and
a large upload's parse must not stall the other connections), and writes the reply, a streamed
one an SSE event per chunk. A body over the route's limit is refused from its `content-length`
before a byte of it is read (or, chunked, as soon as it passes the limit), and its connection
closed, since where the next request would start is then unknown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any

from .app import Sandbox
from .stream import Reply

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HANG_UP = "anthropic_connector.sandbox.hang_up"
"""The key, in a request's `scope["state"]`, of a callable that closes its TCP connection at
once: the server's protocol puts it there, so that a `drop` fault cuts the connection for real
instead of answering."""


class SandboxApp:
    """The ASGI application of one `Sandbox`; `workers` runs its `respond()` calls."""

    def __init__(self, sandbox: Sandbox, workers: Executor) -> None:
        self.sandbox = sandbox
        self.workers = workers
        self.closing = asyncio.Event()
        """Set when the server closes: a reply still waiting out its latency hangs up instead."""

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no lifespan or websocket: the server turns both off
            return
        method, target, headers = scope["method"], _target(scope), _headers(scope)
        limit = self.sandbox.body_limit(method, target)
        declared = int(headers.get("content-length", "0").split(",")[0])
        body, size = (b"", declared) if declared > limit else await _read(receive, limit)
        if body is None:
            return  # the client went away mid-body: nobody to answer
        loop = asyncio.get_running_loop()
        reply = await loop.run_in_executor(self.workers, self.sandbox.respond, method, target, headers, body, size)
        if size is not None:
            reply.headers.append(("connection", "close"))  # the rest of the body was never read
        if reply.delay and not await self._wait(reply.delay, receive):
            reply.drop = "start"  # the client left, or the server is closing: no one to answer
        if reply.drop == "start":
            return await _hang_up(scope, receive)
        await send({"type": "http.response.start", "status": reply.status, "headers": encoded_headers(reply)})
        for chunk in reply.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if reply.drop == "mid":
            return await _hang_up(scope, receive)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _wait(self, seconds: float, receive: Receive) -> bool:
        """Wait out a reply's latency; False when the client disconnects or the server closes first."""
        waits = [asyncio.ensure_future(w) for w in (_disconnected(receive), self.closing.wait())]
        done, _ = await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        return not done


async def _read(receive: Receive, limit: int) -> tuple[bytes | None, int | None]:
    """The whole body and None; or, past `limit`, nothing and the bytes seen when reading stopped;
    or None when the client disconnected first."""
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, None
        chunks.append(message.get("body", b""))
        seen += len(chunks[-1])
        if seen > limit:
            return b"", seen
        if not message.get("more_body", False):
            return b"".join(chunks), None


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _hang_up(scope: dict[str, Any], receive: Receive) -> None:
    """Close the connection mid-exchange, like a crashed upstream, and wait until it is gone, so
    that the server does not take the unfinished answer for a bug of the app's."""
    scope["state"][HANG_UP]()
    await _disconnected(receive)


def _target(scope: dict[str, Any]) -> str:
    query = scope.get("query_string", b"")
    return (scope["raw_path"] + (b"?" + query if query else b"")).decode("latin-1")


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    """Names lower-cased (the server does it), repeated ones joined as HTTP allows."""
    found: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        found[name] = f"{found[name]}, {value}" if name in found else value
    return found


def encoded_headers(reply: Reply) -> list[tuple[bytes, bytes]]:
    """The reply's headers as the server writes them (HTTP headers are Latin-1)."""
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers]
