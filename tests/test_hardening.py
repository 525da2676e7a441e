"""An adversarial pass, end to end: keys never echoed, hostile upstreams bounded in memory and
time, bad local input refused without a traceback. Each case runs the CLI or the library
against a server on 127.0.0.1 and asserts the promised behaviour (exit code, envelope, the key
absent from every byte of output, peak memory and wall time bounded)."""

from __future__ import annotations

import gzip
import json
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from conftest import MANIFEST, MODES, REPO, SECRETS, SRC, Answer, Hostile, Recorder, run_cli, sendable, write_json
from conftest import outcome as shared_outcome

from anthropic_connector.sandbox import SandboxOptions, serve

from anthropic_connector import Connector, ConnectorError

MESSAGE = {"model": "claude-sonnet-5-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
REPLY = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5", "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}}


@pytest.fixture
def hostile() -> Iterator[Callable[[Callable[[socket.socket, bytes], None]], Hostile]]:
    made: list[Hostile] = []

    def make(behave: Callable[[socket.socket, bytes], None]) -> Hostile:
        made.append(Hostile(behave))
        return made[-1]

    yield make
    for server in made:
        server.close()


def outcome(mode: str, connection: dict[str, Any], name: str = "create_message", payload: Any = MESSAGE) -> Any:
    return shared_outcome(mode, connection, name, payload)


# -- the key ---------------------------------------------------------------------------------

KEY = "sk-ant-api03-" + "k" * 40 + "wxyz"
SECRETS.add(KEY)


SLIPS = {"space": " ", "LF": "\n", "CR": "\r", "NUL": "\0", "non-ASCII": "é", "tab": "\t"}
SLIP_CASES = [(slip, where) for name, slip in SLIPS.items() for where in ("environment", "file") if not (name == "NUL" and where == "environment")]  # no environment can hold a NUL


@pytest.mark.parametrize(("slip", "where"), SLIP_CASES, ids=[f"{w}-{n}" for n, s in SLIPS.items() for w in ("environment", "file") if not (n == "NUL" and w == "environment")])
def test_a_key_with_a_stray_character_is_a_configuration_error_that_never_shows_it(slip: str, where: str, recorder: Recorder, tmp_path: Path) -> None:
    key = KEY + slip if slip != "é" else KEY[:20] + slip + KEY[20:]
    sample = str(REPO / "samples" / "create_message.input.json")
    if where == "environment":
        result = run_cli(["run", "create_message", sample], env={"ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": recorder.url})
    else:
        (tmp_path / "c.json").write_text(json.dumps({"api_key": key, "base_url": recorder.url}), encoding="utf-8")
        result = run_cli(["run", "create_message", sample, "--connection", str(tmp_path / "c.json")])
    assert result.code == 3 and result.out["error"]["type"] == "configuration_error"
    assert "api_key has" in result.out["error"]["message"]
    assert KEY[:30] not in json.dumps(result.out) + result.err  # run_cli also checks the whole key
    assert recorder.requests == []


@pytest.mark.parametrize("field", ["base_url", "timeout", "max_retries", "anthropic_version", KEY])
def test_a_key_typed_into_the_wrong_field_is_never_echoed(field: str, tmp_path: Path) -> None:
    connection = {"api_key": "sk-ant-placeholder-0000"} | ({field: KEY} if field != KEY else {KEY: 1})
    (tmp_path / "c.json").write_text(json.dumps(connection), encoding="utf-8")
    result = run_cli(["run", "create_message", str(REPO / "samples" / "create_message.input.json"), "--connection", str(tmp_path / "c.json")])
    assert result.code == 3 and result.out["error"]["type"] == "configuration_error"
    shown = json.dumps(result.out) + result.err
    assert "kkkkkkkk" not in shown and shown.count("sk-ant-") == shown.count("sk-ant-...")  # at most the masked form


def test_a_base_url_password_is_never_shown(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "c.json").write_text(json.dumps({"api_key": "sk-ant-test-x", "base_url": f"http://user:hunter2pass@127.0.0.1:{port}", "max_retries": 0}), encoding="utf-8")
    payload = write_json(tmp_path / "input.json", sendable(MANIFEST.operation("create_message")))
    result = run_cli(["run", "create_message", str(payload), "--connection", str(tmp_path / "c.json"), "-v"])
    assert result.code == 5
    assert "hunter2pass" not in json.dumps(result.out) + result.err


@MODES
def test_both_clients_send_the_same_headers_and_no_userinfo_credentials(mode: str, recorder: Recorder, connection: dict[str, Any]) -> None:
    """aiohttp would turn a fullUrl's user:password into Basic credentials for another origin."""
    host_port = recorder.url.removeprefix("http://")
    recorder.script(Answer(200, {"ok": True}))
    payload = {"method": "GET", "url": {"fullUrl": f"http://someone:secret@{host_port}/elsewhere"}}
    outcome(mode, {**connection, "base_url": "http://127.0.0.2:9"}, "raw_http_request", payload)
    (request,) = recorder.requests
    assert "authorization" not in request.headers
    names = sorted(k.lower() for k, _ in request.raw_headers)
    assert names == ["host", "user-agent"], names  # the same on both clients: nothing added by either


# -- any upstream, bounded -------------------------------------------------------------------


def endless_redirect_body(sock: socket.socket, _: bytes) -> None:
    sock.sendall(b"HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ntransfer-encoding: chunked\r\n\r\n")
    chunk = b"x" * 65536
    frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sock.sendall(frame)


def gzip_bomb_redirect(sock: socket.socket, _: bytes) -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)
    sock.sendall(b"HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-encoding: gzip\r\ncontent-length: %d\r\n\r\n%s" % (len(bomb), bomb))
    time.sleep(1)


@pytest.mark.parametrize("behave", [endless_redirect_body, gzip_bomb_redirect], ids=["endless body", "gzip bomb"])
def test_a_redirects_body_is_never_read(behave: Callable[[socket.socket, bytes], None], hostile: Any, tmp_path: Path) -> None:
    """A child process, so that its peak memory is its own: it stays far below the body's size."""
    server = hostile(behave)
    script = (
        "import sys\n"
        "from anthropic_connector import Connector, ConnectorError\n"
        f"c = Connector(connection={{'api_key': 'sk-ant-test-r', 'base_url': {server.url!r}, 'max_retries': 0, 'max_response_bytes': 1024}})\n"
        "try:\n"
        "    c.run('raw_http_request', {'method': 'GET', 'url': {'endpoint': '/start'}})\n"
        "except ConnectorError as e:\n"
        "    sys.stderr.write(f'{e.type}: {e.message}\\n')\n"
        # VmHWM: this process's own peak; ru_maxrss would count the parent's, carried over by exec
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) // 1024)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) < 150, done.stderr  # MB; the endless body alone would pass gigabytes
    assert time.monotonic() - started < 30


def slow_bytes(sock: socket.socket, _: bytes) -> None:
    body = json.dumps(REPLY).encode()
    sock.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body))
    for byte in body:
        sock.sendall(bytes([byte]))
        time.sleep(0.2)


def slow_headers(sock: socket.socket, _: bytes) -> None:
    for byte in b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n":
        sock.sendall(bytes([byte]))
        time.sleep(0.2)


def endless_processing(sock: socket.socket, _: bytes) -> None:
    for _ in range(200):
        sock.sendall(b"HTTP/1.1 102 Processing\r\n\r\n")
        time.sleep(0.1)


@MODES
@pytest.mark.parametrize("behave", [slow_bytes, slow_headers, endless_processing], ids=["a byte at a time", "slow headers", "102 for ever"])
def test_a_trickling_upstream_meets_the_deadline(mode: str, behave: Callable[[socket.socket, bytes], None], hostile: Any) -> None:
    server = hostile(behave)
    started = time.monotonic()
    connection = {"api_key": "sk-ant-test-d", "base_url": server.url, "max_retries": 0, "timeout": 5, "deadline": 1.0}
    assert outcome(mode, connection) == "timeout_error"
    assert time.monotonic() - started < 4


def trickling_stream(sock: socket.socket, _: bytes) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
    for _ in range(100):
        sock.sendall(b"1\r\n:\r\n")  # one byte of a comment line at a time: never an event
        time.sleep(0.1)


@MODES
def test_a_stream_that_sends_no_event_meets_the_idle_limit(mode: str, hostile: Any) -> None:
    server = hostile(trickling_stream)
    started = time.monotonic()
    connection = {"api_key": "sk-ant-test-d", "base_url": server.url, "max_retries": 0, "timeout": 5, "deadline": 30, "stream_idle_timeout": 1.0}
    assert outcome(mode, connection, payload={**MESSAGE, "stream": True}) == "timeout_error"
    assert time.monotonic() - started < 5


# -- bad input never becomes a traceback ---------------------------------------------------------


def cli_subprocess(args: list[str], stdin: bytes | None = b"", **popen: Any) -> subprocess.CompletedProcess[bytes]:
    """The CLI as a child with raw bytes in and out (stdin=None: closed)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(SRC), "ANTHROPIC_CONNECTOR_NO_CACHE": "1"}
    return subprocess.run([sys.executable, "-m", "anthropic_connector", *args], input=stdin, capture_output=True, env=env, cwd=REPO, timeout=60, **popen)


def envelope(done: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    return json.loads(done.stdout)["error"]  # stdout is JSON, whatever came in


def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [300, 1_000, 100_000])
@pytest.mark.parametrize("where", ["top", "content", "raw body", "validate"])
def test_deep_nesting_is_a_validation_error(depth: int, where: str) -> None:
    deep = nested(depth)
    text = {
        "top": deep,
        "content": '{"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [%s]}]}' % deep,
        "raw body": '{"method": "POST", "url": {"endpoint": "/v1/x"}, "body": {"raw": %s}}' % deep,
        "validate": deep,
    }[where]
    op = "raw_http_request" if where == "raw body" else "create_message"
    command = "validate" if where == "validate" else "run"
    done = cli_subprocess([command, op, "-", *([] if command == "validate" else ["--sandbox"])], stdin=text.encode())
    error = envelope(done)
    assert done.returncode == 2 and error["type"] == "validation_error" and "nested" in error["message"]


@pytest.mark.parametrize(
    ("stdin", "expect"),
    [
        (b'{"model": "claude-sonnet-5-5", "max_tokens": 5, "messages": [{"role": "user", "content": "\\ud800"}]}', "surrogate"),
        (b'{"method": "GET", "url": {"endpoint": "/v1/\\udcff"}}', "surrogate"),
        (b'{"model": "m\xff\xfe", "max_tokens": 5}', "UTF-8"),
        (b'{"method": "GET", "url": {"endpoint": "/v1/models"}, "url": {"fullUrl": "https://elsewhere.example/steal"}}', "twice"),
        (b'{"model": "m", "max_tokens": NaN, "messages": []}', "NaN"),
    ],
    ids=["lone surrogate in content", "lone surrogate in an endpoint", "invalid UTF-8", "a key twice", "NaN"],
)
def test_text_that_is_not_what_it_claims_is_refused_cleanly(stdin: bytes, expect: str) -> None:
    op = "raw_http_request" if b'"method"' in stdin else "create_message"
    done = cli_subprocess(["run", op, "-", "--sandbox"], stdin=stdin)
    error = envelope(done)
    assert done.returncode == 2 and expect in json.dumps(error["details"]) + error["message"]
    done.stdout.decode("utf-8")  # valid UTF-8 whatever came in


@pytest.mark.parametrize(
    "url",
    [{"fullUrl": "http://127.0.0.1:abc/x"}, {"fullUrl": "http://[::1/x"}, {"fullUrl": "http://" + "a" * 300 + ".example/x"}, {"endpoint": "/v1/\x01"}],
    ids=["port abc", "unclosed bracket", "300-character label", "control character"],
)
def test_a_url_httpx2_cannot_send_is_a_validation_error(url: dict[str, str], recorder: Recorder, connection: dict[str, Any]) -> None:
    with Connector(MANIFEST, connection) as connector, pytest.raises(ConnectorError) as caught:
        connector.run("raw_http_request", {"method": "GET", "url": url})
    assert caught.value.type == "validation_error" and caught.value.details[0]["path"].startswith("/url")
    assert recorder.requests == []


@pytest.mark.parametrize("header", ["Content-Length", "transfer-encoding"])
def test_a_framing_header_on_a_raw_body_is_refused(header: str, recorder: Recorder, connection: dict[str, Any]) -> None:
    payload = {"method": "POST", "url": {"endpoint": "/v1/x"}, "headers": {header: "5"}, "body": {"raw": {"a": "a long body"}}}
    with Connector(MANIFEST, connection) as connector, pytest.raises(ConnectorError) as caught:
        connector.run("raw_http_request", payload)
    assert caught.value.details == [{"path": f"/headers/{header}", "message": "is set by the connector from the body; leave it out"}]
    assert recorder.requests == []


def test_closed_stdin_and_closed_stdout_are_one_clean_line() -> None:
    no_stdin = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.close(0); sys.stdin = None; from anthropic_connector.cli import main; sys.exit(main(['run', 'create_message', '-', '--sandbox']))"],
        capture_output=True, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}, timeout=60,
    )
    assert no_stdin.returncode == 2 and "standard input is closed" in json.loads(no_stdin.stdout)["error"]["message"]
    no_stdout = subprocess.run(
        f"{sys.executable} -m anthropic_connector run create_message samples/create_message.input.json --sandbox >&-",
        shell=True, capture_output=True, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}, cwd=REPO, timeout=60,
    )
    assert no_stdout.returncode == 1 and b"Traceback" not in no_stdout.stderr and no_stdout.stderr.count(b"\n") == 1


@pytest.mark.parametrize("source", ["/dev/zero", "/dev/urandom", "fifo", "folder"])
def test_an_endless_or_blocking_input_is_refused_within_the_limit(source: str, tmp_path: Path) -> None:
    import os

    if source == "fifo":
        os.mkfifo(tmp_path / "fifo")
        source = str(tmp_path / "fifo")
    elif source == "folder":
        source = str(tmp_path)
    started = time.monotonic()
    done = cli_subprocess(["run", "create_message", source, "--sandbox"])
    error = envelope(done)
    assert done.returncode == 2 and "not a regular file" in error["message"]
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("flag", [True, False], ids=["--max-input-bytes", "environment"])
def test_stdin_is_read_within_the_size_limit(flag: bool) -> None:
    limit = ["--max-input-bytes", "1000"] if flag else []
    env_limit = {} if flag else {"ANTHROPIC_CONNECTOR_MAX_INPUT_BYTES": "1000"}
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(SRC), **env_limit}
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run([sys.executable, "-m", "anthropic_connector", "run", "create_message", "-", "--sandbox", *limit], stdin=zero, capture_output=True, env=env, timeout=60)
    error = envelope(done)
    assert done.returncode == 2 and "1,000 bytes" in error["message"] and "ANTHROPIC_CONNECTOR_MAX_INPUT_BYTES" in error["message"]


@pytest.mark.parametrize("what", ["--connection", "--manifest"])
def test_an_endless_connection_file_or_manifest_is_refused(what: str) -> None:
    args = ["--manifest", "/dev/zero", "operations"] if what == "--manifest" else ["run", "create_message", "samples/create_message.input.json", "--connection", "/dev/zero"]
    done = cli_subprocess(args)
    error = envelope(done)
    assert done.returncode == 3 and "not a regular file" in error["message"]


def test_events_mode_ends_with_a_one_line_envelope() -> None:
    with serve(options=SandboxOptions(check_key=False, faults=("error-event:after=2",))) as server:
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(SRC), "ANTHROPIC_API_KEY": "sk-ant-test-ev", "ANTHROPIC_BASE_URL": server.url}
        done = subprocess.run([sys.executable, "-m", "anthropic_connector", "run", "create_message", "-", "--events", "--max-retries", "0"],
                              input=json.dumps(MESSAGE).encode(), capture_output=True, env=env, timeout=60)
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 4 and len(lines) >= 2
    assert all(isinstance(json.loads(line), dict) for line in lines)  # every line one JSON object
    assert json.loads(lines[-1])["error"]["type"] == "api_error"


def test_verbose_on_the_sandbox_says_nothing_leaves_the_process() -> None:
    done = cli_subprocess(["run", "create_message", "samples/create_message.input.json", "--sandbox", "-v"])
    assert done.returncode == 0 and b"in-process sandbox: nothing leaves this process" in done.stderr


def test_an_output_file_gets_the_mode_any_new_file_gets(tmp_path: Path) -> None:
    import os
    import stat

    with Connector(MANIFEST, {}, sandbox=True) as connector:
        connector.run("download_file", {"file_id": "file_x"}, output_file=tmp_path / "out.bin")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out.bin").stat().st_mode) == 0o666 & ~umask


@MODES
@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_answer_is_read_within_the_limit(mode: str, encoding: str, recorder: Recorder, connection: dict[str, Any]) -> None:
    import zlib

    body = json.dumps(REPLY).encode()
    packed = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    recorder.script(Answer(200, packed, {"content-type": "application/json", "content-encoding": encoding}, chunk=7))
    assert outcome(mode, connection) == REPLY
    bomb = gzip.compress(b" " * (50 * 1024 * 1024))
    recorder.script(Answer(200, bomb, {"content-type": "application/json", "content-encoding": "gzip"}))
    assert outcome(mode, {**connection, "max_response_bytes": 4096}) == "response_too_large"


def _integers(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        kinds = node.get("type")
        if kinds == "integer" or (isinstance(kinds, list) and "integer" in kinds):
            yield path, node
        for key, value in node.items():
            yield from _integers(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _integers(item, f"{path}/{i}")


@pytest.mark.parametrize("op", list(MANIFEST.operations.values()), ids=list(MANIFEST.operations))
def test_every_integer_field_has_an_upper_bound(op: Any) -> None:
    """1e300 reads as a whole number in JSON: only a maximum keeps it from being sent."""
    unbounded = [path for path, schema in _integers(op.input_schema) if "maximum" not in schema and "exclusiveMaximum" not in schema]
    assert unbounded == []


@pytest.mark.parametrize(("op", "field"), [("create_message", "max_tokens"), ("create_completion", "max_tokens_to_sample"), ("list_models", "limit")])
def test_a_giant_number_for_an_integer_field_is_refused(op: str, field: str) -> None:
    payload = {**MANIFEST.operation(op).sample_input, field: 1e300}
    done = cli_subprocess(["run", op, "-", "--sandbox"], stdin=json.dumps(payload).encode())
    error = envelope(done)
    assert done.returncode == 2 and [d["path"] for d in error["details"]] == [f"/{field}"]


@pytest.mark.parametrize(("size", "refused"), [(999, False), (1000, False), (1001, True), (50_000, True)])
def test_a_file_is_read_to_the_limit_and_no_further(size: int, refused: bool, tmp_path: Path) -> None:
    """A file is read by its size, not by a buffer of the limit's; the limit still holds, to the byte."""
    from anthropic_connector.errors import ValidationError
    from anthropic_connector.inputs import read_bounded

    path = tmp_path / "input.json"
    path.write_bytes(b"x" * size)
    if refused:
        with pytest.raises(ValidationError, match="is larger than 1,000 bytes, the limit"):
            read_bounded(path, 1000, "the input", ValidationError, "--max-input-bytes")
    else:
        assert read_bounded(path, 1000, "the input", ValidationError, "--max-input-bytes") == b"x" * size


def test_a_file_longer_than_its_size_says_is_read_whole_within_the_limit() -> None:
    """/proc's files say they are empty: the read goes on past the size, to the limit."""
    from anthropic_connector.errors import ValidationError
    from anthropic_connector.inputs import read_bounded

    assert read_bounded("/proc/self/status", 1_000_000, "the input", ValidationError, "--max-input-bytes").startswith(b"Name:")
    with pytest.raises(ValidationError, match="is larger than 10 bytes"):
        read_bounded("/proc/self/status", 10, "the input", ValidationError, "--max-input-bytes")
