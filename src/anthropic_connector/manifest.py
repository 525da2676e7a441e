"""Read connector.yaml, check it and everything it names, and hand back frozen specs (spec.py).

A broken manifest fails here, at load, with one ConfigurationError naming the file at fault;
nothing later has to wonder whether a schema or sample exists, or whether a path placeholder
has an input field to fill it. Each schema is read when it is first needed (schema_files.py,
the one loader) and each validator compiled once, on first use.

The deep checks (every schema against the draft-07 meta-schema, every sample against its
schema) and the YAML parser cost a one-shot run about 20 ms and 6 MB, so a passed check is
remembered (manifest_cache.py) with a stamp: a SHA-256 of the exact bytes of every file
involved. Any change to any file means a new stamp, a fresh parse and a full check; a file
that changes after the load is refused when it is read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .errors import ConfigurationError
from .inputs import MAX_CONFIG_BYTES, read_bounded
from .manifest_cache import Remembered
from .schema_files import SchemaFiles
from .forms import FormHints, OptionSource
from .spec import Annotations, AuthScheme, FileSpec, Manifest, Operation, RequestSpec
from .validate import Validator, describe

_BODY_BY_METHOD = {"POST": "json", "PUT": "json", "PATCH": "json"}  # GET and DELETE: none


def default_path() -> Path:
    """connector.yaml inside an installed wheel, else at the top of the source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "connector.yaml"
    return packaged if packaged.exists() else here.parents[1] / "connector.yaml"


def _referenced(raw: Any) -> list[str] | None:
    """The files a manifest names, or None when it is too malformed to say (then: full check)."""
    try:
        names = [raw["connection"]["schema"]]
        for op in raw["operations"]:
            names += [op["input"], op["output"], op["samples"]["input"], op["samples"]["output"]]
            names += [example["input"] for example in op["samples"].get("examples", [])]
            if op.get("request", {}).get("expect"):
                names.append(op["request"]["expect"])
    except (TypeError, KeyError, AttributeError):
        return None
    return sorted(set(names)) if all(isinstance(n, str) for n in names) else None


def _stamp(manifest_text: bytes, raw: Any, files: SchemaFiles) -> str | None:
    """A digest of the exact bytes of the manifest, its parsed content, its meta-schema and
    every file it names (an entry whose content was altered no longer matches); None when the
    manifest is too malformed to say which files it names."""
    names = _referenced(raw)
    if names is None:
        return None
    digest = hashlib.sha256(manifest_text)
    digest.update(json.dumps(raw, sort_keys=True).encode())
    digest.update(SchemaFiles(default_path().parent).digest("schemas/manifest.schema.json"))
    for name in names:
        digest.update(b"\0" + name.encode() + b"\0" + files.digest(name))
    return digest.hexdigest()


def _parse_yaml(path: Path, text: bytes) -> Any:
    import yaml  # only here, and only when the manifest is not in the cache

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: is not valid YAML ({exc})") from None


def _request(entry: dict[str, Any]) -> RequestSpec | None:
    """The request spec as declared, its defaults filled in."""
    raw = entry.get("request")
    if raw is None:
        return None
    query = raw.get("query", [])
    return RequestSpec(
        method=raw["method"],
        path=raw["path"],
        query=tuple(q for q in query if isinstance(q, str)),
        fixed_query=tuple((k, _spell(v)) for q in query if isinstance(q, dict) for k, v in q.items()),
        headers=dict(raw.get("headers", {})),
        body=raw.get("body", _BODY_BY_METHOD.get(raw["method"], "none")),
        response=raw.get("response", "json"),
        file=FileSpec(**raw["file"]) if "file" in raw else None,
        expect=raw.get("expect"),
    )


def _form(raw: dict[str, Any] | None, shared: dict[str, Any]) -> FormHints:
    """An operation's form hints, with the manifest-wide ``form.advanced`` fields (workspace_id,
    betas: declared once for every operation; forms.py keeps those its input has)."""
    raw = raw or {}
    advanced = [*raw.get("advanced", []), *(f for f in shared.get("advanced", []) if f not in raw.get("advanced", []))]
    return FormHints(tuple(raw.get("order", [])), tuple(advanced), raw.get("fields", {}), raw.get("definitions", {}))


def _options(raw: dict[str, Any] | None) -> dict[str, OptionSource]:
    return {name: OptionSource(o["operation"], o.get("input", {}), o["value"], o["label"], tuple(o["fallback"])) for name, o in (raw or {}).items()}


def _form_problems(raw: dict[str, Any], options: dict[str, OptionSource], schema: dict[str, Any], known: set[str]) -> list[str]:
    """Hints that name nothing: a field the input lacks, a definition it does not use, an
    operation the manifest does not have."""
    from .forms import refs_to

    fields = set(schema.get("properties", {}))
    named = [*raw.get("order", []), *raw.get("advanced", []), *(path.split("/")[0] for path in raw.get("fields", {})), *options]
    problems = [f"form names input field {f!r}, which the input schema does not have" for f in named if f not in fields]
    problems += [f"form names definition {d!r}, which the input schema does not use" for d in sorted({k.split("/")[0] for k in raw.get("definitions", {})}) if not refs_to(schema, d)]
    problems += [f"options for {f!r} come from operation {o.operation!r}, which the manifest does not have" for f, o in options.items() if o.operation not in known]
    return problems


def _spell(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _request_problems(name: str, request: RequestSpec | None, handler: str | None, schema: dict[str, Any]) -> list[str]:
    """What makes a request spec unable to run: fields it names that the input lacks."""
    if request is None:
        return [] if handler else [f"operation {name!r} needs a request (method, path) or a handler"]
    fields = set(schema.get("properties", {}))
    required = set(schema.get("required", []))
    problems = [f"path placeholder {{{p}}} is not a required input field" for p in request.placeholders if p not in required]
    named = [*request.query, *request.headers]
    if request.file is not None:
        named += [request.file.path, request.file.base64, request.file.filename, request.file.media_type]
    problems += [f"names input field {f!r}, which the input schema does not have" for f in named if f not in fields]
    if request.body == "none":
        unplaced = sorted(fields - set(named) - set(request.placeholders))
        problems += [f"input field {f!r} has no place on the wire (the body is none)" for f in unplaced]
    if (request.body == "multipart") != (request.file is not None):
        problems.append("a multipart body needs a file part, and a file part needs a multipart body")
    if (request.response == "ok") != (request.expect is not None):
        problems.append("response ok needs expect (the schema of the answer), and expect needs response ok")
    return [f"operation {name!r}: {p}" for p in problems]


def _check_examples(op: Operation, path: Path, entry: dict[str, Any]) -> None:
    """Each extra sample input is valid, under a name of its own."""
    names = [example["name"] for example in op.examples]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"{path}: operation {op.name!r} has two examples of one name ({', '.join(names)})")
    for example, declared in zip(op.examples, entry["samples"].get("examples", [])):
        bad = op.validator.errors(example["input"])
        if bad:
            raise ConfigurationError(f"{path.parent / declared['input']}: does not match {entry['input']}: {describe(bad)}", details=bad)


def load(path: str | Path | None = None) -> Manifest:
    """Load and check a manifest: its own schema, every schema it names, every sample."""
    path = Path(path) if path is not None else default_path()
    text = read_bounded(path, MAX_CONFIG_BYTES, f"{path}: the manifest", ConfigurationError, "16 MiB for a manifest")
    remembered = Remembered(text, path)
    raw = remembered.raw
    files = SchemaFiles(path.parent, allowed=_referenced(raw) if raw is not None else None)
    stamp = None if raw is None else _stamp(text, raw, files)
    files.check = stamp is None or stamp != remembered.stamp
    if files.check:  # no entry, or one that does not match: parse and check everything
        raw = _parse_yaml(path, text)
        problems = Validator(SchemaFiles(default_path().parent).schema("schemas/manifest.schema.json")).errors(raw)
        if problems:
            raise ConfigurationError(f"{path}: {describe(problems)}", details=problems)
        files.allowed = set(_referenced(raw) or [])
        stamp = _stamp(text, raw, files)

    operations: dict[str, Operation] = {}
    for entry in raw["operations"]:
        name = entry["name"]
        if name in operations:
            raise ConfigurationError(f"{path}: operation {name!r} is declared twice")
        request = _request(entry)
        op = Operation(
            name=name,
            title=entry["title"],
            description=entry["description"],
            category=entry["category"],
            annotations=Annotations(**entry["annotations"]),
            files=files,
            input_file=entry["input"],
            output_file=entry["output"],
            samples=entry["samples"],
            request=request,
            handler=entry.get("handler"),
            form=_form(entry.get("form"), raw.get("form", {})),
            options=_options(entry.get("options")),
        )
        if files.check:  # a fresh check: read everything now, so that a broken file fails the load
            known = {e.get("name") for e in raw["operations"]}
            mistakes = _request_problems(name, request, entry.get("handler"), op.input_schema) + [f"operation {name!r}: {p}" for p in _form_problems(entry.get("form", {}), dict(op.options), op.input_schema, known)]
            if mistakes:
                raise ConfigurationError(f"{path}: {mistakes[0]}", details=mistakes)
            for kind, validator, sample in (("input", op.validator, op.sample_input), ("output", op.output_validator, op.sample_output)):
                bad = validator.errors(sample)
                if bad:
                    where = files.root / entry["samples"][kind]
                    raise ConfigurationError(f"{where}: does not match {entry[kind]}: {describe(bad)}", details=bad)
            _check_examples(op, path, entry)
            op.expect_validator  # noqa: B018 - the expected schema is read and checked too
        operations[name] = op

    connection_schema = files.schema(raw["connection"]["schema"])
    if files.check:
        fields = connection_schema.get("properties", {})
        strays = [a["field"] for a in raw["connection"]["auth"] if a["field"] not in fields]
        if strays:
            raise ConfigurationError(f"{path}: connection auth names field {strays[0]!r}, which {raw['connection']['schema']} does not have")
        mistakes = _form_problems(raw["connection"].get("form", {}), {}, connection_schema, set())
        if mistakes:
            raise ConfigurationError(f"{path}: the connection's {mistakes[0]}", details=mistakes)
    if files.check and stamp is not None:
        remembered.save(raw, stamp)
    files.stamp = stamp  # the manifest passed: what is worked out from its files may be kept
    return Manifest(
        name=raw["name"],
        title=raw["title"],
        version=raw["version"],
        description=raw["description"],
        connection_schema=connection_schema,
        operations=operations,
        path=path,
        connection_validator=Validator(connection_schema),
        auth=tuple(AuthScheme(**scheme) for scheme in raw["connection"]["auth"]),
        connection_form=_form(raw["connection"].get("form"), {}),
    )
