"""What a user hands in, read and vetted before any schema sees it.

Files and stdin are read with a size limit (a FIFO, a device or a folder is refused, since
``/dev/zero`` would grow without end and a FIFO with no writer would hang); JSON is decoded
strictly (UTF-8, no NaN or Infinity, no key twice in one object: a later ``url`` must not
silently turn a request into another); and every input, read here or handed in by a library
host, is walked once for what JSON Schema does not catch but would break the request or the
process: nesting deeper than any request needs, lone surrogates, non-finite floats.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from .errors import ConnectorError, ValidationError
from .validate import describe, pointer

MAX_DEPTH = 256  # far beyond any real request; Python's own parser gives out near 1,000
DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_INPUT_ENV = "ANTHROPIC_CONNECTOR_MAX_INPUT_BYTES"
MAX_CONFIG_BYTES = 16 * 1024 * 1024  # a manifest, a schema or a connection file: far above any real one


def max_input_bytes() -> int:
    """The input size limit: ANTHROPIC_CONNECTOR_MAX_INPUT_BYTES, else 64 MiB."""
    value = os.environ.get(MAX_INPUT_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_INPUT_BYTES


def _problem(error: type[ConnectorError], what: str, reason: str) -> ConnectorError:
    return error(f"{what}: {reason}", details=[{"path": "", "message": reason}])


def read_bounded(source: str | Path, limit: int, what: str, error: type[ConnectorError], limit_name: str) -> bytes:
    """The bytes of a file, or of stdin for '-', refused past ``limit`` (named by ``limit_name``)."""
    too_big = f"is larger than {limit:,} bytes, the limit ({limit_name})"
    if str(source) == "-":
        if sys.stdin is None:
            raise _problem(error, what, "standard input is closed")
        buffer = getattr(sys.stdin, "buffer", None)  # bytes, so that invalid UTF-8 is seen as such
        data = buffer.read(limit + 1) if buffer is not None else sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
    else:
        not_regular = "is not a regular file (a FIFO, a device or a folder): give a file, or - for standard input"
        try:
            if not stat.S_ISREG(os.stat(source).st_mode):  # before opening: opening a FIFO with no writer blocks
                raise _problem(error, what, not_regular)
            with open(source, "rb") as handle:
                found = os.fstat(handle.fileno())
                if not stat.S_ISREG(found.st_mode):  # swapped since the stat
                    raise _problem(error, what, not_regular)
                # Sized by the file, not the limit: a read of limit + 1 makes a buffer of that
                # size first (16 MiB for each of a manifest's ~80 files). A file longer than its
                # size says (grown since, or /proc's, which say 0) is read on to the limit.
                data = handle.read(min(found.st_size, limit) + 1)
                if found.st_size < len(data) <= limit:
                    data += handle.read(limit + 1 - len(data))
        except OSError as exc:
            raise _problem(error, what, f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise _problem(error, what, too_big)
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class _Twice(dict):  # type: ignore[type-arg]
    """An object that held a key twice; the later value wins, and ``vet`` reports it."""

    twice: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    twice = _Twice(result)
    twice.twice = sorted({k for k, _ in pairs if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
    return twice


def decode_json(data: bytes, what: str, error: type[ConnectorError]) -> Any:
    """Strict JSON from bytes: UTF-8 (a leading BOM dropped), no NaN/Infinity, no runaway nesting."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _problem(error, what, f"is not UTF-8 text (byte {exc.start + 1})") from None
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_refuse_constant)
    except RecursionError:
        raise _problem(error, what, f"is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise _problem(error, what, f"is not valid JSON: {exc}") from None


def _bad_text(text: str) -> bool:
    """A lone surrogate: not Unicode text any encoder can write."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _clean(value: Any) -> bool:
    """Whether ``value`` has nothing ``vet`` would report: one walk with no paths kept, since it
    runs on every input (a few microseconds for a message) and almost every input is clean.
    Level by level: a depth per level, not a (node, depth) pair per node, is a third faster."""
    level: list[Any] = [value]
    depth = 0
    while level:
        below: list[Any] = []
        for node in level:
            kind = type(node)
            if kind is str:
                if not node.isascii() and _bad_text(node):
                    return False
            elif kind is dict:
                if depth >= MAX_DEPTH:
                    return False
                for key in node:
                    if type(key) is str and not key.isascii() and _bad_text(key):
                        return False
                below.extend(node.values())
            elif kind is list:
                if depth >= MAX_DEPTH:
                    return False
                below.extend(node)
            elif kind is float:
                if node != node or node in (_INF, -_INF):
                    return False
            elif kind is not int and kind is not bool and node is not None:
                return False  # a _Twice (a key given twice), or anything else: the full walk says
        level, depth = below, depth + 1
    return True


_INF = float("inf")


def vet(value: Any) -> list[dict[str, str]]:
    """What in ``value`` no request can carry, each at its JSON pointer (one walk, no recursion)."""
    if _clean(value):
        return []
    problems: list[dict[str, str]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            problems.append({"path": pointer(path[:MAX_DEPTH]), "message": f"is nested more than {MAX_DEPTH} levels deep"})
            continue
        if isinstance(node, str):
            if _bad_text(node):
                problems.append({"path": pointer(path), "message": "holds a lone surrogate, which is not Unicode text"})
        elif isinstance(node, float):
            if node != node or node in (float("inf"), float("-inf")):
                problems.append({"path": pointer(path), "message": "is not a finite number (JSON has no NaN or Infinity)"})
        elif isinstance(node, dict):
            for key in getattr(node, "twice", ()):
                problems.append({"path": pointer((*path, key)), "message": "is given twice in one object; give each field once"})
            for key, item in node.items():
                if isinstance(key, str) and _bad_text(key):
                    problems.append({"path": pointer(path), "message": "has a field name with a lone surrogate, which is not Unicode text"})
                else:
                    stack.append((item, (*path, key)))
        elif isinstance(node, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(node))
    return sorted(problems, key=lambda p: p["path"])
