"""Request and answer cases for create_message, made from its JSON Schemas: one instance of every
content block, tool, tool choice and thinking config, each with the betas its schema marks
(x-anthropic-beta). Shared by the parity suites (test_message_parity.py, test_streaming.py)."""

from __future__ import annotations

import copy
from typing import Any

from conftest import MANIFEST

INPUT = MANIFEST.operation("create_message").input_schema
OUTPUT = MANIFEST.operation("create_message").output_schema
MODEL = "claude-sonnet-4-6"
WRAPPER = "#/definitions/stringWrapper"  # the platform's {"string": ...} form, not the API's


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = root["definitions"][schema["$ref"].split("/")[-1]]
    return schema


def instance(schema: Any, root: dict[str, Any], betas: list[str], depth: int = 0, full: bool = True) -> Any:
    """A value ``schema`` accepts: every property down to ``depth`` 3 when ``full`` (only the
    required ones below), the first branch of a choice, the first value of an enum; each beta
    the schema marks on the way is added to ``betas``."""
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return "x"
    if "x-anthropic-beta" in schema and schema["x-anthropic-beta"] not in betas:
        betas.append(schema["x-anthropic-beta"])
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return next(v for v in schema["enum"] if v is not None)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            branches = [b for b in schema[key] if b.get("$ref") != WRAPPER and b.get("type") != "null"]
            branches.sort(key=lambda b: "x-anthropic-beta" in _resolve(b, root))  # a GA branch first, where there is one
            return instance(branches[0], root, betas, depth + 1, full)
    if "examples" in schema:
        return copy.deepcopy(schema["examples"][0])
    kind = schema.get("type", "object")
    kind = next(k for k in kind if k != "null") if isinstance(kind, list) else kind
    if kind == "object":
        properties = schema.get("properties", {})
        names = list(properties) if full and depth < 3 else [n for n in schema.get("required", []) if n in properties]
        return {name: instance(properties[name], root, betas, depth + 1, full) for name in names}
    if kind == "array":
        return [instance(schema.get("items", {}), root, betas, depth + 1, full)] * max(1, schema.get("minItems", 1))
    return {"string": "x" * max(1, schema.get("minLength", 1)), "integer": max(1, schema.get("minimum", 1)), "number": max(0.5, schema.get("minimum", 0.5)),
            "boolean": True, "null": None}.get(kind, "x")


def valid_instance(name: str, root: dict[str, Any], check: Any, wrap: Any) -> tuple[Any, list[str]]:
    """The fullest instance of definition ``name`` that ``check(wrap(value))`` accepts: every
    property, else only the required ones."""
    for full in (True, False):
        betas: list[str] = []
        value = instance({"$ref": f"#/definitions/{name}"}, root, betas, full=full)
        if not check(wrap(value)):
            return value, betas
    raise AssertionError(f"no valid instance of {name}: {check(wrap(instance({'$ref': f'#/definitions/{name}'}, root, [], full=False)))}")


def branch_names(schema: dict[str, Any]) -> list[str]:
    return [b["$ref"].split("/")[-1] for b in schema["oneOf"] if "$ref" in b and b["$ref"] != WRAPPER]


def block_names() -> list[str]:
    content = INPUT["definitions"]["userMessage"]["properties"]["content"]
    return branch_names(next(b for b in content["oneOf"] if b.get("type") == "array")["items"])


def tool_names() -> list[str]:
    return branch_names(INPUT["properties"]["tools"]["items"])


def response_block_names() -> list[str]:
    return branch_names(OUTPUT["properties"]["content"]["items"])
