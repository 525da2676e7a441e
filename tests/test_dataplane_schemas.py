"""The data-plane operations' schemas and samples: draft-07, documented for forms, true to the SDK.

These operations are not in connector.yaml yet, so the manifest-driven tests do not see them:
this file checks their files directly. Cross-file references such as
``create_message.input.json#/properties/messages`` are resolved with a ``referencing.Registry``
holding every file of schemas/ under its bare name, which is what a relative reference from a
schema without ``$id`` resolves to.

The official SDK (``anthropic``) is the reference: input field names are its methods' keyword
parameters, output fields and required fields are its response models', and every sample
output must parse with its pydantic types.
"""

from __future__ import annotations

import base64
import copy
import inspect
import json
import re
import typing
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import pydantic
import pytest
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

import anthropic.resources.beta as beta_resources
import anthropic.resources.beta.messages as beta_messages
from anthropic.pagination import SyncPage, SyncPageCursor
from anthropic.resources import Files, Models
from anthropic.resources.messages import Batches, Messages
from anthropic.types import DeletedFile, FileMetadata, MessageTokensCount, ModelInfo, ModelParam
from anthropic.types.messages import (
    DeletedMessageBatch,
    MessageBatch,
    MessageBatchCanceledResult,
    MessageBatchErroredResult,
    MessageBatchExpiredResult,
    MessageBatchIndividualResponse,
    MessageBatchSucceededResult,
)

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
SAMPLES = REPO / "samples"

OPERATIONS = [
    "count_tokens",
    "list_models",
    "get_model",
    "create_message_batch",
    "get_message_batch",
    "cancel_message_batch",
    "delete_message_batch",
    "list_message_batches",
    "get_message_batch_results",
    "upload_file",
    "list_files",
    "get_file",
    "delete_file",
    "download_file",
    "test_connection",
]
FILES = [f"{op}.{kind}.json" for op in OPERATIONS for kind in ("input", "output")]
INPUTS = [f"{op}.input.json" for op in OPERATIONS]
OUTPUTS = [f"{op}.output.json" for op in OPERATIONS]


Resolver = Any  # a referencing resolver: the library keeps its class out of its public names


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


REGISTRY: Registry = Registry().with_resources(
    (path.name, Resource.from_contents(load(path), default_specification=DRAFT7)) for path in sorted(SCHEMAS.glob("*.json"))
)

# jsonschema checks date-time and uri only with optional packages this project does not
# install, so the two formats these schemas use are checked here.
FORMATS = FormatChecker(formats=())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or RFC3339.match(value) is not None


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def schema(name: str) -> dict[str, Any]:
    return REGISTRY.contents(name)  # type: ignore[return-value]


def validator(name: str) -> Draft7Validator:
    return Draft7Validator(schema(name), registry=REGISTRY, format_checker=FORMATS)


def violations(name: str, instance: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator(name).iter_errors(instance)]


def sample(op: str, kind: str) -> Any:
    return load(SAMPLES / f"{op}.{kind}.json")


def subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema of one file, with its JSON pointer; references are not followed."""
    if not isinstance(node, dict):
        return
    yield where, node
    for keyword in ("properties", "definitions", "patternProperties", "dependencies"):
        for key, sub in node.get(keyword, {}).items():
            yield from subschemas(sub, f"{where}/{keyword}/{key}")
    for keyword in ("items", "additionalProperties", "additionalItems", "contains", "propertyNames", "not", "if", "then", "else"):
        sub = node.get(keyword)
        if isinstance(sub, list):
            for i, item in enumerate(sub):
                yield from subschemas(item, f"{where}/{keyword}/{i}")
        else:
            yield from subschemas(sub, f"{where}/{keyword}")
    for keyword in ("oneOf", "anyOf", "allOf"):
        for i, sub in enumerate(node.get(keyword, [])):
            yield from subschemas(sub, f"{where}/{keyword}/{i}")


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(resolver: Resolver, node: dict[str, Any]) -> tuple[Resolver, dict[str, Any]]:
    """The schema a node stands for (the referenced one when it is a reference), with the resolver for its document."""
    while "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        resolver, node = resolved.resolver, resolved.contents
    return resolver, node


def resolver_for(name: str) -> Resolver:
    return REGISTRY.resolver(base_uri=name)


# -- schemas: draft-07, and what form generators need --------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_schema_is_draft_07_without_id(name: str) -> None:
    document = schema(name)
    Draft7Validator.check_schema(document)
    assert document["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert not [where for where, node in subschemas(document) if "$id" in node]


@pytest.mark.parametrize("name", FILES)
def test_every_reference_resolves_and_names_a_sibling_file_or_a_local_definition(name: str) -> None:
    found = list(refs(schema(name)))
    for target in found:
        assert re.fullmatch(r"#/definitions/\w+|[a-z_]+\.(input|output)\.json(#(/[\w-]+)+)?", target), target
        REGISTRY.resolver(base_uri=name).lookup(target)  # raises when it does not resolve


@pytest.mark.parametrize("name", FILES)
def test_every_property_at_every_depth_has_a_title_and_a_description(name: str) -> None:
    document = schema(name)
    missing = [] if document.get("title") and document.get("description") else ["#"]
    for where, node in subschemas(document):
        named = {**{f"properties/{k}": v for k, v in node.get("properties", {}).items()}, **{f"definitions/{k}": v for k, v in node.get("definitions", {}).items()}}
        if isinstance(node.get("items"), dict):
            named["items"] = node["items"]
        missing += [f"{where}/{key}" for key, sub in named.items() if not (sub.get("title") and sub.get("description"))]
    assert missing == []


@pytest.mark.parametrize("name", FILES)
def test_every_one_of_and_any_of_branch_has_a_title(name: str) -> None:
    untitled = [
        f"{where}/{keyword}/{i}"
        for where, node in subschemas(schema(name))
        for keyword in ("oneOf", "anyOf")
        for i, branch in enumerate(node.get(keyword, []))
        if not branch.get("title")
    ]
    assert untitled == []


@pytest.mark.parametrize("name", INPUTS)
def test_no_default_in_inputs(name: str) -> None:
    """A form generator fills a default in, and so changes what is sent: the API's default is described instead."""
    assert [where for where, node in subschemas(schema(name)) if "default" in node] == []


@pytest.mark.parametrize("name", INPUTS)
def test_inputs_are_closed_at_every_object_level(name: str) -> None:
    document = schema(name)
    assert document["type"] == "object" and document["additionalProperties"] is False and "required" in document
    open_objects = [
        where
        for where, node in subschemas(document)
        if ("properties" in node or node.get("type") == "object") and node.get("additionalProperties") is not False
    ]
    assert open_objects == []


@pytest.mark.parametrize("name", OUTPUTS)
def test_outputs_are_open(name: str) -> None:
    assert [where for where, node in subschemas(schema(name)) if node.get("additionalProperties") is False] == []


# -- samples ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPERATIONS)
def test_sample_input_is_valid(op: str) -> None:
    assert violations(f"{op}.input.json", sample(op, "input")) == []


@pytest.mark.parametrize("op", OPERATIONS)
def test_sample_output_is_valid(op: str) -> None:
    assert violations(f"{op}.output.json", sample(op, "output")) == []


def _results(lines: list[Any]) -> None:
    kinds = {"succeeded": MessageBatchSucceededResult, "errored": MessageBatchErroredResult, "canceled": MessageBatchCanceledResult, "expired": MessageBatchExpiredResult}
    for line in lines:
        parsed = MessageBatchIndividualResponse.model_validate(line)
        assert type(parsed.result) is kinds[line["result"]["type"]]


def _download(output: dict[str, Any]) -> None:
    content = base64.b64decode(output["content_base64"], validate=True)
    assert len(content) == output["size_bytes"]


SDK_PARSERS: dict[str, Callable[[Any], Any]] = {
    "count_tokens": MessageTokensCount.model_validate,
    "list_models": SyncPage[ModelInfo].model_validate,
    "get_model": ModelInfo.model_validate,
    "create_message_batch": MessageBatch.model_validate,
    "get_message_batch": MessageBatch.model_validate,
    "cancel_message_batch": MessageBatch.model_validate,
    "delete_message_batch": DeletedMessageBatch.model_validate,
    "list_message_batches": SyncPage[MessageBatch].model_validate,
    "get_message_batch_results": _results,
    "upload_file": FileMetadata.model_validate,
    "list_files": SyncPageCursor[FileMetadata].model_validate,
    "get_file": FileMetadata.model_validate,
    "delete_file": DeletedFile.model_validate,
    "download_file": _download,  # the connector's own shape: no SDK type reads it
    "test_connection": lambda output: None,
}


@pytest.mark.parametrize("op", OPERATIONS)
def test_sample_output_parses_with_the_sdk_types(op: str) -> None:
    SDK_PARSERS[op](sample(op, "output"))


def test_the_results_sample_covers_what_a_canceled_batch_returns_and_expired_parses_too() -> None:
    lines = sample("get_message_batch_results", "output")
    assert {line["result"]["type"] for line in lines} == {"succeeded", "errored", "canceled"}
    expired = [{"custom_id": "ticket-48216", "result": {"type": "expired"}}]
    assert violations("get_message_batch_results.output.json", expired) == []
    _results(expired)


def model_ids(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "model" and isinstance(value, str):
                yield value
            elif key == "type" and value == "model":
                yield node["id"]
            else:
                yield from model_ids(value)
    elif isinstance(node, list):
        for value in node:
            yield from model_ids(value)


def test_samples_name_only_current_models() -> None:
    current = set(typing.get_args(typing.get_args(ModelParam)[0]))
    used = {m for op in OPERATIONS for kind in ("input", "output") for m in model_ids(sample(op, kind))}
    assert used and used <= current, used - current


def test_the_download_sample_is_the_file_the_files_samples_list() -> None:
    listed = {f["id"]: f for f in sample("list_files", "output")["data"]}
    meta = listed[sample("download_file", "input")["file_id"]]
    output = sample("download_file", "output")
    assert meta["downloadable"] is True
    assert (output["filename"], output["media_type"], output["size_bytes"]) == (meta["filename"], meta["mime_type"], meta["size_bytes"])


# -- outputs hold the SDK's fields -----------------------------------------------------------------


def model_class(annotation: Any) -> type[pydantic.BaseModel] | None:
    """The pydantic model an annotation holds, through Optional[...]; None for scalars."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, pydantic.BaseModel):
            return candidate
    return None


def object_node(resolver: Resolver, node: dict[str, Any]) -> tuple[Resolver, dict[str, Any]]:
    """The object schema of a property: through references, allOf wrappers and a null alternative."""
    resolver, node = resolve(resolver, node)
    if "allOf" in node:
        return object_node(resolver, node["allOf"][0])
    if "anyOf" in node:
        return object_node(resolver, next(b for b in node["anyOf"] if b.get("type") != "null"))
    return resolver, node


def same_fields(resolver: Resolver, node: dict[str, Any], model: type[pydantic.BaseModel], where: str) -> list[str]:
    """Differences between an output schema node and an SDK model, nested models included."""
    resolver, node = object_node(resolver, node)
    fields = model.model_fields
    required = {k for k, f in fields.items() if f.is_required()}
    properties = node.get("properties", {})
    problems = []
    if set(properties) != set(fields):
        problems.append(f"{where}: properties {sorted(properties)} != {model.__name__} fields {sorted(fields)}")
    if set(node.get("required", [])) != required:  # what the SDK requires, nothing it may see absent
        problems.append(f"{where}: required {sorted(node.get('required', []))} != {model.__name__}'s {sorted(required)}")
    for key, field in fields.items():
        nested = model_class(field.annotation)
        if nested is not None and key in properties:
            problems += same_fields(resolver, properties[key], nested, f"{where}/{key}")
    return problems


OUTPUT_MODELS: dict[str, type[pydantic.BaseModel]] = {
    "count_tokens": MessageTokensCount,
    "get_model": ModelInfo,
    "create_message_batch": MessageBatch,
    "get_message_batch": MessageBatch,
    "cancel_message_batch": MessageBatch,
    "delete_message_batch": DeletedMessageBatch,
    "upload_file": FileMetadata,
    "get_file": FileMetadata,
    "delete_file": DeletedFile,
}


@pytest.mark.parametrize("op", sorted(OUTPUT_MODELS))
def test_output_fields_and_required_fields_are_the_sdk_models(op: str) -> None:
    name = f"{op}.output.json"
    assert same_fields(resolver_for(name), schema(name), OUTPUT_MODELS[op], "#") == []


@pytest.mark.parametrize(
    ("op", "page", "item"),
    [("list_models", SyncPage, ModelInfo), ("list_message_batches", SyncPage, MessageBatch), ("list_files", SyncPageCursor, FileMetadata)],
)
def test_list_envelopes_are_the_sdk_pages(op: str, page: type[pydantic.BaseModel], item: type[pydantic.BaseModel]) -> None:
    name = f"{op}.output.json"
    node = schema(name)
    assert set(node["properties"]) == set(page.model_fields)
    # the page classes type these Optional, but the API sends them on every page (the SDK's own
    # tests answer with all of them; next_page is "null" on a last page, per files.list's docstring)
    assert set(node["required"]) == set(page.model_fields)
    assert same_fields(resolver_for(name), node["properties"]["data"]["items"], item, "#/data/items") == []


def test_results_items_are_the_sdk_individual_responses() -> None:
    name = "get_message_batch_results.output.json"
    items = schema(name)["items"]
    fields = MessageBatchIndividualResponse.model_fields
    assert set(items["properties"]) == set(fields)
    assert set(items["required"]) == {k for k, f in fields.items() if f.is_required()}
    branches = {b["properties"]["type"]["const"]: b for b in items["properties"]["result"]["oneOf"]}
    kinds = {"succeeded": MessageBatchSucceededResult, "errored": MessageBatchErroredResult, "canceled": MessageBatchCanceledResult, "expired": MessageBatchExpiredResult}
    assert set(branches) == set(kinds)
    for kind, model in kinds.items():
        branch = branches[kind]
        if kind == "succeeded":  # the Message is create_message's own output schema
            assert branch["properties"]["message"]["$ref"] == "create_message.output.json"
            assert set(branch["properties"]) == set(model.model_fields) and set(branch["required"]) == {"type", "message"}
        else:
            assert same_fields(resolver_for(name), branch, model, f"#/result/{kind}") == []


# -- input field names are the SDK's parameters ----------------------------------------------------

SDK_METHODS: dict[str, Callable[..., Any] | None] = {
    "count_tokens": Messages.count_tokens,
    "list_models": Models.list,
    "get_model": Models.retrieve,
    "create_message_batch": Batches.create,
    "get_message_batch": Batches.retrieve,
    "cancel_message_batch": Batches.cancel,
    "delete_message_batch": Batches.delete,
    "list_message_batches": Batches.list,
    "get_message_batch_results": Batches.results,
    "upload_file": Files.upload,
    "list_files": Files.list,
    "get_file": Files.retrieve_metadata,
    "delete_file": Files.delete,
    "download_file": Files.download,
    "test_connection": None,  # the connector's own check: no SDK method, no fields
}
BETA_METHODS: dict[str, Callable[..., Any]] = {
    "count_tokens": beta_messages.Messages.count_tokens,
    "list_models": beta_resources.Models.list,
    "get_model": beta_resources.Models.retrieve,
    "create_message_batch": beta_messages.Batches.create,
    "get_message_batch": beta_messages.Batches.retrieve,
    "cancel_message_batch": beta_messages.Batches.cancel,
    "delete_message_batch": beta_messages.Batches.delete,
    "list_message_batches": beta_messages.Batches.list,
    "get_message_batch_results": beta_messages.Batches.results,
    "upload_file": beta_resources.Files.upload,
    "list_files": beta_resources.Files.list,
    "get_file": beta_resources.Files.retrieve_metadata,
    "delete_file": beta_resources.Files.delete,
    "download_file": beta_resources.Files.download,
}
NOT_PARAMETERS = {"self", "extra_headers", "extra_query", "extra_body", "timeout"}
# `betas` is the connector's on every operation: the GA methods above have no such parameter
# (their beta twins do, under that name). upload_file takes the file as a path or as base64
# where the SDK takes one `file` object. count_tokens' `output_format` is an SDK convenience (a
# Python type it turns into output_config.format), not something the API receives.
CONNECTOR_ONLY = {"upload_file": {"file_path", "file_base64", "filename", "media_type"}}
SDK_ONLY = {"upload_file": {"file"}, "count_tokens": {"output_format"}}


def sdk_parameters(method: Callable[..., Any]) -> set[str]:
    return set(inspect.signature(method).parameters) - NOT_PARAMETERS


@pytest.mark.parametrize("op", OPERATIONS)
def test_input_fields_are_the_sdk_methods_parameters(op: str) -> None:
    fields = set(schema(f"{op}.input.json")["properties"])
    method = SDK_METHODS[op]
    if method is None:
        assert fields == set()
        return
    assert "betas" not in sdk_parameters(method)
    assert fields - {"betas"} - CONNECTOR_ONLY.get(op, set()) == sdk_parameters(method) - SDK_ONLY.get(op, set())


@pytest.mark.parametrize("op", sorted(BETA_METHODS))
def test_betas_and_workspace_id_are_spelled_as_the_sdk_spells_them(op: str) -> None:
    fields = set(schema(f"{op}.input.json")["properties"])
    assert {"betas", "workspace_id"} <= fields
    assert {"betas", "workspace_id"} <= sdk_parameters(BETA_METHODS[op])


@pytest.mark.parametrize("op", OPERATIONS)
def test_required_inputs_are_the_sdk_methods_required_parameters(op: str) -> None:
    method = SDK_METHODS[op]
    if method is None:
        return
    required = {
        name
        for name, p in inspect.signature(method).parameters.items()
        if name not in NOT_PARAMETERS and p.default is inspect.Parameter.empty
    }
    declared = set(schema(f"{op}.input.json")["required"])
    if op == "upload_file":  # `file` is required: exactly one of its two forms, by the oneOf
        assert required == {"file"} and declared == set()
        assert [set(b["required"]) & {"file_path", "file_base64"} for b in schema("upload_file.input.json")["oneOf"]] == [{"file_path"}, {"file_base64"}]
    else:
        assert declared == required


# -- bad values are refused, good ones accepted ----------------------------------------------------

JSON_TYPES: list[tuple[str, Any]] = [("string", "text"), ("integer", 7), ("number", 2.5), ("boolean", True), ("null", None), ("array", []), ("object", {})]


def declared_types(node: dict[str, Any]) -> set[str]:
    if "type" in node:
        types = {node["type"]} if isinstance(node["type"], str) else set(node["type"])
        return types | ({"integer"} if "number" in types else set())
    alternatives = node.get("oneOf") or node.get("anyOf") or []
    if alternatives and all("type" in b or "$ref" in b for b in alternatives):
        return set().union(*(declared_types(b if "type" in b else {"type": "object"}) for b in alternatives))
    return {t for t, _ in JSON_TYPES}


def wrong_type_cases() -> Iterator[tuple[str, str, Any]]:
    for op in OPERATIONS:
        name = f"{op}.input.json"
        for field, node in schema(name)["properties"].items():
            allowed = declared_types(resolve(resolver_for(name), node)[1])
            bad = next(value for t, value in JSON_TYPES if t not in allowed)
            yield op, field, bad


LONG = "a" * 65
BAD_VALUES: list[tuple[str, str, Any]] = [
    # shared fields
    *[(op, "workspace_id", bad) for op in OPERATIONS if op != "test_connection" for bad in ("", "wrkspc 011", "wrkspc_01\r\nx-evil: 1")],
    *[(op, "betas", bad) for op in OPERATIONS if op != "test_connection" for bad in ("files-api-2025-04-14", [""], ["a,b"], ["has space"], ["x", "x"], [7])],
    *[(op, "limit", bad) for op in ("list_models", "list_message_batches", "list_files") for bad in (0, 1001, -5, 20.5, "20")],
    *[(op, field, "") for op in ("list_models", "list_message_batches") for field in ("after_id", "before_id")],
    *[(op, "user_profile_id", bad) for op in ("count_tokens", "create_message_batch") for bad in ("", "uprof 1")],
    ("get_model", "model_id", ""),
    *[(op, "message_batch_id", "") for op in ("get_message_batch", "cancel_message_batch", "delete_message_batch", "get_message_batch_results")],
    *[(op, "file_id", "") for op in ("get_file", "delete_file", "download_file")],
    # list_models
    ("list_models", "lifecycle", ["archived"]),
    ("list_models", "lifecycle", "active"),
    ("list_models", "lifecycle", ["active", "active"]),
    ("list_models", "lifecycle", ["active", "deprecated", "retired", "active"]),
    # count_tokens: create_message's fields, and its own
    ("count_tokens", "model", ""),
    ("count_tokens", "messages", []),
    ("count_tokens", "messages", [{"role": "robot", "content": "hi"}]),
    ("count_tokens", "messages", [{"role": "user"}]),
    ("count_tokens", "system", 42),
    ("count_tokens", "tools", [{"name": "has space", "input_schema": {"type": "object"}}]),
    ("count_tokens", "tool_choice", {"type": "sometimes"}),
    ("count_tokens", "thinking", {"type": "enabled", "budget_tokens": 100}),
    ("count_tokens", "output_config", "json"),
    ("count_tokens", "cache_control", {"type": "persistent"}),
    ("count_tokens", "cache_control", {"type": "ephemeral", "ttl": "2h"}),
    ("count_tokens", "cache_control", {"type": "ephemeral", "scope": "org"}),
    ("count_tokens", "speed", "turbo"),
    # create_message_batch
    ("create_message_batch", "requests", []),
    ("create_message_batch", "requests", [{"params": {"model": "claude-sonnet-5-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}}]),
    ("create_message_batch", "requests", [{"custom_id": "row-1"}]),
    ("create_message_batch", "requests", [{"custom_id": "", "params": {"model": "claude-sonnet-5-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}}]),
    ("create_message_batch", "requests", [{"custom_id": LONG, "params": {"model": "claude-sonnet-5-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}}]),
    ("create_message_batch", "requests", [{"custom_id": "row 1", "params": {"model": "claude-sonnet-5-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}}]),
    ("create_message_batch", "requests", [{"custom_id": "row#1", "params": {"model": "claude-sonnet-5-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}}]),
    ("create_message_batch", "requests", [{"custom_id": "row-1", "params": {"model": "claude-sonnet-5-5", "messages": [{"role": "user", "content": "hi"}]}}]),
    ("create_message_batch", "requests", [{"custom_id": "row-1", "params": {"model": "claude-sonnet-5-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}], "colour": "red"}}]),
    ("create_message_batch", "requests", [{"custom_id": "row-1", "method": "POST", "params": {"model": "claude-sonnet-5-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}}]),
    ("create_message_batch", "requests", [{"custom_id": "row-1", "params": "claude-sonnet-5-5"}]),
    # upload_file
    ("upload_file", "file_path", ""),
    ("upload_file", "file_base64", "not base64!"),
    ("upload_file", "file_base64", "abc"),
    ("upload_file", "filename", ""),
    ("upload_file", "media_type", "pdf"),
    ("upload_file", "media_type", "application/pdf; charset=\r\n"),
    ("upload_file", "expires_in_seconds", 3599),
    ("upload_file", "expires_in_seconds", 7776001),
    ("upload_file", "expires_in_seconds", "3600"),
    # list_files
    ("list_files", "page", ""),
    ("list_files", "page", "MjAyNi0xMS0xOQ"),
    ("list_files", "ids", [""]),
    ("list_files", "ids", ["file_011CNha8iCJcU1wXNR6q4V8w", "file_011CNha8iCJcU1wXNR6q4V8w"]),
    ("list_files", "ids", [f"file_{i:04d}" for i in range(101)]),
    ("list_files", "ids", "file_011CNha8iCJcU1wXNR6q4V8w"),
]

# Whole payloads that break a rule across fields (sample inputs are the starting point elsewhere).
BAD_PAYLOADS: list[tuple[str, str, Any]] = [
    ("upload_file", "neither file_path nor file_base64", {"expires_in_seconds": 3600}),
    ("upload_file", "both, with a filename", {"file_path": "/tmp/a.csv", "file_base64": "YQ==", "filename": "a.csv"}),
    ("upload_file", "both, without a filename", {"file_path": "/tmp/a.csv", "file_base64": "YQ=="}),
    ("upload_file", "file_base64 without a filename", {"file_base64": "YQ=="}),
    ("upload_file", "only a filename", {"filename": "a.csv"}),
    ("list_files", "ids with a page cursor", {"ids": ["file_011CNha8iCJcU1wXNR6q4V8w"], "page": "page_MjAyNi0xMS0xOQ"}),
    ("list_files", "ids with a page size", {"ids": ["file_011CNha8iCJcU1wXNR6q4V8w"], "limit": 20}),
    ("test_connection", "a model", {"model": "claude-sonnet-5-5"}),
    ("test_connection", "not an object", []),
    *[("count_tokens", f"create_message's {field}, which counting does not take", {**sample("count_tokens", "input"), field: value})
      for field, value in {"max_tokens": 1024, "stream": False, "temperature": 0.7, "top_p": 0.9, "top_k": 40, "stop_sequences": ["END"], "metadata": {"user_id": "u1"}, "service_tier": "auto"}.items()],
    *[(op, "no required field", {}) for op in OPERATIONS if schema(f"{op}.input.json")["required"]],
    *[(op, "an unknown field", {**sample(op, "input"), "unknown_field": 1}) for op in OPERATIONS],
]

GOOD_PAYLOADS: list[tuple[str, str, Any]] = [
    ("upload_file", "file content in base64 with its name", {"file_base64": "cmVnaW9uLHJldmVudWUKRU1FQSwxMjAwCg==", "filename": "sales.csv", "media_type": "text/csv"}),
    ("upload_file", "an empty file", {"file_base64": "", "filename": "empty.txt"}),
    ("upload_file", "a path, renamed, with every option", {"file_path": "report.pdf", "filename": "q3.pdf", "media_type": "application/pdf", "expires_in_seconds": 3600, "workspace_id": "wrkspc_011CZkZaBF1tNoB5wlCeusgy", "betas": ["files-api-2025-04-14"]}),
    ("upload_file", "the longest expiry", {"file_path": "/data/a.bin", "expires_in_seconds": 7776000}),
    ("list_files", "a lookup by IDs", {"ids": [f"file_{i:04d}" for i in range(100)]}),
    ("list_files", "the next page", {"page": "page_MjAyNi0xMS0xOQ", "limit": 1000}),
    ("list_files", "nothing", {}),
    ("list_models", "every lifecycle stage", {"lifecycle": ["active", "deprecated", "retired"], "limit": 1}),
    ("list_models", "nothing", {}),
    ("list_message_batches", "the previous page", {"before_id": "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF", "limit": 1}),
    ("count_tokens", "cache control, speed and a thinking budget", {**sample("count_tokens", "input"), "cache_control": {"type": "ephemeral", "ttl": "1h"}, "speed": "fast", "thinking": {"type": "enabled", "budget_tokens": 2048}}),
    ("count_tokens", "a user profile, a workspace and betas", {**sample("count_tokens", "input"), "user_profile_id": "uprof_011CZkZCu8hGbp5mYRQgUmz9", "workspace_id": "wrkspc_011CZkZaBF1tNoB5wlCeusgy", "betas": ["token-efficient-tools-2025-02-19"]}),
    ("create_message_batch", "a 64-character custom_id", {"requests": [{"custom_id": "a" * 64, "params": {"model": "claude-haiku-5-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}}]}),
    ("test_connection", "nothing", {}),
]


def cases(rows: list[tuple[str, str, Any]]) -> list[Any]:
    return [pytest.param(op, what, value, id=f"{op}-{what}-{json.dumps(value)[:40]}") for op, what, value in rows]


# The bad value replaces a good one in a valid payload: the sample input, except where the sample
# would make the field a mistake whatever its value (both ways of giving the file; ids with a page size).
BASES: dict[tuple[str, str], dict[str, Any]] = {
    ("upload_file", "file_base64"): {"file_base64": "YQ==", "filename": "a.txt"},
    ("list_files", "ids"): {"ids": ["file_011CNha8iCJcU1wXNR6q4V8w"]},
}


@pytest.mark.parametrize(("op", "field", "value"), cases([*wrong_type_cases(), *BAD_VALUES]))
def test_a_bad_value_of_each_input_field_is_refused(op: str, field: str, value: Any) -> None:
    base = BASES.get((op, field), sample(op, "input"))
    assert violations(f"{op}.input.json", base) == []
    payload = {**copy.deepcopy(base), field: value}
    assert violations(f"{op}.input.json", payload), payload


@pytest.mark.parametrize(("op", "what", "payload"), cases(BAD_PAYLOADS))
def test_a_bad_input_is_refused(op: str, what: str, payload: Any) -> None:
    assert violations(f"{op}.input.json", payload), what


@pytest.mark.parametrize(("op", "what", "payload"), cases(GOOD_PAYLOADS))
def test_a_good_input_is_accepted(op: str, what: str, payload: Any) -> None:
    assert violations(f"{op}.input.json", payload) == [], what


def test_every_input_field_has_bad_values_beyond_a_wrong_type() -> None:
    """Each field's own constraints (bounds, lengths, patterns, enums) are tried, not just its type."""
    covered = {(op, field) for op, field, _ in BAD_VALUES}
    fields = {(op, field) for op in OPERATIONS for field in schema(f"{op}.input.json")["properties"]}
    assert fields - covered == set()


@pytest.mark.parametrize("op", [op for op in OPERATIONS if schema(f"{op}.input.json")["required"]])
def test_each_required_field_is_required(op: str) -> None:
    for field in schema(f"{op}.input.json")["required"]:
        payload = copy.deepcopy(sample(op, "input"))
        del payload[field]
        assert violations(f"{op}.input.json", payload), field


def test_base64_examples_decode() -> None:
    for node in (schema("upload_file.input.json")["properties"]["file_base64"], schema("download_file.output.json")["properties"]["content_base64"]):
        for example in node["examples"]:
            base64.b64decode(example, validate=True)
