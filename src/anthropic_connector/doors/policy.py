"""What a caller on the other side of a door may ask of this machine: one policy for the HTTP
service and the MCP server.

The library and the CLI act for their own user, whose word is enough to name a file or a URL.
The service and the MCP server act for other people's calls, so there a caller's word never
picks a file on this host nor where the connection's requests go:

- an input field that names a local file (the manifest's multipart ``file.path``: upload_file's
  ``file_path``) and an output file a download is written to are refused unless the server was
  started with an allowed directory, and then only inside it once resolved (``..`` and symlinks
  followed, then checked), so that no caller reads ``/etc/passwd`` or writes over ``~/.ssh``;
- every request, redirects included, goes to the connection's origin or one the server allows
  (raw_http_request's ``fullUrl`` is where this bites): a door is not an open proxy carrying
  the operator's network position;
- a server started with a token admits only callers that present it (``Authorization: Bearer``),
  compared in constant time.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, MutableMapping, Optional

import httpx2

from ..auth import origin
from ..connection import Connection
from ..errors import ConfigurationError
from ..spec import Operation
from .http import UNAUTHORIZED, envelope

TOKEN_ENV = "ANTHROPIC_CONNECTOR_TOKEN"  # the service's own token, when not given as --token
Origin = tuple[str, str, Optional[int]]


def _refused(field: str, message: str) -> ConfigurationError:
    """A schema-valid input this server will not run: a 403 (configuration_error), not a 422,
    since the same input may run elsewhere; details name the field, as a violation would."""
    return ConfigurationError(f"the input is refused by this server: {field} {message}", details=[{"path": field, "message": message}])


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()  # equal lengths, so compare_digest leaks nothing


@dataclass(frozen=True)
class DoorPolicy:
    """What a door lets its callers do; the default lets them name no file and no other origin."""

    allowed_dir: Path | None = None  # resolved
    allowed_origins: frozenset[Origin] = frozenset()
    any_origin: bool = False
    token: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DoorPolicy:
        allowed_dir = Path(args.allow_dir).expanduser().resolve() if args.allow_dir else None
        if allowed_dir is not None and not allowed_dir.is_dir():
            raise ConfigurationError(f"--allow-dir {args.allow_dir}: not a directory")
        origins = frozenset(origin(httpx2.URL(url)) for url in args.allow_origin if url != "*")
        return cls(allowed_dir, origins, "*" in args.allow_origin, args.token or os.environ.get(TOKEN_ENV) or None)

    # -- callers --------------------------------------------------------------------------

    def admits(self, authorization: str | None) -> bool:
        """Whether a caller's Authorization header carries the server's token (or none is needed)."""
        if self.token is None:
            return True
        scheme, _, presented = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(_digest(presented.strip()), _digest(self.token))

    # -- files ----------------------------------------------------------------------------

    def admit(self, op: Operation, payload: Any, output_file: str | None = None) -> tuple[Any, Path | None]:
        """The input with any local path it names resolved inside the allowed directory, and the
        output file likewise; a ConfigurationError (nothing is opened or sent) otherwise."""
        path_field = op.request.file.path if op.request is not None and op.request.file is not None else None
        if path_field is not None and isinstance(payload, dict) and isinstance(payload.get(path_field), str):
            payload = {**payload, path_field: str(self._inside(payload[path_field], f"/{path_field}", must_exist=True))}
        return payload, None if output_file is None else self._inside(output_file, "output_file", must_exist=False)

    def _inside(self, named: str, field: str, must_exist: bool) -> Path:
        if self.allowed_dir is None:
            raise _refused(field, "names a file on the server, which this server does not allow (it was started without --allow-dir); send the content instead")
        path = Path(named)
        try:
            resolved = (path if path.is_absolute() else self.allowed_dir / path).resolve(strict=must_exist)
        except (OSError, RuntimeError) as exc:
            raise _refused(field, f"cannot be read: {getattr(exc, 'strerror', None) or 'no such file'}") from None
        if not resolved.is_relative_to(self.allowed_dir):
            raise _refused(field, "is outside the directory this server allows")
        return resolved

    # -- where requests go ----------------------------------------------------------------

    def guard(self, connection: Connection) -> Callable[[httpx2.Request], None] | None:
        """The check every request of ``connection`` passes before it is sent (None: any origin)."""
        if self.any_origin:
            return None
        allowed = self.allowed_origins | {origin(httpx2.URL(connection.base_url))}

        def check(request: httpx2.Request) -> None:
            if origin(request.url) not in allowed:
                scheme, host, port = origin(request.url)
                raise _refused("/url", f"goes to {scheme}://{host}:{port}, and this server sends requests only to the connection's origin{' and those it allows' if self.allowed_origins else ''}")

        return check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The policy's options, the same for every door."""
    parser.add_argument("--allow-dir", metavar="DIR", help="let callers name files inside DIR (upload_file's file_path, an output file); default: none")
    parser.add_argument(
        "--allow-origin", metavar="URL", action="append", default=[],
        help="let requests go to this origin as well as the connection's (repeatable; '*' for any)",
    )
    parser.add_argument("--token", help=f"require 'Authorization: Bearer TOKEN' of callers (default: ${TOKEN_ENV}, if set)")


class CallerGate:
    """An ASGI wrapper that admits only callers with the server's token (when it has one),
    before any route of the wrapped app runs; ``open_paths`` (a health check) need none."""

    def __init__(self, app: Any, policy: DoorPolicy, open_paths: tuple[str, ...] = ()) -> None:
        self.app, self.policy, self.open_paths = app, policy, open_paths

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] not in self.open_paths:
            authorization = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None)
            if not self.policy.admits(authorization):
                body = json.dumps(envelope("unauthorized", "this server needs 'Authorization: Bearer <its token>'")).encode()
                headers = [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]
                await send({"type": "http.response.start", "status": UNAUTHORIZED, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
