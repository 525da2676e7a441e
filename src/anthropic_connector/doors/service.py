"""`anthropic-connector serve`: the operations over HTTP, for hosts that call a service rather
than load a library.

    GET  /operations                   every operation: name, title, category, annotations
    GET  /operations/{op}              one, with its schemas, samples and form hints (uiSchema)
    GET  /operations/{op}/options/{f}  a field's choices (the models), or the manifest's fallback
    POST /operations/{op}/validate     {"valid": true}, or 422 with every violation
    POST /operations/{op}/run          the output; server-sent events when the request asks
                                       (accept: text/event-stream, or "stream": true)
    POST /connection/test              the Test button: {"ok": true} or what is wrong
    GET  /healthz, GET /openapi.json   liveness; the document openapi.py writes
    GET  /                             the playground page (playground/, built by web/build.mjs)

A run may ask for the sandbox (``?sandbox=1``: the playground's "Sandbox"), whatever the
server's connection: the sandbox emulates the API in-process and holds no credential. The page
and its two assets are open; every route it calls still needs the service's token, when the
service has one (the page asks for it and sends it).

Starlette, not FastAPI: the schemas, the validation (jsonschema-rs) and the OpenAPI document
all come from the manifest, so FastAPI's pydantic models and generated OpenAPI would be unused
weight (importing it: 336 ms and 30 MB against Starlette's 76 ms and 14 MB, measured here).

The connection is the server's (hosting.py) unless a request brings a credential in the
headers the manifest's connection auth names (``x-api-key``; ``authorization: Bearer`` when the
service has no token of its own): then that request runs with it, on the server's base URL and
settings, and the credential is neither logged nor echoed. Every run goes through the policy
(policy.py); errors answer with the CLI's envelope at the status http.py gives their class.
"""

from __future__ import annotations

import argparse
import json
import logging
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from ..choices import collect, fallback
from ..connection import Connection
from ..errors import ConfigurationError, ConnectorError, ValidationError
from ..rules import check
from . import http
from .hosting import Hosting, add_arguments, serve
from .openapi import document
from .policy import CallerGate

MAX_BODY_BYTES = 32 * 1024 * 1024  # a base64 upload of 24 MiB; larger files go by --allow-dir path
PLAYGROUND = Path(__file__).with_name("playground")
ASSETS = {"index.html": "text/html; charset=utf-8", "playground.js": "text/javascript; charset=utf-8", "playground.css": "text/css; charset=utf-8"}
# 'unsafe-eval': Ajv, which RJSF runs to match a value to its oneOf branch, compiles each schema to a function.
PAGE_POLICY = "default-src 'self'; script-src 'self' 'unsafe-eval'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
log = logging.getLogger("anthropic_connector.service")


class _Refused(Exception):
    """What the service itself refuses, before any operation runs."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message


def _answer(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, ensure_ascii=False), status, media_type="application/json")


def _sse(event: dict[str, Any], name: str | None = None) -> bytes:
    return f"event: {name or event.get('type', 'message')}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


async def _payload(request: Request) -> Any:
    """The request's JSON body, read within MAX_BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _Refused(http.TOO_LARGE, "request_too_large", f"the request body is larger than {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _Refused(http.TOO_LARGE, "request_too_large", f"the request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except ValueError as exc:
        message = f"is not valid JSON: {exc}"
        raise ValidationError(f"the request body {message}", details=[{"path": "", "message": message}]) from None


class Service:
    """The ASGI app's state: the hosting and the server's own Connector (when it has a key)."""

    def __init__(self, hosting: Hosting) -> None:
        self.hosting = hosting
        self.manifest = hosting.manifest
        self.shared: Any = None
        self.sandboxed: Any = None  # runs that ask for the sandbox (?sandbox=1), made on the first
        self._documents: dict[str, dict[str, Any]] = {}

    # -- who the request runs as -------------------------------------------------------------

    def _caller_connection(self, request: Request) -> Connection | None:
        """The server's connection with the request's own credential, if it brings one."""
        for scheme in self.manifest.auth:
            if scheme.header == "authorization" and self.hosting.policy.token is not None:
                continue  # that header carries the service's own token
            value = request.headers.get(scheme.header)
            if value and scheme.type == "bearer":
                kind, _, value = value.partition(" ")
                value = value if kind.lower() == "bearer" else ""
            if value:
                try:
                    checked = Connection.from_mapping({scheme.field: value.strip()}, self.manifest, source=f"the {scheme.header} header")
                except ConfigurationError as exc:  # a key with a stray character: said without showing it
                    raise _Refused(http.UNAUTHORIZED, exc.type, exc.message) from None
                return replace(self.hosting.connection, api_key=checked.api_key, auth_token=checked.auth_token, source=checked.source)
        return None

    @asynccontextmanager
    async def _connector(self, request: Request) -> AsyncIterator[Any]:
        if request.query_params.get("sandbox") in ("1", "true"):
            if self.sandboxed is None:
                self.sandboxed = self.hosting.connector(sandbox=True)
            yield self.sandboxed
            return
        own = self._caller_connection(request)
        if own is None:
            if self.shared is None:
                message = "no API key: send x-api-key with the request, or start the service with ANTHROPIC_API_KEY, --connection or --sandbox"
                raise _Refused(http.UNAUTHORIZED, "configuration_error", message)
            yield self.shared
            return
        async with self.hosting.connector(own) as connector:
            yield connector

    # -- routes ----------------------------------------------------------------------------

    def _operation(self, request: Request) -> Any:
        name = request.path_params["op"]
        if name not in self.manifest.operations:
            raise _Refused(http.NOT_FOUND, "not_found", f"no operation {name!r} (GET /operations lists them)")
        return self.manifest.operations[name]

    async def playground(self, request: Request) -> Response:
        """The page and its assets, as built; no-cache, so that a new build shows at once."""
        name = request.path_params.get("name", "index.html")
        if name not in ASSETS:
            raise _Refused(http.NOT_FOUND, "not_found", f"no file {name!r} in the playground")
        headers = {"cache-control": "no-cache", "x-content-type-options": "nosniff", "content-security-policy": PAGE_POLICY}
        return Response((PLAYGROUND / name).read_bytes(), media_type=ASSETS[name], headers=headers)

    async def healthz(self, request: Request) -> Response:
        return _answer({"ok": True})

    async def operations(self, request: Request) -> Response:
        return _answer([op.summary() for op in self.manifest.operations.values()])

    async def operation(self, request: Request) -> Response:
        return _answer(self._operation(request).describe())

    async def options(self, request: Request) -> Response:
        """A field's choices, listed with the request's connection; the fallback when there is none."""
        op = self._operation(request)
        name = request.path_params["field"]
        if name not in op.options:
            raise _Refused(http.NOT_FOUND, "not_found", f"operation {op.name!r} declares no options for {name!r}")
        try:
            async with self._connector(request) as connector:

                async def run(operation: str, payload: dict[str, Any]) -> Any:
                    return (await connector.arun(operation, payload)).output

                return _answer(await collect(op, name, run))
        except _Refused as exc:  # no key yet: a form still gets its fallback
            return _answer(fallback(op, name, ConfigurationError(exc.message)))

    async def validate(self, request: Request) -> Response:
        op = self._operation(request)
        check(op, await _payload(request), self.hosting.facts())
        return _answer({"valid": True})

    async def run(self, request: Request) -> Response:
        op = self._operation(request)
        payload = await _payload(request)
        asks = "text/event-stream" in request.headers.get("accept", "") or (isinstance(payload, dict) and payload.get("stream") is True)
        return await self._run(request, op.name, payload, request.query_params.get("output_file"), bool(op.stream) and asks)

    async def connection_test(self, request: Request) -> Response:
        return await self._run(request, "test_connection", {}, None, False)

    async def openapi(self, request: Request) -> Response:
        return _answer(self._documents.setdefault("3.1", document(self.manifest, "3.1")))

    async def _run(self, request: Request, name: str, payload: Any, output_file: str | None, stream: bool) -> Response:
        op = self.manifest.operations[name]
        op.validator.check(payload)  # a bad input is a 422 before any credential is looked at
        payload, sink = self.hosting.policy.admit(op, payload, output_file)
        if stream:
            return await self._events(request, name, payload)
        async with self._connector(request) as connector:
            result = await connector.arun(name, payload, output_file=sink)
        return _answer(result.output)

    async def _events(self, request: Request, name: str, payload: Any) -> Response:
        """Server-sent events; a failure before the first event is an ordinary error answer."""
        scope = self._connector(request)
        connector = await scope.__aenter__()
        events = None
        try:
            events = connector.events(name, payload)
            first = await events.__anext__()
        except BaseException:
            if events is not None:
                await events.aclose()
            await scope.__aexit__(None, None, None)
            raise

        async def body() -> AsyncIterator[bytes]:
            try:
                yield _sse(first)
                async for event in events:
                    yield _sse(event)
            except ConnectorError as exc:
                yield _sse(exc.envelope(), "error")
            except Exception:
                log.exception("a stream failed")
                yield _sse(http.envelope("internal_error", "the service failed; see its log"), "error")
            finally:
                await events.aclose()
                await scope.__aexit__(None, None, None)

        return StreamingResponse(body(), media_type="text/event-stream", headers={"cache-control": "no-cache"})

    # -- the app ---------------------------------------------------------------------------

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        if self.hosting.sandbox or self.hosting.connection.has_credential:
            self.shared = self.hosting.connector()
        try:
            yield
        finally:
            for connector in (self.shared, self.sandboxed):
                if connector is not None:
                    await connector.aclose()

    def app(self) -> ASGIApp:
        routes = [
            Route("/", self.playground, methods=["GET"]),
            Route("/playground/{name}", self.playground, methods=["GET"]),
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/openapi.json", self.openapi, methods=["GET"]),
            Route("/operations", self.operations, methods=["GET"]),
            Route("/operations/{op}", self.operation, methods=["GET"]),
            Route("/operations/{op}/options/{field}", self.options, methods=["GET"]),
            Route("/operations/{op}/validate", self.validate, methods=["POST"]),
            Route("/operations/{op}/run", self.run, methods=["POST"]),
            Route("/connection/test", self.connection_test, methods=["POST"]),
        ]
        handlers = {HTTPException: _http_exception, ConnectorError: _connector_error, _Refused: _refused, Exception: _internal}
        return CallerGate(Starlette(routes=routes, exception_handlers=handlers, lifespan=self.lifespan), self.hosting.policy, open_paths=("/healthz", "/", *(f"/playground/{name}" for name in ASSETS)))


async def _connector_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConnectorError)
    return _answer(exc.envelope(), http.status_of(exc))


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, _Refused)
    return _answer(http.envelope(exc.type, exc.message), exc.status)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
    answer = _answer(http.envelope(kind, str(exc.detail)), exc.status_code)
    answer.headers.update(exc.headers or {})  # a 405's Allow
    return answer


async def _internal(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
    return _answer(http.envelope("internal_error", "the service failed; see its log"), http.INTERNAL)


def main(argv: Sequence[str]) -> int:
    """`anthropic-connector serve`."""
    parser = argparse.ArgumentParser(prog="anthropic-connector serve", description="Serve the connector's operations over HTTP (OpenAPI at /openapi.json).")
    add_arguments(parser, port=8080)
    args = parser.parse_args(argv)
    return serve(Service(Hosting.from_args(args)).app(), args, "service")
