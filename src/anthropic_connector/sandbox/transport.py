"""The in-process sandbox: an httpx2 transport for both sync and async clients, no socket."""

from __future__ import annotations

import asyncio
import time

import httpx2

from .app import Recorded, Sandbox
from .options import SandboxOptions
from .stream import to_response


class SandboxTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Pass as `transport=` to `httpx2.Client` or `httpx2.AsyncClient`; state is per instance."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.sandbox = Sandbox(options)

    @property
    def requests(self) -> list[Recorded]:
        return self.sandbox.requests

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        reply = self.sandbox.respond(request.method, _target(request), request.headers, request.read())
        if reply.delay:
            time.sleep(reply.delay)
        return to_response(reply, request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        reply = self.sandbox.respond(request.method, _target(request), request.headers, body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return to_response(reply, request)


def _target(request: httpx2.Request) -> str:
    return request.url.raw_path.decode("ascii")
