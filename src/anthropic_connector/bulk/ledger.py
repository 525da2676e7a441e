"""The results file of a bulk run: one line per input line, in input order, and what a re-run keeps.

Each result line is ``{"line", "custom_id", "output"}`` or ``{"line", "custom_id", "error"}``
(the error envelope's object: type, message, status, request_id, details). A line is *done*
when it has an output; every other line (an API error, a timeout, an input that was invalid
under --skip-invalid) is sent again by a re-run, so re-running finishes the job and never pays
twice for a line that succeeded.

A run writes ``RESULTS.part`` beside the output as results complete, in input order, each line
flushed whole; once every line has a result it replaces RESULTS. A run that dies leaves its
``.part``: the next one first folds it into RESULTS (its lines, then RESULTS' own lines past
them), so each line's newest result is kept, and then goes on from there. Nothing here holds
more than one line of either file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any, Iterator

from ..errors import ConfigurationError, ConnectorError
from .inputs import Line


def succeeded(line: Line, output: Any) -> dict[str, Any]:
    return {"line": line.number, "custom_id": line.custom_id, "output": output}


def failed(line: Line, error: ConnectorError) -> dict[str, Any]:
    return {"line": line.number, "custom_id": line.custom_id, **error.envelope()}


def is_done(result: dict[str, Any] | None) -> bool:
    return result is not None and "output" in result


def _complete_lines(path: Path) -> Iterator[bytes]:
    """Each whole line of a results file; a last line cut short by a crash is not one."""
    if not path.exists():
        return
    with path.open("rb") as file:
        for raw in file:
            if raw.endswith(b"\n"):
                yield raw


class Ledger:
    """RESULTS and its ``.part``: what earlier runs left, and where this run writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")

    def fold(self) -> None:
        """Fold a dead run's ``.part`` into RESULTS (atomically), so that one file says what is done."""
        if not self.part.exists():
            return
        merged = self.path.with_name(self.path.name + ".fold")
        with merged.open("wb") as out:
            count = 0
            for raw in _complete_lines(self.part):
                out.write(raw)
                count += 1
            for index, raw in enumerate(_complete_lines(self.path)):
                if index >= count:
                    out.write(raw)
        os.replace(merged, self.path)
        self.part.unlink()

    def earlier(self) -> Iterator[dict[str, Any] | None]:
        """The earlier result of each input line in turn (None past the end), read as needed."""
        for raw in _complete_lines(self.path):
            yield json.loads(raw)
        while True:
            yield None

    def open(self) -> IO[str]:
        return self.part.open("w", encoding="utf-8")

    def commit(self) -> None:
        os.replace(self.part, self.path)


def matching(line: Line, earlier: dict[str, Any] | None, ledger: Ledger) -> dict[str, Any] | None:
    """The earlier result if it is this line's; a results file of another input is refused."""
    if earlier is not None and (earlier.get("line"), earlier.get("custom_id")) != (line.number, line.custom_id):
        raise ConfigurationError(
            f"{ledger.path} holds results of another input: its result for line {earlier.get('line')} "
            f"({earlier.get('custom_id')}) stands where line {line.number} ({line.custom_id}) is; use another output file"
        )
    return earlier


def write(file: IO[str], result: dict[str, Any]) -> None:
    """One result line, written whole and flushed, so that a crash loses at most the line in flight."""
    file.write(json.dumps(result, ensure_ascii=False) + "\n")
    file.flush()
