"""One bulk run, whichever way it sends: check every line first, then walk the lines in order.

Both ways of sending (one request a line, direct.py; Message Batches, batches.py) share this:
the paths checked before anything is read, every line checked before anything is sent (all
violations by line; nothing sent when any is bad, unless ``skip_invalid``), the walk that
pairs each input line with its earlier result (kept when done), and the writing of results
with a tally and a progress bar.
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol

from ..errors import ValidationError
from ..validate import describe
from . import ledger, progress
from .inputs import MAX_LINE_BYTES, Line, read, survey

if TYPE_CHECKING:
    from ..clock import Clock
    from ..output import Result
    from ..spec import Manifest


class Connector(Protocol):
    """What a bulk run needs of a connector (runtime.Connector is one): the runs and the clock
    it waits by. Named here, so that bulk/ sits on the runtime without importing it back."""

    manifest: Manifest

    @property
    def clock(self) -> Clock: ...

    def validate(self, name: str, payload: Any, *, confirm: bool = False) -> list[dict[str, str]]: ...

    def run(self, name: str, payload: Any, *, timeout: float | None = None, max_retries: int | None = None, output_file: str | Path | None = None) -> Result: ...

    async def arun(self, name: str, payload: Any, *, timeout: float | None = None, max_retries: int | None = None, output_file: str | Path | None = None) -> Result: ...

    def lines(self, name: str, payload: Any, *, timeout: float | None = None, max_retries: int | None = None) -> Iterator[Any]: ...


@dataclass(frozen=True)
class Options:
    """How a bulk run goes; the library's keyword arguments and the CLI's options."""

    concurrency: int = 8
    skip_invalid: bool = False
    max_line_bytes: int = MAX_LINE_BYTES
    progress: bool | None = None  # None: a bar when stderr is a terminal
    timeout: float | None = None  # overrides of the connection's, for every request of the run
    max_retries: int | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.max_line_bytes < 1:
            raise ValueError("concurrency and max_line_bytes must be at least 1")


@dataclass
class Tally:
    lines: int = 0
    kept: int = 0
    succeeded: int = 0
    failed: int = 0


def _bad_path(path: Path, message: str) -> ValidationError:
    return ValidationError(f"{path} {message}", details=[{"path": "", "message": f"{path} {message}"}])


class Job:
    """The paths, checks and walk of one run of ``operation`` over ``inputs`` into ``output``."""

    def __init__(self, connector: Connector, operation: str, inputs: str | Path, output: str | Path, options: Options) -> None:
        self.connector = connector
        self.operation = connector.manifest.operation(operation).name  # an unknown one fails here
        self.inputs = Path(inputs).expanduser()
        self.output = Path(output).expanduser()
        self.options = options
        if not self.inputs.is_file() or not os.access(self.inputs, os.R_OK):
            raise _bad_path(self.inputs, "cannot be read (the input must be a JSON Lines file)")
        folder = self.output.parent
        if self.output.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
            raise _bad_path(self.output, "cannot be written (its folder must exist and be writable)")
        self.ledger = ledger.Ledger(self.output)
        self.tally = Tally()

    @property
    def overrides(self) -> dict[str, Any]:
        """The run's timeout and max_retries overrides, for each request it sends."""
        return {"timeout": self.options.timeout, "max_retries": self.options.max_retries}

    def check(self) -> None:
        """Fold what a dead run left, then check every line as ``run`` would (a refusal on a
        model table older than a day confirmed by one fetch); refuse the file if any is bad.
        ``walk`` checks each line again against the table this leaves, and fetches nothing."""
        self.ledger.fold()
        found = survey(self.inputs, functools.partial(self.connector.validate, self.operation, confirm=True), self.options.max_line_bytes)
        if found.invalid and not self.options.skip_invalid:
            raise found.refuse(self.inputs)
        self.tally.lines = found.lines

    def walk(self) -> Iterator[Line | dict[str, Any]]:
        """Each input line in order: its earlier result when done, an invalid line's error, or
        the Line to send. Reads the input and the earlier results a line at a time."""
        earlier = self.ledger.earlier()
        for line in read(self.inputs, functools.partial(self.connector.validate, self.operation), self.options.max_line_bytes):
            before = ledger.matching(line, next(earlier), self.ledger)
            if ledger.is_done(before):
                assert before is not None
                self.tally.kept += 1
                yield before
            elif line.problems:
                yield ledger.failed(line, ValidationError(f"line {line.number} is invalid: {describe(line.problems)}", details=line.problems))
            else:
                yield line

    @contextlib.contextmanager
    def writing(self) -> Iterator[Callable[[dict[str, Any]], None]]:
        """A writer of results in order to the ``.part`` file, counted and shown on the bar;
        the ``.part`` becomes the output only when the block ends without an error."""
        bar = progress.bar(self.tally.lines, self.operation, self.options.progress)
        file = self.ledger.open()

        def write(result: dict[str, Any]) -> None:
            ledger.write(file, result)
            if "output" in result:
                self.tally.succeeded += 1
            else:
                self.tally.failed += 1
            bar.update(1)

        try:
            yield write
        finally:
            file.close()
            bar.close()
        self.ledger.commit()

    def summary(self, **extra: Any) -> dict[str, Any]:
        """What the CLI prints and the library returns: where the results are and how they went."""
        t = self.tally
        return {"path": str(self.output), "lines": t.lines, "succeeded": t.succeeded, "failed": t.failed, "kept": t.kept, **extra}
