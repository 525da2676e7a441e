"""Credentials and API headers, added only to requests bound for the connection's own origin.

This is the one module that reads a secret. Every hop of a redirect is judged anew: a
redirect to another origin carries no credential from the connection (httpx2 alone would
forward x-api-key, which is not a standard auth header).
"""

from __future__ import annotations

import logging
from typing import Generator

import httpx2

from .connection import Connection
from .errors import redact

# Headers that carry or describe a credential: never forwarded across a redirect to another origin.
_CONNECTION_HEADERS = ("x-api-key", "authorization", "anthropic-version", "anthropic-beta")


def origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, port


def connection_headers(connection: Connection) -> dict[str, str]:
    """The headers the connection contributes to a request to its own origin."""
    headers = {"anthropic-version": connection.anthropic_version}
    if connection.api_key is not None:
        headers["x-api-key"] = connection.api_key.get_secret_value()
    if connection.auth_token is not None:
        headers["authorization"] = f"Bearer {connection.auth_token.get_secret_value()}"
    if connection.anthropic_beta:
        headers["anthropic-beta"] = ",".join(connection.anthropic_beta)
    return headers


class ConnectionAuth(httpx2.Auth):
    """Adds the connection's headers on its origin, unless the request already has them.

    A header the request already carries (one the user typed into a raw request) is sent as
    given. dispatch.py follows redirects itself (so that no redirect's body is ever read) and
    prepares each hop here: on a redirect to another origin every credential header is
    dropped, ours or not. As the request's httpx2 auth it also keeps httpx2 from turning a
    URL's userinfo into Basic credentials, as the aiohttp transport keeps aiohttp from it.
    """

    def __init__(self, connection: Connection) -> None:
        self._headers = connection_headers(connection)
        self._origin = origin(httpx2.URL(connection.base_url))

    def __repr__(self) -> str:
        return f"ConnectionAuth(origin={self._origin!r})"

    def prepare(self, request: httpx2.Request, redirected: bool = False) -> httpx2.Request:
        if origin(request.url) == self._origin:
            present = request.headers.keys()  # once: each Headers lookup or setdefault scans them all
            for name, value in self._headers.items():
                if name not in present:
                    request.headers[name] = value
        elif redirected:
            for name in _CONNECTION_HEADERS:
                request.headers.pop(name, None)
        return request

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        yield self.prepare(request)


class RedactingFilter(logging.Filter):
    """Masks the connection's credentials in every log record that passes through a handler."""

    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self._secrets = [s.get_secret_value() for s in (connection.api_key, connection.auth_token) if s is not None]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
        message = redact(message)  # and whatever else looks like a key or a URL's password
        record.msg, record.args = message, None
        return True
