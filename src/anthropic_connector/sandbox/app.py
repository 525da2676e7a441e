"""The emulator core: one request in, one `Reply` out — routing, auth, versions, errors, faults.

`Sandbox` keeps the little state a test needs to see (the requests it received, fault counters);
everything else is a pure function of the request, so the same request gets the same body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from . import replies, validate
from .faults import ERROR_TYPES, Fault, FaultPlan
from .models import ORDERED, Model, lookup
from .options import API_VERSIONS, SandboxOptions
from .stream import Reply, to_response

REQUESTS_PER_MINUTE = 4000
TOKENS_PER_MINUTE = 400_000
FAULT_MESSAGES = {
    401: "invalid x-api-key",
    403: "Your API key does not have permission to use the specified resource.",
    404: "Not Found",
    413: "Request exceeds the maximum allowed number of bytes.",
    429: "This request would exceed the rate limit for your organization. Please try again later.",
    500: "Internal server error",
    529: "Overloaded",
}


@dataclass(frozen=True)
class Recorded:
    """One request as the sandbox received it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class _Call:
    rid: str
    number: int
    version: str
    query: dict[str, list[str]]
    body: bytes


class Sandbox:
    """The emulated Anthropic API; one instance per server or transport."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._faults = FaultPlan(self.options.faults)
        self._routes: dict[tuple[str, str], Callable[[_Call], Reply]] = {
            ("POST", "/v1/messages"): self._messages,
            ("POST", "/v1/messages/count_tokens"): self._count_tokens,
            ("POST", "/v1/complete"): self._complete,
            ("GET", "/v1/models"): self._list_models,
        }

    def respond(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one HTTP request; `target` is the path with its query string."""
        headers = {k.lower(): v for k, v in headers.items()}
        url = urlsplit(target)
        with self._lock:
            self.requests.append(Recorded(method, url.path, headers, body))
            number = len(self.requests)
        rid = "req_" + replies.digest(number, method, target, body.decode("latin-1"))[:24]
        call = _Call(rid, number, headers.get("anthropic-version", ""), parse_qs(url.query), body)
        try:
            fault = self._faults.pick(headers.get("x-sandbox-fault"))
        except ValueError as exc:
            return self._error(call, 400, f"x-sandbox-fault: {exc}")
        if fault and (fault.status or fault.drop == "start"):
            reply = self._error(call, fault.status or 500, FAULT_MESSAGES.get(fault.status or 500, "Error"))
        else:
            reply = self._dispatch(method, url.path, headers, call)
        reply.delay = self.options.latency
        return _apply(fault, reply, call) if fault else reply

    def _dispatch(self, method: str, path: str, headers: dict[str, str], call: _Call) -> Reply:
        if len(call.body) > self.options.max_body_bytes:
            return self._error(call, 413, FAULT_MESSAGES[413])
        handler = self._routes.get((method, path))
        if handler is None and method == "GET" and path.startswith("/v1/models/"):
            handler = lambda c: self._get_model(c, path.removeprefix("/v1/models/"))  # noqa: E731
        if handler is None:
            return self._error(call, 404, "Not Found")
        problem = self._auth_problem(headers)
        if problem:
            return self._error(call, 401, problem)
        if not call.version:
            return self._error(call, 400, "anthropic-version: header is required")
        if call.version not in API_VERSIONS:
            return self._error(call, 400, f"anthropic-version: {call.version!r} is not a valid version")
        return handler(call)

    def _auth_problem(self, headers: dict[str, str]) -> str | None:
        """The key may come as `x-api-key` (wins when both are sent) or `Authorization: Bearer`."""
        if not self.options.check_key and self.options.api_key is None:
            return None
        key = headers.get("x-api-key")
        if key is None and headers.get("authorization", "").lower().startswith("bearer "):
            key = headers["authorization"][7:].strip()
        if not key:
            return "x-api-key header is required"
        if self.options.api_key is not None and key != self.options.api_key:
            return "invalid x-api-key"
        return None

    # -- endpoints -------------------------------------------------------------------------

    def _checked(self, call: _Call, problem_in: Callable[[dict[str, Any]], str | None], *, legacy_api: bool) -> tuple[dict[str, Any], Model] | Reply:
        """The request body and its model, or the error reply the real API would give."""
        body = _json_object(call.body)
        if isinstance(body, str):
            return self._error(call, 400, body)
        problem = problem_in(body)
        if problem:
            return self._error(call, 400, problem)
        model = self._model_for_inference(body["model"], legacy_api=legacy_api)
        if isinstance(model, str):
            return self._model_error(call, model)
        return body, model

    def _messages(self, call: _Call) -> Reply:
        checked = self._checked(call, lambda body: validate.messages(body, call.version), legacy_api=False)
        if isinstance(checked, Reply):
            return checked
        body, model = checked
        msgs = body["messages"]
        user_turns = [m for m in msgs if m["role"] == "user"]
        prompt = replies.block_text(user_turns[-1]["content"]) if user_turns else ""
        seed = replies.digest(body["model"], body.get("system"), msgs)
        stops = body.get("stop_sequences", [])
        tool = replies.tool_to_call(body.get("tools"), body.get("tool_choice"))
        if tool is not None:  # tool_choice asks for a call: its input is the simplest the tool accepts
            arguments = replies.example(tool.get("input_schema"))
            block = {"type": "tool_use", "id": "toolu_" + replies.digest(seed, tool["name"])[:24], "name": tool["name"], "input": arguments}
            content, stop_reason, stop_sequence, output_tokens = [block], "tool_use", None, replies.count_tokens(json.dumps(arguments)) + 8
        else:
            text = self._canned(prompt, body["model"], model) or replies.invent_text(seed)
            gen = replies.generate(text, body["max_tokens"], stops)
            content, stop_reason, stop_sequence, output_tokens = [{"type": "text", "text": gen.text}], gen.stop_reason, gen.stop_sequence, gen.output_tokens
        usage = {
            "input_tokens": replies.input_tokens(body.get("system"), msgs, body.get("tools")),
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "service_tier": "standard",
        }
        message = {
            "id": "msg_" + replies.digest(seed, body["max_tokens"], stops, *([tool["name"]] if tool else []))[:24],
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "usage": usage,
        }
        if body.get("stream"):
            return self._events(call, replies.message_events(message), content_start=3)
        return self._json(call, 200, message)

    def _count_tokens(self, call: _Call) -> Reply:
        checked = self._checked(call, lambda body: validate.messages(body, call.version, count_only=True), legacy_api=False)
        if isinstance(checked, Reply):
            return checked
        body, _ = checked
        count = replies.input_tokens(body.get("system"), body["messages"], body.get("tools"))
        return self._json(call, 200, {"input_tokens": count})

    def _complete(self, call: _Call) -> Reply:
        checked = self._checked(call, validate.completion, legacy_api=True)
        if isinstance(checked, Reply):
            return checked
        body, model = checked
        prompt: str = body["prompt"]
        turn = prompt[prompt.rfind("\n\nHuman:") + 8 : prompt.rfind("\n\nAssistant:")]
        seed = replies.digest("complete", body["model"], prompt)
        text = self._canned(turn.strip(), body["model"], model) or " " + replies.invent_text(seed)
        stops = ["\n\nHuman:", *body.get("stop_sequences", [])]
        gen = replies.generate(text, body["max_tokens_to_sample"], stops)
        completion = {
            "type": "completion",
            "id": "compl_" + replies.digest(seed, body["max_tokens_to_sample"], stops)[:24],
            "completion": gen.text,
            "stop_reason": "max_tokens" if gen.stop_reason == "max_tokens" else "stop_sequence",
            "model": model.id,
        }
        if body.get("stream"):
            return self._events(call, replies.completion_events(completion, gen), content_start=0)
        return self._json(call, 200, completion)

    def _list_models(self, call: _Call) -> Reply:
        q = call.query
        limit = q.get("limit", ["20"])[0]
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            return self._error(call, 400, "limit: Input should be an integer between 1 and 1000")
        wanted = {v for key in ("lifecycle", "lifecycle[]") for raw in q.get(key, []) for v in raw.split(",")}
        items = [m for m in ORDERED if m.lifecycle in (wanted or {"active", "deprecated"})]
        ids = [m.id for m in items]
        after, before = q.get("after_id", [None])[0], q.get("before_id", [None])[0]
        cursor = after if after is not None else before
        if cursor is not None and cursor not in ids:
            return self._error(call, 400, f"Invalid cursor: {cursor}")
        size = int(limit)
        if after is not None:
            start = ids.index(after) + 1
            page, has_more = items[start : start + size], start + size < len(items)
        elif before is not None:
            end = ids.index(before)
            page, has_more = items[max(0, end - size) : end], end - size > 0
        else:
            page, has_more = items[:size], size < len(items)
        first, last = (page[0].id, page[-1].id) if page else (None, None)
        data = [m.info() for m in page]
        return self._json(call, 200, {"data": data, "has_more": has_more, "first_id": first, "last_id": last})

    def _get_model(self, call: _Call, name: str) -> Reply:
        model = lookup(name)
        if model is None:
            return self._error(call, 404, f"model: {name}")
        return self._json(call, 200, model.info())

    # -- helpers ---------------------------------------------------------------------------

    def _model_for_inference(self, name: str, *, legacy_api: bool) -> Model | str:
        """The model, or a problem: "404:<message>" or a 400 message."""
        model = lookup(name)
        if model is None or (model.retired and self.options.retired_models == "reject"):
            return f"404:model: {name}"
        if legacy_api and not model.completions:
            return f'"{name}" is not supported on this API. Please use the Messages API instead.'
        return model

    def _model_error(self, call: _Call, problem: str) -> Reply:
        if problem.startswith("404:"):
            return self._error(call, 404, problem[4:])
        return self._error(call, 400, problem)

    def _canned(self, prompt: str, name: str, model: Model) -> str | None:
        canned = self.options.canned
        return next((canned[k] for k in (prompt, prompt.strip(), name, model.id) if k in canned), None)

    def _headers(self, call: _Call, content_type: str) -> list[tuple[str, str]]:
        reset = (datetime.now(timezone.utc) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = [("content-type", content_type), ("request-id", call.rid)]
        headers += [
            ("anthropic-ratelimit-requests-limit", str(REQUESTS_PER_MINUTE)),
            ("anthropic-ratelimit-requests-remaining", str(max(0, REQUESTS_PER_MINUTE - call.number))),
            ("anthropic-ratelimit-requests-reset", reset),
        ]
        for kind in ("tokens", "input-tokens", "output-tokens"):
            headers += [
                (f"anthropic-ratelimit-{kind}-limit", str(TOKENS_PER_MINUTE)),
                (f"anthropic-ratelimit-{kind}-remaining", str(TOKENS_PER_MINUTE)),
                (f"anthropic-ratelimit-{kind}-reset", reset),
            ]
        return headers

    def _json(self, call: _Call, status: int, payload: dict[str, Any]) -> Reply:
        data = json.dumps(payload, separators=(",", ":")).encode()
        headers = self._headers(call, "application/json") + [("content-length", str(len(data)))]
        return Reply(status, headers, [data])

    def _error(self, call: _Call, status: int, message: str) -> Reply:
        error = {"type": ERROR_TYPES.get(status, "api_error"), "message": message}
        return self._json(call, status, {"type": "error", "error": error, "request_id": call.rid})

    def _events(self, call: _Call, events: list[tuple[str, dict[str, Any]]], content_start: int) -> Reply:
        headers = self._headers(call, "text/event-stream; charset=utf-8") + [("cache-control", "no-cache")]
        chunks = [replies.sse(name, data) for name, data in events]
        return Reply(200, headers, chunks, streaming=True, content_start=content_start)


def _json_object(body: bytes) -> dict[str, Any] | str:
    """The parsed body, or the 400 message for a body that is not a JSON object."""
    try:
        data = json.loads(body or b"null")
    except ValueError as exc:
        return f"Request body is not valid JSON: {exc}"
    return data if isinstance(data, dict) else "Request body must be a JSON object"


def _apply(fault: Fault, reply: Reply, call: _Call) -> Reply:
    """Bend an otherwise normal reply according to the fault."""
    if fault.status and (fault.retry_after or fault.status == 429):
        reply.headers.append(("retry-after", fault.retry_after or "1"))
    if fault.should_retry:
        reply.headers.append(("x-should-retry", fault.should_retry))
    reply.delay += fault.latency
    if fault.drop == "start":
        reply.drop = "start"
    elif reply.streaming and (fault.cut or fault.error_event or fault.drop):
        cut_at = min(reply.content_start + fault.after, len(reply.chunks) - 1)
        del reply.chunks[cut_at:]
        if fault.error_event:
            error = {"type": "overloaded_error", "message": "Overloaded"}
            reply.chunks.append(replies.sse("error", {"type": "error", "error": error, "request_id": call.rid}))
        reply.drop = fault.drop
    elif fault.drop == "mid":
        body = b"".join(reply.chunks)
        reply.chunks, reply.drop = [body[: len(body) // 2]], "mid"
    return reply


def handle(request: httpx2.Request, options: SandboxOptions | None = None) -> httpx2.Response:
    """Answer one request with a fresh sandbox (no latency applied; fault counters start at zero)."""
    reply = Sandbox(options).respond(request.method, request.url.raw_path.decode(), request.headers, request.read())
    return to_response(reply, request)
