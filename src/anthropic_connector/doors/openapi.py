"""The service's OpenAPI document, written from the manifest: what `GET /openapi.json` serves and
`anthropic-connector openapi [--version 3.1|3.0]` prints.

One path per operation (``/operations/<name>/run``, operationId the operation's name) with its
input schema as the request body, its output schema as the 200 answer, the samples as examples,
its category as the tag and its annotations under ``x-annotations``; another to validate
without running. A new operation in connector.yaml appears here with no code. 3.1 is the
default; 3.0 is for tools that read only 3.0 (Tray's CDK imports a connector from one), with
the schemas translated by dialects.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

from ..spec import Manifest, Operation
from . import http
from .dialects import COMPONENTS, Hoister

VERSIONS = {"3.1": "3.1.0", "3.0": "3.0.3"}
_ANNOTATIONS: dict[str, Any] = {"type": "object", "properties": {k: {"type": "boolean"} for k in ("read_only", "destructive", "idempotent", "open_world")}}
_SUMMARY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "title", "description", "category", "annotations", "streams", "examples"],
    "properties": {
        "name": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
        "category": {"type": "string"}, "annotations": _ANNOTATIONS, "streams": {"type": "boolean"},
        "examples": {"type": "array", "items": {"type": "object", "required": ["name", "title"], "properties": {"name": {"type": "string"}, "title": {"type": "string"}}}},
    },
}
_SHAPES: dict[str, Any] = {
    "Error": http.ENVELOPE_SCHEMA,
    "OperationSummary": _SUMMARY,
    "Operation": {
        **_SUMMARY,
        "required": [*_SUMMARY["required"], "input_schema", "output_schema", "samples", "ui_schema"],
        "properties": {
            **_SUMMARY["properties"], "input_schema": {"type": "object"}, "output_schema": {"type": "object"}, "samples": {"type": "object"},
            "ui_schema": {"type": "object", "description": "The manifest's form hints as a react-jsonschema-form uiSchema."},
        },
    },
    "Choices": {
        "type": "object",
        "required": ["field", "operation", "source", "options"],
        "properties": {
            "field": {"type": "string"}, "operation": {"type": "string"},
            "source": {"type": "string", "enum": ["api", "fallback"]}, "reason": {"type": "string", "description": "Why the fallback: the API could not be asked."},
            "options": {"type": "array", "items": {
                "type": "object", "required": ["value", "label", "status"],
                "properties": {"value": {"type": "string"}, "label": {"type": "string"}, "status": {"type": "string", "enum": ["active", "deprecated", "retiring"]}},
            }},
        },
    },
    "Valid": {"type": "object", "required": ["valid"], "properties": {"valid": {"type": "boolean", "const": True}}},
    "Health": {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean", "const": True}}},
    "WrittenFile": {
        "title": "Written to output_file",
        "type": "object",
        "required": ["path"],
        "properties": {"path": {"type": "string"}, "lines": {"type": "integer"}, "filename": {"type": "string"}, "media_type": {"type": "string"}, "size_bytes": {"type": "integer"}},
    },
}
_EVENT = {  # each server-sent event: its type as the event name, its JSON as the data
    "type": "object",
    "required": ["data"],
    "description": "With `accept: text/event-stream` or `\"stream\": true`: each event as it arrives; a failure after the first is an `error` event carrying the envelope.",
    "properties": {"event": {"type": "string"}, "data": {"type": "string", "description": "The event's JSON."}},
}
_FAILURES = {
    "Unauthorized": (http.UNAUTHORIZED, "No credential (send x-api-key, or start the service with one), the service's token missing or wrong, or the upstream refused the key."),
    "Forbidden": (403, http.STATUSES["configuration_error"][1] + " Also the upstream's 403."),
    "NotFound": (http.NOT_FOUND, "No such operation."),
    "TooLarge": (http.TOO_LARGE, "The request body is larger than the service takes."),
    "Invalid": http.STATUSES["validation_error"],
    "Upstream": (502, "The upstream failed: refused the request (api_error, with its status), answered badly (unexpected_response, response_too_large, structured_output_error) or could not be reached (connection_error)."),
    "Timeout": http.STATUSES["timeout_error"],
    "Internal": (http.INTERNAL, "A fault of the service itself; the envelope says nothing more."),
}


def _json(schema: Any, example: Any = None, more: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A JSON media type; the sample, and the manifest's named examples (Operation.examples)."""
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["examples"] = {"sample": {"value": example}, **{e["name"]: {"summary": e["title"], "value": e["input"]} for e in more or ()}}
    return {"application/json": content}


def _answers(ok: dict[str, Any], *failures: str) -> dict[str, Any]:
    return {"200": ok, **{str(_FAILURES[f][0]): {"$ref": f"#/components/responses/{f}"} for f in failures}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": COMPONENTS + name}


def _run(op: Operation, input_ref: str, output_ref: str) -> dict[str, Any]:
    ok_schema: dict[str, Any] = {"$ref": output_ref}
    parameters = []
    if op.request is not None and op.request.response in ("jsonl", "bytes"):
        parameters.append({
            "name": "output_file", "in": "query", "required": False, "schema": {"type": "string", "minLength": 1},
            "description": "Write the answer to this file on the server instead (only inside the directory the server allows).",
        })
        ok_schema = {"anyOf": [ok_schema, _ref("WrittenFile")]}
    content = _json(ok_schema, op.sample_output)
    if op.stream:
        content["text/event-stream"] = {"schema": _EVENT}
    run = {
        "operationId": op.name,
        "summary": op.title,
        "description": op.description,
        "tags": [op.category],
        "x-annotations": op.annotations.as_dict(),
        "requestBody": {"required": True, "content": _json({"$ref": input_ref}, op.sample_input, op.examples)},
        "responses": _answers({"description": "The operation's output.", "content": content}, "Unauthorized", "Forbidden", "TooLarge", "Invalid", "Upstream", "Timeout", "Internal"),
        "security": [{}, {"api_key": []}, {"bearer": []}],
    }
    return {"post": {**run, **({"parameters": parameters} if parameters else {})}}


def _validate(op: Operation, input_ref: str) -> dict[str, Any]:
    return {"post": {
        "operationId": f"validate_{op.name}",
        "summary": f"Validate: {op.title}",
        "description": "Check an input against the operation's schema; nothing is sent.",
        "tags": [op.category],
        "requestBody": {"required": True, "content": _json({"$ref": input_ref}, op.sample_input)},
        "responses": _answers({"description": "The input is valid.", "content": _json(_ref("Valid"))}, "TooLarge", "Invalid", "Internal"),
    }}


def _security(manifest: Manifest) -> dict[str, Any]:
    """The caller's ways in: the upstream key as the manifest says it travels, and a bearer
    token (the service's own when it has one, else passed through as the upstream's)."""
    schemes: dict[str, Any] = {"bearer": {"type": "http", "scheme": "bearer", "description": "The service's token when it was started with one; otherwise an Anthropic auth token, passed through."}}
    for scheme in manifest.auth:
        if scheme.type == "api_key":
            schemes["api_key"] = {"type": "apiKey", "in": "header", "name": scheme.header, "description": f"The Anthropic {scheme.field}, passed through to the API for this request only."}
    return schemes


def document(manifest: Manifest, version: str = "3.1") -> dict[str, Any]:
    """The OpenAPI document of the service for ``manifest``, in OpenAPI ``version`` (3.1 or 3.0)."""
    operations = list(manifest.operations.values())
    hoister = Hoister(version, {f"{op.name}.{kind}" for op in operations for kind in ("input", "output")})
    for name, shape in _SHAPES.items():
        hoister.add(name, shape)
    paths: dict[str, Any] = {
        "/healthz": {"get": {"operationId": "healthz", "summary": "Liveness", "responses": {"200": {"description": "Serving.", "content": _json(_ref("Health"))}}}},
        "/operations": {"get": {
            "operationId": "list_operations", "summary": "The operations, with category and annotations",
            "responses": {"200": {"description": "Every operation.", "content": _json({"type": "array", "items": _ref("OperationSummary")})}},
        }},
        "/operations/{operation}": {"get": {
            "operationId": "describe_operation", "summary": "One operation with its schemas and samples",
            "parameters": [{"name": "operation", "in": "path", "required": True, "schema": {"type": "string", "enum": [op.name for op in operations]}}],
            "responses": _answers({"description": "The operation.", "content": _json(_ref("Operation"))}, "NotFound"),
        }},
    }
    for op in operations:
        for field in op.options:
            paths[f"/operations/{op.name}/options/{field}"] = {"get": {
                "operationId": f"options_{op.name}_{field}", "summary": f"The choices for {op.title}'s {field}",
                "responses": _answers({"description": "From the API, or the manifest's fallback when it cannot be asked.", "content": _json(_ref("Choices"))}),
            }}
        input_ref = hoister.add(f"{op.name}.input", op.input_schema)
        output_ref = hoister.add(f"{op.name}.output", op.output_schema)
        paths[f"/operations/{op.name}/run"] = _run(op, input_ref, output_ref)
        paths[f"/operations/{op.name}/validate"] = _validate(op, input_ref)
    test = manifest.operation("test_connection")
    paths["/connection/test"] = {"post": {
        **{k: v for k, v in _run(test, COMPONENTS + "test_connection.input", COMPONENTS + "test_connection.output")["post"].items() if k != "requestBody"},
        "operationId": "test_connection_button",
        "summary": "The Test button: is the connection's key accepted?",
    }}
    paths["/openapi.json"] = {"get": {"operationId": "openapi", "summary": "This document", "responses": {"200": {"description": "The OpenAPI document.", "content": _json({"type": "object"})}}}}
    return {
        "openapi": VERSIONS[version],
        "info": {"title": f"{manifest.title} connector service", "version": manifest.version, "description": manifest.description},
        "tags": [{"name": category} for category in dict.fromkeys(op.category for op in operations)],
        "paths": paths,
        "components": {
            "schemas": hoister.components,
            "responses": {name: {"description": text, "content": _json(_ref("Error"))} for name, (_, text) in _FAILURES.items()},
            "securitySchemes": _security(manifest),
        },
    }


def main(argv: Sequence[str]) -> int:
    """`anthropic-connector openapi`: print the document."""
    from ..manifest import load

    parser = argparse.ArgumentParser(prog="anthropic-connector openapi", description="Print the service's OpenAPI document, generated from the manifest.")
    parser.add_argument("--version", choices=sorted(VERSIONS), default="3.1", help="OpenAPI version (default 3.1; 3.0 for tools that read only 3.0)")
    parser.add_argument("--manifest", help="a connector.yaml other than the packaged one")
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps(document(load(args.manifest), args.version), indent=2, ensure_ascii=False) + "\n")
    return 0
