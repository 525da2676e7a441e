"""Send a Call on the one HTTP client, retrying as the official SDK does, and hand the answer
to output.py.

The decisions (retries, redirects) are send_loop.py's, made without I/O; this module does the
I/O: it owns the clients, opens each attempt within its deadline, and hands the body to
output.Reader. The transport is the seam: pass ``transport=`` (an in-process sandbox, a
faster pool) and nothing else changes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterable

import httpx2

from . import deadline, errors, output, proxies, send_loop

from .auth import AS_PREPARED
from .call import Call
from .clock import Clock
from .connection import Connection

if TYPE_CHECKING:
    import asyncio  # imported where an event loop runs: a one-shot sync run is spared its 6 ms

log = logging.getLogger("anthropic_connector")


# Async requests in flight at once (httpx2's default pool size); more wait their turn, first
# come first served, before they reach the HTTP client: at c=256 this holds 1 MB less than
# waiting inside the pool, and runs 15 % faster (bench/).
MAX_IN_FLIGHT = 100


def _where(request: httpx2.Request) -> str:
    return f"{request.method} {request.url.copy_with(query=None)}"


def _unsendable(request: httpx2.Request, exc: Exception) -> errors.ConnectorError:
    # The request itself cannot be written (a header with a line break, say): nothing left.
    return errors.ValidationError(f"the request cannot be sent: {exc}", details=[{"path": "", "message": f"cannot be sent: {exc}"}])


# httpx2's failures as ours, most specific first; messages name the URL (without its query),
# never a header.
_MAPPED: tuple[tuple[type[Exception], Callable[[httpx2.Request, Exception], errors.ConnectorError]], ...] = (
    (httpx2.LocalProtocolError, _unsendable),
    (httpx2.TimeoutException, lambda r, e: errors.APITimeoutError(f"{_where(r)} timed out ({type(e).__name__})")),
    (httpx2.RequestError, lambda r, e: errors.TransportError(f"{_where(r)} failed: {str(e) or type(e).__name__}")),
)


class _mapped:
    """``with _mapped(request):`` turns httpx2's failures into ours (a class, not a generator:
    it wraps every exchange twice, and a generator-based one costs microseconds each time)."""

    __slots__ = ("request",)

    def __init__(self, request: httpx2.Request) -> None:
        self.request = request

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, httpx2.RequestError):  # refused, dropped, timed out, or a body that cannot be decoded
            raise next(make(self.request, exc) for kind, make in _MAPPED if isinstance(exc, kind)) from None


def _raw(response: httpx2.Response) -> Iterable[bytes]:
    """The body as it came (output.py undoes its encoding, within the size limit); or, from a
    transport that answered with its body already read (a test's MockTransport), that body.
    httpx2's own iterator, not a generator around it: a layer per chunk costs on every run."""
    return (response.content,) if response.is_stream_consumed else response.iter_raw()


def _araw(response: httpx2.Response) -> AsyncIterator[bytes]:
    return _once(response.content) if response.is_stream_consumed else response.aiter_raw()


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


def _refuse_clear_proxy(connection: Connection) -> None:
    """A key must not travel in clear: an http:// base URL that the environment sends through
    a proxy is refused, unless the connection says it may (loopback is never proxied)."""
    url = httpx2.URL(connection.base_url)
    if url.scheme != "http" or not connection.has_credential or connection.allow_http_proxy:
        return
    proxy = proxies.proxy_for(url)
    if proxy:
        raise errors.ConfigurationError(
            f"{connection.base_url} is plain HTTP and the environment sends it through the proxy {proxy}, "
            "which would see the API key in clear: use https, add the host to NO_PROXY, or set allow_http_proxy: true"
        )


class Dispatcher:
    """Owns the HTTP clients for one connection; runs Calls to their outputs."""

    def __init__(
        self,
        connection: Connection,
        transport: httpx2.BaseTransport | None = None,
        async_transport: httpx2.AsyncBaseTransport | None = None,
        max_in_flight: int | None = MAX_IN_FLIGHT,
        clock: Clock | None = None,
        label: str | None = None,
    ) -> None:
        """``label``: named in every log line (the in-process sandbox: nothing leaves the process)."""
        if transport is None or async_transport is None:
            _refuse_clear_proxy(connection)
        self.connection = connection
        self.clock = clock or Clock()
        self._label_text = label
        self._label = f" ({label})" if label else ""
        self._transport = transport
        self._async_transport = async_transport
        self._client: httpx2.Client | None = None
        self._aclient: httpx2.AsyncClient | None = None
        self._max_in_flight = max_in_flight
        # the event loop it was last used on, with its turns (None: no cap) and attempt deadlines
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore | None, deadline.Deadlines] | None = None

    def sibling(self) -> Dispatcher:
        """A dispatcher on the same connection, transports, turns and clock, with HTTP clients of
        its own: for an event loop of its own (a sync host's bulk run), whose async client must
        not outlive it nor be one another loop opened."""
        return Dispatcher(self.connection, self._transport, self._async_transport, self._max_in_flight, self.clock, self._label_text)

    @property
    def client(self) -> httpx2.Client:
        if self._client is None:
            from . import sync_backend  # here: it loads httpcore2, which an async-only host never needs

            self._client = httpx2.Client(transport=self._transport, mounts=proxies.LOOPBACK_MOUNTS)
            sync_backend.install(self._client)
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
            self._aclient = httpx2.AsyncClient(transport=transport)
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

    def _logged(self, step: send_loop.Send) -> httpx2.Request:
        """The request, after a debug line naming it (no headers: credentials are added later)."""
        request = step.request
        log.debug("%s %s (attempt %d)%s", request.method, request.url, step.attempt + 1, self._label)
        return request

    def send(self, call: Call) -> output.Result:
        """Run the call to its output, retrying as retry.py says; the files its request streams
        from are closed once it is over."""
        try:
            return send_loop.drive(send_loop.retrying(call, self.clock), lambda step: self._attempt(call, step), self.clock.sleep)
        finally:
            call.close()

    def _attempt(self, call: Call, step: send_loop.Send) -> output.Result | send_loop.Redirect:
        """One exchange within the call's deadline (for a stream: until its events begin)."""
        with deadline.within(call.deadline):
            opened = self._open(call, step)
            if isinstance(opened, send_loop.Redirect):
                return opened
            if opened[1].sse:
                deadline.lift()
            return self._complete(*opened)

    def lines(self, call: Call) -> Generator[Any, None, None]:
        """Each line of a JSON Lines answer as it arrives, none kept. Attempts are retried only
        until the answer starts: a failure after a line was handed over is raised."""
        response, reader = send_loop.drive(send_loop.retrying(call, self.clock), lambda step: self._started(call, step), self.clock.sleep)
        try:
            with _mapped(call.request):
                for chunk in _raw(response):
                    yield from reader.feed(chunk)
            reader.result()
        finally:
            reader.close()
            response.close()

    def _open(self, call: Call, step: send_loop.Send, collect: bool = True) -> tuple[httpx2.Response, output.Reader] | send_loop.Redirect:
        with _mapped(step.request):
            response = self.client.send(self._logged(step), auth=AS_PREPARED, stream=True)
        if step.follow and response.next_request is not None:  # httpx2 made the next hop of a redirect
            response.close()  # unread: a redirect's body is nobody's output
            return send_loop.Redirect(response.next_request)
        try:
            return response, output.Reader(call, response, collect)
        except BaseException:
            response.close()
            raise

    def _complete(self, response: httpx2.Response, reader: output.Reader) -> output.Result:
        try:
            with _mapped(response.request):
                for chunk in _raw(response):
                    reader.take(chunk)
            return reader.result()
        finally:
            reader.close()
            response.close()

    def _started(self, call: Call, step: send_loop.Send) -> tuple[httpx2.Response, output.Reader] | send_loop.Redirect:
        with deadline.within(call.deadline):
            opened = self._open(call, step, collect=False)
            if isinstance(opened, send_loop.Redirect) or opened[1].lines:
                return opened
            self._complete(*opened)  # a non-2xx answer raises its APIError here
        raise errors.UnexpectedResponseError("the API answered without JSON Lines", status=opened[1].status, request_id=opened[1].rid)

    # -- async --------------------------------------------------------------------------------

    def _here(self) -> tuple[asyncio.Semaphore | None, deadline.Deadlines]:
        """This event loop's turns (None: no cap) and attempt deadlines, made on first use."""
        import asyncio

        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            gate = None if self._max_in_flight is None else asyncio.Semaphore(self._max_in_flight)
            self._turns = (loop, gate, deadline.Deadlines(loop))
        return self._turns[1], self._turns[2]

    def _turn(self, call: Call, gate: asyncio.Semaphore, deadlines: deadline.Deadlines) -> Awaitable[Any]:
        """A place among max_in_flight requests at ``gate`` (asyncio.Semaphore is fair: first
        come, first served), for the caller to await and release once done: the gate's own
        acquire when a place is free (no coroutine of ours around it, on every run), else a
        wait no longer than the call's pool timeout. (Not a context manager:
        asynccontextmanager's generator costs 2 µs on every run.)"""
        return self._wait_turn(call, gate, deadlines) if gate.locked() else gate.acquire()

    async def _wait_turn(self, call: Call, gate: asyncio.Semaphore, deadlines: deadline.Deadlines) -> None:
        """The wait for a turn, within the attempts' own deadlines: a cancellation cannot slip
        past it (asyncio.wait_for could return a won acquire to a task cancelled meanwhile)."""
        try:
            with deadlines.within(call.request.extensions.get("timeout", {}).get("pool")):
                await gate.acquire()
        except TimeoutError:  # asyncio's, since Python 3.11
            raise errors.APITimeoutError(
                f"{_where(call.request)}: no turn among {self._max_in_flight} requests in flight within the timeout"
            ) from None

    async def asend(self, call: Call) -> output.Result:
        """``send`` on the async client; the run keeps its turn through its retries, so that
        waiting for a turn is never itself retried."""
        gate, deadlines = self._here()
        try:
            if gate is not None:
                await self._turn(call, gate, deadlines)
            try:
                return await send_loop.adrive(send_loop.retrying(call, self.clock), lambda step: self._aattempt(call, step, deadlines), self.clock.asleep)
            finally:
                if gate is not None:
                    gate.release()
        finally:
            call.close()

    async def _aattempt(self, call: Call, step: send_loop.Send, deadlines: deadline.Deadlines) -> output.Result | send_loop.Redirect:
        """One exchange within the call's deadline (for a stream: until its events begin)."""
        try:
            with deadlines.within(call.deadline) as scope:
                opened = await self._aopen(call, step)
                if isinstance(opened, send_loop.Redirect):
                    return opened
                if opened[1].sse:
                    scope.lift()
                return await self._acomplete(*opened)
        except TimeoutError:  # asyncio's, since Python 3.11
            raise errors.APITimeoutError(f"{_where(step.request)} took longer than the deadline ({call.deadline:g} s)") from None

    async def aevents(self, call: Call) -> AsyncGenerator[dict[str, Any], None]:
        """Each SSE event's data as it arrives, for hosts that show tokens live.

        Attempts are retried only until the stream starts: once an event has been handed over,
        a failure is raised, never papered over by a second request.
        """
        gate, deadlines = self._here()
        if gate is not None:
            await self._turn(call, gate, deadlines)
        try:
            response, reader = await send_loop.adrive(send_loop.retrying(call, self.clock), lambda step: self._astarted(call, step, deadlines), self.clock.asleep)
            try:
                with _mapped(call.request):
                    async for chunk in _araw(response):
                        for data in reader.feed(chunk):
                            yield data
                reader.result()  # raises when the stream ended before its final event
            finally:
                await response.aclose()
        finally:
            if gate is not None:
                gate.release()

    async def _aopen(self, call: Call, step: send_loop.Send) -> tuple[httpx2.Response, output.Reader] | send_loop.Redirect:
        with _mapped(step.request):
            response = await self.aclient.send(self._logged(step), auth=AS_PREPARED, stream=True)
        if step.follow and response.next_request is not None:
            await response.aclose()  # unread: a redirect's body is nobody's output
            return send_loop.Redirect(response.next_request)
        try:
            return response, output.Reader(call, response)
        except BaseException:
            await response.aclose()
            raise

    async def _acomplete(self, response: httpx2.Response, reader: output.Reader) -> output.Result:
        try:
            with _mapped(response.request):
                async for chunk in _araw(response):
                    reader.take(chunk)
            return reader.result()
        finally:
            reader.close()
            await response.aclose()

    async def _astarted(self, call: Call, step: send_loop.Send, deadlines: deadline.Deadlines) -> tuple[httpx2.Response, output.Reader] | send_loop.Redirect:
        try:
            with deadlines.within(call.deadline):
                opened = await self._aopen(call, step)
                if isinstance(opened, send_loop.Redirect) or opened[1].sse:
                    return opened
                await self._acomplete(*opened)  # a non-2xx answer raises its APIError here
        except TimeoutError:  # asyncio's, since Python 3.11
            raise errors.APITimeoutError(f"{_where(step.request)} took longer than the deadline ({call.deadline:g} s)") from None
        raise errors.UnexpectedResponseError("the API answered without an event stream", status=opened[1].status, request_id=opened[1].rid)
