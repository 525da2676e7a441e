"""The connector as its manifest declares it: plain, frozen records and nothing that acts.

A leaf of the package: manifest.py builds these, every later step reads them, and none of
them imports back up. ``RequestSpec`` says where each input field goes on the wire (Airbyte's
declarative requester is the model): the generic builder in operations/ reads only this.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Protocol

from .errors import ConfigurationError
from .forms import FormHints, OptionSource, ui_schema

if TYPE_CHECKING:
    from .validate import Validator

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# How an answer becomes the output (manifest `request.response`).
STREAM_FAMILIES = ("message", "completion")  # JSON, or these server-sent events when the input streams


@dataclass(frozen=True)
class FileSpec:
    """The file part of a multipart body, and the input fields that give it."""

    part: str  # the form part's name
    path: str  # a local path, streamed from disk
    base64: str  # or the content as base64
    filename: str
    media_type: str


@dataclass(frozen=True)
class RequestSpec:
    """Where an operation's input goes: method, path template, query, headers and body."""

    method: str
    path: str
    query: tuple[str, ...] = ()  # input fields sent as query parameters
    fixed_query: tuple[tuple[str, str], ...] = ()  # parameters every request carries
    headers: Mapping[str, str] = field(default_factory=dict)  # input field -> header name
    body: str = "json"  # json | multipart | none
    response: str = "json"  # json | jsonl | bytes | message | completion | ok
    file: FileSpec | None = None
    expect: str | None = None  # response ok: the schema file a 2xx answer must match

    @functools.cached_property
    def placeholders(self) -> tuple[str, ...]:
        """The input fields the path template names, in order."""
        return tuple(PLACEHOLDER.findall(self.path))

    @property
    def stream(self) -> str | None:
        """The SSE family assembled when the input streams, if the operation streams at all."""
        return self.response if self.response in STREAM_FAMILIES else None


class SchemaSource(Protocol):
    """Where an operation's schemas and samples come from (schema_files.SchemaFiles)."""

    def schema(self, relative: str) -> dict[str, Any]: ...

    def validator(self, relative: str) -> Validator: ...

    def json(self, relative: str) -> Any: ...


@dataclass(frozen=True)
class Annotations:
    """What running an operation does, as the manifest declares it: read by hosts that ask
    before a destructive step, and by agents as MCP's tool hints."""

    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool

    def as_dict(self) -> dict[str, bool]:
        return {"read_only": self.read_only, "destructive": self.destructive, "idempotent": self.idempotent, "open_world": self.open_world}


@dataclass(frozen=True)
class AuthScheme:
    """One way the connection's credential travels: ``field`` of the connection, sent in
    ``header`` (an api_key as it is, a bearer token as ``Bearer <token>``)."""

    type: str  # api_key | bearer
    field: str
    header: str


@dataclass(frozen=True)
class Operation:
    """One operation as the manifest declares it.

    Its schemas, samples and validators are read on first use: a one-shot run of one operation
    reads that operation's files, not the manifest's every file (create_message's schemas alone
    are 400 KB of JSON). A manifest that was just checked has read them all already. The
    validators read their schemas for themselves and keep only the compiled form: a run needs
    no more, and the schemas kept here are for hosts that ask for them.
    """

    name: str
    title: str
    description: str
    category: str
    annotations: Annotations
    files: SchemaSource = field(repr=False, compare=False)
    input_file: str
    output_file: str
    samples: Mapping[str, Any] = field(repr=False)  # {"input": file, "output": file, "examples": [{name, title, input}]}
    request: RequestSpec | None = None  # None: the input chooses method and URL (raw_http_request)
    handler: str | None = None
    form: FormHints = field(default_factory=FormHints, compare=False)
    options: Mapping[str, OptionSource] = field(default_factory=dict, compare=False)  # input field -> its choices
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # what a later step works out once per operation (rules.checks)

    @functools.cached_property
    def input_schema(self) -> dict[str, Any]:
        return self.files.schema(self.input_file)

    @functools.cached_property
    def output_schema(self) -> dict[str, Any]:
        return self.files.schema(self.output_file)

    @functools.cached_property
    def sample_input(self) -> Any:
        return self.files.json(self.samples["input"])

    @functools.cached_property
    def sample_output(self) -> Any:
        return self.files.json(self.samples["output"])

    @functools.cached_property
    def examples(self) -> list[dict[str, Any]]:
        """More sample inputs, one capability each, for forms and catalogues: [{name, title, input}]."""
        return [{"name": e["name"], "title": e["title"], "input": self.files.json(e["input"])} for e in self.samples.get("examples", ())]

    @functools.cached_property
    def validator(self) -> Validator:
        return self.files.validator(self.input_file)

    @functools.cached_property
    def output_validator(self) -> Validator:
        return self.files.validator(self.output_file)

    @functools.cached_property
    def expect_validator(self) -> Validator | None:
        """response ok: the schema a 2xx answer must match."""
        from .validate import Validator

        return Validator(self.files.schema(self.request.expect)) if self.request and self.request.expect else None

    @functools.cached_property
    def line_validator(self) -> Validator | None:
        """response jsonl: one line, the output schema's items with its definitions."""
        from .validate import Validator

        if not (self.request and self.request.response == "jsonl"):
            return None
        schema = self.output_schema
        return Validator({**schema.get("items", {}), "definitions": schema.get("definitions", {})})

    @property
    def stream(self) -> str | None:
        return self.request.stream if self.request else None

    @functools.cached_property
    def ui_schema(self) -> dict[str, Any]:
        """The form hints as react-jsonschema-form's uiSchema (forms.py)."""
        return ui_schema(self.form, self.input_schema, self.options)

    def summary(self) -> dict[str, Any]:
        """What a host lists in its operation picker: names, its group, what running it does,
        and the examples it can start from."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "annotations": self.annotations.as_dict(),
            "streams": self.stream is not None,
            "examples": [{"name": e["name"], "title": e["title"]} for e in self.samples.get("examples", ())],  # describe() has their inputs
        }

    def describe(self) -> dict[str, Any]:
        """Everything a host or an agent needs to present and fill in the operation."""
        return {
            **self.summary(),
            "input_schema": self.input_schema,
            "output_schema": self.output_schema,
            "samples": {"input": self.sample_input, "output": self.sample_output, "examples": self.examples},
            "ui_schema": self.ui_schema,
        }


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
    auth: tuple[AuthScheme, ...] = ()
    connection_form: FormHints = field(default_factory=FormHints, compare=False)

    @functools.cached_property
    def connection_ui_schema(self) -> dict[str, Any]:
        """The connection dialog's uiSchema: its secrets as password fields."""
        return ui_schema(self.connection_form, self.connection_schema, {})

    def describe(self) -> dict[str, Any]:
        """The whole connector for a host's catalogue: identity, the connection it asks for
        (schema and how the credential travels) and every operation, described."""
        return {
            "name": self.name,
            "title": self.title,
            "version": self.version,
            "description": self.description,
            "connection": {"schema": self.connection_schema, "auth": [vars(a) for a in self.auth], "ui_schema": self.connection_ui_schema},
            "operations": [op.describe() for op in self.operations.values()],
        }

    def operation(self, name: str) -> Operation:
        """The operation called ``name``; a ConfigurationError lists the known ones otherwise."""
        try:
            return self.operations[name]
        except KeyError:
            known = ", ".join(self.operations)
            raise ConfigurationError(f"unknown operation {name!r} (known: {known})") from None
