"""``run(..., output_model=Model)``: a pydantic model (or any type pydantic's TypeAdapter takes)
as the reply's schema, and a validated instance of it back, as the official SDK's
``messages.parse(output_format=Model)`` does.

The request carries the model's JSON schema made strict the SDK's way (``transform_schema``
below, a port of anthropic/lib/_parse/_transform.py, so that both send the same body); the
reply's ``parsed_output`` (structured.py, checked against that same schema) is then validated
by the model itself, which may hold more than a schema can say (validators, strict types).

Only this path imports pydantic: a host that passes a model has it already, and a one-shot
run never comes here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from .errors import ConfigurationError, StructuredOutputError, ValidationError
from .output import Result
from .validate import pointer

# The string formats the API's structured outputs take; another is kept as a hint in the description.
STRING_FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"}


def _primitive(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def transform_schema(json_schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema in the form the API's structured outputs take, as the SDK makes it: objects
    closed (additionalProperties false), oneOf as anyOf, only the supported keywords kept, and
    every other constraint appended to the description so that the model may still follow it."""
    strict: dict[str, Any] = {}
    rest = dict(json_schema)
    defs = rest.pop("$defs", None)
    if defs is not None:  # before the $ref return: a root {"$ref", "$defs"} (a RootModel) keeps them
        strict["$defs"] = {name: transform_schema(schema) for name, schema in defs.items()}
    ref = rest.pop("$ref", None)
    if ref is not None:
        strict["$ref"] = ref
        if "description" in rest:
            strict["description"] = rest["description"]
        return strict
    kind = rest.pop("type", None)
    any_of, one_of, all_of = rest.pop("anyOf", None), rest.pop("oneOf", None), rest.pop("allOf", None)
    enum = rest.get("enum")
    if isinstance(enum, list) and enum and all(_primitive(v) for v in enum):
        strict["enum"] = list(rest.pop("enum"))
    if "const" in rest and _primitive(rest["const"]):
        strict["const"] = rest.pop("const")
    literal = "enum" in strict or "const" in strict
    if literal:
        kind = None
    if isinstance(any_of, list) or isinstance(one_of, list):
        strict["anyOf"] = [transform_schema(v) for v in (any_of if isinstance(any_of, list) else one_of)]
    elif isinstance(all_of, list):
        strict["allOf"] = [transform_schema(v) for v in all_of]
    elif not literal:
        if kind is None:
            raise ValueError("a schema needs a type, anyOf, oneOf or allOf, or a const or enum of plain values")
        strict["type"] = kind
    for key in ("description", "title"):
        if key in rest:
            strict[key] = rest.pop(key)
    if kind == "object":
        strict["properties"] = {k: transform_schema(v) for k, v in rest.pop("properties", {}).items()}
        rest.pop("additionalProperties", None)
        strict["additionalProperties"] = False
        if "required" in rest:
            strict["required"] = list(rest.pop("required"))
    elif kind == "string":
        fmt = rest.pop("format", None)
        if fmt in STRING_FORMATS:
            strict["format"] = fmt
        elif fmt:
            rest["format"] = fmt
    elif kind == "array":
        if rest.get("items") is not None:
            strict["items"] = transform_schema(rest.pop("items"))
        rest.pop("items", None)
        if "minItems" in rest:
            least = rest.pop("minItems")
            if least in (0, 1):
                strict["minItems"] = least
            else:
                rest["minItems"] = least  # last in the description, where the SDK puts it
    if rest:  # what the API does not take, said in words (the SDK's own spelling: str() of each value)
        said = "{" + ", ".join(f"{k}: {v}" for k, v in rest.items()) + "}"
        strict["description"] = f"{strict['description']}\n\n{said}" if "description" in strict else said
    return strict


class OutputModel:
    """One run's output model: what the request asks for, and what the reply becomes."""

    def __init__(self, model: Any) -> None:
        import pydantic

        self._invalid = pydantic.ValidationError
        try:
            self.adapter: Any = pydantic.TypeAdapter(model)
            schema = transform_schema(self.adapter.json_schema())
        except (pydantic.errors.PydanticSchemaGenerationError, pydantic.errors.PydanticUserError, ValueError, TypeError) as exc:
            raise ConfigurationError(f"output_model {model!r} cannot be a reply's JSON schema: {exc}") from None
        self.format = {"type": "json_schema", "schema": schema}

    def ask(self, payload: Any) -> Any:
        """The input asking for the model's schema; a format of its own as well is refused."""
        if not isinstance(payload, dict):
            return payload  # the input schema says what is wrong with it
        config = payload.get("output_config")
        config = config if isinstance(config, dict) else {}
        if "format" in config:
            message = "is given, and so is output_model: give one of them"
            raise ValidationError(f"the input is invalid: /output_config/format {message}", details=[{"path": "/output_config/format", "message": message}])
        return {**payload, "output_config": {**config, "format": self.format}}

    def read(self, result: Result) -> Result:
        """``result`` with ``parsed``, the model's instance (None when the reply is a tool call,
        which has no parsed_output); a StructuredOutputError when the model refuses the data."""
        output = result.output
        if not isinstance(output, dict) or "parsed_output" not in output:
            return result
        try:
            value = self.adapter.validate_json(json.dumps(output["parsed_output"]))
        except self._invalid as exc:
            violations = [{"path": pointer(e["loc"]), "message": e["msg"]} for e in exc.errors()]
            first = violations[0] if violations else {"path": "", "message": str(exc)}
            raise StructuredOutputError(
                f"the reply is not the structured output asked for: the output model refuses it: {first['path'] or '(root)'} {first['message']}",
                status=result.status, request_id=result.request_id, output=output,
                details={"stop_reason": output.get("stop_reason"), "text": json.dumps(output["parsed_output"]), "violations": violations},
            ) from None
        return replace(result, parsed=value)
