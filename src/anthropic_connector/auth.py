"""Which requests carry the connection's credentials: only those bound for its own origin.

A request is prepared where it is made: a builder of a request to the connection's origin
puts ``Connection.api_headers`` in it as it builds it, a raw request (any URL) is judged by
``prepare``, and so is every hop of a redirect: one to another origin carries no credential
from the connection (httpx2 alone would forward x-api-key, which is not a standard auth
header). httpx2 then sends each request as it was prepared (``AS_PREPARED``).
"""

from __future__ import annotations

import logging

import httpx2

from .connection import Connection
from .errors import redact

# Headers that carry or describe a credential: never forwarded across a redirect to another origin.
_CONNECTION_HEADERS = ("x-api-key", "authorization", "anthropic-version", "anthropic-beta")

# The httpx2 auth every request is sent with: it adds nothing, since the request was prepared
# when it was made, and, being an auth, keeps httpx2 from turning a URL's userinfo into Basic
# credentials (as the aiohttp transport keeps aiohttp from it).
AS_PREPARED = httpx2.Auth()


def origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, port


def prepare(request: httpx2.Request, connection: Connection, redirected: bool = False) -> httpx2.Request:
    """The connection's headers added to ``request`` when it is bound for the connection's
    origin, unless it already has them (a header a user typed into a raw request is sent as
    given); on a redirect to another origin every credential header dropped, ours or not."""
    if origin(request.url) == origin(httpx2.URL(connection.base_url)):
        present = request.headers.keys()  # once: each Headers lookup or setdefault scans them all
        for name, value in connection.api_headers.items():
            if name not in present:
                request.headers[name] = value
    elif redirected:
        for name in _CONNECTION_HEADERS:
            request.headers.pop(name, None)
    return request


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
