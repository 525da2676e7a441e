"""`anthropic-connector openapi`: the service's document, generated from the manifest, valid for
OpenAPI 3.1 and 3.0 by openapi-spec-validator, one path per operation with its schemas and
samples; the 3.0 schemas in 3.0's words."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from conftest import MANIFEST, OPERATIONS, by_operation
from openapi_spec_validator import validate
from test_manifest import _add_get_thing, copy_of_manifest  # noqa: F401 - a fixture, reused

from anthropic_connector.doors.openapi import document
from anthropic_connector.spec import Operation


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_the_cli_prints_a_document_the_validator_accepts(cli: Any, version: str) -> None:
    code, out, _ = cli("openapi", "--version", version)
    assert code == 0 and out["openapi"].startswith(version)
    validate(out)
    assert out == document(MANIFEST, version)


def test_31_is_the_default(cli: Any) -> None:
    assert cli("openapi").out["openapi"] == "3.1.0"


@pytest.mark.parametrize("version", ["3.1", "3.0"])
@by_operation()
def test_each_operation_has_its_path_schemas_and_samples(op: Operation, version: str) -> None:
    doc = document(MANIFEST, version)
    run = doc["paths"][f"/operations/{op.name}/run"]["post"]
    assert (run["operationId"], run["tags"], run["x-annotations"]) == (op.name, [op.category], op.annotations.as_dict())
    body = run["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": f"#/components/schemas/{op.name}.input"}
    assert body["examples"]["sample"]["value"] == op.sample_input
    assert {k: v for k, v in body["examples"].items() if k != "sample"} == {e["name"]: {"summary": e["title"], "value": e["input"]} for e in op.examples}
    ok = run["responses"]["200"]["content"]
    assert ok["application/json"]["examples"]["sample"]["value"] == op.sample_output
    assert ("text/event-stream" in ok) == bool(op.stream)
    assert doc["components"]["schemas"][f"{op.name}.input"]["title"] == op.input_schema["title"]
    assert "validate_" + op.name == doc["paths"][f"/operations/{op.name}/validate"]["post"]["operationId"]


def _schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object under ``node`` (property names are not keywords)."""
    if isinstance(node, list):
        for item in node:
            yield from _schemas(item)
    elif isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key in ("properties", "patternProperties"):
                for sub in value.values():
                    yield from _schemas(sub)
            elif key not in ("enum", "example", "examples", "default", "const"):
                yield from _schemas(value)


def test_the_30_schemas_speak_30() -> None:
    components = document(MANIFEST, "3.0")["components"]["schemas"]
    for schema in _schemas(list(components.values())):
        assert not {"const", "examples", "$schema", "definitions", "if", "dependencies", "propertyNames"} & set(schema), schema
        assert not isinstance(schema.get("type"), list) and schema.get("type") != "null"
        assert not isinstance(schema.get("exclusiveMinimum"), (int, float)) or isinstance(schema["exclusiveMinimum"], bool)
        assert "$ref" not in schema or len(schema) == 1
    completion = components["create_message.output"]["properties"]["stop_sequence"]
    assert completion.get("nullable") is True


def test_cross_file_definitions_point_at_the_operation_that_owns_them() -> None:
    doc = document(MANIFEST, "3.1")
    text = str(doc["components"]["schemas"]["count_tokens.input"])
    assert "#/components/schemas/create_message.input/properties/messages" in text
    assert "#/definitions" not in str(doc) and "count_tokens.input.create_message.input" not in doc["components"]["schemas"]


def test_a_new_operation_appears_with_no_code(copy_of_manifest: Any) -> None:
    from anthropic_connector.manifest import load

    _add_get_thing(copy_of_manifest.parent, {"method": "GET", "path": "/v1/things/{thing_id}", "query": ["limit"]})
    doc = document(load(copy_of_manifest), "3.0")
    validate(doc)
    assert doc["paths"]["/operations/get_thing/run"]["post"]["tags"] == ["Things"]
    assert len([p for p in doc["paths"] if p.endswith("/run")]) == len(OPERATIONS) + 1
