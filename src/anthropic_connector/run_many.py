"""`anthropic-connector run-many OP INPUTS.jsonl --output RESULTS.jsonl`: a bulk run from a shell.

cli.py registers the subcommand with ``add_parser`` and hands the parsed arguments to ``run``;
everything else about bulk runs stays in bulk/, which this command stands on (as cli.py does). stdout gets the summary as JSON
(``{"path", "lines", "succeeded", "failed", "kept"}``, plus ``batches`` with --via-batches),
stderr the progress bar when it is a terminal. The exit code is 0 once every line has a
result, whether an output or an error: the failed lines are in the file, counted in the
summary, and a re-run sends them again.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Callable

from .bulk import MAX_LINE_BYTES

if TYPE_CHECKING:
    from .clock import Clock
    from .spec import Manifest

API_BATCH_REQUESTS = 100_000


def add_parser(sub: Any, connection_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    """The run-many subparser, with the connection options every running command takes."""
    parser = sub.add_parser("run-many", help="run an operation on every line of a JSON Lines file, results in input order to --output")
    parser.add_argument("operation")
    parser.add_argument("input", help="a JSON Lines file: one input a line, with an optional top-level custom_id")
    parser.add_argument("--output", required=True, metavar="FILE", help="the results, one JSON line per input line in input order; re-run with it to resume")
    parser.add_argument("--concurrency", type=int, default=8, metavar="N", help="requests under way at once (default: 8)")
    parser.add_argument("--skip-invalid", action="store_true", help="send the valid lines even when others are invalid (each invalid one gets its error line)")
    parser.add_argument("--via-batches", action="store_true", help="create_message only: send the lines through Message Batches, at half the price")
    parser.add_argument(
        "--batch-size", type=int, default=API_BATCH_REQUESTS, metavar="N",
        help=f"with --via-batches, requests per batch at most (default and most: {API_BATCH_REQUESTS:,}; a batch also stays under 256 MB)",
    )
    parser.add_argument("--max-line-bytes", type=int, default=MAX_LINE_BYTES, metavar="N", help=f"longest input line read (default: {MAX_LINE_BYTES})")
    connection_arguments(parser)


def run(args: argparse.Namespace, manifest: Manifest, clock: Clock | None) -> dict[str, Any]:
    """Run the parsed ``run-many`` command; the summary for stdout."""
    from .bulk.batches import Limits
    from .connection import Connection
    from .dispatch import MAX_IN_FLIGHT
    from .errors import ValidationError
    from .logs import log_to_stderr
    from .runtime import Connector

    if args.concurrency < 1 or not 1 <= args.batch_size <= API_BATCH_REQUESTS or args.max_line_bytes < 1:
        message = f"--concurrency and --max-line-bytes must be at least 1, --batch-size from 1 to {API_BATCH_REQUESTS}"
        raise ValidationError(f"the command line is invalid: {message}", details=[{"path": "", "message": message}])
    connection = Connection.from_file(args.connection, manifest) if args.connection else Connection.from_env(manifest)
    stop_logging = log_to_stderr(connection) if args.verbose else None
    options: dict[str, Any] = {
        "concurrency": args.concurrency, "skip_invalid": args.skip_invalid, "max_line_bytes": args.max_line_bytes,
        "timeout": args.timeout, "max_retries": args.max_retries,
    }
    try:
        with Connector(manifest, connection, sandbox=args.sandbox, clock=clock, max_in_flight=max(args.concurrency, MAX_IN_FLIGHT)) as connector:
            return connector.run_many(
                args.operation, args.input, args.output, via_batches=args.via_batches, batch_limits=Limits(requests=args.batch_size), **options
            )
    finally:
        if stop_logging is not None:
            stop_logging()
