"""The emulator core: one request in, one `Reply` out — routing, auth, versions, errors, faults.

The endpoints live in route modules (`inference`, `models`, `batches`, `files`); `Sandbox`
matches a request to one of them and keeps the state a test needs to see (the requests it
received, fault counters). An answer's content is a pure function of the request, so the same
request gets the same message, while its ids (message, request) are new each time, as the API's
are; batches and files are the state the API itself keeps, held in memory.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import httpx2

from . import replies
from .batches import Batches
from .call import ApiError, Call, Route, error_reply
from .faults import Fault, FaultPlan
from .files import Files
from .inference import Inference
from .models import Models
from .options import API_VERSIONS, SandboxOptions
from .stream import Reply, to_response

FAULT_MESSAGES = {
    401: "invalid x-api-key",
    403: "Your API key does not have permission to use the specified resource.",
    404: "Not Found",
    413: "Request exceeds the maximum allowed number of bytes.",
    429: "This request would exceed the rate limit for your organization. Please try again later.",
    500: "Internal server error",
    529: "Overloaded",
}


UNREADABLE = "The request could not be read: its request line, a header, or its body's framing (content-length, chunked) is malformed"


@dataclass(frozen=True)
class Recorded:
    """One request as the sandbox received it (header names lower-cased): `size` is how many bytes
    its body had, `body` the first `SandboxOptions.log_body_bytes` of them."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    size: int

    @property
    def truncated(self) -> bool:
        return len(self.body) < self.size


class Sandbox:
    """The emulated Anthropic API; one instance per server or transport.

    Every route answers the beta namespace too: the SDK's `client.beta.*` calls the same paths,
    and the handlers add the beta types' fields when the call says it is a beta one (`Call.beta`).
    """

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self._log: deque[Recorded] = deque(maxlen=self.options.log_requests)
        self._count = 0
        self._lock = threading.Lock()
        self._faults = FaultPlan(self.options.faults)
        files = Files(self.options)
        inference = Inference(self.options, files.check_source)
        routes = inference.routes() + Models(self.options).routes() + Batches(self.options, inference.message).routes() + files.routes()
        self._routes = [(re.compile(re.sub(r"\{\w+\}", "([^/]+)", r.pattern) + "$"), r) for r in routes]

    def respond(self, method: str, target: str, headers: Mapping[str, str], body: bytes, size: int | None = None) -> Reply:
        """Answer one HTTP request; `target` is the path with its query string. `size` is the
        body's length when a server did not read it, as it is over the route's limit (the
        content-length, or what came before reading stopped): `body` is then empty."""
        headers = {k.lower(): v for k, v in headers.items()}
        size = len(body) if size is None else size
        call = self._call(method, target, headers, body)
        with self._lock:
            self._log.append(Recorded(method, call.path, headers, body[: self.options.log_body_bytes], size))
        fault = None
        try:
            problem = self._auth_problem(headers)  # first, as the API does: a refused request meets no fault
            if problem:
                raise ApiError(401, problem)
            fault = self._pick_fault(headers)
            if fault and (fault.status or fault.drop == "start"):
                status = fault.status or 500
                raise ApiError(status, FAULT_MESSAGES.get(status, "Error"))
            reply = self._dispatch(method, call, size)
        except ApiError as error:
            reply = error_reply(call, error)
        reply.delay = self.options.latency
        return _apply(fault, reply, call) if fault else reply

    def unreadable(self) -> Reply:
        """The API's 400 for a request whose head or framing a server could not parse (a request
        line, a header, a content-length or chunked framing): nothing of it to record or route."""
        return error_reply(self._call("", "", {}, b""), ApiError(400, UNREADABLE))

    @property
    def requests(self) -> list[Recorded]:
        """The latest `SandboxOptions.log_requests` requests, oldest first: a bounded log, so that
        a long-running sandbox (or one fed large uploads) keeps only what a test looks at."""
        with self._lock:
            return list(self._log)

    def body_limit(self, method: str, target: str) -> int:
        """The most bytes a request body may have, so that a server need not read more."""
        return self._limit(self._match(method, urlsplit(target).path)[0])

    def _limit(self, route: Route | None) -> int:
        """The route's own limit (Batches 256 MB, Files 500 MB), else the Messages API's."""
        return route.max_body if route and route.max_body else self.options.max_body_bytes

    def _call(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Call:
        """The request as handlers see it, numbered in arrival order, with its request id."""
        with self._lock:
            self._count += 1
            number = self._count
        url = urlsplit(target)
        return Call(replies.fresh_id("req_"), number, url.path, parse_qs(url.query), headers, body, self.options.clock())

    def _dispatch(self, method: str, call: Call, size: int) -> Reply:
        route, params = self._match(method, call.path)
        if size > self._limit(route):
            raise ApiError(413, FAULT_MESSAGES[413])
        if route is None:
            raise ApiError(404, "Not Found")
        if not call.version:
            raise ApiError(400, "anthropic-version: header is required")
        if call.version not in API_VERSIONS:
            raise ApiError(400, f"anthropic-version: {call.version!r} is not a valid version")
        return route.handler(call, *params)

    def _pick_fault(self, headers: dict[str, str]) -> Fault | None:
        try:
            return self._faults.pick(headers.get("x-sandbox-fault"))
        except ValueError as exc:
            raise ApiError(400, f"x-sandbox-fault: {exc}") from None

    def _match(self, method: str, path: str) -> tuple[Route | None, list[str]]:
        for pattern, route in self._routes:
            found = pattern.match(path)
            if found and route.method == method:
                return route, [unquote(p) for p in found.groups()]
        return None, []

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


def _apply(fault: Fault, reply: Reply, call: Call) -> Reply:
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
    """Answer one request with a fresh sandbox (no latency applied; fault counters start at zero);
    the same request gets the same answer but for its ids."""
    reply = Sandbox(options).respond(request.method, request.url.raw_path.decode(), request.headers, request.read())
    return to_response(reply, request)
