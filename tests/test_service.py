"""`anthropic-connector serve`: every route against the sandbox, errors at their statuses against
a recording server and hostile upstreams, credentials from headers passed through and never
echoed, the service's own token, the policy at the door, and no internals in a 500."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any, Iterator

import httpx2
import pytest
from conftest import MANIFEST, OPERATIONS, SECRETS, Answer, Hostile, Recorder, by_operation, refused_url, write_json
from servers import Server

from anthropic_connector.spec import Operation


@pytest.fixture(scope="module")
def sandboxed() -> Iterator[Server]:
    with Server(["serve", "--sandbox"]) as server:
        yield server


def post(server: Server, path: str, body: Any = None, **kwargs: Any) -> httpx2.Response:
    content = kwargs.pop("content", None)
    with httpx2.Client(base_url=server.url, timeout=30) as client:
        return client.post(path, content=content if content is not None else json.dumps(body), **kwargs)


def get(server: Server, path: str) -> httpx2.Response:
    with httpx2.Client(base_url=server.url, timeout=30) as client:
        return client.get(path)


def events(response: httpx2.Response) -> list[tuple[str, Any]]:
    blocks = [b for b in response.text.split("\n\n") if b.strip()]
    return [(b.split("\n")[0].removeprefix("event: "), json.loads(b.split("\n")[1].removeprefix("data: "))) for b in blocks]


# -- the routes, on the sandbox --------------------------------------------------------------


def test_listing_describing_health_and_the_document(sandboxed: Server) -> None:
    assert get(sandboxed, "/healthz").json() == {"ok": True}
    assert get(sandboxed, "/operations").json() == [op.summary() for op in OPERATIONS]
    described = get(sandboxed, "/operations/create_message").json()
    assert described == MANIFEST.operation("create_message").describe()
    assert [e["name"] for e in described["samples"]["examples"]] == ["tools", "image", "pdf", "thinking", "structured_output", "caching", "web_search"]
    missing = get(sandboxed, "/operations/create_poem")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
    assert get(sandboxed, "/openapi.json").json()["paths"]["/operations/create_message/run"]["post"]["operationId"] == "create_message"


@by_operation()
def test_each_sample_validates_and_runs(sandboxed: Server, op: Operation) -> None:
    assert post(sandboxed, f"/operations/{op.name}/validate", op.sample_input).json() == {"valid": True}
    answer = post(sandboxed, f"/operations/{op.name}/run", op.sample_input)
    assert answer.status_code == 200, answer.text
    assert op.output_validator.errors(answer.json()) == []


def test_an_invalid_input_is_a_422_with_every_violation(sandboxed: Server) -> None:
    for route in ("validate", "run"):
        answer = post(sandboxed, f"/operations/create_message/{route}", {"model": 1})
        assert answer.status_code == 422
        assert {d["path"] for d in answer.json()["error"]["details"]} == {"/model", "/max_tokens", "/messages"}
    garbled = post(sandboxed, "/operations/create_message/run", content=b"{not json")
    assert garbled.status_code == 422 and garbled.json()["error"]["type"] == "validation_error"
    huge = post(sandboxed, "/operations/create_message/run", content=b"[" + b"0," * (17 * 1024 * 1024) + b"0]")
    assert huge.status_code == 413 and huge.json()["error"]["type"] == "request_too_large"


@pytest.mark.parametrize("ask", ["accept", "stream"])
def test_a_stream_is_server_sent_events(sandboxed: Server, ask: str) -> None:
    payload = MANIFEST.operation("create_message").sample_input
    if ask == "accept":
        answer = post(sandboxed, "/operations/create_message/run", payload, headers={"accept": "text/event-stream"})
    else:
        answer = post(sandboxed, "/operations/create_message/run", {**payload, "stream": True})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    seen = events(answer)
    assert seen[0][0] == "message_start" and seen[-1][0] == "message_stop"
    assert all(name == data["type"] for name, data in seen)


def test_the_test_button(sandboxed: Server) -> None:
    answer = post(sandboxed, "/connection/test", content=b"")
    assert (answer.status_code, answer.json()) == (200, {"ok": True})


# -- errors at their statuses ----------------------------------------------------------------


def served_by(upstream: str, tmp_path: Path, key: str, **settings: Any) -> Server:
    connection = write_json(tmp_path / "connection.json", {"api_key": key, "base_url": upstream, "max_retries": 0, **settings})
    return Server(["serve", "--connection", str(connection)])


MODELS = {"model_id": "claude-x"}
API_ERRORS = {
    "upstream 400": (Answer(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "no"}}), 502, "api_error", 400),
    "upstream 401": (Answer(401, {"type": "error", "error": {"type": "authentication_error", "message": "bad key"}}), 401, "api_error", 401),
    "upstream 403": (Answer(403, {"type": "error", "error": {"type": "permission_error", "message": "no"}}), 403, "api_error", 403),
    "upstream 529": (Answer(529, {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}), 502, "api_error", 529),
    "not the output": (Answer(200, "<html>a proxy</html>", {"content-type": "text/html"}), 502, "unexpected_response", 200),
    "too large": (Answer(200, {"id": "claude-x", "padding": "x" * 4096}), 502, "response_too_large", None),
}


def test_upstream_failures_answer_at_their_statuses(recorder: Recorder, tmp_path: Path, fake_key: str) -> None:
    with served_by(recorder.url, tmp_path, fake_key, max_response_bytes=1024) as server:
        for answer, status, kind, upstream_status in API_ERRORS.values():
            recorder.script(answer)
            got = post(server, "/operations/get_model/run", MODELS)
            assert (got.status_code, got.json()["error"]["type"], got.json()["error"]["status"]) == (status, kind, upstream_status), got.text
            assert fake_key not in got.text
        assert all(r.headers["x-api-key"] == fake_key for r in recorder.requests)
    assert fake_key not in server.stderr


def test_an_unreachable_upstream_is_502_and_a_slow_one_504(tmp_path: Path, fake_key: str) -> None:
    with served_by(refused_url(), tmp_path, fake_key) as server:
        got = post(server, "/operations/get_model/run", MODELS)
        assert (got.status_code, got.json()["error"]["type"]) == (502, "connection_error")

    def stall(sock: socket.socket, data: bytes) -> None:
        sock.recv(1)  # never answers; the connector's timeout ends it

    slow = Hostile(stall, limit=5)
    try:
        with served_by(slow.url, tmp_path, fake_key, timeout=0.5) as server:
            got = post(server, "/operations/get_model/run", MODELS)
            assert (got.status_code, got.json()["error"]["type"]) == (504, "timeout_error")
    finally:
        slow.close()


# -- credentials, token, policy --------------------------------------------------------------


def test_a_request_brings_its_own_key_which_is_never_echoed(recorder: Recorder, fake_key: str) -> None:
    recorder.script(Answer(200, MANIFEST.operation("get_model").sample_output))
    with Server(["serve"], env={"ANTHROPIC_BASE_URL": recorder.url}) as server:
        keyless = post(server, "/operations/get_model/run", MODELS)
        assert keyless.status_code == 401 and "x-api-key" in keyless.json()["error"]["message"]
        assert post(server, "/operations/get_model/run", MODELS, headers={"x-api-key": fake_key}).status_code == 200
        bearer = post(server, "/operations/get_model/run", MODELS, headers={"authorization": f"Bearer {fake_key}"})
        assert bearer.status_code == 200
        stray = post(server, "/operations/get_model/run", MODELS, headers={"x-api-key": fake_key[:20] + " " + fake_key[20:]})
        assert stray.status_code == 401 and fake_key[:-4] not in stray.text
    assert [r.headers.get("x-api-key") for r in recorder.requests] == [fake_key, None]
    assert recorder.requests[1].headers["authorization"] == f"Bearer {fake_key}"
    assert fake_key not in server.stderr


def test_the_service_token_guards_every_route_but_health(recorder: Recorder, fake_key: str) -> None:
    token = "service-token-" + "x" * 20
    SECRETS.add(token)
    recorder.script(Answer(200, MANIFEST.operation("get_model").sample_output))
    with Server(["serve"], env={"ANTHROPIC_BASE_URL": recorder.url, "ANTHROPIC_CONNECTOR_TOKEN": token}) as server:
        assert get(server, "/healthz").status_code == 200
        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": token}):
            refused = post(server, "/operations/get_model/run", MODELS, headers={"x-api-key": fake_key, **headers})
            assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        admitted = post(server, "/operations/get_model/run", MODELS, headers={"x-api-key": fake_key, "authorization": f"Bearer {token}"})
        assert admitted.status_code == 200
    (sent,) = recorder.requests
    assert sent.headers["x-api-key"] == fake_key and "authorization" not in sent.headers  # the service's token stays home
    assert token not in server.stderr


def test_files_only_inside_the_allowed_directory(tmp_path: Path) -> None:
    allowed = tmp_path / "shared"
    allowed.mkdir()
    (allowed / "report.txt").write_text("quarterly\n")
    (tmp_path / "private.txt").write_text("not yours\n")
    (allowed / "escape").symlink_to(tmp_path / "private.txt")
    with Server(["serve", "--sandbox", "--allow-dir", str(allowed)]) as server:
        uploaded = post(server, "/operations/upload_file/run", {"file_path": "report.txt"})
        assert uploaded.status_code == 200 and uploaded.json()["filename"] == "report.txt"
        for named in ("../private.txt", "escape", str(tmp_path / "private.txt")):
            refused = post(server, "/operations/upload_file/run", {"file_path": named})
            assert refused.status_code == 403 and refused.json()["error"]["details"][0]["path"] == "/file_path"
        written = post(server, "/operations/download_file/run?output_file=copy.bin", {"file_id": "file_1"})
        assert written.status_code == 200 and (allowed / "copy.bin").stat().st_size == written.json()["size_bytes"]
        outside = post(server, "/operations/download_file/run?output_file=../copy.bin", {"file_id": "file_1"})
        assert outside.status_code == 403 and not (tmp_path / "copy.bin").exists()


def test_raw_requests_stay_on_the_connection_origin(recorder: Recorder, tmp_path: Path, fake_key: str) -> None:
    other = Hostile(lambda sock, data: sock.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))
    try:
        redirect = Answer(302, b"", {"location": other.url + "/inside"})
        with served_by(recorder.url, tmp_path, fake_key) as server:
            away = post(server, "/operations/raw_http_request/run", {"method": "GET", "url": {"fullUrl": other.url + "/admin"}})
            assert away.status_code == 403 and "origin" in away.json()["error"]["message"]
            recorder.script(redirect)
            bounced = post(server, "/operations/raw_http_request/run", {"method": "GET", "url": {"endpoint": "/v1/models"}})
            assert bounced.status_code == 403
        assert other.connections == 0
        with Server(["serve", "--connection", str(tmp_path / "connection.json"), "--allow-origin", other.url]) as server:
            allowed = post(server, "/operations/raw_http_request/run", {"method": "GET", "url": {"fullUrl": other.url + "/x"}})
            assert allowed.status_code == 200 and allowed.json()["body"] == "ok"
    finally:
        other.close()


# -- a fault of the service itself -----------------------------------------------------------


def test_a_500_says_nothing_of_the_internals() -> None:
    """An unexpected exception (here a connector that breaks) answers a bare envelope."""
    from anthropic_connector.doors.hosting import Hosting
    from anthropic_connector.doors.policy import DoorPolicy
    from anthropic_connector.doors.service import Service
    from anthropic_connector.connection import Connection

    class Broken:
        async def arun(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("internal state <Connector at 0xdeadbeef> sk-ant-api03-leak")

        async def aclose(self) -> None:
            pass

    hosting = Hosting(MANIFEST, Connection.from_mapping({"api_key": "sk-ant-test-unused"}, MANIFEST), DoorPolicy(), sandbox=False)
    service = Service(hosting)
    app = service.app()
    service.shared = Broken()
    sent: list[dict[str, Any]] = []

    async def call() -> None:
        body = json.dumps(MODELS).encode()
        scope = {"type": "http", "method": "POST", "path": "/operations/get_model/run", "raw_path": b"/operations/get_model/run", "query_string": b"",
                 "headers": [(b"content-length", str(len(body)).encode())], "http_version": "1.1", "scheme": "http", "server": ("t", 80), "client": ("t", 1), "root_path": ""}
        messages = iter([{"type": "http.request", "body": body, "more_body": False}])

        async def receive() -> dict[str, Any]:
            return next(messages, {"type": "http.disconnect"})

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        with pytest.raises(RuntimeError):  # Starlette re-raises for the server's log, after answering
            await app(scope, receive, send)

    asyncio.run(call())
    assert sent[0]["status"] == 500
    body = b"".join(m.get("body", b"") for m in sent[1:]).decode()
    assert json.loads(body)["error"] == {"type": "internal_error", "message": "the service failed; see its log", "status": None, "request_id": None, "details": None}
    assert "deadbeef" not in body and "sk-ant" not in body and "Traceback" not in body
