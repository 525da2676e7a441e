"""The socket sandbox under an adversarial pass, end to end: `anthropic-connector sandbox` runs as
a child process on 127.0.0.1 and real clients (raw sockets, httpx2, the official SDK) send it
what a careless or hostile client would. Each case asserts the promised answer (the API's
status and error body, or a usage error), and that the server's stderr holds no traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
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
    """`python -m anthropic_connector sandbox --port 0 ARGS`; its stderr is collected as it comes."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "anthropic_connector", "sandbox", "--port", "0", *args]
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(SRC)}
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
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

    def stop(self) -> str:
        """End the server; its stderr, checked to hold no traceback."""
        self.process.terminate()
        self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        self.process.stderr.close()  # type: ignore[union-attr]
        stderr = "".join(self.lines)
        assert "Traceback" not in stderr, stderr
        return stderr


@pytest.fixture(scope="module")
def child() -> Iterator[Child]:
    server = Child()
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


# -- start-up --------------------------------------------------------------------------------


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
