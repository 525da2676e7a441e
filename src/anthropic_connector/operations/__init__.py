"""Turn a validated input into the Call an operation sends.

The generic builder reads only the manifest's request spec (spec.RequestSpec): path
placeholders, query parameters, headers and the body mode say where every input field goes.
An operation names a ``handler`` only for shaping the spec cannot say; BUILDERS maps that
name to its builder, and the manifest schema's enum of handler names is kept equal to it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import mimetypes
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, Callable
from urllib.parse import quote

import httpx2

from ..call import Call
from ..connection import Connection
from ..errors import ValidationError
from ..rules import checks
from ..spec import PLACEHOLDER, FileSpec, Operation, RequestSpec
from ..version import __version__

USER_AGENT = f"anthropic-connector/{__version__} (httpx2)"
BETA_HEADER = "anthropic-beta"

# A non-streaming answer could outlive the API's 10-minute limit when 60 min × max_tokens /
# 128,000 > 10 min (the official SDK's rule). The SDK refuses such a request; the connector
# streams it instead and still returns one assembled object.
NONSTREAMING_LIMIT_SECONDS = 10 * 60
EXPECTED_SECONDS_PER_TOKEN = 60 * 60 / 128_000


def _needs_streaming(payload: dict[str, Any]) -> bool:
    tokens = payload.get("max_tokens", payload.get("max_tokens_to_sample", 0))
    return bool(tokens * EXPECTED_SECONDS_PER_TOKEN > NONSTREAMING_LIMIT_SECONDS)


def spell(value: Any) -> str:
    """A scalar as text for a URL or a header; booleans spelled as JSON spells them."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def invalid(path: str, message: str) -> ValidationError:
    """A value the schema let through but that cannot be sent, at its path."""
    return ValidationError(f"the input is invalid: {path} {message}", details=[{"path": path, "message": message}])


def _file_part(spec: FileSpec, values: dict[str, Any]) -> tuple[tuple[str, Any, str], IO[bytes] | None]:
    """(filename, content, media type) for the file part, and the file opened for it, if any."""
    name = values.pop(spec.filename, None)
    media_type = values.pop(spec.media_type, None)
    opened: IO[bytes] | None = None
    content: IO[bytes] | bytes
    if spec.path in values:
        path = Path(values.pop(spec.path)).expanduser()
        try:
            opened = content = path.open("rb")  # streamed from disk by httpx2, never read whole
        except OSError as exc:
            raise invalid(f"/{spec.path}", f"cannot be read: {exc.strerror or exc}") from None
        name = name or path.name
    else:
        try:
            content = base64.b64decode(values.pop(spec.base64), validate=True)
        except (binascii.Error, ValueError):
            raise invalid(f"/{spec.base64}", "is not valid base64") from None
    media_type = media_type or mimetypes.guess_type(name or "")[0] or "application/octet-stream"
    return (name, content, media_type), opened


def _query(spec: RequestSpec, values: dict[str, Any]) -> list[tuple[str, str | int | float | bool | None]]:
    """The query fields, taken out of ``values``; a list as name[]=a&name[]=b (the SDK's brackets)."""
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for name in [n for n in spec.query if n in values]:
        value = values.pop(name)
        items = value if isinstance(value, list) else [value]
        pairs += [(f"{name}[]" if isinstance(value, list) else name, spell(item)) for item in items]
    return pairs + list(spec.fixed_query)


def _headers(spec: RequestSpec, values: dict[str, Any], connection: Connection, needed: list[str]) -> dict[str, str]:
    """The header fields, taken out of ``values``; a list comma-separated. The betas the input's
    fields need (``needed``) and a run's own join the connection's, never replace them."""
    headers = {}
    for name, header in spec.headers.items():
        if name in values:
            value = values.pop(name)
            headers[header] = ",".join(map(spell, value)) if isinstance(value, list) else spell(value)
    if BETA_HEADER in headers or needed:
        betas = [*connection.anthropic_beta, *headers.get(BETA_HEADER, "").split(","), *needed]
        headers[BETA_HEADER] = ",".join(dict.fromkeys(b for b in betas if b))
    return headers


def request_call(op: Operation, payload: dict[str, Any], connection: Connection) -> Call:
    """The generic builder: the request spec applied to the input. Each part takes its fields
    out of the input; a json body is what no other part took."""
    spec: RequestSpec = op.request  # type: ignore[assignment]  # a handler-less operation has one (manifest.py)
    values = dict(payload)
    path = PLACEHOLDER.sub(lambda m: quote(spell(values.pop(m[1])), safe=""), spec.path) if spec.placeholders else spec.path
    url = httpx2.URL(connection.base_url + path)
    params = _query(spec, values) if spec.query or spec.fixed_query else None
    if params:
        url = url.copy_merge_params(params)
    headers = _headers(spec, values, connection, checks(op).betas(payload))
    stream = bool(spec.stream) and bool(values.get("stream") or _needs_streaming(values))
    if stream:
        values["stream"] = True
    kwargs: dict[str, Any] = {}
    opened: tuple[IO[Any], ...] = ()
    content = _JSON.encode(values).encode() if spec.body == "json" else None
    if spec.body == "multipart":
        assert spec.file is not None
        part, handle = _file_part(spec.file, values)
        opened = (handle,) if handle else ()
        kwargs["files"] = {spec.file.part: part}
        kwargs["data"] = {k: spell(v) for k, v in values.items()}
    if spec.response in ("jsonl", "bytes"):
        headers.setdefault("accept", "application/binary")  # as the SDK asks for batch results and file content
    headers["user-agent"] = USER_AGENT
    # Bound for the connection's own origin: its headers go in as the request is made (auth.py),
    # under the input's (the betas above already joined the connection's).
    if content is None:
        request = httpx2.Request(spec.method, url, headers={**connection.api_headers, **headers}, **kwargs)
    else:  # the request httpx2's json= makes, its headers in the same order, built once, not three times
        host = _host(connection.base_url)
        framing = {"Content-Length": str(len(content)), "Content-Type": "application/json"}
        request = httpx2.Request(spec.method, url, headers={**({"Host": host} if host else {}), **connection.api_headers, **headers, **framing}, stream=httpx2.ByteStream(content))
        request.read()
    hint = spell(payload[spec.placeholders[-1]]) if spec.placeholders else None
    check = op.line_validator if spec.response == "jsonl" else op.expect_validator or op.output_validator
    return Call(request, connection, spec.response, stream=stream, check=check, name_hint=hint, opened=opened)


# httpx2's own json= encoding (compact, UTF-8, no NaN): the body is byte for byte what it sends.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@functools.lru_cache(maxsize=32)
def _host(base_url: str) -> str | None:
    """The Host header httpx2 writes for a request to ``base_url``'s origin, asked of httpx2
    once; None for a URL with no host (``http://:8080``), which then fails as unreachable."""
    return httpx2.Request("GET", base_url).headers.get("Host")


def _builders() -> dict[str, Callable[[Operation, dict[str, Any], Connection], Call]]:
    from .create_completion import create_completion
    from .create_message import create_message, create_message_batch
    from .raw_http_request import raw_http_request

    return {"create_completion": create_completion, "create_message": create_message, "create_message_batch": create_message_batch, "raw_http_request": raw_http_request}


BUILDERS = _builders()


def build(op: Operation, payload: dict[str, Any], connection: Connection, sink: Path | None = None) -> Call:
    """The Call for ``op`` given a payload that already passed the input schema.

    ``sink``: a file that a jsonl or bytes answer is written to instead of held in memory.
    """
    try:
        call = BUILDERS[op.handler](op, payload, connection) if op.handler else request_call(op, payload, connection)
    except (ValueError, httpx2.InvalidURL) as exc:  # a header or URL httpx2 cannot encode
        raise invalid("", f"cannot be sent: {exc}") from None
    if op.handler == "raw_http_request":
        call.request.headers.setdefault("user-agent", USER_AGENT)  # unless the user set one
    call.request.extensions["timeout"] = _timeouts(connection.timeout)
    if call.check is not None:
        call.check.compile()
    return call if sink is None else replace(call, sink=sink)


@functools.lru_cache(maxsize=32)
def _timeouts(seconds: float) -> dict[str, float | None]:
    """httpx2's timeout extension for a connection's timeout (connect at most 5 s); shared by
    every request with that timeout, which httpx2 only reads."""
    return httpx2.Timeout(seconds, connect=min(5.0, seconds)).as_dict()
