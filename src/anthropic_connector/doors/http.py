"""The connector's errors in HTTP terms: the status each error class answers with, and the
envelope's schema. The service answers by this table and the OpenAPI document is written from
it, so that what is documented is what is sent.

The envelope is the CLI's (``ConnectorError.envelope()``); the status says who should act:
422 the caller's input, 401/403 credentials (the connection's, or the upstream's refusal of
them), 502 an upstream that failed or answered badly (its own status stays in the envelope),
504 an upstream too slow, 500 only for a fault of the service itself, which says nothing more.
"""

from __future__ import annotations

from typing import Any

from ..errors import APIError, ConnectorError

# error type -> (status, what the document says of it)
STATUSES: dict[str, tuple[int, str]] = {
    "validation_error": (422, "The input breaks its schema; nothing was sent. details: every violation."),
    "configuration_error": (403, "The service will not run this as configured: a file on the server or another origin that its policy does not allow (details name the field), or an unusable connection."),
    "api_error": (502, "The Anthropic API refused the request; its status and error body are in the envelope."),
    "unexpected_response": (502, "The upstream answered 2xx with something that is not the operation's output."),
    "response_too_large": (502, "The upstream's answer passed the connection's max_response_bytes."),
    "structured_output_error": (502, "The model's reply to output_config.format is not data of its schema (or a refusal); details say how."),
    "connection_error": (502, "The upstream could not be reached, or the answer was cut short."),
    "timeout_error": (504, "The upstream took longer than the connection's timeout."),
}
UNAUTHORIZED = 401  # no credential, or the caller lacks the service's token; also an upstream 401
NOT_FOUND = 404
TOO_LARGE = 413
INTERNAL = 500
PASSED_THROUGH = (401, 403)  # an upstream's refusal of the credential keeps its status

ENVELOPE_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "description": "What went wrong, as the command line prints it; never a traceback or a credential.",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message", "status", "request_id", "details"],
            "properties": {
                "type": {"type": "string", "enum": [*STATUSES, "not_found", "unauthorized", "request_too_large", "internal_error"]},
                "message": {"type": "string"},
                "status": {"type": ["integer", "null"], "description": "The upstream's HTTP status, when it answered."},
                "request_id": {"type": ["string", "null"], "description": "The upstream's request-id, for support."},
                "details": {"description": "Every violation ({path, message}), or the upstream's error body."},
            },
        }
    },
}


def status_of(exc: ConnectorError) -> int:
    """The HTTP status a door answers ``exc`` with."""
    if isinstance(exc, APIError) and exc.status in PASSED_THROUGH:
        return exc.status
    return STATUSES.get(exc.type, (INTERNAL, ""))[0]


def envelope(type_: str, message: str) -> dict[str, Any]:
    """An envelope for what the service itself refuses (no route, no token, too large a body)."""
    return {"error": {"type": type_, "message": message, "status": None, "request_id": None, "details": None}}
