"""The socket sandbox: the emulator as an ASGI app (`asgi.SandboxApp`) under uvicorn, on a
background thread.

Why uvicorn, not the stdlib's ThreadingHTTPServer: one asyncio thread serves any number of
connections (a thread each let 2,000 idle sockets make 2,000 threads), it listens with a backlog
that a burst of 500 connections fits in (behind the stdlib's 5, hundreds of them were reset),
and it caps the connections it serves. The protocol (`protocol.SandboxProtocol`) adds the read timeout uvicorn
lacks. `respond()` runs on a few worker threads: enough to keep one slow parse from stalling
the loop, few enough that a crowd of clients cannot make threads without end.

Streams go out chunked, one chunk per SSE event, so a `cut` ends the stream cleanly while a
`drop` really closes the socket mid-response and the client sees a transport error.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

try:
    import uvicorn
except ImportError as missing:
    raise ImportError("the socket sandbox runs on uvicorn: pip install 'anthropic-connector[serve]'") from missing

from .app import Recorded, Sandbox
from .asgi import SandboxApp
from .options import SandboxOptions, ServerLimits
from .protocol import protocol_for

BACKLOG = 2048
"""Connections the kernel queues before the server accepts them (capped by net.core.somaxconn)."""
WORKERS = 4
"""Threads for `respond()`: it holds the GIL while it works, so more would only queue there."""
WAIT_SECONDS = 10.0
"""How long starting or stopping the server may take before something is wrong."""

logger = logging.getLogger(__name__)


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket. Its protocol is named, not left 0 as `socket.create_server` leaves
    it: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on connections from a socket that
    says it is TCP, and with it on, a reply written as head then body waits 40 ms for an ACK."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(BACKLOG)
    except BaseException:
        listener.close()
        raise
    return listener


def _report(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """What asyncio reports from outside any request. An accept() that fails for want of file
    descriptors (clients holding as many sockets open as the process may have) is one line, not
    a traceback each second: asyncio retries it every second, and the read timeout frees
    descriptors. Anything else goes to asyncio's own handler."""
    error = context.get("exception")
    if isinstance(error, OSError) and str(context.get("message", "")).startswith("socket.accept()"):
        logger.warning("sandbox: cannot accept a connection (%s); retrying as connections close", error.strerror or error)
        return
    loop.default_exception_handler(context)


class SandboxServer:
    """A running sandbox on a real socket; use as a context manager or call `close()`.

    The socket is bound here, in the caller's thread, so that a port in use or an unknown host
    raises OSError at once and `url` is known (port 0 picks a free one) before this returns.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, options: SandboxOptions | None = None, limits: ServerLimits | None = None) -> None:
        self.sandbox = Sandbox(options)
        limits = limits or ServerLimits()
        listener = _listen(host, port)
        bound_host, bound_port = listener.getsockname()[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self._workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="anthropic-sandbox-worker")
        self._app = SandboxApp(self.sandbox, self._workers)
        config = uvicorn.Config(
            self._app,
            http=protocol_for(self.sandbox, limits.read_timeout),
            loop="asyncio",
            lifespan="off",
            ws="none",
            log_config=None,  # leave the host's logging as it is; warnings reach stderr as plain lines
            access_log=False,
            server_header=False,
            proxy_headers=False,
            backlog=BACKLOG,
            timeout_keep_alive=limits.read_timeout,
            limit_concurrency=limits.max_connections + 1,  # uvicorn counts the asking connection too
        )
        self._server = uvicorn.Server(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(listener),), name="anthropic-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.002)

    async def _serve(self, listener: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.set_exception_handler(_report)
        await self._server.serve(sockets=[listener])

    @property
    def requests(self) -> list[Recorded]:
        return self.sandbox.requests

    def close(self) -> None:
        """Stop accepting, cut the connections still open (an answer waiting out its latency
        included), and wait for the server's thread; the workers go last, idle by then."""
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._hang_up_all)
        self._server.should_exit = True
        self._thread.join(timeout=WAIT_SECONDS)
        self._workers.shutdown(wait=True)

    def _hang_up_all(self) -> None:
        self._app.closing.set()
        for connection in list(self._server.server_state.connections):
            connection.transport.close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
