"""The socket sandbox under an adversarial pass, end to end: `anthropic-connector sandbox` runs as
a child process on 127.0.0.1 and real clients (raw sockets, httpx2, the official SDK) send it
what a careless or hostile client would. Each case asserts the promised answer (the API's
status and error body, or a usage error), and that the server's stderr holds no traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import anthropic
import httpx2
import pytest
from conftest import REPO, SRC, run_cli

from anthropic_connector import sandbox
from anthropic_connector.sandbox import SandboxOptions

MODEL = "claude-sonnet-4-6"
MESSAGE = {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}
HEADERS = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01"}


class Child:
    """`python -m anthropic_connector sandbox --port 0 ARGS`; its stderr is collected as it comes.
    `files`: the most file descriptors it may have open (its soft RLIMIT_NOFILE)."""

    def __init__(self, *args: str, files: int | None = None) -> None:
        command = [sys.executable, "-m", "anthropic_connector", "sandbox", "--port", "0", *args]
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(SRC)}
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (files, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))) if files else None
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO, preexec_fn=limit)
        assert self.process.stderr is not None
        first = self.process.stderr.readline()
        assert first.startswith("sandbox listening on http://127.0.0.1:"), first
        self.url = first.split()[-1]
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.process.stderr or ()), daemon=True)
        self._reader.start()

    def status(self, field: str) -> int:
        """A number from /proc/<pid>/status, e.g. VmHWM (peak resident memory, kB) or Threads."""
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith(field + ":"))
        return int(line.split()[1])

    def open_files(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").split(":")
        return host, int(port)

    def stop(self) -> str:
        """End the server; its stderr, checked to hold no traceback."""
        self.process.terminate()
        self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        self.process.stderr.close()  # type: ignore[union-attr]
        stderr = "".join(self.lines)
        assert "Traceback" not in stderr, stderr
        return stderr


READ_TIMEOUT = 1


@pytest.fixture(scope="module")
def child() -> Iterator[Child]:
    server = Child("--read-timeout", str(READ_TIMEOUT))
    yield server
    server.stop()


def client(url: str) -> httpx2.Client:
    return httpx2.Client(base_url=url, headers=HEADERS, timeout=10)


def assert_api_error(response: httpx2.Response, status: int, kind: str) -> None:
    """The API's error shape: the status, `{"type": "error", "error": {...}, "request_id"}`."""
    body = response.json()
    assert response.status_code == status and body["type"] == "error" and body["error"]["type"] == kind, response.text
    assert body["request_id"] == response.headers["request-id"]


# -- fault parameters ------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["latency=inf", "latency=nan", "latency=-1", "429:retry-after=inf", "529:retry-after=nan"])
def test_a_fault_with_a_duration_that_is_no_number_of_seconds_is_a_400(child: Child, spec: str) -> None:
    with client(child.url) as http:
        answer = http.post("/v1/messages", json=MESSAGE, headers={"x-sandbox-fault": spec})
        assert_api_error(answer, 400, "invalid_request_error")
        assert "x-sandbox-fault" in answer.json()["error"]["message"]
        assert http.post("/v1/messages", json=MESSAGE).status_code == 200  # the server lives on


@pytest.mark.parametrize("option", [["--fault", "latency=inf"], ["--latency", "nan"], ["--latency", "-1"], ["--batch-seconds", "inf"]])
def test_a_duration_option_that_is_no_number_of_seconds_is_a_usage_error(option: list[str]) -> None:
    result = run_cli(["sandbox", "--port", "0", *option], timeout=10)
    assert result.code == 2 and result.err.startswith("sandbox: ") and "seconds" in result.err


# -- the key before any fault ----------------------------------------------------------------


@pytest.mark.parametrize("fault", ["529", "drop", "drop:mid", "latency=30", "teapot"])
def test_the_key_is_checked_before_any_fault(fault: str) -> None:
    """A request without a valid key is the API's 401 whatever fault it asks for, and it spends
    none of the server's queued faults nor the header's `times`."""
    server = Child("--api-key", "sk-right", "--fault", "500")
    try:
        with client(server.url) as http:
            for key in ("", "sk-wrong"):
                refused = http.post("/v1/messages", json=MESSAGE, headers={"x-api-key": key, "x-sandbox-fault": f"{fault};times=1"})
                assert_api_error(refused, 401, "authentication_error")
            right = {"x-api-key": "sk-right"}
            assert_api_error(http.post("/v1/messages", json=MESSAGE, headers=right), 500, "api_error")  # the queued --fault
            assert http.post("/v1/messages", json=MESSAGE, headers=right).status_code == 200
    finally:
        server.stop()


# -- what the sandbox keeps ------------------------------------------------------------------

MB = 1024 * 1024


def test_the_request_log_keeps_the_latest_requests_and_the_start_of_each_body() -> None:
    with sandbox.serve(options=SandboxOptions(log_requests=3, log_body_bytes=10)) as server, client(server.url) as http:
        for i in range(5):
            http.post("/v1/messages/count_tokens", json={**MESSAGE, "system": str(i)})
        kept = server.requests
    assert len(kept) == 3 and [r.body for r in kept] == [b'{"model":"'] * 3
    assert all(r.truncated and r.size > 10 for r in kept)
    assert all(r.path == "/v1/messages/count_tokens" and r.headers["x-api-key"] == "sk-test" for r in kept)


def test_an_upload_is_stored_once_and_not_again_in_the_request_log() -> None:
    with sandbox.serve() as server, anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0) as sdk:
        uploaded = sdk.files.upload(file=("big.bin", b"\x01" * (8 * MB), "application/octet-stream"))
        assert sdk.files.download(uploaded.id).read() == b"\x01" * (8 * MB)
        (upload, _) = server.requests
    assert upload.path == "/v1/files" and len(upload.body) == 64 * 1024 and upload.size > 8 * MB


def test_request_bodies_are_not_kept_for_ever() -> None:
    """60 requests of 5 MB each: the server's peak memory grows by far less than the 300 MB sent."""
    server = Child()
    try:
        with client(server.url) as http:
            http.post("/v1/messages", json=MESSAGE)
            before = server.status("VmHWM")
            for _ in range(60):
                assert http.post("/v1/messages", content=b"x" * (5 * MB)).status_code == 400  # not JSON
            grown = (server.status("VmHWM") - before) // 1024
    finally:
        server.stop()
    assert grown < 60, f"peak memory grew by {grown} MB"


# -- start-up and options --------------------------------------------------------------------


def test_a_one_shot_run_on_the_in_process_sandbox_never_imports_the_server() -> None:
    sample = str(REPO / "samples" / "create_message.input.json")
    command = [sys.executable, "-X", "importtime", "-m", "anthropic_connector", "run", "create_message", sample, "--sandbox"]
    done = subprocess.run(command, capture_output=True, text=True, env={"PYTHONPATH": str(SRC)}, cwd=REPO, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "anthropic_connector.sandbox.transport" in imported
    server = ("uvicorn", "http.server", "socketserver", "anthropic_connector.sandbox.server", "anthropic_connector.sandbox.cli")
    assert sorted(m for m in imported if m.startswith(server)) == []


@pytest.mark.parametrize("value", ["99999", "-1", "65536", "http"])
def test_a_port_out_of_range_is_a_usage_error(value: str) -> None:
    result = run_cli(["sandbox", "--port", value], timeout=10)
    assert result.code == 2 and "error: argument --port: " in result.err


def test_a_port_in_use_is_a_usage_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_cli(["sandbox", "--port", str(port)], timeout=10)
    assert result.code == 2 and result.err == f"sandbox: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_the_server_listens_within_a_second() -> None:
    started = time.monotonic()
    server = Child()
    listening = time.monotonic() - started
    server.stop()
    assert listening < 1, f"{listening:.2f} s"


def test_without_uvicorn_the_command_says_which_extra_to_install() -> None:
    code = "import sys; sys.modules['uvicorn'] = None; from anthropic_connector.cli import main; sys.exit(main(['sandbox', '--port', '0']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(SRC)}, timeout=30, check=False)
    assert done.returncode == 3 and done.stderr == "sandbox: the socket sandbox runs on uvicorn: pip install 'anthropic-connector[serve]'\n"


# -- framing and size ------------------------------------------------------------------------

HEAD = b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"


def exchange(server: Child, data: bytes) -> tuple[bytes, bytes, bytes]:
    """Send raw bytes on a new connection; the status line, head and body the server sends
    before it closes the connection (a server that keeps it open fails the test by timing out)."""
    with socket.create_connection(server.address, timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status, _, rest = received.partition(b"\r\n")
    head, _, body = rest.partition(b"\r\n\r\n")
    return status, head.lower(), body


@pytest.mark.parametrize(
    ("framing", "status", "kind"),
    [
        (b"content-length: abc\r\n\r\n", 400, "invalid_request_error"),
        (b"content-length: -5\r\n\r\n", 400, "invalid_request_error"),
        (b"content-length: 5\r\ncontent-length: 6\r\n\r\nhello!", 400, "invalid_request_error"),
        (b"transfer-encoding: chunked\r\n\r\nzz\r\n", 400, "invalid_request_error"),
        (b"content-length: 99999999999\r\n\r\n", 413, "request_too_large"),
        (b"content-length: 33554433\r\n\r\n{", 413, "request_too_large"),  # a byte over the Messages API's 32 MB
    ],
    ids=["not a number", "negative", "two lengths", "bad chunk", "99999999999", "32 MB + 1"],
)
def test_an_unreadable_or_oversized_body_is_answered_from_the_head_in_the_apis_shape(child: Child, framing: bytes, status: int, kind: str) -> None:
    """Answered at once (no wait for a body that is never sent), then the connection is closed:
    where the next request would start is unknown."""
    started = time.monotonic()
    status_line, head, body = exchange(child, HEAD + framing)
    assert time.monotonic() - started < 1
    assert status_line.startswith(b"HTTP/1.1 %d " % status) and b"connection: close" in head
    error = json.loads(body)
    assert error["type"] == "error" and error["error"]["type"] == kind and error["request_id"].startswith("req_")


def test_json_nested_100000_deep_is_a_400(child: Child) -> None:
    with client(child.url) as http:
        for body in (b"[" * 100_000, b'{"a":' * 100_000):
            assert_api_error(http.post("/v1/messages", content=body), 400, "invalid_request_error")


def test_a_200_mb_body_is_refused_before_it_is_read() -> None:
    """Sized, it is refused from its content-length; chunked, once it passes the limit: memory
    grows by the limit at most, never by the body."""
    server = Child()
    try:
        with client(server.url) as http:
            http.get("/v1/models")
            before = server.status("VmHWM")
            started = time.monotonic()
            assert_api_error(http.post("/v1/messages", content=b"x" * (200 * MB)), 413, "request_too_large")
            sized = time.monotonic() - started, (server.status("VmHWM") - before) // 1024
            assert_api_error(http.post("/v1/messages", content=iter([b"x" * MB] * 200)), 413, "request_too_large")
            chunked = time.monotonic() - started, (server.status("VmHWM") - before) // 1024
        with anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0) as sdk, pytest.raises(anthropic.APIStatusError) as refused:
            sdk.messages.create(model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x" * (40 * MB)}])
        assert refused.value.status_code == 413 and refused.value.body["error"]["type"] == "request_too_large"  # type: ignore[index]
    finally:
        server.stop()
    assert sized[0] < 1 and sized[1] < 8, f"sized: {sized[0]:.2f} s, +{sized[1]} MB"
    assert chunked[0] < 5 and chunked[1] < 64, f"chunked: {chunked[0]:.2f} s, +{chunked[1]} MB"


# -- many clients, idle clients, slow clients ------------------------------------------------

GET_MODELS = b"GET /v1/models?limit=1 HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\nconnection: close\r\n\r\n"


def test_a_burst_of_500_connections_is_answered_in_full(child: Child) -> None:
    """500 connections opened at once, then a request on each: every one is answered 200."""

    async def burst() -> list[bytes | BaseException]:
        host, port = child.address
        opened = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in range(500)))
        for _, writer in opened:
            writer.write(GET_MODELS)
        answers = await asyncio.gather(*(reader.read() for reader, _ in opened), return_exceptions=True)
        for _, writer in opened:
            writer.close()
        return answers

    started = time.monotonic()
    answers = asyncio.run(asyncio.wait_for(burst(), timeout=30))
    elapsed = time.monotonic() - started
    failed = [a if isinstance(a, BaseException) else a[:40] for a in answers if isinstance(a, BaseException) or not a.startswith(b"HTTP/1.1 200 ")]
    assert failed == [] and len(answers) == 500
    assert elapsed < 10, f"{elapsed:.1f} s"


def test_a_kept_alive_connection_answers_at_once(child: Child) -> None:
    """No answer waits on Nagle's algorithm (a reply's head and body go out as two writes, and
    with it on the body waits for the client's delayed ACK: 40 ms a request)."""
    with client(child.url) as http:
        http.get("/v1/models")
        started = time.monotonic()
        for _ in range(50):
            assert http.post("/v1/messages", json=MESSAGE).status_code == 200
        elapsed = time.monotonic() - started
    assert elapsed < 1, f"{elapsed * 20:.0f} ms a request"


def test_2000_idle_sockets_make_no_thread_each_and_are_closed_after_the_read_timeout(child: Child) -> None:
    files = child.open_files()
    idle = [socket.create_connection(child.address, timeout=5) for _ in range(2000)]
    try:
        started = time.monotonic()
        while child.open_files() < files + 2000 and time.monotonic() - started < 5:
            time.sleep(0.05)
        accepted, threads = child.open_files() - files, child.status("Threads")
        with client(child.url) as http:
            assert http.get("/v1/models").status_code == 503  # past --max-connections (1000)
        assert all(sock.recv(1) == b"" for sock in idle)  # each closed by the server
        closed = time.monotonic() - started
    finally:
        for sock in idle:
            sock.close()
    assert accepted >= 2000 and threads <= 8, f"{accepted} sockets, {threads} threads"
    assert READ_TIMEOUT <= closed < READ_TIMEOUT + 3, f"closed after {closed:.1f} s"
    with client(child.url) as http:
        assert http.get("/v1/models").status_code == 200


def test_out_of_file_descriptors_the_server_waits_and_recovers_without_a_traceback() -> None:
    """With room for some 50 sockets and 100 idle clients, the server accepts what it can, closes
    those at the read timeout, accepts the next, and so on: every client is closed in turn and
    the server answers again, having said so in a line, never a traceback."""
    server = Child("--read-timeout", str(READ_TIMEOUT), files=64)
    try:
        idle = [socket.create_connection(server.address, timeout=10) for _ in range(100)]
        try:
            assert all(sock.recv(1) == b"" for sock in idle)
        finally:
            for sock in idle:
                sock.close()
        with client(server.url) as http:
            assert http.get("/v1/models").status_code == 200
    finally:
        stderr = server.stop()
    assert "sandbox: cannot accept a connection (Too many open files); retrying as connections close" in stderr


@pytest.mark.parametrize(
    "sent",
    [b"", b"POST /v1/messages HTTP/1.1\r\nhost: x\r\n", HEAD + b"content-length: 100\r\n\r\n{\"model\": "],
    ids=["nothing", "half a head", "half a body"],
)
def test_a_request_that_stops_half_way_is_closed_after_the_read_timeout(child: Child, sent: bytes) -> None:
    with socket.create_connection(child.address, timeout=5) as sock:
        sock.sendall(sent)
        started = time.monotonic()
        assert sock.recv(1) == b""
        waited = time.monotonic() - started
    assert READ_TIMEOUT - 0.1 <= waited < READ_TIMEOUT + 2, f"{waited:.1f} s"


def test_a_head_sent_a_byte_at_a_time_is_cut_at_the_read_timeout(child: Child) -> None:
    with socket.create_connection(child.address, timeout=5) as sock:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nx-slow: ")
        started = time.monotonic()
        for _ in range(50):  # 5 s at most
            if select.select([sock], [], [], 0.1)[0]:
                break
            sock.sendall(b"a")
        assert sock.recv(1) == b""
        waited = time.monotonic() - started
    assert waited < READ_TIMEOUT + 1, f"{waited:.1f} s"

