"""Where each input field lands on the wire, generated from the manifest's request specs.

For every operation with a request spec, each input field that the sample holds (or that its
schema's first example can add) is sent to the recording server, and found where the spec
says: in the path (percent-encoded), the query (a list as name[]), a header, the JSON body or
a multipart part. The expectation is computed from the spec and the input here, not by the
builder under test. A new operation is covered with no new test code.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any
from urllib.parse import quote, unquote

import pytest
from conftest import MANIFEST, OPERATIONS, Answer, Recorder, sendable

from anthropic_connector import Connector, ConnectorError
from anthropic_connector.spec import Operation

SPECIFIED = [op for op in OPERATIONS if op.request is not None]


def spelled(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def wire_inputs(op: Operation) -> list[tuple[str, dict[str, Any]]]:
    """(field, a valid input holding it) for every field the sample has or an example can add."""
    sample = sendable(op)
    cases = [(name, sample) for name in sample]
    required = {k: v for k, v in sample.items() if k in op.input_schema.get("required", [])}
    for name, schema in op.input_schema.get("properties", {}).items():
        if name in sample or not schema.get("examples"):
            continue
        # beside the sample's fields, or with only its required ones (some fields exclude others)
        for base in (sample, required):
            payload = {**copy.deepcopy(base), name: schema["examples"][0]}
            if not op.validator.errors(payload):
                cases.append((name, payload))
                break
    return cases


CASES = [(op, field, payload) for op in SPECIFIED for field, payload in wire_inputs(op)]


def multipart_parts(body: bytes, content_type: str) -> dict[str, bytes]:
    """The parts of a multipart/form-data body by name (the stdlib's email parser reads it)."""
    import email.parser
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(b"content-type: " + content_type.encode() + b"\r\n\r\n" + body)
    return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True) for part in message.iter_parts()}


@pytest.mark.parametrize(("op", "field", "payload"), CASES, ids=[f"{op.name}:{field}" for op, field, _ in CASES])
def test_each_input_field_lands_where_the_spec_says(op: Operation, field: str, payload: dict[str, Any], recorder: Recorder, connection: dict[str, Any], tmp_path: Any) -> None:
    spec = op.request
    assert spec is not None
    recorder.script(Answer(200, op.sample_output if not isinstance(op.sample_output, list) else "\n".join(map(json.dumps, op.sample_output))))
    if field == getattr(spec.file, "path", None):
        payload = {**payload, field: str(tmp_path / "upload.txt")}
        (tmp_path / "upload.txt").write_bytes(b"file body")
    with Connector(MANIFEST, {**connection, "anthropic_beta": ["connection-beta-1"]}) as connector:
        try:
            connector.run(op.name, payload)
        except ConnectorError as exc:  # the answer may not fit every input; the request is what is tested
            assert exc.type in ("unexpected_response",), exc.message
    (request,) = recorder.requests
    value = payload[field]
    assert request.method == spec.method
    if field in spec.placeholders:
        assert f"/{quote(spelled(value), safe='')}" in request.target.split("?")[0]
    elif field in spec.query:
        expected = [(f"{field}[]", spelled(v)) for v in value] if isinstance(value, list) else [(field, spelled(value))]
        assert [pair for pair in request.query if pair[0] in (field, f"{field}[]")] == expected
    elif field in spec.headers:
        header = request.headers[spec.headers[field]]
        items = value if isinstance(value, list) else [value]
        if spec.headers[field] == "anthropic-beta":  # joined to the connection's betas, never replacing them
            assert header.split(",") == ["connection-beta-1", *items]
        else:
            assert header == ",".join(map(spelled, items))
    elif spec.body == "multipart":
        parts = multipart_parts(request.body, request.headers["content-type"])
        if spec.file and field == spec.file.path:
            assert parts[spec.file.part] == b"file body"
        elif spec.file and field == spec.file.base64:
            assert parts[spec.file.part] == base64.b64decode(value)
        elif spec.file and field in (spec.file.filename, spec.file.media_type):
            assert value in request.body.decode("latin-1")
        else:
            assert parts[field].decode() == spelled(value)
    else:
        assert spec.body == "json"
        assert field in request.json()
    # Nothing lands twice: a field placed elsewhere is not also in a JSON body.
    if spec.body == "json" and (field in spec.placeholders or field in spec.query or field in spec.headers):
        assert field not in request.json()
    if spec.body == "none":
        assert request.body == b"" and "content-type" not in request.headers


@pytest.mark.parametrize("op", SPECIFIED, ids=[op.name for op in SPECIFIED])
def test_every_path_query_and_header_field_is_exercised(op: Operation) -> None:
    """The generated cases reach every field the spec places outside a JSON body."""
    spec = op.request
    assert spec is not None
    placed = {*spec.placeholders, *spec.query, *spec.headers}
    reached = {field for field, _ in wire_inputs(op)}
    assert placed <= reached, f"{op.name}: give these fields a sample value or an example: {sorted(placed - reached)}"


@pytest.mark.parametrize("op", [op for op in SPECIFIED if op.request and op.request.placeholders], ids=lambda op: op.name)
def test_a_placeholder_value_cannot_escape_its_path_segment(op: Operation, recorder: Recorder, connection: dict[str, Any]) -> None:
    spec = op.request
    assert spec is not None
    name = spec.placeholders[-1]
    recorder.script(Answer(200, op.sample_output))
    with Connector(MANIFEST, connection) as connector:
        try:
            connector.run(op.name, {**op.sample_input, name: "../../v1/x?y=1#z"})
        except ConnectorError:
            pass
    (request,) = recorder.requests
    path = request.target.split("?")[0]
    assert path.count("/") == spec.path.count("/") and unquote(path.rsplit("/", 1)[-1]) != ""
    assert "?y=1" not in request.target and "#" not in request.target
