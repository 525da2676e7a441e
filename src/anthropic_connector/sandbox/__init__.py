"""An emulator of the Anthropic HTTP API for tests and demos, in-process or on a local socket.

    from anthropic_connector import sandbox
    httpx2.Client(transport=sandbox.transport())            # no socket
    with sandbox.serve() as server: ... server.url ...       # real socket on 127.0.0.1

The socket server and its command line are imported on first use: the in-process transport
(`Connector(sandbox=True)`, a one-shot `anthropic-connector run ... --sandbox`) never pays for
loading an HTTP server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .app import Recorded, Sandbox, handle
from .faults import parse as parse_fault
from .options import SandboxOptions, ServerLimits, load_canned
from .transport import SandboxTransport

if TYPE_CHECKING:
    from .cli import add_arguments, main, run_from_args, serve_forever
    from .server import SandboxServer

__all__ = [
    "Recorded",
    "Sandbox",
    "SandboxOptions",
    "SandboxServer",
    "SandboxTransport",
    "ServerLimits",
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

_ON_FIRST_USE = {"SandboxServer": "server", "add_arguments": "cli", "main": "cli", "run_from_args": "cli", "serve_forever": "cli"}


def __getattr__(name: str) -> Any:
    """The names of the socket server's modules, loaded when first asked for (PEP 562)."""
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def transport(options: SandboxOptions | None = None) -> SandboxTransport:
    """An in-process transport usable by both `httpx2.Client` and `httpx2.AsyncClient`."""
    return SandboxTransport(options)


def serve(host: str = "127.0.0.1", port: int = 0, options: SandboxOptions | None = None, limits: ServerLimits | None = None) -> SandboxServer:
    """Start the sandbox on a background thread; the result is a context manager with `.url`."""
    from .server import SandboxServer

    return SandboxServer(host, port, options, limits)
