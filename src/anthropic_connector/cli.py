"""`anthropic-connector`: list, describe, validate and run operations from a shell or a workflow step.

stdout carries JSON only (the output, or the error envelope); stderr a one-line message.
Exit codes come from the error class: 0 ok, 2 validation, 3 configuration, 4 API, 5 connection;
1 when stdout itself cannot be written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Sequence

from . import errors

if TYPE_CHECKING:
    from .clock import Clock

PROG = "anthropic-connector"


def _dumps(value: Any, indent: int | None = 2) -> str:
    """JSON text; an answer holding a lone surrogate (an API may send "\\ud800") is written with
    escapes, since no UTF-8 stdout can carry it raw."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, indent=indent)
    return text


def _print_json(value: Any, indent: int | None = 2) -> None:
    if sys.stdout is None:  # started with stdout closed
        raise OSError("standard output is closed")
    sys.stdout.write(_dumps(value, indent) + "\n")
    sys.stdout.flush()  # a failed write surfaces here, inside main(), not at interpreter exit


def _read_payload(source: str, limit: int | None) -> Any:
    """The input JSON from a file or '-' (stdin), read within the size limit; unreadable,
    oversized or non-JSON input is a validation error."""
    from . import inputs

    limit = limit or inputs.max_input_bytes()
    data = inputs.read_bounded(source, limit, f"the input {source!r}", errors.ValidationError, f"--max-input-bytes or {inputs.MAX_INPUT_ENV}")
    return inputs.decode_json(data, f"the input {source!r}", errors.ValidationError)


class _Parser(argparse.ArgumentParser):
    """argparse, except that a usage mistake is reported like any other bad input: the JSON
    envelope on stdout, exit 2 (argparse's own code for it)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(self.format_usage())
        raise errors.ValidationError(f"the command line is invalid: {message} (see {self.prog} --help)", details=[{"path": "", "message": message}])


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Run Anthropic API operations from a declarative manifest.")
    parser.add_argument("--manifest", help="a connector.yaml other than the packaged one")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("operations", help="list the operations as a JSON array")

    schema = sub.add_parser("schema", help="print an operation's input (or output) JSON Schema; `schema connection`: the connection's")
    schema.add_argument("operation")
    schema.add_argument("--output", action="store_true", help="the output schema instead of the input schema")

    ui = sub.add_parser("ui-schema", help="print an operation's form hints as a react-jsonschema-form uiSchema; `ui-schema connection`: the connection's")
    ui.add_argument("operation")

    options = sub.add_parser("options", help="list a field's choices (the models for `model`), from the API or the manifest's fallback")
    options.add_argument("operation")
    options.add_argument("field")
    _connection_arguments(options)

    validate = sub.add_parser("validate", help="check an input file against the operation's schema and rules (sends nothing)")
    validate.add_argument("operation")
    validate.add_argument("input", help="a JSON file, or - for stdin")
    validate.add_argument("--max-input-bytes", type=int, metavar="N", help="refuse a larger input (default 64 MiB, or ANTHROPIC_CONNECTOR_MAX_INPUT_BYTES)")
    validate.add_argument("--connection", metavar="FILE", help="the connection whose API version the rules follow (default: ANTHROPIC_* env)")
    validate.add_argument("--sandbox", action="store_true", help="check as the sandbox takes it (it serves retired models)")

    run = sub.add_parser("run", help="run an operation and print its output")
    run.add_argument("operation")
    run.add_argument("input", help="a JSON file, or - for stdin")
    run.add_argument("--max-input-bytes", type=int, metavar="N", help="refuse a larger input (default 64 MiB, or ANTHROPIC_CONNECTOR_MAX_INPUT_BYTES)")
    run.add_argument("--events", action="store_true", help="print each server-sent event as a JSON line as it arrives")
    run.add_argument("--output", metavar="FILE", help="write a JSON Lines or file answer to FILE as it arrives (batch results, file downloads)")
    _connection_arguments(run)

    from .run_many import add_parser as add_run_many

    add_run_many(sub, _connection_arguments)

    test = sub.add_parser("test-connection", help="check the connection's key and base URL (GET /v1/models?limit=1; spends no tokens)")
    _connection_arguments(test)

    # Listed for --help only: main() hands `sandbox ...` to the sandbox's own parser, so that
    # no other command pays for importing the emulator; and the doors to theirs (doors/), so
    # that none pays for their web frameworks.
    sub.add_parser("sandbox", help="serve the embedded Anthropic API sandbox on a local port (see: sandbox --help)")
    sub.add_parser("serve", help="serve the operations over HTTP, with an OpenAPI document (see: serve --help)")
    sub.add_parser("mcp", help="serve every operation as an MCP tool, over stdio or --http (see: mcp --help)")
    sub.add_parser("openapi", help="print the service's OpenAPI document (see: openapi --help)")
    return parser


def _connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--connection", metavar="FILE", help="a JSON or YAML connection file (default: ANTHROPIC_* env)")
    parser.add_argument("--sandbox", action="store_true", help="answer from the embedded sandbox: no key, no network")
    parser.add_argument("--timeout", type=float, help="longest wait to connect, send or for each read, in seconds (overrides the connection)")
    parser.add_argument("--max-retries", type=int, help="retries after a failed attempt (overrides the connection)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log requests, answers and retries to stderr (credentials redacted)")


def _run(args: argparse.Namespace, clock: Clock | None) -> int:
    from .manifest import load

    manifest = load(args.manifest)
    if args.command == "run-many":
        from .run_many import run as run_many

        _print_json(run_many(args, manifest, clock))
        return 0
    if args.command == "operations":
        _print_json([op.summary() for op in manifest.operations.values()])
        return 0
    if args.command in ("schema", "ui-schema") and args.operation == "connection":
        _print_json(manifest.connection_schema if args.command == "schema" else manifest.connection_ui_schema)
        return 0
    op = manifest.operation("test_connection" if args.command == "test-connection" else args.operation)
    if args.command == "schema":
        _print_json(op.output_schema if args.output else op.input_schema)
        return 0
    if args.command == "ui-schema":
        _print_json(op.ui_schema)
        return 0
    if args.command == "options":
        import asyncio

        _print_json(asyncio.run(_options(args, manifest, op, clock)))
        return 0
    payload = {} if args.command == "test-connection" else _read_payload(args.input, getattr(args, "max_input_bytes", None))
    from .connection import Connection
    from .rules import check

    check(op, payload)  # its schema: a bad input is reported before any configuration problem
    connection = Connection.from_file(args.connection, manifest) if args.connection else Connection.from_env(manifest)
    if args.command == "validate":
        from .rules import Facts

        check(op, payload, Facts.at_hand(connection, args.sandbox))
        _print_json({"valid": True})
        return 0

    from .runtime import Connector

    from .logs import log_to_stderr

    stop_logging = log_to_stderr(connection) if args.verbose else None
    overrides = {"timeout": args.timeout, "max_retries": args.max_retries}
    try:
        if getattr(args, "events", False):
            import asyncio

            return asyncio.run(_print_events(Connector(manifest, connection, sandbox=args.sandbox, clock=clock), op.name, payload, overrides))
        with Connector(manifest, connection, sandbox=args.sandbox, clock=clock) as connector:
            result = connector.run(op.name, payload, output_file=getattr(args, "output", None), **overrides)
        _print_json(result.output)
        return 0
    finally:
        if stop_logging is not None:
            stop_logging()


async def _options(args: argparse.Namespace, manifest: Any, op: Any, clock: Clock | None) -> dict[str, Any]:
    """`options OP FIELD`: the field's choices, listed with the connection (or the sandbox)."""
    from .choices import collect, fallback, source_of
    from .connection import Connection
    from .runtime import Connector

    source_of(op, args.field)  # a field with no options is a mistake, not a reason to fall back
    connection = Connection.from_file(args.connection, manifest) if args.connection else Connection.from_env(manifest)
    try:
        connector = Connector(manifest, connection, sandbox=args.sandbox, clock=clock)
    except errors.ConnectorError as exc:  # no key yet: the form still gets its fallback
        return fallback(op, args.field, exc)
    async with connector:

        async def run(name: str, payload: dict[str, Any]) -> Any:
            return (await connector.arun(name, payload, timeout=args.timeout, max_retries=args.max_retries)).output

        return await collect(op, args.field, run)


async def _print_events(connector: Any, name: str, payload: Any, overrides: dict[str, Any]) -> int:
    """One JSON line per event, flushed as it arrives; a failure is the last line, its envelope,
    so that every line of stdout stays one JSON object."""
    async with connector:
        try:
            async for event in connector.events(name, payload, **overrides):
                _print_json(event, indent=None)
        except errors.ConnectorError as exc:
            _print_json(exc.envelope(), indent=None)
            sys.stderr.write(f"{PROG}: {exc.type}: {exc.message}\n")
            return exc.exit_code
    return 0


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """The command line; ``clock``: what retries wait with (a host or a test may bring its own)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sandbox"]:
        from .sandbox.cli import main as sandbox_main

        return sandbox_main(argv[1:])
    try:
        try:
            from .doors import COMMANDS as DOORS, main as door_main  # no web framework: each door imports its own

            if argv[:1] and argv[0] in DOORS:
                return door_main(argv)
            return _run(_parser().parse_args(argv), clock)
        except errors.ConnectorError as exc:
            _print_json(exc.envelope())  # inside the outer try: writing the envelope can fail too
            sys.stderr.write(f"{PROG}: {exc.type}: {exc.message}\n")
            return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except OSError as exc:  # stdout itself failed; Python's own flush at exit must stay quiet too
        if sys.stdout is not None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if isinstance(exc, BrokenPipeError):
            return 141  # the reader went away (`--events | head`): stop quietly, as other Unix tools do
        if sys.stderr is not None:
            sys.stderr.write(f"{PROG}: {exc.strerror or exc}\n")  # a full disk, say: no JSON can go out
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
