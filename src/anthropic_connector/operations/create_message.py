"""create_message: the seed's platform form {"string": text} becomes the API's plain text.

A builder of its own because the request spec says where fields go, not how a value is
rewritten; everything else is the generic builder's.
"""

from __future__ import annotations

from typing import Any

from ..call import Call
from ..connection import Connection
from ..spec import Operation
from . import request_call


def _unwrap(value: Any) -> Any:
    return value["string"] if isinstance(value, dict) and set(value) == {"string"} else value


def create_message(op: Operation, payload: dict[str, Any], connection: Connection) -> Call:
    body = dict(payload)
    body["messages"] = [{**m, "content": _unwrap(m["content"])} for m in payload["messages"]]
    if "system" in body:
        body["system"] = _unwrap(body["system"])
    return request_call(op, body, connection)
