"""The fault matrix: the sandbox misbehaves on a real socket, the CLI must cope or fail cleanly.

Each case checks the exit code, how many requests the server saw, that the waits fit the
backoff policy (read from a recording clock: no test sleeps through real backoff), and that
stdout holds the full output or the error envelope, never a part.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Iterator

import pytest

from anthropic_connector import cli
from conftest import SECRETS, RecordingClock, but_id
from anthropic_connector.sandbox import SandboxOptions, serve

KEY = "sk-ant-test-faults-0123456789"
SECRETS.add(KEY)  # scanned for in every log line by conftest
MESSAGE = {"model": "claude-sonnet-5-5", "max_tokens": 40, "messages": [{"role": "user", "content": "Hello there"}]}


@pytest.fixture
def payload_file(tmp_path) -> Iterator[callable]:
    def write(**changes: object) -> str:
        path = tmp_path / "input.json"
        path.write_text(json.dumps({**MESSAGE, **changes}))
        return str(path)

    yield write


def run(monkeypatch, capsys, url: str, *args: str) -> tuple[int, dict, list[float]]:
    """The exit code, the JSON on stdout and the waits the retries asked for."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    clock = RecordingClock()
    code = cli.main(["run", "create_message", *args], clock=clock)
    out, err = capsys.readouterr()
    assert KEY not in out and KEY not in err
    assert "Traceback" not in err
    return code, json.loads(out), clock.waits


def sandbox(*faults: str):
    return serve(options=SandboxOptions(faults=faults, api_key=KEY))


def test_429_then_200_succeeds_after_the_servers_retry_after(monkeypatch, capsys, payload_file) -> None:
    with sandbox("429:retry-after=0.2;times=1") as server:
        code, out, waits = run(monkeypatch, capsys, server.url, payload_file())
    assert code == 0 and out["type"] == "message"
    assert len(server.requests) == 2
    assert waits == [0.2]


def test_529_three_times_exhausts_two_retries_with_backoff(monkeypatch, capsys, payload_file) -> None:
    with sandbox("529;times=3") as server:
        code, out, waits = run(monkeypatch, capsys, server.url, payload_file())
    assert code == 4
    assert out["error"]["status"] == 529 and out["error"]["details"]["error"]["type"] == "overloaded_error"
    assert out["error"]["request_id"].startswith("req_")
    assert len(server.requests) == 3
    # backoff 0.5 s then 1.0 s, each less up to 25 % jitter
    assert len(waits) == 2 and 0.375 <= waits[0] <= 0.5 and 0.75 <= waits[1] <= 1.0


def test_500_with_x_should_retry_false_is_not_retried(monkeypatch, capsys, payload_file) -> None:
    with sandbox("500;should-retry=false") as server:
        code, out, waits = run(monkeypatch, capsys, server.url, payload_file())
    assert code == 4 and out["error"]["status"] == 500
    assert len(server.requests) == 1
    assert waits == []


def test_connection_refused_exits_5_after_its_retries(monkeypatch, capsys, payload_file) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, waits = run(monkeypatch, capsys, f"http://127.0.0.1:{port}", payload_file(), "--max-retries", "1")
    assert code == 5 and out["error"]["type"] == "connection_error"
    assert len(waits) == 1 and 0.375 <= waits[0] <= 0.5


def test_answer_slower_than_the_timeout_is_a_timeout_error(monkeypatch, capsys, payload_file) -> None:
    with sandbox("latency=3") as server:
        started = time.monotonic()
        code, out, _ = run(monkeypatch, capsys, server.url, payload_file(), "--timeout", "0.3", "--max-retries", "0")
        elapsed = time.monotonic() - started  # the transport's own timeout: real time, not the clock's
    assert code == 5 and out["error"]["type"] == "timeout_error"
    assert len(server.requests) == 1
    assert elapsed < 2.0


def test_connection_dropped_mid_body_is_retried_then_succeeds(monkeypatch, capsys, payload_file) -> None:
    with sandbox("drop:mid;times=1") as server:
        code, out, _ = run(monkeypatch, capsys, server.url, payload_file())
    assert code == 0 and out["type"] == "message"
    assert len(server.requests) == 2


def test_connection_dropped_every_time_is_a_connection_error(monkeypatch, capsys, payload_file) -> None:
    with sandbox("drop:mid") as server:
        code, out, _ = run(monkeypatch, capsys, server.url, payload_file(), "--max-retries", "0")
    assert code == 5 and set(out) == {"error"}
    assert len(server.requests) == 1


def test_sse_cut_short_is_never_a_success(monkeypatch, capsys, payload_file) -> None:
    with sandbox("cut:after=2") as server:
        code, out, _ = run(monkeypatch, capsys, server.url, payload_file(stream=True), "--max-retries", "0")
    assert code == 5 and set(out) == {"error"}
    assert "message_stop" in out["error"]["message"]
    assert len(server.requests) == 1


def test_sse_cut_short_once_is_retried_since_nothing_was_handed_over(monkeypatch, capsys, payload_file) -> None:
    with sandbox("cut:after=2;times=1") as server:
        code, out, _ = run(monkeypatch, capsys, server.url, payload_file(stream=True))
    assert code == 0 and out["stop_reason"] in ("end_turn", "max_tokens")
    assert len(server.requests) == 2


def test_error_event_mid_stream_is_an_api_error_with_its_type(monkeypatch, capsys, payload_file) -> None:
    with sandbox("error-event:after=2") as server:
        code, out, _ = run(monkeypatch, capsys, server.url, payload_file(stream=True))
    assert code == 4 and out["error"]["type"] == "api_error"
    assert out["error"]["details"]["error"]["type"] == "overloaded_error"
    assert len(server.requests) == 1


def test_streamed_and_plain_answers_are_the_same_message(monkeypatch, capsys, payload_file) -> None:
    with sandbox() as server:
        _, plain, _ = run(monkeypatch, capsys, server.url, payload_file())
        _, streamed, _ = run(monkeypatch, capsys, server.url, payload_file(stream=True))
    assert but_id(streamed) == but_id(plain) and streamed["id"] != plain["id"]


def test_large_max_tokens_is_streamed_automatically(monkeypatch, capsys, payload_file) -> None:
    with sandbox() as server:
        code, out, _ = run(monkeypatch, capsys, server.url, payload_file(max_tokens=64000))
    assert code == 0 and out["type"] == "message"
    assert json.loads(server.requests[0].body)["stream"] is True


@pytest.mark.parametrize("stream", [False, True])
def test_response_over_the_size_limit_is_refused(monkeypatch, capsys, payload_file, tmp_path, stream) -> None:
    connection = tmp_path / "connection.json"
    canned = {"claude-sonnet-5-5": "many words " * 400}  # about 4 KB of text
    with serve(options=SandboxOptions(api_key=KEY, canned=canned)) as server:
        connection.write_text(json.dumps({"api_key": KEY, "base_url": server.url, "max_response_bytes": 2048}))
        monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
        args = ["run", "create_message", payload_file(max_tokens=4000, stream=stream), "--connection", str(connection)]
        code = cli.main(args)
        out, err = capsys.readouterr()
    assert code == 4 and json.loads(out)["error"]["type"] == "response_too_large"
    assert len(server.requests) == 1  # refusing is final: a retry would be as large
    assert KEY not in out + err


@pytest.mark.parametrize(
    "fault, stream, expected, requests",
    [
        ("529;times=1;retry-after=0.01", False, None, 2),
        ("drop:mid;times=1", False, None, 2),
        ("cut:after=2", True, "connection_error", 1),
        ("error-event:after=2", True, "api_error", 1),
        ("latency=3", False, "timeout_error", 1),
    ],
)
def test_async_client_meets_the_same_faults(fault: str, stream: bool, expected: str | None, requests: int, clock: RecordingClock) -> None:
    """arun goes through the aiohttp-backed transport: its failures must map exactly as httpx2's."""
    import asyncio

    from anthropic_connector import ConnectorError, Connector

    async def go(url: str) -> str | None:
        connection = {"api_key": KEY, "base_url": url, "max_retries": 1 if expected is None else 0, "timeout": 0.5}
        async with Connector(connection=connection, clock=clock) as connector:
            try:
                result = await connector.arun("create_message", {**MESSAGE, "stream": stream})
            except ConnectorError as exc:
                return exc.type
            assert result.output["type"] == "message"
            return None

    with sandbox(fault) as server:
        assert asyncio.run(go(server.url)) == expected
        assert len(server.requests) == requests
    assert len(clock.waits) == requests - 1  # each retry waited on the clock it was given
