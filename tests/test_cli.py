"""`anthropic-connector`: each command's stdout JSON and exit code.

Most runs call ``cli.main(argv)`` in-process (fast); a handful run ``python -m
anthropic_connector`` as a subprocess with a clean environment, end to end. Every run, either
way, goes through conftest's check: no traceback on stderr, no key in stdout or stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MANIFEST, OPERATION_IDS, OPERATIONS, REPO, SRC, Answer, Recorder, _checked, by_operation, missing_paths, refused_url, run_cli, sendable, wire_answer, write_json
from jsonschema import Draft7Validator

from anthropic_connector.spec import Operation

API_OPERATIONS = [op for op in OPERATIONS if op.request is not None]  # those that raise on a non-2xx answer
RAW_OPERATIONS = [op for op in OPERATIONS if op.request is None]  # those that return every status
ERROR_BODY = {"type": "error", "error": {"type": "invalid_request_error", "message": "prompt is too long"}}


SENDABLE = Path(tempfile.mkdtemp(prefix="anthropic-connector-samples-"))


def sample_file(op: Operation) -> str:
    """The sample's file, or, for a seed sample naming a retired model, a copy that the API takes
    (conftest.sendable): only the sandbox serves the seed's own."""
    payload = sendable(op)
    if payload == op.sample_input:
        return str(REPO / "samples" / f"{op.name}.input.json")
    return str(write_json(SENDABLE / f"{op.name}.input.json", payload))


def assert_envelope(out: Any, type_: str) -> dict[str, Any]:
    assert set(out) == {"error"}
    error = out["error"]
    assert set(error) == {"type", "message", "status", "request_id", "details"}
    assert error["type"] == type_ and error["message"]
    return error


# -- operations, schema, validate ------------------------------------------------------------


def test_operations_prints_name_title_description_category_and_annotations(cli: Any) -> None:
    code, out, err = cli("operations")
    assert code == 0 and err == ""
    assert out == [op.summary() for op in OPERATIONS]
    assert [(o["name"], o["title"], o["description"]) for o in out] == [(op.name, op.title, op.description) for op in OPERATIONS]


def test_schema_connection_prints_the_connection_schema(cli: Any, manifest: Any) -> None:
    code, out, _ = cli("schema", "connection")
    assert code == 0 and out == manifest.connection_schema


@by_operation()
@pytest.mark.parametrize("which", ["input", "output"])
def test_schema_prints_the_operation_schema(cli: Any, op: Operation, which: str) -> None:
    code, out, _ = cli("schema", op.name, *(["--output"] if which == "output" else []))
    assert code == 0
    assert out == (op.output_schema if which == "output" else op.input_schema)
    Draft7Validator.check_schema(out)


@by_operation()
def test_validate_a_sample_file(cli: Any, op: Operation) -> None:
    assert cli("validate", op.name, sample_file(op)) == (0, {"valid": True}, "")


@by_operation()
def test_validate_from_stdin(cli: Any, op: Operation) -> None:
    assert cli("validate", op.name, "-", stdin=json.dumps(sendable(op))) == (0, {"valid": True}, "")


@by_operation()
def test_validate_reports_every_violation(cli: Any, op: Operation) -> None:
    code, out, err = cli("validate", op.name, "-", stdin=json.dumps({"bogus": 1}))
    assert code == 2
    error = assert_envelope(out, "validation_error")
    assert {d["path"] for d in error["details"]} == {"/bogus"} | missing_paths(op)
    assert err.startswith("anthropic-connector: validation_error: ") and err.endswith("\n") and err.count("\n") == 1


@pytest.mark.parametrize("command", [["schema", "create_poem"], ["validate", "create_poem", "-"], ["run", "create_poem", "-"]], ids=["schema", "validate", "run"])
def test_an_unknown_operation_is_an_error_not_a_traceback(cli: Any, recorder: Recorder, connection_env: dict[str, str], command: list[str]) -> None:
    code, out, err = cli(*command, env=connection_env, stdin="{}")
    assert code == 3
    error = assert_envelope(out, "configuration_error")
    assert "create_poem" in error["message"] and all(name in error["message"] for name in OPERATION_IDS)
    assert recorder.requests == []


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["run"], ["run", "create_message"], ["schema"], ["run", "create_message", "-", "--timeout", "abc"]],
    ids=["nothing", "unknown command", "run alone", "run without input", "schema alone", "not a number"],
)
def test_usage_errors_exit_2_with_usage_on_stderr(cli: Any, argv: list[str]) -> None:
    """A usage mistake is bad input like any other: the envelope on stdout, usage on stderr."""
    code, out, err = cli(*argv)
    assert code == 2 and "the command line is invalid" in assert_envelope(out, "validation_error")["message"]
    assert "usage: anthropic-connector" in err


# -- run -------------------------------------------------------------------------------------


@by_operation()
def test_run_prints_the_output(cli: Any, op: Operation, recorder: Recorder, connection_env: dict[str, str], fake_key: str) -> None:
    recorder.script(wire_answer(op, "req_cli"))
    code, out, err = cli("run", op.name, sample_file(op), env=connection_env)
    assert code == 0 and err == ""
    if op.request is None:
        assert out["status"] == 200 and out["body"] == op.sample_output["body"]
    else:
        assert out == op.sample_output
    (request,) = recorder.requests
    assert request.headers["x-api-key"] == fake_key


@by_operation()
def test_run_on_the_sandbox_needs_no_key(cli: Any, op: Operation) -> None:
    code, out, err = cli("run", op.name, str(REPO / "samples" / f"{op.name}.input.json"), "--sandbox")  # the seed's own, as make demo runs it
    assert code == 0 and err == ""
    assert list(Draft7Validator(op.output_schema).iter_errors(out)) == []


@pytest.mark.parametrize("form", ["json", "yaml"])
def test_run_with_a_connection_file(cli: Any, recorder: Recorder, fake_key: str, tmp_path: Path, form: str) -> None:
    settings = {"api_key": fake_key, "base_url": recorder.url, "anthropic_version": "2026-10-21", "anthropic_beta": ["a-2025-01-01", "b-2025-02-02"], "max_retries": 0}
    path = tmp_path / f"connection.{form}"
    path.write_text(json.dumps(settings) if form == "json" else yaml.safe_dump(settings), encoding="utf-8")
    op = MANIFEST.operation("create_message")
    recorder.script(wire_answer(op, "req_cli"))
    unsampled = write_json(tmp_path / "input.json", {k: v for k, v in sendable(op).items() if k != "temperature"})  # 2026-10-21 has none
    code, out, _ = cli("run", op.name, str(unsampled), "--connection", str(path), env={"ANTHROPIC_API_KEY": "sk-ant-not-this-one"})
    assert code == 0 and out == op.sample_output
    headers = recorder.requests[0].headers
    assert headers["x-api-key"] == fake_key  # the file, not the environment
    assert headers["anthropic-version"] == "2026-10-21"
    assert headers["anthropic-beta"] == "a-2025-01-01,b-2025-02-02"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("neither.yaml", "api_key: [unclosed\n"),
        ("list.json", '["sk-ant-api03"]'),
        ("text.yaml", "just a sentence\n"),
        ("unknown.json", '{"api_key": "sk-ant-x", "apikey": "sk-ant-y"}'),
        ("bad-url.json", '{"api_key": "sk-ant-x", "base_url": "localhost:8080"}'),
        ("bad-version.yaml", "api_key: sk-ant-x\nanthropic_version: latest\n"),
        ("empty-key.json", '{"api_key": ""}'),
        ("missing.json", None),
        ("not-utf-8.yaml", b"\xff\xfe api_key: sk-ant-x\n"),
    ],
)
def test_an_invalid_connection_file_exits_3_naming_it(cli: Any, recorder: Recorder, tmp_path: Path, name: str, content: str | bytes | None) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = cli("run", "create_message", sample_file(MANIFEST.operation("create_message")), "--connection", str(path))
    assert code == 3
    error = assert_envelope(out, "configuration_error")
    assert str(path) in error["message"] and str(path) in err
    assert recorder.requests == []


@by_operation()
def test_no_key_exits_3_and_sends_nothing(cli: Any, op: Operation, recorder: Recorder) -> None:
    code, out, err = cli("run", op.name, sample_file(op), env={"ANTHROPIC_BASE_URL": recorder.url})
    assert code == 3
    error = assert_envelope(out, "configuration_error")
    assert "ANTHROPIC_API_KEY" in error["message"]
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [("broken.yaml", "api_key: [unclosed\n", "as YAML: expected ',' or ']'"), ("broken.json", '{"api_key": ', "as JSON: Expecting value: line 1 column 13")],
)
def test_an_unparsable_connection_file_says_where_it_broke(cli: Any, tmp_path: Path, name: str, content: str, where: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, _ = cli("run", "create_message", sample_file(MANIFEST.operation("create_message")), "--connection", str(path))
    assert code == 3 and where in assert_envelope(out, "configuration_error")["message"]


def test_a_connection_file_without_a_key_is_named_even_when_the_env_has_one(cli: Any, recorder: Recorder, tmp_path: Path) -> None:
    """A connection file replaces the environment, so the message must point at the file."""
    path = tmp_path / "conn.yaml"
    path.write_text(f"base_url: {recorder.url}\n", encoding="utf-8")
    op = MANIFEST.operation("create_message")
    code, out, _ = cli("run", op.name, sample_file(op), "--connection", str(path), env={"ANTHROPIC_API_KEY": "sk-ant-env"})
    assert code == 3
    message = assert_envelope(out, "configuration_error")["message"]
    assert f"add api_key (or auth_token) to {path}" in message and "--sandbox" in message
    assert recorder.requests == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 429, 500, 529])
@pytest.mark.parametrize("op", API_OPERATIONS, ids=[op.name for op in API_OPERATIONS])
def test_an_error_answer_exits_4_with_status_request_id_and_body(cli: Any, op: Operation, status: int, recorder: Recorder, connection_env: dict[str, str]) -> None:
    recorder.script(Answer(status, ERROR_BODY, {"request-id": f"req_{status}"}))
    code, out, err = cli("run", op.name, sample_file(op), "--max-retries", "0", env=connection_env)
    assert code == 4
    error = assert_envelope(out, "api_error")
    assert (error["status"], error["request_id"], error["details"]) == (status, f"req_{status}", ERROR_BODY)
    assert "prompt is too long" in error["message"] and "prompt is too long" in err
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("status", [404, 500])
@pytest.mark.parametrize("op", RAW_OPERATIONS, ids=[op.name for op in RAW_OPERATIONS])
def test_a_raw_request_prints_an_error_answer_as_output(cli: Any, op: Operation, status: int, recorder: Recorder, connection_env: dict[str, str]) -> None:
    recorder.script(Answer(status, ERROR_BODY, {"request-id": "req_raw"}))
    code, out, _ = cli("run", op.name, sample_file(op), "--max-retries", "0", env=connection_env)
    assert code == 0
    assert (out["status"], out["body"], out["headers"]["request-id"]) == (status, ERROR_BODY, "req_raw")


def test_a_retried_error_is_sent_again(cli: Any, recorder: Recorder, connection_env: dict[str, str]) -> None:
    """--max-retries 1 on a 529 that says retry-after-ms: 1: two requests, then the success."""
    op = MANIFEST.operation("create_message")
    recorder.script(Answer(529, {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}, {"retry-after-ms": "1"}), wire_answer(op, "req_cli"))
    code, out, _ = cli("run", op.name, sample_file(op), "--max-retries", "1", env=connection_env)
    assert code == 0 and out == op.sample_output
    assert len(recorder.requests) == 2 and recorder.requests[0].body == recorder.requests[1].body


@by_operation()
def test_a_refused_connection_exits_5(cli: Any, op: Operation, fake_key: str) -> None:
    url = refused_url()
    code, out, err = cli("run", op.name, sample_file(op), "--max-retries", "0", env={"ANTHROPIC_API_KEY": fake_key, "ANTHROPIC_BASE_URL": url})
    assert code == 5
    error = assert_envelope(out, "connection_error")
    assert url in error["message"]


def test_verbose_logs_on_stderr_without_the_key(cli: Any, recorder: Recorder, connection_env: dict[str, str]) -> None:
    op = MANIFEST.operation("create_message")
    recorder.script(wire_answer(op, "req_cli"))
    code, out, err = cli("run", op.name, sample_file(op), "--verbose", env=connection_env)
    assert code == 0 and out == op.sample_output
    assert "/v1/messages" in err  # the key check itself is conftest's, on every run


def test_verbose_ends_with_its_run(cli: Any, recorder: Recorder, connection_env: dict[str, str]) -> None:
    op = MANIFEST.operation("create_message")
    recorder.script(wire_answer(op, "req_cli"))
    assert "/v1/messages" in cli("run", op.name, sample_file(op), "--verbose", env=connection_env).err
    code, out, err = cli("run", op.name, sample_file(op), env=connection_env)
    assert (code, out, err) == (0, op.sample_output, "")


@pytest.mark.parametrize("option", [["--timeout", "0"], ["--timeout", "-1"], ["--timeout", "nan"], ["--max-retries", "-1"]], ids=["timeout 0", "timeout -1", "timeout nan", "retries -1"])
def test_out_of_range_overrides_are_configuration_errors(cli: Any, recorder: Recorder, connection_env: dict[str, str], option: list[str]) -> None:
    op = MANIFEST.operation("raw_http_request")
    code, out, _ = cli("run", op.name, sample_file(op), *option, env=connection_env)
    assert code == 3 and out["error"]["type"] == "configuration_error"
    assert recorder.requests == []


# -- end to end, as a subprocess -------------------------------------------------------------


def test_subprocess_operations_and_schema() -> None:
    code, out, err = run_cli(["operations"])
    assert (code, err) == (0, "") and [o["name"] for o in out] == OPERATION_IDS
    code, out, _ = run_cli(["schema", "create_message", "--output"])
    assert code == 0 and out == MANIFEST.operation("create_message").output_schema


def test_subprocess_run_sends_and_prints(recorder: Recorder, connection_env: dict[str, str], fake_key: str) -> None:
    op = MANIFEST.operation("create_message")
    recorder.script(wire_answer(op, "req_cli"))
    code, out, err = run_cli(["run", op.name, "-"], env=connection_env, stdin=json.dumps(sendable(op)))
    assert (code, out, err) == (0, op.sample_output, "")
    assert recorder.requests[0].headers["x-api-key"] == fake_key


@pytest.mark.parametrize(
    ("case", "code", "type_"),
    [("bad input", 2, "validation_error"), ("no key", 3, "configuration_error"), ("api error", 4, "api_error"), ("refused", 5, "connection_error"), ("unknown operation", 3, "configuration_error")],
)
def test_subprocess_exit_codes(recorder: Recorder, connection_env: dict[str, str], case: str, code: int, type_: str) -> None:
    op = MANIFEST.operation("create_completion")
    env, argv, stdin = dict(connection_env), ["run", op.name, "-", "--max-retries", "0"], json.dumps(sendable(op))
    if case == "bad input":
        stdin = json.dumps({**sendable(op), "max_tokens_to_sample": "many"})
    elif case == "no key":
        del env["ANTHROPIC_API_KEY"]
    elif case == "api error":
        recorder.script(Answer(400, ERROR_BODY, {"request-id": "req_sub"}))
    elif case == "refused":
        env["ANTHROPIC_BASE_URL"] = refused_url()
    else:
        argv[1] = "create_poem"
    got, out, err = run_cli(argv, env=env, stdin=stdin)
    assert got == code
    assert_envelope(out, type_)
    assert err.startswith(f"anthropic-connector: {type_}: ") and err.count("\n") == 1
    assert len(recorder.requests) == (1 if case == "api error" else 0)


def test_subprocess_sandbox_run() -> None:
    op = MANIFEST.operation("raw_http_request")
    code, out, err = run_cli(["run", op.name, sample_file(op), "--sandbox"])
    assert (code, err) == (0, "") and out["status"] == 200


def test_the_run_check_catches_a_leak_and_a_traceback(fake_key: str) -> None:
    """conftest's check, applied to every run above, does fail on what it guards against."""
    with pytest.raises(AssertionError):
        _checked(1, f'{{"error": "{fake_key}"}}', "", {})
    with pytest.raises(AssertionError):
        _checked(1, "", "Traceback (most recent call last):\n  ...", {})
    with pytest.raises(AssertionError):
        _checked(0, "", "token sk-ant-env-only", {"ANTHROPIC_AUTH_TOKEN": "sk-ant-env-only"})
    assert _checked(0, "[]", "", {}).out == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["operations"], ["schema", "create_poem"]], ids=["output", "error envelope"])
def test_an_output_that_cannot_be_written_is_one_line_not_a_traceback(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "anthropic_connector", *args], stdout=full, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=60)
    assert done.returncode == 1 and done.stderr == "anthropic-connector: No space left on device\n"
