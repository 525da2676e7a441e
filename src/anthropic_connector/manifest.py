"""Read connector.yaml, check it and everything it names, and hand back frozen operation specs.

A broken manifest fails here, at load, with one ConfigurationError naming the file at fault;
nothing later has to wonder whether a schema or sample exists. Each schema is read once
(the one schema loader) and each validator compiled once, on first use.

The deep checks (every schema against the draft-07 meta-schema, every sample against its
schema) and the YAML parser cost a one-shot run about 20 ms and 6 MB, so a passed check is
remembered (manifest_cache.py) with a stamp: a SHA-256 of the exact bytes of every file
involved. Any change to any file means a new stamp, a fresh parse and a full check.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigurationError
from .manifest_cache import Remembered
from .validate import Validator, describe


def default_path() -> Path:
    """connector.yaml inside an installed wheel, else at the top of the source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "connector.yaml"
    return packaged if packaged.exists() else here.parents[1] / "connector.yaml"


@dataclass(frozen=True)
class Operation:
    """One operation as the manifest declares it, with its schemas loaded and checked."""

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    sample_input: Any
    sample_output: Any
    validator: Validator = field(repr=False, compare=False)
    output_validator: Validator = field(repr=False, compare=False)
    method: str | None = None
    path: str | None = None
    handler: str | None = None
    stream: str | None = None

    def summary(self) -> dict[str, str]:
        """What a host lists in its operation picker."""
        return {"name": self.name, "title": self.title, "description": self.description}


@dataclass(frozen=True)
class Manifest:
    """The connector as declared: identity, connection schema and operations by name."""

    name: str
    title: str
    version: str
    description: str
    connection_schema: dict[str, Any]
    operations: dict[str, Operation]
    path: Path
    connection_validator: Validator = field(repr=False, compare=False)

    def operation(self, name: str) -> Operation:
        """The operation called ``name``; a ConfigurationError lists the known ones otherwise."""
        try:
            return self.operations[name]
        except KeyError:
            known = ", ".join(self.operations)
            raise ConfigurationError(f"unknown operation {name!r} (known: {known})") from None


def _referenced(raw: Any) -> list[str] | None:
    """The files a manifest names, or None when it is too malformed to say (then: full check)."""
    try:
        names = [raw["connection"]["schema"]]
        for op in raw["operations"]:
            names += [op["input"], op["output"], op["samples"]["input"], op["samples"]["output"]]
    except (TypeError, KeyError):
        return None
    return sorted(set(names)) if all(isinstance(n, str) for n in names) else None


def _stamp(manifest_text: bytes, raw: Any, files: _Files) -> str | None:
    """A digest of the exact bytes of the manifest, its parsed content, its meta-schema and
    every file it names (an entry whose content was altered no longer matches); None when the
    manifest is too malformed to say which files it names."""
    names = _referenced(raw)
    if names is None:
        return None
    digest = hashlib.sha256(manifest_text)
    digest.update(json.dumps(raw, sort_keys=True).encode())
    digest.update(_Files(default_path().parent).raw("schemas/manifest.schema.json"))
    for name in names:
        digest.update(b"\0" + name.encode() + b"\0" + files.raw(name))
    return digest.hexdigest()


class _Files:
    """Reads the files a manifest names, relative to it; each read at most once."""

    def __init__(self, root: Path, check: bool = True) -> None:
        """``check``: hold each schema to the meta-schema as it is first read."""
        self.root = root
        self.check = check
        self._bytes: dict[str, bytes] = {}
        self._cache: dict[str, Any] = {}
        self._checked: set[str] = set()

    def raw(self, relative: str) -> bytes:
        if relative not in self._bytes:
            path = self.root / relative
            try:
                self._bytes[relative] = path.read_bytes()
            except OSError as exc:
                raise ConfigurationError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        return self._bytes[relative]

    def json(self, relative: str) -> Any:
        if relative not in self._cache:
            try:
                self._cache[relative] = json.loads(self.raw(relative))
            except ValueError as exc:
                raise ConfigurationError(f"{self.root / relative}: is not valid JSON ({exc})") from None
        return self._cache[relative]

    def schema(self, relative: str) -> dict[str, Any]:
        schema = self.json(relative)
        if self.check and relative not in self._checked:
            errors = [str(e.message) for e in Validator.meta_errors(schema)]
            if errors:
                raise ConfigurationError(f"{self.root / relative}: is not a valid JSON Schema: {errors[0]}")
            self._checked.add(relative)
        return schema


def _parse_yaml(path: Path, text: bytes) -> Any:
    import yaml  # only here, and only when the manifest is not in the cache

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: is not valid YAML ({exc})") from None


def load(path: str | Path | None = None) -> Manifest:
    """Load and check a manifest: its own schema, every schema it names, every sample."""
    from .operations import BUILDERS

    path = Path(path) if path is not None else default_path()
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the manifest ({exc.strerror or exc})") from None
    files = _Files(path.parent)
    remembered = Remembered(text)
    raw = remembered.raw
    stamp = None if raw is None else _stamp(text, raw, files)
    files.check = stamp is None or stamp != remembered.stamp
    if files.check:  # no entry, or one that does not match: parse and check everything
        raw = _parse_yaml(path, text)
        problems = Validator(_Files(default_path().parent).schema("schemas/manifest.schema.json")).errors(raw)
        if problems:
            raise ConfigurationError(f"{path}: {describe(problems)}", details=problems)
        stamp = _stamp(text, raw, files)

    operations: dict[str, Operation] = {}
    for entry in raw["operations"]:
        name = entry["name"]
        if name in operations:
            raise ConfigurationError(f"{path}: operation {name!r} is declared twice")
        handler = entry.get("handler")
        if handler is not None and handler not in BUILDERS:
            raise ConfigurationError(f"{path}: operation {name!r} names unknown handler {handler!r}")
        if handler is None and "request" not in entry:
            raise ConfigurationError(f"{path}: operation {name!r} needs a request (method, path) or a handler")
        op = Operation(
            name=name,
            title=entry["title"],
            description=entry["description"],
            input_schema=files.schema(entry["input"]),
            output_schema=files.schema(entry["output"]),
            sample_input=files.json(entry["samples"]["input"]),
            sample_output=files.json(entry["samples"]["output"]),
            method=entry.get("request", {}).get("method"),
            path=entry.get("request", {}).get("path"),
            handler=handler,
            stream=entry.get("stream"),
            validator=Validator(files.schema(entry["input"])),
            output_validator=Validator(files.schema(entry["output"])),
        )
        for kind, validator, sample in (("input", op.validator, op.sample_input), ("output", op.output_validator, op.sample_output)):
            bad = validator.errors(sample) if files.check else []
            if bad:
                where = files.root / entry["samples"][kind]
                raise ConfigurationError(f"{where}: does not match {entry[kind]}: {describe(bad)}", details=bad)
        operations[name] = op

    connection_schema = files.schema(raw["connection"]["schema"])
    if files.check and stamp is not None:
        remembered.save(raw, stamp)
    return Manifest(
        name=raw["name"],
        title=raw["title"],
        version=raw["version"],
        description=raw["description"],
        connection_schema=connection_schema,
        operations=operations,
        path=path,
        connection_validator=Validator(connection_schema),
    )
