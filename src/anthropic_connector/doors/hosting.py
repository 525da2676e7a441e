"""What the two servers (service.py, mcp_server.py) share: their options, where their connection
comes from, and listening with uvicorn.

The connection is the server's own (the environment, or ``--connection FILE``, as for `run`),
or the sandbox; it may lack a key when callers bring theirs (the service's headers). The server
binds to 127.0.0.1 unless told otherwise, and says so on stderr once it listens, with the port
it got (``--port 0`` picks a free one).
"""

from __future__ import annotations

import argparse
import socket
import sys
from dataclasses import dataclass
from typing import Any

from ..connection import Connection
from ..manifest import load
from ..rules import Facts
from ..spec import Manifest
from . import policy as policy_module
from .policy import DoorPolicy


@dataclass(frozen=True)
class Hosting:
    """A server's manifest, connection, policy and whether it answers from the sandbox."""

    manifest: Manifest
    connection: Connection
    policy: DoorPolicy
    sandbox: bool

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Hosting:
        manifest = load(args.manifest)
        connection = Connection.from_file(args.connection, manifest) if args.connection else Connection.from_env(manifest)
        return cls(manifest, connection, DoorPolicy.from_args(args), args.sandbox)

    def facts(self) -> Facts:
        """What a validation checks the rules with: the server's API version, the model table at hand."""
        return Facts.at_hand(self.connection, self.sandbox)

    def connector(self, connection: Connection | None = None, sandbox: bool | None = None) -> Any:
        """A Connector for ``connection`` (default: the server's), held to the policy's origins;
        ``sandbox`` True: on the in-process sandbox whatever the server's own setting."""
        from ..runtime import Connector

        connection = connection or self.connection
        return Connector(self.manifest, connection, sandbox=self.sandbox if sandbox is None else sandbox, guard=self.policy.guard(connection))


def add_arguments(parser: argparse.ArgumentParser, port: int | None) -> None:
    """The options every server takes; ``port`` None: the server also runs without a port (stdio)."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=port, help=f"port to listen on; 0 picks a free one (default: {port})")
    parser.add_argument("--connection", metavar="FILE", help="a JSON or YAML connection file (default: ANTHROPIC_* env)")
    parser.add_argument("--sandbox", action="store_true", help="answer from the embedded sandbox: no key, no network")
    parser.add_argument("--manifest", help="a connector.yaml other than the packaged one")
    parser.add_argument("--access-log", action="store_true", help="log each request's method, path and status (uvicorn's access log)")
    policy_module.add_arguments(parser)


def serve(app: Any, args: argparse.Namespace, what: str) -> int:
    """Run ``app`` under uvicorn on args.host:args.port until interrupted."""
    import uvicorn

    if args.host not in ("127.0.0.1", "localhost", "::1") and not DoorPolicy.from_args(args).token:
        sys.stderr.write(f"warning: {what} listens on {args.host} with no --token: anyone who reaches it runs operations with this connection\n")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
        sock.listen(2048)  # callers queue from now on, so "listening" below is true when said
    except OSError as exc:
        sys.stderr.write(f"{what}: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
        return 1
    host, port = sock.getsockname()[:2]
    sys.stderr.write(f"{what} listening on http://{'[' + host + ']' if ':' in host else host}:{port}\n")
    sys.stderr.flush()
    config = uvicorn.Config(app, log_level="warning", access_log=args.access_log, lifespan="on", timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])
    return 0
