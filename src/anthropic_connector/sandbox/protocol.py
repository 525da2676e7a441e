"""uvicorn's h11 protocol with what a server that any client may reach needs besides.

uvicorn times out only the idle wait after an answer (`timeout_keep_alive`): a connection that
never sends a byte, or sends half a request and stops, would hold its socket for ever. This
protocol adds the rest of the read timeout (see `ServerLimits.read_timeout`), answers a request
h11 cannot parse with the API's 400 body instead of uvicorn's plain text, and hands each request
a way to cut its connection (`asgi.HANG_UP`) for the `drop` faults.

h11 rather than httptools: pure Python and always installed with uvicorn, and its connection
state (`their_state`) says exactly how far a request has come, which the timeout reads.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from .app import Sandbox
from .asgi import HANG_UP, encoded_headers


class SandboxProtocol(H11Protocol):
    """One connection; `protocol_for()` makes the subclass that knows its sandbox and timeout."""

    sandbox: Sandbox
    read_timeout: float

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any], _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, {**app_state, HANG_UP: self.hang_up}, _loop)
        self._read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_read_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY:  # the body may pause at most read_timeout
            self._stop_read_timer()
            self._start_read_timer()
        elif state is h11.IDLE:  # the head must arrive whole within read_timeout of its first byte
            if self._read_timer is None:
                self._start_read_timer()
        else:  # DONE: the request is in; answering it is the server's time, not the client's
            self._stop_read_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_read_timer()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """The API's 400 body for a request h11 cannot parse; then the connection closes, as where
        the next request would start is unknown."""
        reply = self.sandbox.unreadable()
        headers = encoded_headers(reply) + [(b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=b"".join(reply.chunks)), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()

    def hang_up(self) -> None:
        """Close the connection now, mid-exchange: what the bytes already written reach the client."""
        self.transport.close()

    def _start_read_timer(self) -> None:
        self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _stop_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def protocol_for(sandbox: Sandbox, read_timeout: float) -> type[SandboxProtocol]:
    """The protocol class for one server: uvicorn makes one instance per connection itself."""
    return type("SandboxProtocol", (SandboxProtocol,), {"sandbox": sandbox, "read_timeout": read_timeout})
