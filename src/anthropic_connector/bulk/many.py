"""What ``Connector.run_many`` / ``arun_many`` call: a bulk run sent one request a line, or
through Message Batches (``run_batches``), with the options both share."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from ..errors import ConnectorError
from . import direct, ledger
from .batches import Limits
from .batches import run as run_batches
from .inputs import Line
from .job import Connector, Job, Options

if TYPE_CHECKING:
    from ..output import Result

__all__ = ["Job", "Limits", "Options", "arun_many", "run_batches"]


async def arun_many(
    connector: Connector,
    operation: str,
    inputs: str | Path,
    output: str | Path,
    options: Options,
    send: Callable[..., Awaitable[Result]] | None = None,
) -> dict[str, Any]:
    """Run ``operation`` on each line, ``options.concurrency`` at once; the summary.

    ``send``: how one input is run (default ``connector.arun``; a sync host's private event
    loop passes its own)."""
    job = Job(connector, operation, inputs, output, options)
    await asyncio.to_thread(job.check)  # reads the whole file, and may fetch the model table: not on the caller's loop
    arun = send or connector.arun

    async def one(line: Line) -> dict[str, Any]:
        try:
            return ledger.succeeded(line, (await arun(job.operation, line.payload, **job.overrides)).output)
        except ConnectorError as exc:
            return ledger.failed(line, exc)

    with job.writing() as write:
        await direct.send_all(job.walk(), one, write, options.concurrency)
    return job.summary()
