"""An httpx2 async transport backed by aiohttp: httpx2's API on top, aiohttp's pool underneath.

httpx2's own async pool (httpcore2 + h11) parses HTTP in Python and, at high concurrency on
one event loop, spends most of a request there; aiohttp parses in C and pools connections
cheaply. This transport keeps everything above the transport (Request, Response, auth flows,
``aiter_bytes``/``aiter_lines``) as httpx2 has it, so the connector's code does not change:

    httpx2.AsyncClient(transport=AiohttpTransport())

What a caller may rely on:

* Failures are raised as httpx2's exceptions (ConnectError, ConnectTimeout, ReadTimeout,
  RemoteProtocolError, ReadError, ...), so retry and error handling written for httpx2 work.
* The body is streamed: ``handle_async_request`` returns once the headers are in; the body is
  read as the caller iterates, and closing the response early closes (does not reuse) the
  connection.
* httpx2's per-request timeouts (``request.extensions["timeout"]``) apply: ``connect`` to the
  TCP connect, ``read`` to each read, ``pool`` to waiting for a free connection plus connect.
* Exactly httpx2's headers are sent: aiohttp adds none of its own, decompresses nothing and
  keeps no cookies (httpx2 does those). Redirects are not followed here (httpx2 decides).
* ``httpx2.Limits`` maps onto aiohttp's pool: ``max_connections`` is its connection cap (None:
  no cap), ``keepalive_expiry`` the idle time; aiohttp keeps every idle connection, so
  ``max_keepalive_connections`` has no counterpart.

The aiohttp session is made on first use, in the running event loop; a transport used again
from a new event loop makes a new session there.

Why not httpx-aiohttp (0.2.0, which the official SDK vendors for its DefaultAioHttpClient):
its ``httpx_aiohttp.httpx2`` variant imports the package root, which imports httpx 0.28 (a
second HTTP stack, +1 MB); each transport loads a second CA store (+2.3 MB) on top of
aiohttp's; it maps a dropped connection to ConnectTimeout; and it reads no proxy variables.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ssl
from urllib.parse import unquote
from typing import Any, AsyncIterator

import aiohttp
import httpx2
from yarl import URL

from . import proxies

__all__ = ["AiohttpTransport"]

# No cap of its own: the connector's dispatcher admits at most max_in_flight requests, first
# come first served, before they are even built (aiohttp's own limit is not fair: a task that
# just released a connection takes it again ahead of older waiters).
DEFAULT_LIMITS = httpx2.Limits(max_connections=None, keepalive_expiry=30.0)

# aiohttp would otherwise add these when httpx2's request lacks them; httpx2 already decided.
_NO_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


def _httpx_error(exc: BaseException) -> type[httpx2.TransportError]:
    """The httpx2 exception class for an aiohttp (or asyncio) failure; most specific first."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx2.ConnectTimeout  # no connection within the connect (or pool) timeout
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return httpx2.ProxyError
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return httpx2.ReadTimeout  # a read waited longer than the read timeout
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx2.ConnectError  # refused, unreachable, DNS, TLS handshake
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
        return httpx2.RemoteProtocolError  # closed before a full answer, or not valid HTTP
    if isinstance(exc, (aiohttp.NonHttpUrlClientError, aiohttp.InvalidURL)):
        return httpx2.UnsupportedProtocol
    if isinstance(exc, (aiohttp.ClientOSError, aiohttp.ClientConnectionError, OSError)):
        return httpx2.ReadError  # reset or broken mid-exchange
    return httpx2.TransportError


@functools.lru_cache(maxsize=16)
def _proxy(value: str | None) -> tuple[URL, dict[str, str]] | None:
    """The proxy URL without its credentials, which go in a Proxy-Authorization header: a URL
    with a password would be repeated in aiohttp's error messages."""
    if value is None:
        return None
    url = URL(value)
    if url.user is None:
        return url, {}
    credentials = f"{unquote(url.user)}:{unquote(url.password or '')}".encode()
    return url.with_user(None), {"Proxy-Authorization": "Basic " + base64.b64encode(credentials).decode()}


def _translated(exc: BaseException, request: httpx2.Request) -> httpx2.TransportError:
    return _httpx_error(exc)(str(exc) or type(exc).__name__, request=request)


class _Body(httpx2.AsyncByteStream):
    """The response body as aiohttp receives it; errors while reading become httpx2's."""

    __slots__ = ("_response", "_request")

    def __init__(self, response: aiohttp.ClientResponse, request: httpx2.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise _translated(exc, self._request) from exc

    async def aclose(self) -> None:
        # Back to the pool when the body was read to its end; closed otherwise.
        self._response.release()


class AiohttpTransport(httpx2.AsyncBaseTransport):
    """Send httpx2 requests with one pooled ``aiohttp.ClientSession`` (HTTP/1.1 only)."""

    def __init__(
        self,
        *,
        limits: httpx2.Limits = DEFAULT_LIMITS,
        verify: ssl.SSLContext | bool = True,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._limits = limits
        # True: aiohttp's own verified default context, made once per process (a context of our
        # own would load the CA store again: time and a few MB per transport).
        self._ssl: ssl.SSLContext | bool = verify
        self._session = session
        self._owns_session = session is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}
        self._proxies: list[tuple[Any, str | None]] = []

    def _session_here(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or (self._owns_session and loop is not self._loop):
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                limit_per_host=0,
                keepalive_timeout=self._limits.keepalive_expiry if self._limits.keepalive_expiry is not None else 30.0,
                ssl=self._ssl,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=_NO_AUTO_HEADERS,
                timeout=aiohttp.ClientTimeout(total=None),
            )
            self._loop = loop
            # HTTP(S)_PROXY, ALL_PROXY, NO_PROXY exactly as httpx2 reads them (most specific
            # pattern first). Not aiohttp's trust_env, which would also send ~/.netrc credentials.
            self._proxies = proxies.environment()
        return self._session

    def _proxy_for(self, url: httpx2.URL) -> tuple[URL, dict[str, str]] | None:
        return _proxy(proxies.proxy_for(url, self._proxies))

    def _timeout(self, spec: dict[str, Any]) -> aiohttp.ClientTimeout:
        """httpx2's timeout dict as aiohttp's (cached: most requests share one)."""
        key = (spec.get("connect"), spec.get("read"), spec.get("pool"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            connect, read, pool = key
            total_connect = None if connect is None or pool is None else connect + pool
            timeout = aiohttp.ClientTimeout(total=None, connect=total_connect, sock_connect=connect, sock_read=read)
            if len(self._timeouts) < 64:
                self._timeouts[key] = timeout
        return timeout

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        session = self._session_here()
        headers = [(k, v) for k, v in request.headers.multi_items() if k != "transfer-encoding"]
        proxy = self._proxy_for(request.url)
        if proxy and proxy[1] and request.url.scheme == "http":
            headers += proxy[1].items()  # a plain-HTTP request goes to the proxy itself: it reads this
        try:
            data: Any = request.content or None
        except httpx2.RequestNotRead:
            data = _upload(request.stream)  # type: ignore[arg-type]  # aiohttp sends it chunked
        try:
            response = await session.request(
                request.method,
                URL(str(request.url), encoded=True).with_user(None),  # aiohttp would turn userinfo into Basic auth; httpx2 sends none
                headers=headers,
                data=data,
                allow_redirects=False,
                timeout=self._timeout(request.extensions.get("timeout") or {}),
                server_hostname=request.extensions.get("sni_hostname"),
                proxy=proxy[0] if proxy else None,
                proxy_headers=proxy[1] if proxy else None,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise _translated(exc, request) from exc
        except ValueError as exc:  # aiohttp refuses a header it cannot write (line breaks...)
            raise httpx2.LocalProtocolError(str(exc), request=request) from exc
        return httpx2.Response(
            response.status,
            headers=response.raw_headers,
            stream=_Body(response, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1", "replace")},
        )

    async def aclose(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None


async def _upload(stream: httpx2.AsyncByteStream) -> AsyncIterator[bytes]:
    async for chunk in stream:
        yield chunk
