"""Every operation of the manifest runs end to end on the in-process sandbox; the library API.

Parametrized over ``manifest.operations``: a fourth operation is covered by these tests with
no new test code. Outputs are checked with jsonschema directly, not the connector's validator.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import re
from typing import Any

import pytest
from conftest import MANIFEST, OPERATION_IDS, OPERATIONS, REPO, Answer, Recorder, by_operation, missing_paths, refused_url, sendable, unbundled
from jsonschema import Draft7Validator

import anthropic_connector
from anthropic_connector import (
    APIError,
    ConfigurationError,
    Connection,
    Connector,
    ConnectorError,
    ResponseTooLargeError,
    Result,
    APITimeoutError,
    TransportError,
    StructuredOutputError,
    UnexpectedResponseError,
    ValidationError,
)
from anthropic_connector.spec import Operation


def output_violations(op: Operation, output: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in Draft7Validator(op.output_schema).iter_errors(output)]


@pytest.fixture(params=["keyless", "with a key"])
def sandboxed(request: pytest.FixtureRequest) -> Connector:
    """The in-process sandbox: no socket, and no key needed."""
    connection = {} if request.param == "keyless" else {"api_key": "x"}
    with Connector(MANIFEST, connection, sandbox=True) as connector:
        yield connector


# -- every operation on the sandbox ----------------------------------------------------------


@by_operation()
def test_sample_runs_on_the_sandbox_and_matches_the_output_schema(op: Operation, sandboxed: Connector) -> None:
    result = sandboxed.run(op.name, op.sample_input)
    assert isinstance(result, Result)
    assert result.status == 200
    assert isinstance(result.request_id, str) and result.request_id
    assert output_violations(op, result.output) == []
    if "model" in op.sample_input and "model" in op.output_schema.get("properties", {}):
        assert result.output["model"] == op.sample_input["model"]


@by_operation()
def test_sample_runs_on_the_sandbox_with_arun(op: Operation) -> None:
    async def main() -> Result:
        async with Connector(MANIFEST, {}, sandbox=True) as connector:
            return await connector.arun(op.name, op.sample_input)

    result = asyncio.run(main())
    assert result.status == 200 and result.request_id
    assert output_violations(op, result.output) == []


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.stream], ids=[op.name for op in OPERATIONS if op.stream])
def test_streamed_sample_is_assembled_into_the_same_shape(op: Operation, sandboxed: Connector) -> None:
    plain = sandboxed.run(op.name, {**op.sample_input, "stream": False}).output
    streamed = sandboxed.run(op.name, {**op.sample_input, "stream": True}).output
    assert output_violations(op, streamed) == []
    assert set(streamed) >= set(op.output_schema["required"])
    assert streamed["type"] == plain["type"]


@by_operation()
def test_run_does_not_change_the_callers_input(op: Operation, sandboxed: Connector) -> None:
    payload = copy.deepcopy(op.sample_input)
    sandboxed.run(op.name, payload)
    assert payload == op.sample_input


# -- the library API -------------------------------------------------------------------------


def test_operations_lists_the_manifest_in_order(sandboxed: Connector) -> None:
    listed = sandboxed.operations()
    assert [o["name"] for o in listed] == OPERATION_IDS
    assert all(set(o) == {"name", "title", "description", "category", "annotations", "streams", "examples"} and o["title"] and o["description"] for o in listed)


@by_operation()
def test_schemas_are_the_files_the_manifest_names(op: Operation, sandboxed: Connector) -> None:
    for kind, schema in (("input", sandboxed.input_schema(op.name)), ("output", sandboxed.output_schema(op.name))):
        file = json.loads((REPO / "schemas" / f"{op.name}.{kind}.json").read_text())
        assert unbundled(schema, file) == file
        assert all(ref.startswith("#") for ref in re.findall(r'"\$ref": "([^"]*)"', json.dumps(schema)))  # self-contained


@by_operation()
def test_validate_returns_violations_without_raising(op: Operation, sandboxed: Connector) -> None:
    assert sandboxed.validate(op.name, op.sample_input) == []
    problems = sandboxed.validate(op.name, {**op.sample_input, "unknown_field": 1})
    assert [p["path"] for p in problems] == ["/unknown_field"]


@pytest.mark.parametrize("method", ["input_schema", "output_schema", "validate", "run"])
def test_an_unknown_operation_is_a_configuration_error(method: str, sandboxed: Connector) -> None:
    args = ("create_poem",) if method.endswith("schema") else ("create_poem", {})
    with pytest.raises(ConfigurationError, match="create_poem"):
        getattr(sandboxed, method)(*args)


@by_operation()
def test_invalid_input_raises_validation_error_with_every_violation(op: Operation, sandboxed: Connector) -> None:
    with pytest.raises(ValidationError) as caught:
        sandboxed.run(op.name, {"a": 1, "b": 2})
    paths = [d["path"] for d in caught.value.details]
    assert {"/a", "/b"} | missing_paths(op) == set(paths)


def test_no_credential_without_the_sandbox_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no API key"):
        Connector(MANIFEST, {"base_url": "http://127.0.0.1:9"})


def test_connection_from_the_environment(monkeypatch: pytest.MonkeyPatch, recorder: Recorder, fake_key: str) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", fake_key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", recorder.url + "/")
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    with anthropic_connector.load() as connector:
        assert connector.connection.base_url == recorder.url
        connector.run("raw_http_request", {"method": "GET", "url": {"endpoint": "/v1/models"}})
    assert recorder.requests[0].headers["x-api-key"] == fake_key


def test_connection_defaults_come_from_the_connection_schema() -> None:
    connection = Connection.from_mapping({"api_key": "sk-ant-never-shown"}, MANIFEST)
    properties = MANIFEST.connection_schema["properties"]
    assert connection.base_url == properties["base_url"]["default"]
    assert connection.anthropic_version == properties["anthropic_version"]["default"]
    assert connection.timeout == properties["timeout"]["default"]
    assert connection.max_retries == properties["max_retries"]["default"]
    assert "sk-ant-never-shown" not in repr(connection) + str(connection)


@pytest.mark.parametrize(
    "bad",
    [{"api_key": ""}, {"base_url": "api.anthropic.com"}, {"anthropic_version": "latest"}, {"timeout": 0}, {"max_retries": -1}, {"apikey": "k"}],
    ids=["empty key", "base_url without scheme", "version not a date", "zero timeout", "negative retries", "misspelt field"],
)
def test_a_bad_connection_is_a_configuration_error(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Connector(MANIFEST, {"api_key": "k", **bad})
    assert caught.value.details and caught.value.exit_code == 3


def test_load_with_a_path_and_options(recorder: Recorder, fake_key: str) -> None:
    connector = anthropic_connector.load(REPO / "connector.yaml", connection={"api_key": fake_key, "base_url": recorder.url})
    with connector:
        assert [o["name"] for o in connector.operations()] == OPERATION_IDS
        assert connector.manifest.path == REPO / "connector.yaml"


def test_result_is_a_frozen_record() -> None:
    result = Result({"a": 1}, 200, "req_1")
    assert [f.name for f in dataclasses.fields(Result)] == ["output", "status", "request_id", "parsed"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = 500  # type: ignore[misc]


# -- errors, typed ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "type_", "code", "parent"),
    [
        (ValidationError, "validation_error", 2, ConnectorError),
        (ConfigurationError, "configuration_error", 3, ConnectorError),
        (APIError, "api_error", 4, ConnectorError),
        (ResponseTooLargeError, "response_too_large", 4, ConnectorError),
        (UnexpectedResponseError, "unexpected_response", 4, ConnectorError),
        (StructuredOutputError, "structured_output_error", 4, ConnectorError),
        (TransportError, "connection_error", 5, ConnectorError),
        (APITimeoutError, "timeout_error", 5, TransportError),
    ],
)
def test_error_tree(cls: type, type_: str, code: int, parent: type) -> None:
    assert issubclass(cls, parent) and issubclass(cls, Exception)
    assert (cls.type, cls.exit_code) == (type_, code)
    envelope = cls("it broke", status=499, request_id="req_x", details=[1]).envelope()
    assert envelope == {"error": {"type": type_, "message": "it broke", "status": 499, "request_id": "req_x", "details": [1]}}


@pytest.mark.parametrize("status", [400, 401, 404, 500, 529])
@by_operation()
def test_an_error_answer_raises_api_error_with_the_api_body(op: Operation, status: int, recorder: Recorder, connection: dict[str, Any]) -> None:
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too large"}}
    recorder.script(Answer(status, body, {"request-id": "req_err"}))
    with Connector(MANIFEST, connection) as connector:
        if op.request is None:  # raw_http_request returns every status as output
            result = connector.run(op.name, op.sample_input)
            assert (result.status, result.output["body"]) == (status, body)
            return
        with pytest.raises(APIError) as caught:
            connector.run(op.name, sendable(op))
    error = caught.value
    assert (error.status, error.request_id, error.details) == (status, "req_err", body)
    assert "max_tokens: too large" in error.message and str(status) in error.message
    assert len(recorder.requests) == 1  # max_retries 0


def test_no_answer_raises_transport_error(fake_key: str) -> None:
    with Connector(MANIFEST, {"api_key": fake_key, "base_url": refused_url(), "max_retries": 0}) as connector:
        with pytest.raises(TransportError) as caught:
            connector.run("create_message", sendable(MANIFEST.operation("create_message")))
    assert caught.value.exit_code == 5 and fake_key not in caught.value.message


def test_a_body_that_is_not_json_is_an_unexpected_response(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, "<html>gateway</html>", {"content-type": "text/html"}))
    with Connector(MANIFEST, connection) as connector, pytest.raises(UnexpectedResponseError, match="not JSON") as caught:
        connector.run("create_completion", sendable(MANIFEST.operation("create_completion")))
    assert (caught.value.type, caught.value.exit_code) == ("unexpected_response", 4)


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.request and op.request.response in ("json", "message", "completion")], ids=lambda op: op.name)
def test_a_2xx_that_is_not_the_declared_output_is_not_a_success(op: Operation, recorder: Recorder, connection: dict[str, Any]) -> None:
    """A misconfigured base_url answering {"echo": true}: an error naming what is missing."""
    recorder.script(Answer(200, {"echo": True}))
    with Connector(MANIFEST, connection) as connector, pytest.raises(UnexpectedResponseError) as caught:
        connector.run(op.name, sendable(op))
    assert caught.value.exit_code == 4 and caught.value.status == 200
    required = op.output_schema.get("required", [])
    if required:
        assert {"path": f"/{required[0]}", "message": "is required"} in caught.value.details


# -- the package surface ---------------------------------------------------------------------


def test_every_public_name_resolves() -> None:
    for name in anthropic_connector.__all__:
        assert getattr(anthropic_connector, name) is not None
    with pytest.raises(AttributeError):
        anthropic_connector.not_a_name  # noqa: B018


def test_public_names_are_sorted() -> None:
    assert anthropic_connector.__all__ == sorted(anthropic_connector.__all__)


@pytest.mark.parametrize("base_url", ["http://[::1]:8080/prefix", "https://api.anthropic.com", "http://:8080"])
@pytest.mark.parametrize("op", [o for o in OPERATIONS if o.request is not None and o.request.body == "json"], ids=lambda o: o.name)
def test_a_json_body_is_the_request_httpx2s_json_makes(op: Operation, base_url: str, fake_key: str) -> None:
    """request_call builds a JSON request's headers once, itself: they and the body are byte for
    byte (and in order) what ``httpx2.Request(json=...)`` makes of the same headers and body."""
    import httpx2

    from anthropic_connector.operations import build

    connection = Connection.from_mapping({"api_key": fake_key, "base_url": base_url}, MANIFEST)
    request = build(op, sendable(op), connection).request
    body = json.loads(request.content)
    own = [(k, v) for k, v in request.headers.raw if k.lower() not in (b"host", b"content-length", b"content-type")]
    reference = httpx2.Request(request.method, request.url, headers=own, json=body)
    assert request.headers.raw == reference.headers.raw
    assert request.content == reference.content


def test_a_base_url_with_no_host_is_unreachable_not_a_crash(fake_key: str) -> None:
    """``http://:8080`` passes the connection schema; a run says it cannot connect."""
    with Connector(MANIFEST, {"api_key": fake_key, "base_url": "http://:8080", "max_retries": 0}) as connector, pytest.raises(ConnectorError) as caught:
        connector.run("count_tokens", sendable(MANIFEST.operation("count_tokens")))
    assert caught.value.type == "connection_error"
