"""One request as a route handler sees it, and the replies handlers build from it.

A handler refuses by raising `ApiError`; `Sandbox.respond` turns it into the API's error body,
so each handler's happy path reads straight through and an error found deep inside (a batch's
request params, a file id in a content block) needs no plumbing back up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .faults import ERROR_TYPES
from .replies import sse
from .stream import Reply

REQUESTS_PER_MINUTE = 4000
TOKENS_PER_MINUTE = 400_000


class ApiError(Exception):
    """A refusal in the API's terms: the status, the message, and the `details.error_code` that
    the SDK maps to its specific error classes (e.g. 400 `storage_quota_exceeded`)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def body(self, request_id: str) -> dict[str, Any]:
        """The API's error body, `{"type": "error", "error": {...}, "request_id"}`."""
        error: dict[str, Any] = {"type": ERROR_TYPES.get(self.status, "api_error"), "message": self.message}
        if self.code:
            error["details"] = {"error_code": self.code}
        return {"type": "error", "error": error, "request_id": request_id}


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, f"{what}: {ident}")


@dataclass(frozen=True)
class Route:
    """`pattern` is a path whose `{name}` segments are passed to `handler` after the call."""

    method: str
    pattern: str
    handler: Callable[..., Reply]
    max_body: int | None = None  # None: SandboxOptions.max_body_bytes, the Messages API's limit


@dataclass(frozen=True)
class Call:
    """The parts of a request the handlers read; `now` is the sandbox clock when it arrived."""

    rid: str
    number: int
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    now: float

    @property
    def version(self) -> str:
        return self.headers.get("anthropic-version", "")

    @property
    def beta(self) -> bool:
        """A call on the beta namespace, whose types may carry extra fields: SDKs before 2.3 add
        `?beta=true` to every `client.beta.*` call; later ones send the `anthropic-beta` header
        when betas are named (their beta types parse the GA shapes too: the extra fields are optional)."""
        return "true" in self.query.get("beta", []) or "anthropic-beta" in self.headers

    @property
    def origin(self) -> str:
        """Where the client reached the sandbox, for absolute URLs such as a batch's `results_url`."""
        return f"http://{self.headers['host']}" if self.headers.get("host") else ""

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def args(self, name: str) -> list[str]:
        """A list parameter: the SDK sends `name[]=a&name[]=b`; `name=a,b` is accepted too."""
        return [v for raw in self.query.get(name, []) + self.query.get(f"{name}[]", []) for v in raw.split(",") if v]

    def json(self) -> dict[str, Any]:
        """The body as a JSON object, or the API's 400."""
        try:
            data = json.loads(self.body or b"null")
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
            raise ApiError(400, f"Request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return data


def stamp(seconds: float) -> str:
    """RFC 3339 in UTC with microseconds, as the API writes `created_at` and friends."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def headers(call: Call, content_type: str) -> list[tuple[str, str]]:
    """Content type, `request-id` and the rate-limit headers every answer carries."""
    reset = datetime.fromtimestamp(call.now + 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = [("content-type", content_type), ("request-id", call.rid)]
    found += [
        ("anthropic-ratelimit-requests-limit", str(REQUESTS_PER_MINUTE)),
        ("anthropic-ratelimit-requests-remaining", str(max(0, REQUESTS_PER_MINUTE - call.number))),
        ("anthropic-ratelimit-requests-reset", reset),
    ]
    for kind in ("tokens", "input-tokens", "output-tokens"):
        found += [
            (f"anthropic-ratelimit-{kind}-limit", str(TOKENS_PER_MINUTE)),
            (f"anthropic-ratelimit-{kind}-remaining", str(TOKENS_PER_MINUTE)),
            (f"anthropic-ratelimit-{kind}-reset", reset),
        ]
    return found


def content(call: Call, data: bytes, content_type: str, *extra: tuple[str, str]) -> Reply:
    """A whole body of any type (JSON, JSON Lines, a file's bytes)."""
    return Reply(200, headers(call, content_type) + [("content-length", str(len(data))), *extra], [data])


def json_reply(call: Call, payload: dict[str, Any], status: int = 200) -> Reply:
    reply = content(call, json.dumps(payload, separators=(",", ":")).encode(), "application/json")
    reply.status = status
    return reply


def error_reply(call: Call, error: ApiError) -> Reply:
    return json_reply(call, error.body(call.rid), error.status)


def events_reply(call: Call, events: list[tuple[str, dict[str, Any]]], content_start: int) -> Reply:
    found = headers(call, "text/event-stream; charset=utf-8") + [("cache-control", "no-cache")]
    return Reply(200, found, [sse(name, data) for name, data in events], streaming=True, content_start=content_start)
