"""The socket sandbox: the same emulator behind a stdlib HTTP/1.1 server on a background thread.

Streams go out chunked, one chunk per SSE event, so a `cut` ends the stream cleanly while a
`drop` really shuts the socket mid-response and the client sees a transport error.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import Recorded, Sandbox
from .options import SandboxOptions


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms ACK wait
    protocol_version = "HTTP/1.1"  # keep-alive, chunked streams
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        try:
            self._exchange()
        except (BrokenPipeError, ConnectionResetError):  # the client went away first
            self.close_connection = True

    def _exchange(self) -> None:
        body = self._body()
        self.close_connection = self.close_connection or body is None  # where the next request starts is unknown
        reply = self.server.sandbox.respond(self.command, self.path, dict(self.headers.items()), body)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop == "start":
            return self._hang_up()
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.streaming:
            self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for chunk in reply.chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if reply.streaming else chunk)
        if reply.drop == "mid":
            return self._hang_up()
        if reply.streaming:
            self.wfile.write(b"0\r\n\r\n")

    def _body(self) -> bytes | None:
        """The request body, read to one byte past the route's limit at most so that an oversized
        upload costs bounded memory and still gets its 413; None when the framing is unreadable."""
        cap = self.server.sandbox.body_limit(self.command, self.path) + 1
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self._chunked(cap)
        length = self.headers.get("content-length") or "0"
        if not length.isdigit():
            return None
        if int(length) >= cap:
            self.close_connection = True  # the rest of the body is never read
        return self.rfile.read(min(int(length), cap))

    def _chunked(self, cap: int) -> bytes | None:
        body = bytearray()
        while len(body) < cap:
            size = self.rfile.readline(1024).split(b";")[0].strip()
            if not size or any(c not in b"0123456789abcdefABCDEF" for c in size):
                return None
            if int(size, 16) == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return bytes(body)
            body += self.rfile.read(min(int(size, 16), cap - len(body)))
            self.rfile.readline(1024)
        self.close_connection = True
        return bytes(body)

    def _hang_up(self) -> None:
        """Close the TCP connection now, mid-exchange, like a crashed upstream."""
        self.close_connection = True
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence per-request logging; the sandbox records requests itself."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # socketserver's 5 drops the connects of a client opening 64 at once: each waits a 1 s SYN retry

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that resets a kept-alive connection is no error worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Unblock keep-alive handler threads so closing the server leaves nothing behind."""
        with self._conn_lock:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class SandboxServer:
    """A running sandbox on a real socket; use as a context manager or call `close()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, options: SandboxOptions | None = None) -> None:
        self.sandbox = Sandbox(options)
        self._httpd = _HTTPServer((host, port), self.sandbox)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="anthropic-sandbox", daemon=True)
        self._thread.start()

    @property
    def requests(self) -> list[Recorded]:
        return self.sandbox.requests

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
