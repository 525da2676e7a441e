"""The clients a benchmark row can measure, each sending the same create_message request.

Every client is built by name from ``CLIENTS`` and gives back ``send`` (one request, returns
the number of SSE events seen, 0 for a plain answer) and ``close``. Sync clients return plain
functions, async ones coroutine functions; ``IS_ASYNC`` tells which.
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

API_KEY = "sk-bench-not-a-real-key"
VERSION = "2023-06-01"
PAYLOAD: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 1024,
    "system": "You are a helpful programming language expert.",
    "messages": [{"role": "user", "content": "What are the main differences between Python and JavaScript?"}],
    "metadata": {"user_id": "user_123456789"},
}


def payload(stream: bool) -> dict[str, Any]:
    return {**PAYLOAD, "stream": True} if stream else dict(PAYLOAD)


USER_AGENT = "anthropic-connector/0.1.0 (httpx2)"  # what the connector sends; the raw rows send the same


def _headers() -> dict[str, str]:
    return {"x-api-key": API_KEY, "anthropic-version": VERSION, "user-agent": USER_AGENT}


def _events(lines: Any) -> int:
    return sum(1 for line in lines if not line)


# -- the connector ------------------------------------------------------------------------------


def _connector(url: str, **kwargs: Any) -> Any:
    from anthropic_connector import Connector

    return Connector(connection={"api_key": API_KEY, "base_url": url, "max_retries": 0}, **kwargs)


def _count(output: dict[str, Any], stream: bool) -> int:
    if not stream:
        assert output["content"][0]["type"] == "text"
        return 0
    return output["usage"]["output_tokens"]  # = text deltas sent; run.py adds the fixed events


def connector_sync(url: str, concurrency: int, stream: bool) -> tuple[Callable[[], int], Callable[[], None]]:
    connector = _connector(url)
    body = payload(stream)
    return (lambda: _count(connector.run("create_message", body).output, stream)), connector.close


def _async_connector(url: str, stream: bool, **kwargs: Any) -> tuple[Callable[[], Awaitable[int]], Callable[[], Awaitable[None]]]:
    connector = _connector(url, **kwargs)
    body = payload(stream)

    async def send() -> int:
        return _count((await connector.arun("create_message", body)).output, stream)

    return send, connector.aclose


def connector_async(url: str, concurrency: int, stream: bool) -> Any:
    """The connector as shipped: httpx2 on aiohttp's pool, at most 100 runs in flight (FIFO)."""
    return _async_connector(url, stream)


def connector_async_httpx2(url: str, concurrency: int, stream: bool) -> Any:
    """The connector on httpx2's own async pool (its default Limits): what aiohttp replaced."""
    import httpx2

    return _async_connector(url, stream, async_transport=httpx2.AsyncHTTPTransport())


def _tuned_limits(concurrency: int) -> Any:
    import httpx2

    return httpx2.Limits(max_connections=max(concurrency, 100), max_keepalive_connections=max(concurrency, 100))


def connector_async_limits(url: str, concurrency: int, stream: bool) -> Any:
    """httpx2's own pool with every connection kept alive (Limits sized to the concurrency)."""
    import httpx2

    return _async_connector(url, stream, async_transport=httpx2.AsyncHTTPTransport(limits=_tuned_limits(concurrency)), max_in_flight=None)


# -- the official SDK ---------------------------------------------------------------------------


def sdk_sync(url: str, concurrency: int, stream: bool) -> Any:
    import anthropic

    client = anthropic.Anthropic(base_url=url, api_key=API_KEY, max_retries=0)
    body = payload(stream)

    def send() -> int:
        if stream:
            return sum(1 for _ in client.messages.create(**body))
        client.messages.create(**body)
        return 0

    return send, client.close


def _sdk_async(url: str, stream: bool, **kwargs: Any) -> Any:
    import anthropic

    client = anthropic.AsyncAnthropic(base_url=url, api_key=API_KEY, max_retries=0, **kwargs)
    body = payload(stream)

    async def send() -> int:
        if stream:
            n = 0
            async for _ in await client.messages.create(**body):
                n += 1
            return n
        await client.messages.create(**body)
        return 0

    return send, client.close


def sdk_async(url: str, concurrency: int, stream: bool) -> Any:
    """anthropic.AsyncAnthropic as a user gets it (its httpx2 client, 1000-connection pool)."""
    return _sdk_async(url, stream)


def sdk_async_aiohttp(url: str, concurrency: int, stream: bool) -> Any:
    """The SDK's own opt-in aiohttp client (anthropic.DefaultAioHttpClient)."""
    import anthropic

    return _sdk_async(url, stream, http_client=anthropic.DefaultAioHttpClient())


# -- raw transports -----------------------------------------------------------------------------


def httpx2_sync(url: str, concurrency: int, stream: bool) -> Any:
    """httpx2.Client as the connector configures it, no validation, auth flow or assembly."""
    import httpx2

    client = httpx2.Client(headers=_headers(), follow_redirects=False)
    body, target = payload(stream), url + "/v1/messages"

    def send() -> int:
        if stream:
            with client.stream("POST", target, json=body) as response:
                return _events(response.iter_lines())
        response = client.post(target, json=body)
        response.json()
        return 0

    return send, client.close


def _httpx2_async(url: str, stream: bool, **kwargs: Any) -> Any:
    import httpx2

    client = httpx2.AsyncClient(headers=_headers(), follow_redirects=False, **kwargs)
    body, target = payload(stream), url + "/v1/messages"

    async def send() -> int:
        if stream:
            n = 0
            async with client.stream("POST", target, json=body) as response:
                async for line in response.aiter_lines():
                    n += not line
            return n
        response = await client.post(target, json=body)
        response.json()
        return 0

    return send, client.aclose


def httpx2_async(url: str, concurrency: int, stream: bool) -> Any:
    """httpx2.AsyncClient with its default pool (100 connections, 20 kept alive)."""
    return _httpx2_async(url, stream)


def httpx2_async_limits(url: str, concurrency: int, stream: bool) -> Any:
    import httpx2

    return _httpx2_async(url, stream, transport=httpx2.AsyncHTTPTransport(limits=_tuned_limits(concurrency)))


def httpx2_async_aiohttp(url: str, concurrency: int, stream: bool) -> Any:
    from anthropic_connector.transport_aiohttp import AiohttpTransport

    return _httpx2_async(url, stream, transport=AiohttpTransport())


def aiohttp_raw(url: str, concurrency: int, stream: bool) -> Any:
    """aiohttp alone: the fastest Python client here, for the ceiling."""
    import aiohttp

    state: dict[str, Any] = {}
    data, target = json.dumps(payload(stream)).encode(), url + "/v1/messages"
    headers = {**_headers(), "content-type": "application/json"}

    async def send() -> int:
        session = state.get("session")
        if session is None:
            session = state["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        async with session.post(target, data=data, headers=headers) as response:
            if stream:
                n = 0
                async for line in response.content:
                    n += line == b"\n"
                return n
            json.loads(await response.read())
            return 0

    async def close() -> None:
        if "session" in state:
            await state["session"].close()

    return send, close


CLIENTS: dict[str, Callable[[str, int, bool], Any]] = {
    "connector-sync": connector_sync,
    "connector-async": connector_async,
    "connector-async-limits": connector_async_limits,
    "connector-async-httpx2": connector_async_httpx2,
    "sdk-sync": sdk_sync,
    "sdk-async": sdk_async,
    "sdk-async-aiohttp": sdk_async_aiohttp,
    "httpx2-sync": httpx2_sync,
    "httpx2-async": httpx2_async,
    "httpx2-async-limits": httpx2_async_limits,
    "httpx2-async-aiohttp": httpx2_async_aiohttp,
    "aiohttp": aiohttp_raw,
}
IS_ASYNC = {name: not name.endswith("-sync") for name in CLIENTS}
