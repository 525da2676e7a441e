"""create_message: the seed's platform form {"string": text} becomes the API's plain text."""

from __future__ import annotations

from typing import Any

from ..connection import Connection
from ..manifest import Operation
from . import Call, json_call


def _unwrap(value: Any) -> Any:
    return value["string"] if isinstance(value, dict) and set(value) == {"string"} else value


def create_message(op: Operation, payload: dict[str, Any], connection: Connection) -> Call:
    body = dict(payload)
    body["messages"] = [{**m, "content": _unwrap(m["content"])} for m in payload["messages"]]
    if "system" in body:
        body["system"] = _unwrap(body["system"])
    return json_call(op, body, connection)
