"""create_message, count_tokens and a batch's params: the seed's platform form
{"string": text} becomes the API's plain text, and a create_message that asks for structured
output (output_config.format) has its reply parsed and checked (structured.py).

Builders of their own because the request spec says where fields go, not how a value is
rewritten or what a reply must be; everything else is the generic builder's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .. import structured
from ..call import Call, Reshape
from ..connection import Connection
from ..conversation import unwrap
from ..spec import Operation
from . import invalid, request_call


def _unwrapped(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with each {"string": text} as its text; the payload itself when it holds
    none (nearly always: the schema takes an object there for nothing else)."""
    messages = payload["messages"]
    if not isinstance(payload.get("system"), dict) and not any(isinstance(m.get("content"), dict) for m in messages):
        return payload
    body = dict(payload)
    body["messages"] = [{**m, "content": unwrap(m["content"])} if "content" in m else m for m in messages]
    if "system" in body:
        body["system"] = unwrap(body["system"])
    return body


def create_message(op: Operation, payload: dict[str, Any], connection: Connection) -> Call:
    """Also count_tokens' builder: its input is create_message's, less what it does not take
    (and its answer is a count, which has nothing to parse)."""
    call = request_call(op, _unwrapped(payload), connection)
    schema = structured.requested_schema(payload)
    if schema is None or call.response != "message":
        return call
    try:
        parse = structured.parser(schema)
    except ValueError as exc:  # the API would refuse it too: say so before paying for the call
        raise invalid("/output_config/format/schema", f"is not a JSON Schema that can be checked: {str(exc).splitlines()[0]}") from None
    return replace(call, reshape=Reshape(parse))


def create_message_batch(op: Operation, payload: dict[str, Any], connection: Connection) -> Call:
    """Each request's params are a create_message input: unwrapped the same way."""
    requests = [{**r, "params": _unwrapped(r["params"])} for r in payload["requests"]]
    return request_call(op, {**payload, "requests": requests}, connection)
