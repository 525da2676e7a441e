"""Send a Call on the one HTTP client, with retries, size limits and stream assembly.

The transport is the seam: pass ``transport=`` (an in-process sandbox, a faster pool) and
nothing else changes. Sync and async share every decision (retry.py, output.py, sse.py);
only the I/O loops below exist twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from typing import Any, AsyncGenerator, AsyncIterator, Iterator

import httpx2

from . import errors, output, retry
from .auth import ConnectionAuth
from .connection import Connection
from .operations import Call
from .sse import Event, EventStream

log = logging.getLogger("anthropic_connector")


_FOLLOW_REDIRECTS = False  # auth.py follows redirects itself, judging each hop's origin

# Async requests in flight at once (httpx2's default pool size); more wait their turn, first
# come first served, before they reach the HTTP client: at c=256 this holds 1 MB less than
# waiting inside the pool, and runs 15 % faster (bench/).
MAX_IN_FLIGHT = 100


class _transport_errors:
    """httpx2's failures as ours, in a ``with`` or an ``async with``; messages name the URL
    (without its query), never a header."""

    def __init__(self, request: httpx2.Request) -> None:
        self.request = request

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, httpx2.LocalProtocolError):
            # The request itself cannot be written (a header with a line break, say): nothing left.
            raise errors.ValidationError(
                f"the request cannot be sent: {exc}", details=[{"path": "", "message": f"cannot be sent: {exc}"}]
            ) from None
        if isinstance(exc, httpx2.TimeoutException):
            raise errors.TimeoutError(f"{_where(self.request)} timed out ({type(exc).__name__})") from None
        if isinstance(exc, httpx2.RequestError):  # refused, dropped, or a body that cannot be decoded
            raise errors.TransportError(f"{_where(self.request)} failed: {str(exc) or type(exc).__name__}") from None

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(kind, exc, tb)


async def _acquire_within(gate: asyncio.Semaphore, seconds: float | None) -> None:
    """gate.acquire() with a deadline that a cancellation cannot slip past (wait_for before
    Python 3.11 can return a won acquire to a task that was cancelled meanwhile)."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            await gate.acquire()
    else:  # pragma: no cover - Python 3.10
        await asyncio.wait_for(gate.acquire(), seconds)


def _where(request: httpx2.Request) -> str:
    return f"{request.method} {request.url.copy_with(query=None)}"


class _Reader:
    """Takes one response's body as it arrives and turns it into the output.

    Counts bytes against ``max_response_bytes`` before keeping them, so an oversized body is
    refused without being held in memory; an event stream's bytes are counted the same way,
    then decoded (always UTF-8, as the SSE standard says) into events for the assembler.
    """

    def __init__(self, call: Call, connection: Connection, response: httpx2.Response) -> None:
        self.call, self.response = call, response
        self.left = connection.max_response_bytes
        self.rid = output.request_id(response.headers)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.left:
            self._take(int(declared))  # refuse now: the body would pass the limit
        media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        self.sse = bool(call.stream) and response.is_success and media_type == "text/event-stream"
        self._body = bytearray()
        self._stream = EventStream() if self.sse else None
        self._assembler = output.StreamAssembler(call.stream or "", self.rid)

    def _take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise errors.ResponseTooLargeError(
                "the response body is larger than max_response_bytes; it was not read", request_id=self.rid
            )

    def chunk(self, chunk: bytes) -> None:
        """Take raw bytes of the body as they arrive: an event stream's are assembled at once."""
        for _ in self.events(chunk):
            pass

    def events(self, chunk: bytes) -> Iterator[dict[str, Any]]:
        """Take raw bytes of the body (counted before they are kept); for an event stream,
        the data of each event they complete (pings excepted), handed over one by one, so
        that an error event raises only after the events before it were handed over."""
        self._take(len(chunk))
        if self._stream is None:
            self._body += chunk
            return iter(())
        return self._assembled(self._stream.feed(chunk))

    def _assembled(self, events: list[Event]) -> Iterator[dict[str, Any]]:
        for event in events:
            data = self._assembler.add(event)
            if data is not None:
                yield data

    def result(self) -> output.Result:
        if self.sse:
            return output.Result(self._assembler.result(), self.response.status_code, self.rid)
        return output.parse(self.response.status_code, self.response.headers, bytes(self._body), self.call.raw)


def _retry_wait(exc: errors.ConnectorError, call: Call, attempt: int) -> float | None:
    """Seconds to wait before the next attempt (logged), or None when it is time to give up."""
    wait = retry.delay(exc, attempt, call.max_retries)
    if wait is not None:
        log.info("attempt %d failed (%s); retrying in %.2fs", attempt + 1, exc.message, wait)
    return wait


def _logged(call: Call, attempt: int) -> httpx2.Request:
    """The request, after a debug line naming it (no headers: credentials are added later)."""
    log.debug("%s %s (attempt %d of %d)", call.request.method, call.request.url, attempt + 1, call.max_retries + 1)
    return call.request


def _give_up(exc: errors.ConnectorError) -> output.Result:
    """Retries are spent: a raw request returns the answer it got, anything else raises."""
    if isinstance(exc, errors.APIError) and exc.output is not None:
        return exc.output
    raise exc


class Dispatcher:
    """Owns the HTTP clients for one connection; ``send`` and ``asend`` run a Call to its output."""

    def __init__(
        self,
        connection: Connection,
        transport: httpx2.BaseTransport | None = None,
        async_transport: httpx2.AsyncBaseTransport | None = None,
        max_in_flight: int | None = MAX_IN_FLIGHT,
    ) -> None:
        self.connection = connection
        self._auth = ConnectionAuth(connection)
        self._transport = transport
        self._async_transport = async_transport
        self._client: httpx2.Client | None = None
        self._aclient: httpx2.AsyncClient | None = None
        self._max_in_flight = max_in_flight
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    @property
    def client(self) -> httpx2.Client:
        if self._client is None:
            self._client = httpx2.Client(transport=self._transport, follow_redirects=_FOLLOW_REDIRECTS)
        return self._client

    @property
    def aclient(self) -> httpx2.AsyncClient:
        if self._aclient is None:
            transport = self._async_transport
            if transport is None:
                # httpx2's own async pool parses HTTP in Python and tops out near 1,400 requests/s
                # at concurrency 64 here; on aiohttp's pool the same client does 2-3x that (bench/).
                from .transport_aiohttp import AiohttpTransport

                transport = AiohttpTransport()
            self._aclient = httpx2.AsyncClient(transport=transport, follow_redirects=_FOLLOW_REDIRECTS)
        return self._aclient

    def close(self) -> None:
        """Close the sync client (an async client needs ``aclose``, inside its event loop)."""
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Close both clients."""
        self.close()
        if self._aclient is not None:
            await self._aclient.aclose()

    # -- sync ---------------------------------------------------------------------------------

    def send(self, call: Call) -> output.Result:
        """Run the call to its output, retrying as retry.py says."""
        attempt = 0
        while True:
            try:
                return self._attempt(call, attempt)
            except errors.ConnectorError as exc:
                wait = _retry_wait(exc, call, attempt)
                if wait is None:
                    return _give_up(exc)
            attempt += 1
            time.sleep(wait)

    def _attempt(self, call: Call, attempt: int) -> output.Result:
        with _transport_errors(call.request):
            response = self.client.send(_logged(call, attempt), auth=self._auth, stream=True)
            try:
                reader = _Reader(call, self.connection, response)
                for chunk in response.iter_bytes():
                    reader.chunk(chunk)
                return reader.result()
            finally:
                response.close()

    # -- async --------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _turn(self, call: Call) -> AsyncIterator[None]:
        """A place among max_in_flight requests (asyncio.Semaphore is fair: first come, first
        served), waited for no longer than the call's pool timeout."""
        if self._max_in_flight is None:
            yield
            return
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Semaphore(self._max_in_flight))
        gate = self._turns[1]
        if gate.locked():
            try:
                await _acquire_within(gate, call.request.extensions.get("timeout", {}).get("pool"))
            except asyncio.TimeoutError:
                raise errors.TimeoutError(
                    f"{_where(call.request)}: no turn among {self._max_in_flight} requests in flight within the timeout"
                ) from None
        else:
            await gate.acquire()
        try:
            yield
        finally:
            gate.release()

    async def asend(self, call: Call) -> output.Result:
        """``send`` on the async client; the run keeps its turn through its retries, so that
        waiting for a turn is never itself retried."""
        async with self._turn(call):
            attempt = 0
            while True:
                try:
                    return await self._aattempt(call, attempt)
                except errors.ConnectorError as exc:
                    wait = _retry_wait(exc, call, attempt)
                    if wait is None:
                        return _give_up(exc)
                attempt += 1
                await asyncio.sleep(wait)

    async def _aattempt(self, call: Call, attempt: int) -> output.Result:
        async with _transport_errors(call.request):
            response = await self.aclient.send(_logged(call, attempt), auth=self._auth, stream=True)
            try:
                reader = _Reader(call, self.connection, response)
                async for chunk in response.aiter_bytes():
                    reader.chunk(chunk)
                return reader.result()
            finally:
                await response.aclose()

    async def aevents(self, call: Call) -> AsyncGenerator[dict[str, Any], None]:
        """Each SSE event's data as it arrives, for hosts that show tokens live.

        Attempts are retried only until the stream starts: once an event has been handed over,
        a failure is raised, never papered over by a second request.
        """
        async with self._turn(call):
            attempt = 0
            while True:
                try:
                    response, reader = await self._aopen_stream(call, attempt)
                    break
                except errors.ConnectorError as exc:
                    wait = _retry_wait(exc, call, attempt)
                    if wait is None:
                        raise
                attempt += 1
                await asyncio.sleep(wait)
            try:
                async with _transport_errors(call.request):
                    async for chunk in response.aiter_bytes():
                        for data in reader.events(chunk):
                            yield data
                    reader.result()  # raises when the stream ended before its final event
            finally:
                await response.aclose()

    async def _aopen_stream(self, call: Call, attempt: int) -> tuple[httpx2.Response, _Reader]:
        """An open 2xx event stream and its reader, or the ConnectorError the answer amounts to."""
        with _transport_errors(call.request):
            response = await self.aclient.send(_logged(call, attempt), auth=self._auth, stream=True)
            try:
                reader = _Reader(call, self.connection, response)
                if reader.sse:
                    return response, reader
                async for chunk in response.aiter_bytes():
                    reader.chunk(chunk)
            except BaseException:
                await response.aclose()
                raise
            await response.aclose()
            reader.result()  # a non-2xx answer raises its APIError here
            raise errors.APIError("the API answered without an event stream", status=response.status_code, request_id=reader.rid)
