"""An adversarial pass, end to end: keys never echoed, hostile upstreams bounded in memory and
time, bad local input refused without a traceback. Each case runs the CLI or the library
against a server on 127.0.0.1 and asserts the promised behaviour (exit code, envelope, the key
absent from every byte of output, peak memory and wall time bounded)."""

from __future__ import annotations

import asyncio
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
from conftest import MANIFEST, REPO, SECRETS, SRC, Answer, Hostile, Recorder, run_cli

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
    """The output, or the error's type, from run (sync) or arun (async)."""

    async def arun() -> Any:
        async with Connector(MANIFEST, connection) as connector:
            return (await connector.arun(name, payload)).output

    try:
        if mode == "sync":
            with Connector(MANIFEST, connection) as connector:
                return connector.run(name, payload).output
        return asyncio.run(arun())
    except ConnectorError as exc:
        return exc.type


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


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
    result = run_cli(["run", "create_message", str(REPO / "samples" / "create_message.input.json"), "--connection", str(tmp_path / "c.json"), "-v"])
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
        "import json, resource, sys\n"
        "from anthropic_connector import Connector, ConnectorError\n"
        f"c = Connector(connection={{'api_key': 'sk-ant-test-r', 'base_url': {server.url!r}, 'max_retries': 0, 'max_response_bytes': 1024}})\n"
        "try:\n"
        "    c.run('raw_http_request', {'method': 'GET', 'url': {'endpoint': '/start'}})\n"
        "except ConnectorError as e:\n"
        "    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) < 150  # MB; the endless body alone would pass gigabytes
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
