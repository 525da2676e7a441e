"""Turn a validated input into the HTTP request an operation sends.

By default the input is the JSON body sent to the manifest's method and path. An operation
whose body needs shaping names a ``handler`` in the manifest; BUILDERS maps that name to its
builder. The manifest refuses unknown handler names at load.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import httpx2

from .. import __version__
from ..connection import Connection
from ..errors import ValidationError
from ..manifest import Operation
from ..validate import describe, non_finite_paths

USER_AGENT = f"anthropic-connector/{__version__} (httpx2)"

# A non-streaming answer could outlive the API's 10-minute limit when 60 min × max_tokens /
# 128,000 > 10 min (the official SDK's rule). The SDK refuses such a request; the connector
# streams it instead and still returns one assembled object.
NONSTREAMING_LIMIT_SECONDS = 10 * 60
EXPECTED_SECONDS_PER_TOKEN = 60 * 60 / 128_000


@dataclass(frozen=True)
class Call:
    """A request ready to send, and how its answer becomes the output."""

    request: httpx2.Request
    stream: str | None = None  # 'message' / 'completion': assemble this SSE family
    raw: bool = False  # output {status, headers, body} for every status
    max_retries: int = 0


def _needs_streaming(payload: dict[str, Any]) -> bool:
    tokens = payload.get("max_tokens", payload.get("max_tokens_to_sample", 0))
    return tokens * EXPECTED_SECONDS_PER_TOKEN > NONSTREAMING_LIMIT_SECONDS


def json_call(op: Operation, payload: dict[str, Any], connection: Connection) -> Call:
    """The default: POST the input as JSON; stream when asked to or when the answer could be long."""
    stream = None
    if op.stream and (payload.get("stream") or _needs_streaming(payload)):
        payload = {**payload, "stream": True}
        stream = op.stream
    return Call(httpx2.Request(op.method or "POST", connection.base_url + (op.path or ""), json=payload), stream=stream)


def _builders() -> dict[str, Callable[[Operation, dict[str, Any], Connection], Call]]:
    from .create_message import create_message
    from .raw_http_request import raw_http_request

    return {"create_message": create_message, "raw_http_request": raw_http_request}


BUILDERS = _builders()


def build(op: Operation, payload: dict[str, Any], connection: Connection) -> Call:
    """The Call for ``op`` given a payload that already passed the input schema.

    The connection's timeout and max_retries travel with the call, so a per-run override
    needs no client of its own.
    """
    try:
        call = BUILDERS[op.handler](op, payload, connection) if op.handler else json_call(op, payload, connection)
    except ValueError as exc:  # NaN or Infinity (valid Python, not JSON), a header httpx2 cannot encode
        details = [{"path": path, "message": "is not a finite number (JSON has no NaN or Infinity)"} for path in non_finite_paths(payload)]
        details = details or [{"path": "", "message": f"cannot be sent: {exc}"}]
        raise ValidationError(f"the input cannot be sent: {describe(details)}", details=details) from None
    call.request.headers.setdefault("user-agent", USER_AGENT)
    timeout = httpx2.Timeout(connection.timeout, connect=min(5.0, connection.timeout))
    call.request.extensions["timeout"] = timeout.as_dict()
    return replace(call, max_retries=connection.max_retries)
