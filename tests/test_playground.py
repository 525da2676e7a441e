"""The playground `anthropic-connector serve` shows at /: its committed bundle is what the
lockfile builds, it is served open while every run it makes still needs the service's token,
and in headless Chromium each sample runs on the sandbox, a streamed reply shows its text as it
arrives, and an invalid input shows the connector's violation under its field.

UPDATE_FORM_SCREENSHOTS=1 writes docs/playground.png.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import httpx2
import pytest
from conftest import OPERATIONS, REPO, Hostile, write_json
from servers import Server
from test_forms import CHROMIUM, WEB, needs, node

BUILT = ("playground.js", "playground.css")


def test_the_committed_bundle_is_what_the_lockfile_builds(tmp_path: Path) -> None:
    """pip users have no Node: the built page ships in the wheel, so it must not go stale."""
    needs(WEB / "node_modules")
    subprocess.run(["node", str(WEB / "build.mjs"), "playground", str(tmp_path)], check=True, timeout=120)
    shipped = resources.files("anthropic_connector.doors") / "playground"
    for name in BUILT:
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), f"{name} is stale: run make playground"


@pytest.fixture(scope="module")
def guarded() -> Iterator[Server]:
    with Server(["serve", "--sandbox"], env={"ANTHROPIC_CONNECTOR_TOKEN": "page-token"}) as server:
        yield server


def test_the_page_is_open_and_its_runs_need_the_token(guarded: Server) -> None:
    with httpx2.Client(base_url=guarded.url, timeout=30) as client:
        page = client.get("/")
        assert page.status_code == 200 and 'src="/playground/playground.js"' in page.text
        assert "unsafe-inline" not in page.headers["content-security-policy"]
        assert client.get("/playground/playground.js").headers["content-type"].startswith("text/javascript")
        assert client.get("/playground/secrets.txt").status_code == 401  # not an asset: the gate answers first
        run = client.post("/operations/count_tokens/run?sandbox=1", json={"model": "claude-sonnet-5-5", "messages": [{"role": "user", "content": "Hi"}]})
        assert run.status_code == 401 and client.get("/operations").status_code == 401
        allowed = client.post("/operations/count_tokens/run?sandbox=1", headers={"authorization": "Bearer page-token"}, json={"model": "claude-sonnet-5-5", "messages": [{"role": "user", "content": "Hi"}]})
        assert allowed.status_code == 200, allowed.text


def test_a_run_may_ask_for_the_sandbox_when_the_service_has_no_key() -> None:
    with Server(["serve"]) as server, httpx2.Client(base_url=server.url, timeout=30) as client:
        body = {"model": "claude-sonnet-5-5", "messages": [{"role": "user", "content": "Hi"}]}
        assert client.post("/operations/count_tokens/run", json=body).status_code == 401
        assert client.post("/operations/count_tokens/run?sandbox=1", json=body).json()["input_tokens"] > 0


TEXT = ["Lisbon in March ", "is mild: ", "pack layers, ", "a light rain jacket ", "and comfortable shoes."]


def paced_stream(sock: socket.socket, request: bytes) -> None:
    """The configured API, streaming a reply a piece every 0.2 s, as a model writes it."""
    def event(data: dict[str, Any]) -> bytes:
        return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n".encode()

    message = {"id": "msg_paced", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5", "content": [], "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 1}}
    sock.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nrequest-id: req_paced\r\nconnection: close\r\n\r\n")
    sock.sendall(event({"type": "message_start", "message": message}) + event({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}))
    for piece in TEXT:
        time.sleep(0.2)
        sock.sendall(event({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}))
    sock.sendall(event({"type": "content_block_stop", "index": 0}) + event({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 20}}) + event({"type": "message_stop"}))


@pytest.fixture(scope="module")
def browsed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    needs(WEB / "node_modules", CHROMIUM)
    shot = REPO / "docs" / "playground.png" if os.environ.get("UPDATE_FORM_SCREENSHOTS") else None
    upstream = Hostile(paced_stream)
    connection = write_json(tmp_path_factory.mktemp("playground") / "connection.json", {"api_key": "sk-ant-api03-playground-test-key", "base_url": upstream.url})
    with Server(["serve", "--connection", str(connection)]) as server:
        job = {"url": server.url, "operations": [op.name for op in OPERATIONS], **({"screenshot": str(shot)} if shot else {})}
        answer: dict[str, Any] = node("playground.mjs", job, 600)
    upstream.close()
    assert answer["pageErrors"] == []
    yield answer


@pytest.mark.parametrize("index", range(len(OPERATIONS)), ids=[op.name for op in OPERATIONS])
def test_each_sample_runs_on_the_sandbox_from_the_page(index: int, browsed: dict[str, Any]) -> None:
    op, run = OPERATIONS[index], browsed["runs"][index]
    assert run["op"] == op.name and run["status"].startswith("Done"), run
    assert op.output_validator.errors(run["output"]) == []


def test_a_streamed_reply_shows_its_text_as_it_arrives(browsed: dict[str, Any]) -> None:
    stream = browsed["stream"]
    assert stream["status"].startswith("Done") and stream["events"] > 3
    growing = [text for text in stream["seen"] if text]
    assert len(growing) >= 3 and growing[-1] == "".join(TEXT)  # shown part by part, not all at the end
    assert all(later.startswith(earlier) and later != earlier for earlier, later in zip(growing, growing[1:]))


def test_an_invalid_input_shows_its_violation_under_its_field(browsed: dict[str, Any]) -> None:
    invalid = browsed["invalid"]
    assert invalid["status"] == "Failed (422)" and invalid["error"]["error"]["type"] == "validation_error"
    (violation,) = [d for d in invalid["error"]["error"]["details"] if d["path"] == "/max_tokens"]
    assert violation["message"] in invalid["underField"]


def test_with_a_token_the_page_runs_nothing_until_it_is_given(guarded: Server) -> None:
    needs(WEB / "node_modules", CHROMIUM)
    answer = node("playground.mjs", {"url": guarded.url, "token": "page-token"}, 300)
    assert "Bearer" in answer["token"]["refused"]
    assert answer["token"]["status"].startswith("Done") and answer["token"]["output"]["input_tokens"] > 0
