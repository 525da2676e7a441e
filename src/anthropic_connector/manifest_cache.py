"""Where a passed manifest check is remembered: the parsed connector.yaml and its stamp.

Like Python's .pyc files: one small JSON file per connector.yaml content, in
``$XDG_CACHE_HOME/anthropic-connector`` (``~/.cache`` by default); the model table fetched from
GET /v1/models is kept beside it (models.py), and so is each schema as the fast validator
compiles it (schema_files.py). Set ``ANTHROPIC_CONNECTOR_NO_CACHE=1`` to neither read nor
write any of them (read-only or shared hosts); every load then parses and checks everything,
as the first load does.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

from .version import __version__


def directory() -> Path | None:
    """The cache's folder, or None when ANTHROPIC_CONNECTOR_NO_CACHE turns the cache off."""
    if os.environ.get("ANTHROPIC_CONNECTOR_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "anthropic-connector"


class Remembered:
    """The entry for one connector.yaml: its parsed content and the stamp it passed with."""

    def __init__(self, manifest_text: bytes, path: Path) -> None:
        """One entry per manifest file and content: two checkouts with the same connector.yaml
        but other schemas must not overwrite each other's entry."""
        folder = directory()
        key = hashlib.sha256(__version__.encode() + b"\0" + str(path.resolve()).encode() + b"\0" + manifest_text).hexdigest()
        self.path = None if folder is None else folder / f"manifest-{key}.json"
        self.raw: Any = None
        self.stamp: str | None = None
        if self.path is not None:
            try:
                entry = json.loads(self.path.read_bytes())
                self.raw, self.stamp = entry["raw"], entry["stamp"]
            except (OSError, ValueError, KeyError, TypeError):
                pass

    def save(self, raw: Any, stamp: str) -> None:
        """A read-only home only costs the next run the same check."""
        if self.path is not None:
            save(self.path, {"raw": raw, "stamp": stamp})


def kept(name: str, key: str, make: Callable[[], Any]) -> Any:
    """What ``make()`` returns, from the cache entry ``name`` when that was made under the same
    ``key`` (which must change whenever what ``make`` makes would), else made and saved there.
    The entry holds a digest of what it keeps: an entry altered since is made anew."""
    folder = directory()
    path = None if folder is None else folder / f"{name}.json"
    if path is not None:
        try:
            entry = json.loads(path.read_bytes())
            text = entry["value"]
            if entry["key"] == key and entry["digest"] == hashlib.sha256(text.encode()).hexdigest():
                return json.loads(text)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    value = make()
    if path is not None:
        text = json.dumps(value)
        save(path, {"key": key, "digest": hashlib.sha256(text.encode()).hexdigest(), "value": text})
    return value


def save(path: Path, entry: Any) -> None:
    """Write a cache entry atomically, or not at all (a read-only home, a full disk)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(entry), encoding="utf-8")
        partial.replace(path)
    except (OSError, TypeError, ValueError):
        pass
