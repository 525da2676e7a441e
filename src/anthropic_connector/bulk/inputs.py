"""The input file of a bulk run, read one line at a time and never whole.

Each non-blank line is one input of the operation, as a JSON object. It may carry a top-level
``custom_id`` (the Message Batches API's form: 1 to 64 letters, digits, ``-`` or ``_``), which
is taken out before the input is checked, so the rest is exactly what ``run`` would take: no
operation's input has a top-level field of that name. A line without one is known by its place,
``line-<N>``. Results are matched to lines by position, not by ``custom_id``, so ids need not be
unique and no set of them is ever held.

A line longer than the limit is never read into memory: it is skipped to its end in bounded
reads and reported as invalid, like a line that is not JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import ValidationError
from . import MAX_LINE_BYTES

CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_SKIP_CHUNK = 1 << 20

Check = Callable[[Any], list[dict[str, str]]]
"""An operation's input check (``Connector.validate``): every violation, or []."""


@dataclass(frozen=True)
class Line:
    """One input line: where it stands, the id its result carries, the input, what is wrong with it."""

    number: int  # 1-based, counting blank lines too, as an editor shows it
    custom_id: str
    payload: Any
    problems: list[dict[str, str]] = field(default_factory=list)


def _raw_lines(path: Path, max_line_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(number, bytes) of each non-blank line; None for a line over the limit (skipped unread)."""
    with path.open("rb") as file:
        number = 0
        while True:
            raw = file.readline(max_line_bytes + 1)
            if not raw:
                return
            number += 1
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):
                    raw = file.readline(_SKIP_CHUNK)
                yield number, None
            elif raw.strip():
                yield number, raw


def _parsed(number: int, raw: bytes | None, check: Check, max_line_bytes: int) -> Line:
    default_id = f"line-{number}"
    if raw is None:
        return Line(number, default_id, None, [{"path": "", "message": f"is longer than {max_line_bytes} bytes"}])
    try:
        value = json.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except (UnicodeDecodeError, ValueError) as exc:
        return Line(number, default_id, None, [{"path": "", "message": f"is not valid JSON: {exc}"}])
    if not isinstance(value, dict):
        return Line(number, default_id, value, [{"path": "", "message": "must be a JSON object (the operation's input)"}])
    custom_id = value.pop("custom_id", default_id)
    problems = []
    if not isinstance(custom_id, str) or not CUSTOM_ID.fullmatch(custom_id):
        problems.append({"path": "/custom_id", "message": "must be 1 to 64 letters, digits, - or _"})
        custom_id = default_id
    return Line(number, custom_id, value, problems + check(value))


def read(path: Path, check: Check, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Every non-blank line of ``path``, parsed and checked, as it is read."""
    for number, raw in _raw_lines(path, max_line_bytes):
        yield _parsed(number, raw, check, max_line_bytes)


MAX_REPORTED = 1000
"""Violations listed in the error of a file with invalid lines; the message counts the rest."""


@dataclass
class Survey:
    """What a first pass over the input found: how many lines, and which are invalid."""

    lines: int = 0
    invalid: int = 0
    violations: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)

    def refuse(self, source: Path) -> ValidationError:
        """The error for a file with invalid lines: every violation by line (the first
        MAX_REPORTED of them in details, the count of the rest in the message)."""
        first = self.details[0]
        listed = "" if self.violations <= len(self.details) else f"; the first {len(self.details)} of {self.violations} violations are listed"
        return ValidationError(
            f"{self.invalid} of {self.lines} lines of {source} are invalid, so nothing was sent (--skip-invalid sends the others): "
            f"line {first['line']}: {first['path'] or '(root)'} {first['message']}{listed}",
            details=self.details,
        )


def survey(path: Path, check: Check, max_line_bytes: int = MAX_LINE_BYTES) -> Survey:
    """Check every line before anything is sent; holds at most MAX_REPORTED violations."""
    found = Survey()
    for line in read(path, check, max_line_bytes):
        found.lines += 1
        if line.problems:
            found.invalid += 1
            found.violations += len(line.problems)
            room = MAX_REPORTED - len(found.details)
            found.details += [{"line": line.number, **problem} for problem in line.problems[:room]]
    return found
