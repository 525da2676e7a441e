"""The sync client's network backend: every read and write within what is left of the
attempt's deadline (deadline.py), past which a read fails as a timeout that dispatch.py
reports as one.

Imported only when a sync client is made (dispatch.Dispatcher.client): it loads httpcore2,
with h11, anyio and truststore, which the async client (on aiohttp's pool) never uses.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

import httpcore2
import httpx2

from . import deadline


def _left(timeout: float | None) -> float | None:
    """``timeout``, shortened to what is left of the attempt's deadline (read here, not through
    a function of deadline.py: this runs on every read and write)."""
    until = deadline.UNTIL.get()
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise httpcore2.ReadTimeout("the attempt passed its deadline")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore2.NetworkStream):
    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> httpcore2.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore2.NetworkBackend):
    def __init__(self, inner: httpcore2.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None, socket_options: Iterable[Any] | None = None) -> httpcore2.NetworkStream:
        return _Stream(self._inner.connect_tcp(host, port, _left(timeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None) -> httpcore2.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install(client: httpx2.Client) -> None:
    """Make every connection of ``client``'s own transports (proxies included) keep deadlines.

    Reaches into httpx2's transports for their httpcore2 pools, which take a network backend
    only at construction; a transport of another kind (the in-process sandbox) is left as it is.
    """
    for transport in [client._transport, *client._mounts.values()]:  # noqa: SLF001 - see above
        pool: Any = getattr(transport, "_pool", None)
        if isinstance(getattr(pool, "_network_backend", None), httpcore2.NetworkBackend):
            pool._network_backend = _Backend(pool._network_backend)  # noqa: SLF001
