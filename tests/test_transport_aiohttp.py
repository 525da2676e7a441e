"""AiohttpTransport: httpx2's transport contract on aiohttp's pool (limits, errors)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx2
import pytest
from conftest import Answer, Recorded, Recorder, refused_url

from anthropic_connector.sandbox import SandboxOptions, serve
from anthropic_connector.transport_aiohttp import AiohttpTransport


class InFlight:
    """A recorder script that answers slowly and counts how many requests overlap."""

    def __init__(self, delay: float) -> None:
        self.delay, self.now, self.most = delay, 0, 0
        self.lock = threading.Lock()

    def __call__(self, request: Recorded) -> Answer:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.delay)
        with self.lock:
            self.now -= 1
        return Answer(200, {"path": request.path})


def gather(url: str, paths: list[str], transport: AiohttpTransport, stagger: float = 0.0, **kwargs: Any) -> list[Any]:
    async def one(path: str, wait: float) -> Any:
        await asyncio.sleep(wait)
        try:
            return (await client.get(url + path, **kwargs)).json()["path"]
        except httpx2.TransportError as exc:
            return type(exc)

    async def main() -> list[Any]:
        nonlocal client
        async with httpx2.AsyncClient(transport=transport) as client:
            return list(await asyncio.gather(*(one(p, i * stagger) for i, p in enumerate(paths))))

    client: Any = None
    return asyncio.run(main())


def test_max_connections_caps_requests_in_flight(recorder: Recorder) -> None:
    script = InFlight(0.05)
    recorder.script(script)
    paths = [f"/r{i}" for i in range(8)]
    assert gather(recorder.url, paths, AiohttpTransport(limits=httpx2.Limits(max_connections=2))) == paths
    assert script.most == 2


@pytest.mark.parametrize(
    "fault, error",
    [("drop", httpx2.RemoteProtocolError), ("drop:mid", httpx2.RemoteProtocolError), ("latency=2", httpx2.ReadTimeout)],
)
def test_failures_are_httpx2_exceptions(fault: str, error: type) -> None:
    async def send(url: str) -> None:
        async with httpx2.AsyncClient(transport=AiohttpTransport(), timeout=httpx2.Timeout(0.3)) as client:
            response = await client.post(url + "/v1/messages", json={}, headers={"x-sandbox-fault": fault})
            await response.aread()

    with serve(options=SandboxOptions(check_key=False)) as server:
        with pytest.raises(error):
            asyncio.run(send(server.url))


def test_a_refused_connection_is_a_connect_error() -> None:
    async def send() -> None:
        async with httpx2.AsyncClient(transport=AiohttpTransport()) as client:
            await client.get(refused_url())

    with pytest.raises(httpx2.ConnectError):
        asyncio.run(send())
