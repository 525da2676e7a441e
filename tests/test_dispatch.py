"""The exact request on the wire, per operation, as the recording server on 127.0.0.1 saw it.

Nothing is patched: the connector's own HTTP client sends to a real socket. The expected
request is stated independently of the builders (the manifest's method and path, the sample
input as the JSON body with the platform's {"string": text} wrappers unwrapped), and compared
with what the official anthropic SDK sends for the same call.
"""

from __future__ import annotations

import asyncio
import copy
import email.parser
import inspect
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import anthropic
import pytest
from conftest import MANIFEST, Answer, Recorder, by_operation, seed, sendable, wire_answer

from anthropic_connector import Connector
from anthropic_connector.rules import checks
from anthropic_connector.spec import Operation

MESSAGE = {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-2.1", "content": [{"type": "text", "text": "Hi."}], "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 2}}


def is_wrapper(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"string"}


def unwrapped(payload: dict[str, Any]) -> dict[str, Any]:
    """The body the API expects: {"string": text} becomes text in messages[].content and system."""
    body = copy.deepcopy(payload)
    for message in body.get("messages", []):
        if is_wrapper(message["content"]):
            message["content"] = message["content"]["string"]
    if is_wrapper(body.get("system")):
        body["system"] = body["system"]["string"]
    return body


def expected_wire(op: Operation, payload: dict[str, Any]) -> tuple[str, str, Any]:
    """(method, path with its query, JSON body or None) the operation must send for ``payload``,
    stated from the manifest's spec, not by the builders."""
    if op.request is None:  # the input chooses (raw_http_request)
        return payload["method"], payload["url"]["endpoint"], payload.get("body", {}).get("raw")
    spec = op.request
    path = spec.path
    for name in spec.placeholders:
        path = path.replace("{" + name + "}", quote(str(payload[name]), safe=""))
    query = [(f"{k}[]", str(i)) if isinstance(v, list) else (k, str(v)) for k in spec.query if k in payload for v in [payload[k]] for i in (v if isinstance(v, list) else [v])]
    query += list(spec.fixed_query)
    target = path + ("?" + urlencode(query) if query else "")
    placed = {*spec.placeholders, *spec.query, *spec.headers}
    body = unwrapped({k: v for k, v in payload.items() if k not in placed}) if spec.body == "json" else None
    return spec.method, target, body


def connector(connection: dict[str, Any], **changes: Any) -> Connector:
    return Connector(MANIFEST, {**connection, **changes})


def run(connection: dict[str, Any], name: str, payload: Any, **changes: Any) -> Any:
    with connector(connection, **changes) as c:
        return c.run(name, payload)


# -- every operation, its sample, on the wire ------------------------------------------------


@by_operation()
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sample_goes_on_the_wire_as_declared(op: Operation, mode: str, recorder: Recorder, connection: dict[str, Any], fake_key: str) -> None:
    answer = wire_answer(op, extra={"a_field_added_later": [1, 2]})
    recorder.script(answer)
    with connector(connection) as c:
        if mode == "sync":
            result = c.run(op.name, sendable(op))
        else:
            result = asyncio.run(_arun(c, op.name, sendable(op)))

    (request,) = recorder.requests
    method, path, body = expected_wire(op, sendable(op))
    assert (request.method, request.target) == (method, path)
    assert request.headers["x-api-key"] == fake_key
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in request.headers and "anthropic-beta" not in request.headers
    if body is None and op.request and op.request.body != "json":
        assert op.request.body == "multipart" or (request.body == b"" and "content-type" not in request.headers)
    else:
        assert request.headers["content-type"] == "application/json"
        assert request.json() == body

    assert result.status == answer.status and result.request_id == "req_sample"
    if op.request is None:
        assert result.output["status"] == 200 and result.output["body"] == answer.body
        assert result.output["headers"]["request-id"] == "req_sample"
    elif isinstance(answer.body, dict) and op.request and op.request.response != "ok":
        assert result.output == answer.body  # unchanged, the field the schema does not know included
    else:
        assert result.output == op.sample_output


async def _arun(c: Connector, name: str, payload: Any) -> Any:
    try:
        return await c.arun(name, payload)
    finally:
        await c.aclose()


def test_create_message_sends_plain_strings_for_wrapped_text(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, MESSAGE))
    payload = {
        "model": "claude-sonnet-5-5",
        "max_tokens": 10,
        "system": {"string": "Be brief."},
        "messages": [
            {"role": "user", "content": {"string": "Hello"}},
            {"role": "assistant", "content": "Hi"},
            {"role": "user", "content": [{"type": "text", "text": "Bye"}]},
        ],
    }
    run(connection, "create_message", payload)
    body = recorder.requests[0].json()
    assert body["system"] == "Be brief."
    assert [m["content"] for m in body["messages"]] == ["Hello", "Hi", [{"type": "text", "text": "Bye"}]]
    assert payload["messages"][0]["content"] == {"string": "Hello"}  # the caller's input is not changed


def test_seed_create_message_sends_the_seed_text(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, MESSAGE))
    op = MANIFEST.operation("create_message")
    run(connection, "create_message", sendable(op, seed("create_message", "input")))
    body = recorder.requests[0].json()
    assert body["messages"] == [{"role": "user", "content": "What are the main differences between Python and JavaScript?"}]
    assert body["system"] == "You are a helpful programming language expert."


@by_operation()
def test_user_agent_names_the_connector(op: Operation, recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(wire_answer(op))
    run(connection, op.name, sendable(op))
    assert recorder.requests[0].headers.get("user-agent", "").startswith("anthropic-connector/")


# -- connection settings on the wire ---------------------------------------------------------


@by_operation()
def test_api_version_comes_from_the_connection(op: Operation, recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(wire_answer(op))
    unsampled = {k: v for k, v in sendable(op).items() if not (checks(op).places and k in ("temperature", "top_p", "top_k"))}  # 2026-10-21 has none
    run(connection, op.name, unsampled, anthropic_version="2026-10-21")
    assert recorder.requests[0].headers["anthropic-version"] == "2026-10-21"


@pytest.mark.parametrize(
    ("beta", "header"),
    [("prompt-caching-2024-07-31", "prompt-caching-2024-07-31"), (["files-api-2025-04-14", "context-management-2025-06-27"], "files-api-2025-04-14,context-management-2025-06-27")],
    ids=["one", "list"],
)
@by_operation()
def test_beta_features_are_joined_into_one_header(op: Operation, beta: Any, header: str, recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(wire_answer(op))
    run(connection, op.name, sendable(op), anthropic_beta=beta)
    assert [v for k, v in recorder.requests[0].raw_headers if k.lower() == "anthropic-beta"] == [header]


@by_operation()
def test_auth_token_is_sent_as_bearer_without_x_api_key(op: Operation, recorder: Recorder, connection: dict[str, Any], fake_key: str) -> None:
    recorder.script(wire_answer(op))
    connection = {k: v for k, v in connection.items() if k != "api_key"}
    run(connection, op.name, sendable(op), auth_token=fake_key)
    headers = recorder.requests[0].headers
    assert headers["authorization"] == f"Bearer {fake_key}"
    assert "x-api-key" not in headers


def test_base_url_with_a_path_prefix_and_trailing_slash(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, MESSAGE))
    run(connection, "create_message", sendable(MANIFEST.operation("create_message")), base_url=recorder.url + "/gateway/")
    assert recorder.requests[0].target == "/gateway/v1/messages"


# -- the official SDK as a reference ---------------------------------------------------------


def sdk_arguments(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as SDK keyword arguments; what its signature lacks (sampling under 2026-10-21) goes in extra_body."""
    accepted = set(inspect.signature(anthropic.Anthropic(api_key="x").messages.create).parameters)
    named = {k: v for k, v in payload.items() if k in accepted}
    extra = {k: v for k, v in payload.items() if k not in accepted}
    return {**named, "extra_body": extra} if extra else named


@pytest.mark.parametrize("payload", ["sample", "seed"], ids=["sample", "seed"])
def test_create_message_sends_what_the_official_sdk_sends(payload: str, recorder: Recorder, connection: dict[str, Any], fake_key: str) -> None:
    op = MANIFEST.operation("create_message")
    source = sendable(op, op.sample_input if payload == "sample" else seed("create_message", "input"))
    recorder.script(Answer(200, MESSAGE, {"request-id": "req_sdk"}))

    sdk = anthropic.Anthropic(api_key=fake_key, base_url=recorder.url, max_retries=0, default_headers={"anthropic-version": "2023-06-01"})
    with sdk:
        sdk.messages.create(**sdk_arguments(unwrapped(source)))
    run(connection, "create_message", source)

    theirs, ours = recorder.requests
    assert (ours.method, ours.target) == (theirs.method, theirs.target) == ("POST", "/v1/messages")
    assert ours.json() == theirs.json()
    for name in ("anthropic-version", "content-type"):
        assert ours.headers[name] == theirs.headers[name]


def test_raw_request_to_messages_sends_what_the_official_sdk_sends(recorder: Recorder, connection: dict[str, Any], fake_key: str) -> None:
    body = unwrapped(MANIFEST.operation("create_message").sample_input)
    recorder.script(Answer(200, MESSAGE))
    with anthropic.Anthropic(api_key=fake_key, base_url=recorder.url, max_retries=0) as sdk:
        sdk.messages.create(**sdk_arguments(body))
    run(connection, "raw_http_request", {"method": "POST", "url": {"endpoint": "/v1/messages"}, "body": {"raw": body}})
    theirs, ours = recorder.requests
    assert (ours.method, ours.target, ours.json()) == (theirs.method, theirs.target, theirs.json())


# -- raw_http_request: url, query, body modes, headers, every status -------------------------


def raw(connection: dict[str, Any], **payload: Any) -> Any:
    return run(connection, "raw_http_request", {"method": "GET", "url": {"endpoint": "/v1/models"}, **payload})


def test_raw_endpoint_is_joined_to_the_base_url(recorder: Recorder, connection: dict[str, Any], fake_key: str) -> None:
    raw(connection, url={"endpoint": "/v1/models/claude-2.1"})
    (request,) = recorder.requests
    assert (request.method, request.target, request.body) == ("GET", "/v1/models/claude-2.1", b"")
    assert request.headers["x-api-key"] == fake_key and request.headers["anthropic-version"] == "2023-06-01"


def test_raw_full_url_on_the_connection_origin_is_authenticated(recorder: Recorder, connection: dict[str, Any], fake_key: str) -> None:
    raw(connection, url={"fullUrl": recorder.url + "/v1/files?limit=2"})
    (request,) = recorder.requests
    assert request.target == "/v1/files?limit=2"
    assert request.headers["x-api-key"] == fake_key


def test_raw_full_url_on_another_origin_carries_no_credential(recorder: Recorder, connection: dict[str, Any]) -> None:
    other = recorder.url.replace("127.0.0.1", "localhost")  # same server, another origin
    raw(connection, url={"fullUrl": other + "/v1/files"})
    (request,) = recorder.requests
    assert request.target == "/v1/files"
    assert not {"x-api-key", "authorization", "anthropic-version"} & set(request.headers)


def test_raw_query_parameters(recorder: Recorder, connection: dict[str, Any]) -> None:
    query = {"limit": 20, "ids": ["a", 2, True], "flag": True, "off": False, "ratio": 1.5, "q": "a b&c=d"}
    raw(connection, url={"endpoint": "/v1/models?after_id=m1"}, query_parameters=query)
    assert recorder.requests[0].query == [
        ("after_id", "m1"),
        ("limit", "20"),
        ("ids", "a"),
        ("ids", "2"),
        ("ids", "true"),
        ("flag", "true"),
        ("off", "false"),
        ("ratio", "1.5"),
        ("q", "a b&c=d"),
    ]


def test_raw_body_json(recorder: Recorder, connection: dict[str, Any]) -> None:
    document = {"a": [1, None, {"b": "ü"}], "t": True}
    raw(connection, method="POST", body={"raw": document})
    request = recorder.requests[0]
    assert request.headers["content-type"] == "application/json"
    assert request.json() == document


@pytest.mark.parametrize("body", [{"none": None}, None], ids=["none", "absent"])
def test_raw_body_none_sends_no_body(body: Any, recorder: Recorder, connection: dict[str, Any]) -> None:
    raw(connection, method="POST", **({"body": body} if body else {}))
    request = recorder.requests[0]
    assert request.body == b"" and "content-type" not in request.headers


def test_raw_body_urlencoded(recorder: Recorder, connection: dict[str, Any]) -> None:
    raw(connection, method="POST", body={"urlencoded": {"name": "a b&c", "n": 3, "yes": True, "no": False}})
    request = recorder.requests[0]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(request.body.decode()) == [("name", "a b&c"), ("n", "3"), ("yes", "true"), ("no", "false")]


def test_raw_body_form_data(recorder: Recorder, connection: dict[str, Any]) -> None:
    raw(connection, method="PUT", body={"form_data": {"purpose": "batch", "count": 2, "keep": False}})
    request = recorder.requests[0]
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    parsed = email.parser.BytesParser().parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body)
    assert parsed.is_multipart()
    parts = {part.get_param("name", header="content-disposition"): part.get_payload() for part in parsed.get_payload()}
    assert parts == {"purpose": "batch", "count": "2", "keep": "false"}


def test_raw_user_headers_are_sent_as_given(recorder: Recorder, connection: dict[str, Any]) -> None:
    headers = {"X-Custom-Header": "Value, with comma", "anthropic-beta": "files-api-2025-04-14", "anthropic-version": "2026-10-21"}
    raw(connection, headers=headers)
    request = recorder.requests[0]
    for name, value in headers.items():
        assert [v for k, v in request.raw_headers if k.lower() == name.lower()] == [value]
    assert ("X-Custom-Header", "Value, with comma") in request.raw_headers  # the spelling as typed


def test_seed_raw_request_sends_its_typed_key_as_given(recorder: Recorder, connection: dict[str, Any], fake_key: str) -> None:
    """The seed, pointed at the recorder: its hand-typed key is a user header and wins; it is sent once."""
    original = seed("raw_http_request", "input")
    original["url"] = {"fullUrl": recorder.url + "/v1/completions"}
    raw(connection, **original)
    request = recorder.requests[0]
    assert (request.method, request.target) == ("POST", "/v1/completions")
    assert [v for k, v in request.raw_headers if k.lower() == "x-api-key"] == ["sk-ant-api03-example-key"]
    assert request.json() == original["body"]["raw"]


METHODS = [b["const"] for b in MANIFEST.operation("raw_http_request").input_schema["properties"]["method"]["oneOf"]]


@pytest.mark.parametrize("method", METHODS)
def test_raw_every_method(method: str, recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, {"method": method}))
    result = raw(connection, method=method)
    assert recorder.requests[0].method == method
    assert result.output["body"] == (None if method == "HEAD" else {"method": method})


@pytest.mark.parametrize("status", [200, 201, 204, 404, 400, 418])
def test_raw_returns_every_status_as_output(status: int, recorder: Recorder, connection: dict[str, Any]) -> None:
    body = None if status == 204 else {"type": "error", "error": {"type": "not_found_error", "message": "no such model"}}
    headers = {"request-id": f"req_{status}", "x-extra": "kept"}
    recorder.script(Answer(status, b"" if body is None else body, headers))
    result = raw(connection)
    sent = {"request-id": f"req_{status}", "x-extra": "kept", "content-length": str(len(recorder_body(body)))}
    if body is not None:
        sent["content-type"] = "application/json"
    assert result.output == {"status": status, "headers": sent, "body": body}
    assert (result.status, result.request_id) == (status, f"req_{status}")
    assert len(recorder.requests) == 1


def recorder_body(body: Any) -> bytes:
    return Answer(200, b"" if body is None else body).encoded()[0]


def test_raw_text_body_comes_back_as_text(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, "plain words", {"content-type": "text/plain; charset=utf-8"}))
    assert raw(connection).output["body"] == "plain words"


def test_raw_output_matches_its_schema(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(404, {"type": "error"}, {"request-id": "req_1"}))
    output = raw(connection).output
    assert MANIFEST.operation("raw_http_request").output_validator.errors(output) == []


def test_a_body_that_cannot_be_decoded_is_a_connection_error(cli: Any, recorder: Recorder, connection_env: dict[str, str], tmp_path: Path) -> None:
    recorder.script(Answer(200, b"this is not gzip", {"content-encoding": "gzip", "content-type": "application/json"}))
    payload = tmp_path / "in.json"
    payload.write_text('{"method": "GET", "url": {"endpoint": "/v1/models"}}')
    code, out, _ = cli("run", "raw_http_request", str(payload), "--max-retries", "0", env=connection_env)
    assert code == 5 and out["error"]["type"] == "connection_error"
