"""Structured values: the simplest JSON a schema accepts, for tool inputs and structured output.

One generator serves both places the API promises schema-shaped JSON: a `tool_use` block's
`input` (the tool's `input_schema`) and a reply's text under `output_config.format`
(`{"type": "json_schema", "schema": ...}`). It reads the keywords those schemas use — the ones
the SDK's `transform_schema()` keeps for `messages.parse()` (properties/required, enum, const,
anyOf from oneOf, $ref/$defs, string formats, arrays with minItems) and the plain JSON Schema a
hand-written tool carries (type lists with "null", allOf, numeric and length bounds) — so that
the value validates and the SDK's pydantic model parses it. A malformed schema (the API checks
them only loosely) gets a plausible value, never a crash.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from jsonschema import validators

FORMATS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "sandbox@example.com",
    "hostname": "example.com",
    "uri": "https://example.com/",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
"""A value for each string format structured outputs support (the SDK's `SupportedStringFormats`)."""

MAX_DEPTH = 32
MAX_ITEMS = 100
MAX_VALUES = 10_000
_HINTS = re.compile(r"\{([^{}]*)\}\s*$")
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems")


def example(schema: Any) -> Any:
    """The simplest value `schema` accepts: its const or default, the first enum value or
    example, else a value of its type with only the required properties and the fewest items.

    A nullable type or an `anyOf` with a null variant gets its other type, so the value shows the
    shape; null is chosen only where a `$ref` would expand itself again, which ends recursion.
    """
    return _Example(schema).value(schema, 0, frozenset(), 1)


class _Example:
    """One value's making: the root its `$ref`s resolve against, and how many values the output
    may still hold (`MAX_VALUES`), so that neither nested `minItems` nor `$ref`s that fan out can
    make a small schema ask for an enormous value."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.left = MAX_VALUES

    def value(self, schema: Any, depth: int, expanding: frozenset[str], weight: int) -> Any:
        """`weight`: how many times this value appears in the output (the items of arrays)."""
        self.left -= weight
        if not isinstance(schema, dict) or depth > MAX_DEPTH or self.left < 0:
            return {}
        schema = _with_hints(schema)
        for key in ("const", "default"):
            if key in schema:
                return schema[key]
        choices = [c for key in ("enum", "examples") if isinstance(schema.get(key), list) for c in schema[key]]
        if choices:
            return choices[0]
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self.value(_resolve(self.root, ref), depth + 1, expanding | {ref}, weight) if ref not in expanding else None
        go = lambda sub, times=1: self.value(sub, depth + 1, expanding, weight * times)  # noqa: E731
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return go(_variant(schema[key], expanding))
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            parts = [go(part) for part in schema["allOf"]]
            return {k: v for part in parts for k, v in part.items()} if all(isinstance(p, dict) for p in parts) else parts[0]
        kind = _kind(schema)
        if kind == "object":
            properties, required = schema.get("properties"), schema.get("required")
            properties = properties if isinstance(properties, dict) else {}
            names = [n for n in required if isinstance(n, str)] if isinstance(required, list) else []
            return {name: go(properties.get(name)) for name in names}
        if kind == "array":
            return self._items(schema, go)
        if kind == "string":
            return _string(schema)
        if kind in ("integer", "number"):
            return _number(schema, integer=kind == "integer")
        return {"boolean": False, "null": None}.get(kind, {})

    def _items(self, schema: dict[str, Any], go: Callable[..., Any]) -> list[Any]:
        """`prefixItems` one by one, then `items` repeated up to `minItems` (as many as fit)."""
        prefix = [go(item) for item in schema["prefixItems"]] if isinstance(schema.get("prefixItems"), list) else []
        count = schema.get("minItems", 0)
        count = count - len(prefix) if isinstance(count, int) and len(prefix) < count <= MAX_ITEMS else 0
        return prefix + [go(schema.get("items"), count)] * count if count else prefix


def conforms(value: Any, schema: Any) -> bool:
    """Whether `value` is valid for `schema` (its own `$schema` dialect, else 2020-12, as the API
    reads tool schemas). A schema the validator cannot read accepts nothing: a malformed one
    fails in many ways (a bad type name, an unresolvable $ref, a broken regex, a number where a
    dict belongs), and any of them only means "not this value"."""
    if not isinstance(schema, dict):
        return False
    try:
        cls = validators.validator_for(schema, default=validators.Draft202012Validator)
        return not any(cls(schema).iter_errors(value))
    except Exception:  # noqa: BLE001 - see above
        return False


def output_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema `output_config.format` asks the reply's text to follow, if any."""
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    return fmt["schema"] if isinstance(fmt, dict) and isinstance(fmt.get("schema"), dict) else None


def structured_text(schema: dict[str, Any], canned: str | None) -> str:
    """The reply's text under a json_schema format: the canned reply when it is JSON the schema
    accepts (a flow designed offline keeps its sample data), else the simplest instance."""
    if canned is not None:
        try:
            if conforms(json.loads(canned), schema):
                return canned
        except ValueError:
            pass
    return json.dumps(example(schema))


def problem(body: dict[str, Any]) -> str | None:
    """`output_config` as far as the reply reads it, in the API's words; the schema itself is
    checked only loosely, as the API does for a schema it can still follow."""
    config = body.get("output_config")
    if config is None:
        return None
    if not isinstance(config, dict):
        return "output_config: Input should be a valid dictionary"
    fmt = config.get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return "output_config.format.type: Input should be 'json_schema'"
    if not isinstance(fmt.get("schema"), dict):
        return "output_config.format.schema: Field required" if "schema" not in fmt else "output_config.format.schema: Input should be a valid dictionary"
    return None


# -- helpers ---------------------------------------------------------------------------------


def _with_hints(schema: dict[str, Any]) -> dict[str, Any]:
    """The SDK's `transform_schema()` moves the bounds structured outputs do not take into the
    description, as `{minimum: 1, maxLength: 5}`, "so that the model *might* follow them"; the
    sandbox does, since the pydantic model that parses the reply still enforces them."""
    found = _HINTS.search(schema["description"]) if isinstance(schema.get("description"), str) else None
    if not found:
        return schema
    hints: dict[str, Any] = {}
    for part in found.group(1).split(", "):
        key, _, value = part.partition(": ")
        if key in _BOUNDS and key not in schema:
            try:
                hints[key] = json.loads(value)
            except ValueError:
                continue
    return {**schema, **hints}


def _resolve(root: Any, ref: str) -> Any:
    """A local `$ref` ("#/$defs/Name", "#/definitions/Name", "#"); anything else is unknown."""
    if not ref.startswith("#"):
        return None
    target = root
    for token in filter(None, ref[1:].split("/")):
        token = token.replace("~1", "/").replace("~0", "~")
        target = target.get(token) if isinstance(target, dict) else None
    return target


def _variant(variants: list[Any], expanding: frozenset[str]) -> Any:
    """The first variant that is not null and does not recurse, else a null one."""
    usable = [v for v in variants if isinstance(v, dict) and v.get("$ref") not in expanding]
    concrete = [v for v in usable if v.get("type") != "null"]
    return (concrete or usable or [{"type": "null"}])[0]


def _kind(schema: dict[str, Any]) -> Any:
    """The JSON type to build: the first non-null one of a type list, else what the keywords imply."""
    kind = schema.get("type")
    if isinstance(kind, list):
        named = [k for k in kind if isinstance(k, str)]
        return next((k for k in named if k != "null"), named[0] if named else None)
    if kind is None:
        return "array" if "items" in schema or "prefixItems" in schema else "object"
    return kind


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    text = FORMATS.get(fmt, "sandbox") if isinstance(fmt, str) else "sandbox"
    shortest, longest = schema.get("minLength"), schema.get("maxLength")
    if isinstance(shortest, int) and 0 < shortest <= 10_000:
        text = text.ljust(shortest, "x")
    if isinstance(longest, int) and longest >= 0:
        text = text[:longest]
    return text


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    """The bound nearest zero that the schema allows, on its `multipleOf` grid."""
    bound = {k: v for k, v in schema.items() if k in _BOUNDS and isinstance(v, (int, float)) and not isinstance(v, bool)}
    step = 1 if integer else 0.5  # past an exclusive bound
    lows = [bound["minimum"]] if "minimum" in bound else []
    lows += [bound["exclusiveMinimum"] + step] if "exclusiveMinimum" in bound else []
    highs = [bound["maximum"]] if "maximum" in bound else []
    highs += [bound["exclusiveMaximum"] - step] if "exclusiveMaximum" in bound else []
    value = max(lows) if lows else min([*highs, 0])
    if bound.get("multipleOf", 0) > 0:
        value = math.ceil(value / bound["multipleOf"]) * bound["multipleOf"]
    return math.ceil(value) if integer else value
