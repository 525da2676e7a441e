"""Structured outputs: a reply to ``output_config.format`` becomes data, not a string to parse.

The API constrains the model's text to the request's JSON schema; a workflow's next step
wants the object, and wants to trust it. So the message's text is read back as JSON, held to
the same schema with the connector's own validator, and added to the output as
``parsed_output`` (the official SDK's name, from ``messages.parse``). A reply that cannot be
that data (a refusal, text cut at max_tokens, JSON that breaks the schema) is a
StructuredOutputError, never a success that the next step would choke on.

Pure functions of the message and the schema: the reader of answers (output.py) calls them
once a message is whole, streamed or not.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

import jsonschema_rs

from .errors import StructuredOutputError
from .validate import Validator, describe

# A step of a tool loop, not the final answer: the model called a tool (or a server tool
# paused); there is nothing to parse yet, and nothing wrong.
NOT_FINAL = ("tool_use", "pause_turn")


def requested_schema(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a create_message input asks the reply to follow, if any."""
    config = payload.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema" and isinstance(fmt.get("schema"), dict):
        return fmt["schema"]
    return None


@functools.lru_cache(maxsize=64)
def _compiled(text: str) -> Validator:
    schema = json.loads(text)
    jsonschema_rs.Draft7Validator(schema)  # raises ValueError for a schema no validator can compile
    return Validator(schema)


def validator_for(schema: dict[str, Any]) -> Validator:
    """The connector's validator for a user's schema, compiled once per distinct schema (a bulk
    run sends one schema many times). A ValueError says the schema cannot be compiled."""
    return _compiled(json.dumps(schema, sort_keys=True))


def reply_text(message: dict[str, Any]) -> str:
    """The message's text blocks, joined: one block in practice; joined, a reply split around a
    citation still reads as one JSON text."""
    blocks = message.get("content")
    return "".join(b["text"] for b in blocks or () if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(message: dict[str, Any], validator: Validator) -> dict[str, Any]:
    """``message`` with ``parsed_output``: its text as JSON, valid against the requested schema.

    A tool call or a paused turn is returned unchanged (no parsed_output: not the final answer).
    Raises StructuredOutputError for a refusal, text that is not JSON, or JSON that breaks the
    schema; ``details`` says which, with the stop reason and the text.
    """
    stop = message.get("stop_reason")
    if stop in NOT_FINAL:
        return message
    text = reply_text(message)

    def failed(why: str, violations: list[dict[str, str]] | None = None) -> StructuredOutputError:
        details = {"stop_reason": stop, "text": text, "violations": violations or []}
        return StructuredOutputError(f"the reply is not the structured output asked for: {why}", details=details, output=message)

    if stop == "refusal":
        raise failed("the model refused (stop_reason refusal)")
    try:
        parsed = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        cut = " (cut short at max_tokens)" if stop == "max_tokens" else ""
        raise failed(f"its text is not JSON{cut}: {exc}") from None
    problems = validator.errors(parsed)
    if problems:
        raise failed(f"it breaks the schema: {describe(problems)}", problems)
    return {**message, "parsed_output": parsed}


def parser(schema: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``parse`` bound to ``schema``'s validator: what a Call applies to its assembled message."""
    return functools.partial(parse, validator=validator_for(schema))
