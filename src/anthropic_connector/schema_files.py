"""The one schema loader: reads the files a manifest names, relative to it, when asked.

A schema may point into another schema of the same manifest with a cross-file ``$ref``
(``"create_message.input.json#/properties/messages"``), so that count_tokens and a batch's
``params`` reuse create_message's definitions instead of copying them. Every consumer
(jsonschema-rs, a form generator, an OpenAPI document) wants one self-contained schema, so
the loader bundles each referenced file into the schema's own ``definitions`` under the
file's stem and rewrites the pointers: ``#/definitions/create_message.input/properties/messages``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import posixpath
from pathlib import Path
from typing import Any, Iterable

from .errors import ConfigurationError
from .inputs import MAX_CONFIG_BYTES, read_bounded
from .manifest_cache import kept
from . import validate
from .validate import Validator, lean
from .version import __version__


def _code() -> str | None:
    """What tells the code that makes a kept schema from another version of it: the size and
    modification time of its two files (this one bundles, validate.py's lean() reworks), as
    Python's own bytecode cache tells a changed module; None if they cannot be read."""
    try:
        return " ".join(f"{info.st_size}:{info.st_mtime_ns}" for info in map(os.stat, (__file__, validate.__file__)))
    except OSError:
        return None


class SchemaFiles:
    """Reads JSON files relative to ``root``; ``check``: hold each schema to the meta-schema
    as it is first read.

    It keeps nothing it reads (create_message's two schemas are 440 KB of bytes, 1.4 MB as
    dicts): whoever asks keeps what it needs, spec.Operation its schemas, a validator its
    compiled form. Only while it checks (a fresh load, manifest.py) does it keep each file
    parsed: that reads every file, and create_message's input into three other schemas. A file
    whose ``digest`` was taken (manifest.py's stamp) must read the same whenever it is parsed:
    the check it passed was on those bytes.
    """

    def __init__(self, root: Path, check: bool = True, allowed: Iterable[str] | None = None) -> None:
        self.root = root
        self.check = check
        self.allowed = None if allowed is None else set(allowed)  # the files a $ref may name
        self._digests: dict[str, bytes] = {}
        self._checked: set[str] = set()
        self._kept: dict[str, tuple[Any, bool]] = {}  # while checking
        self.stamp: str | None = None  # the digest of every file, once the manifest passed (manifest.py)

    def _read(self, relative: str) -> bytes:
        path = self.root / relative
        return read_bounded(path, MAX_CONFIG_BYTES, str(path), ConfigurationError, "16 MiB for a manifest's file")

    def digest(self, relative: str) -> bytes:
        """The SHA-256 of the file as it reads now, which every later read must match."""
        found = self._digests[relative] = hashlib.sha256(self._read(relative)).digest()
        return found

    def _parsed(self, relative: str) -> tuple[Any, bool]:
        """The file parsed, and whether it names another file (a cross-file $ref can only then)."""
        if relative in self._kept:
            return self._kept[relative]
        data = self._read(relative)
        if relative in self._digests and hashlib.sha256(data).digest() != self._digests[relative]:
            raise ConfigurationError(f"{self.root / relative}: changed since the manifest was loaded; load it again")
        try:
            parsed = json.loads(data), b".json" in data
        except ValueError as exc:
            raise ConfigurationError(f"{self.root / relative}: is not valid JSON ({exc})") from None
        if self.check:
            self._kept[relative] = parsed
        return parsed

    def json(self, relative: str) -> Any:
        return self._parsed(relative)[0]

    def _checked_json(self, relative: str) -> tuple[dict[str, Any], bool]:
        schema, names_files = self._parsed(relative)
        if self.check and relative not in self._checked:
            errors = [str(e.message) for e in Validator.meta_errors(schema)]
            if errors:
                raise ConfigurationError(f"{self.root / relative}: is not a valid JSON Schema: {errors[0]}")
            self._checked.add(relative)
        return schema, names_files

    def schema(self, relative: str) -> dict[str, Any]:
        """The schema in ``relative``, with every file it refers to bundled in."""
        schema, names_files = self._checked_json(relative)
        if not names_files:  # so no cross-file $ref: nothing to bundle
            return schema
        bundled: dict[str, Any] = {}
        schema = self._rewrite(schema, relative, relative, bundled)  # a new tree: a kept parse is never changed
        if bundled:
            schema.setdefault("definitions", {}).update(bundled)
        return schema

    def validator(self, relative: str) -> Validator:
        """The schema in ``relative``, to be compiled when first used."""
        return Validator(functools.partial(self.schema, relative), functools.partial(self.lean, relative))

    def lean(self, relative: str) -> dict[str, Any]:
        """The schema in ``relative`` as the fast validator compiles it (validate.lean), kept in
        the cache (manifest_cache.py) while the manifest's files and lean's code are unchanged.
        Working it out takes a one-shot run 13 ms for create_message's two schemas: reading
        their 450 KB as dicts, then lean's two walks; the kept form is 130 KB of JSON."""
        code = _code()
        if self.stamp is None or code is None or self.allowed is None or relative not in self.allowed:  # the stamp covers the manifest's files only
            return lean(self.schema(relative))
        name = "lean-" + hashlib.sha256(str(self.root.resolve() / relative).encode()).hexdigest()[:32]
        return kept(name, f"{__version__} {code} {self.stamp}", lambda: lean(self.schema(relative)))

    def _rewrite(self, node: Any, here: str, root: str, bundled: dict[str, Any]) -> Any:
        """``node`` (part of file ``here``) with its pointers made relative to ``root``'s bundle."""
        if isinstance(node, list):
            return [self._rewrite(item, here, root, bundled) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: self._rewrite(value, here, root, bundled) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str):
            name, _, pointer = ref.partition("#")
            target = posixpath.join(posixpath.dirname(here), name) if name else here
            if "/" in name:
                raise ConfigurationError(f"{self.root / here}: $ref {ref!r} may name a file beside it, not in another folder")
            if target != root and _key(target) not in bundled:
                self._bundle(target, here, root, bundled)
            base = "#" if target == root else f"#/definitions/{_key(target)}"
            out["$ref"] = base + pointer
        return out

    def _bundle(self, target: str, here: str, root: str, bundled: dict[str, Any]) -> None:
        if self.allowed is not None and target not in self.allowed:
            raise ConfigurationError(f"{self.root / here}: $ref {target!r} is not a schema this manifest names")
        bundled[_key(target)] = None  # taken: a file that refers back to one being bundled stops here
        content = {k: v for k, v in self._checked_json(target)[0].items() if k != "$schema"}
        bundled[_key(target)] = self._rewrite(content, target, root, bundled)


def _key(filename: str) -> str:
    """Where a bundled file lives under definitions: its name without .json."""
    return posixpath.basename(filename).removesuffix(".json")
