"""The `anthropic-connector sandbox` subcommand: arguments and the serve-until-interrupted loop."""

from __future__ import annotations

import argparse
import sys
import threading

from .faults import parse
from .options import MAX_STORAGE_BYTES, SandboxOptions, ServerLimits, load_canned

LIMITS = ServerLimits()


def port(text: str) -> int:
    """A TCP port, checked here: out of range, the socket's bind() raises OverflowError, no OSError."""
    number = int(text)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number from 0 to 65535")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the sandbox options on a (sub)parser."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=port, default=8787, help="port to listen on; 0 picks a free one (default: 8787)")
    parser.add_argument("--api-key", help="accept only this key (x-api-key or Authorization: Bearer)")
    parser.add_argument("--no-key-check", action="store_true", help="accept requests without any key")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before every answer")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SPEC",
        help="fault for the next request, in order, e.g. '529;times=2' (repeatable)",
    )
    parser.add_argument("--canned", metavar="FILE", help="JSON/YAML mapping of model or prompt to reply text")
    parser.add_argument(
        "--retired-models", choices=("serve", "reject"), default="serve",
        help="serve retired models (default) or answer 404 like the real API",
    )
    parser.add_argument(
        "--batch-seconds", type=float, default=1.0, metavar="S",
        help="how long a message batch processes before it ends (default: 1; 0 ends it at once)",
    )
    parser.add_argument(
        "--max-storage-bytes", type=int, default=MAX_STORAGE_BYTES, metavar="N",
        help=f"total size of uploaded files kept in memory (default: {MAX_STORAGE_BYTES})",
    )
    parser.add_argument(
        "--any-id", action="store_true",
        help="answer any unknown id or cursor with a generated object, like a contract mock server",
    )
    parser.add_argument(
        "--read-timeout", type=int, default=LIMITS.read_timeout, metavar="S",
        help=f"close a connection idle, or sending its request, for S seconds (default: {LIMITS.read_timeout})",
    )
    parser.add_argument(
        "--max-connections", type=int, default=LIMITS.max_connections, metavar="N",
        help=f"connections served at once; past them a request is answered 503 (default: {LIMITS.max_connections})",
    )


def options_from_args(args: argparse.Namespace) -> SandboxOptions:
    for spec in args.fault:
        parse(spec)  # fail at startup, not on the first request
    return SandboxOptions(
        check_key=not args.no_key_check,
        api_key=args.api_key,
        latency=args.latency,
        faults=tuple(args.fault),
        canned=load_canned(args.canned) if args.canned else {},
        retired_models=args.retired_models,
        batch_seconds=args.batch_seconds,
        max_storage_bytes=args.max_storage_bytes,
        any_id=args.any_id,
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the process exit status."""
    try:
        options = options_from_args(args)
        limits = ServerLimits(read_timeout=args.read_timeout, max_connections=args.max_connections)
    except (OSError, ValueError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    return serve_forever(args.host, args.port, options, limits)


def serve_forever(host: str = "127.0.0.1", port: int = 8787, options: SandboxOptions | None = None, limits: ServerLimits | None = None) -> int:
    """Serve until interrupted; 2, a usage error like any bad option, when the address cannot be
    listened on (a port in use, a host that is not this machine's); 3 when the server's own
    dependency (the `serve` extra) is not installed."""
    try:
        from .server import SandboxServer
    except ImportError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 3
    try:
        server = SandboxServer(host, port, options, limits)
    except OSError as exc:
        print(f"sandbox: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"sandbox listening on {server.url}", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="anthropic-connector sandbox", description="Run the Anthropic API sandbox.")
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
