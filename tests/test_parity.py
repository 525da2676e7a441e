"""The sync client (httpx2's pool) and the async one (httpx2 on aiohttp) behave the same."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import pytest
from conftest import MANIFEST, MODES, Answer, Recorder, outcome, refused_url

from anthropic_connector import Connector, ConnectorError
from anthropic_connector.transport_aiohttp import AiohttpTransport

MESSAGE = {"model": "claude-sonnet-5-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
REPLY = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5", "content": [], "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}}


run = outcome  # the output or the error type, from run or arun


@MODES
def test_the_environments_proxy_is_used_by_both(mode: str, recorder: Recorder, connection: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", recorder.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    recorder.script(Answer(200, REPLY))
    out = run(mode, {**connection, "base_url": "http://api.example.invalid", "allow_http_proxy": True}, "create_message", MESSAGE)
    assert out == REPLY
    (seen,) = recorder.requests
    assert seen.target == "http://api.example.invalid/v1/messages"  # proxy form: the absolute URL
    assert seen.headers["x-api-key"] == connection["api_key"]


@MODES
def test_no_proxy_is_honoured_by_both(mode: str, recorder: Recorder, connection: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    target = refused_url()
    monkeypatch.setenv("HTTP_PROXY", recorder.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert run(mode, {**connection, "base_url": target}, "create_message", MESSAGE) == "connection_error"
    assert recorder.requests == []


@MODES
def test_a_refused_connection_is_the_same_error(mode: str, connection: dict[str, Any]) -> None:
    assert run(mode, {**connection, "base_url": refused_url()}, "create_message", MESSAGE) == "connection_error"


@pytest.mark.parametrize("transport", [httpx2.AsyncHTTPTransport, AiohttpTransport])
def test_a_header_that_cannot_be_written_is_a_local_protocol_error(transport: type, recorder: Recorder) -> None:
    """Below the schema (which already refuses line breaks): both transports refuse, nothing sent."""

    async def send() -> None:
        async with httpx2.AsyncClient(transport=transport()) as client:
            await client.get(recorder.url, headers={"x-a": "v\r\nx-injected: 1"})

    with pytest.raises(httpx2.LocalProtocolError):
        asyncio.run(send())
    assert recorder.requests == []


@MODES
def test_proxy_credentials_go_in_a_header_and_never_into_an_error(mode: str, recorder: Recorder, connection: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    host_port = recorder.url.removeprefix("http://")
    monkeypatch.setenv("HTTP_PROXY", f"http://user:s3cret@{host_port}")
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:s3cret@{host_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    recorder.script(Answer(200, REPLY))
    assert run(mode, {**connection, "base_url": "http://api.example.invalid", "allow_http_proxy": True}, "create_message", MESSAGE) == REPLY
    assert recorder.requests[0].headers["proxy-authorization"] == "Basic dXNlcjpzM2NyZXQ="  # user:s3cret

    recorder.reset()
    recorder.script(Answer(407, "", {"proxy-authenticate": 'Basic realm="proxy"'}))

    async def arun() -> Any:
        async with Connector(MANIFEST, {**connection, "base_url": "https://api.example.invalid"}) as connector:
            return await connector.arun("create_message", MESSAGE)

    with pytest.raises(ConnectorError) as caught:
        if mode == "sync":
            with Connector(MANIFEST, {**connection, "base_url": "https://api.example.invalid"}) as connector:
                connector.run("create_message", MESSAGE)
        else:
            asyncio.run(arun())
    assert recorder.requests[0].method == "CONNECT"
    assert "s3cret" not in caught.value.message and "s3cret" not in repr(caught.value.details)


def test_all_proxy_and_no_proxy_wildcards_as_httpx2_reads_them(recorder: Recorder, connection: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.setenv("ALL_PROXY", recorder.url)
    monkeypatch.setenv("NO_PROXY", "*.bypassed.invalid")
    recorder.script(Answer(200, REPLY))
    allowed = {**connection, "allow_http_proxy": True}
    assert run("async", {**allowed, "base_url": "http://api.example.invalid"}, "create_message", MESSAGE) == REPLY
    assert run("async", {**allowed, "base_url": "http://api.bypassed.invalid"}, "create_message", MESSAGE) == "connection_error"
    assert [r.target for r in recorder.requests] == ["http://api.example.invalid/v1/messages"]


@MODES
@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY"])
def test_a_key_is_never_sent_in_clear_to_a_proxy(mode: str, variable: str, recorder: Recorder, connection: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, recorder.url)
    assert run(mode, {**connection, "base_url": "http://api.example.invalid"}, "create_message", MESSAGE) == "configuration_error"
    assert recorder.requests == []


@MODES
def test_loopback_is_never_proxied(mode: str, recorder: Recorder, connection: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", refused_url())
    monkeypatch.setenv("ALL_PROXY", refused_url())
    monkeypatch.delenv("NO_PROXY", raising=False)
    recorder.script(Answer(200, REPLY))
    assert run(mode, connection, "create_message", MESSAGE) == REPLY  # the recorder, on 127.0.0.1, directly
    assert recorder.requests[0].target == "/v1/messages"
