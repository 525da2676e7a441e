"""The socket sandbox under an adversarial pass, end to end: `anthropic-connector sandbox` runs as
a child process on 127.0.0.1 and real clients (raw sockets, httpx2, the official SDK) send it
what a careless or hostile client would. Each case asserts the promised answer (the API's
status and error body, or a usage error), and that the server's stderr holds no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx2
import pytest
from conftest import REPO, SRC, run_cli

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


def client(server: Child) -> httpx2.Client:
    return httpx2.Client(base_url=server.url, headers=HEADERS, timeout=10)


def assert_api_error(response: httpx2.Response, status: int, kind: str) -> None:
    """The API's error shape: the status, `{"type": "error", "error": {...}, "request_id"}`."""
    body = response.json()
    assert response.status_code == status and body["type"] == "error" and body["error"]["type"] == kind, response.text
    assert body["request_id"] == response.headers["request-id"]


# -- fault parameters ------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["latency=inf", "latency=nan", "latency=-1", "429:retry-after=inf", "529:retry-after=nan"])
def test_a_fault_with_a_duration_that_is_no_number_of_seconds_is_a_400(child: Child, spec: str) -> None:
    with client(child) as http:
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
        with client(server) as http:
            for key in ("", "sk-wrong"):
                refused = http.post("/v1/messages", json=MESSAGE, headers={"x-api-key": key, "x-sandbox-fault": f"{fault};times=1"})
                assert_api_error(refused, 401, "authentication_error")
            right = {"x-api-key": "sk-right"}
            assert_api_error(http.post("/v1/messages", json=MESSAGE, headers=right), 500, "api_error")  # the queued --fault
            assert http.post("/v1/messages", json=MESSAGE, headers=right).status_code == 200
    finally:
        server.stop()
