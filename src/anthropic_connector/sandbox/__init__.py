"""An emulator of the Anthropic HTTP API for tests and demos, in-process or on a local socket.

    from anthropic_connector import sandbox
    httpx2.Client(transport=sandbox.transport())            # no socket
    with sandbox.serve() as server: ... server.url ...       # real socket on 127.0.0.1
"""

from __future__ import annotations

from .app import Recorded, Sandbox, handle
from .cli import add_arguments, main, run_from_args, serve_forever
from .faults import parse as parse_fault
from .options import SandboxOptions, load_canned
from .server import SandboxServer
from .transport import SandboxTransport

__all__ = [
    "Recorded",
    "Sandbox",
    "SandboxOptions",
    "SandboxServer",
    "SandboxTransport",
    "add_arguments",
    "handle",
    "load_canned",
    "main",
    "parse_fault",
    "run_from_args",
    "serve",
    "serve_forever",
    "transport",
]


def transport(options: SandboxOptions | None = None) -> SandboxTransport:
    """An in-process transport usable by both `httpx2.Client` and `httpx2.AsyncClient`."""
    return SandboxTransport(options)


def serve(host: str = "127.0.0.1", port: int = 0, options: SandboxOptions | None = None) -> SandboxServer:
    """Start the sandbox on a background thread; the result is a context manager with `.url`."""
    return SandboxServer(host, port, options)
