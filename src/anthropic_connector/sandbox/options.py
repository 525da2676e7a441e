"""Sandbox configuration: one frozen value shared by the transport, the server and the CLI."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

API_VERSIONS = ("2023-06-01", "2026-10-21")
"""Versions the real API accepts today; 2026-10-21 is what SDK 2.x sends by default."""

MAX_BODY_BYTES = 32 * 1024 * 1024
"""The Messages and Token Counting APIs answer 413 above 32 MB (docs: API errors, request size limits)."""

MAX_STORAGE_BYTES = 256 * 1024 * 1024
"""What the sandbox keeps of uploaded files at most, in memory; the API's own quota is per organization."""

LOG_REQUESTS = 1000
LOG_BODY_BYTES = 64 * 1024
"""The request log keeps the latest 1,000 requests and the first 64 KiB of each body: at most
about 64 MiB, however long the sandbox runs and whatever it is sent (a Files upload is stored
whole, within `max_storage_bytes`, and not a second time in the log)."""


@dataclass(frozen=True)
class SandboxOptions:
    """How the emulated API behaves; defaults suit `make demo` (legacy models served, any key)."""

    check_key: bool = True
    api_key: str | None = None
    latency: float = 0.0
    faults: tuple[str, ...] = ()
    canned: dict[str, str] = field(default_factory=dict)
    retired_models: Literal["serve", "reject"] = "serve"
    max_body_bytes: int = MAX_BODY_BYTES
    batch_seconds: float = 1.0
    """How long a message batch stays `in_progress` (its requests end one by one over it); 0 ends it at once."""
    max_storage_bytes: int = MAX_STORAGE_BYTES
    log_requests: int = LOG_REQUESTS
    """How many of the latest requests `Sandbox.requests` keeps."""
    log_body_bytes: int = LOG_BODY_BYTES
    """How much of each kept request's body is kept (`Recorded.size` tells the whole size)."""
    any_id: bool = False
    """Answer any unknown id or cursor with a generated object of the right type, as a contract
    mock server does, instead of the API's 404 / 400: for designing a flow before anything exists."""
    clock: Callable[[], float] = time.time
    """Seconds since the epoch, for every time the sandbox tells; tests inject their own, so that a
    batch ends or a file expires without anyone sleeping."""

    def __post_init__(self) -> None:
        if self.retired_models not in ("serve", "reject"):
            raise ValueError(f"retired_models must be 'serve' or 'reject', not {self.retired_models!r}")
        if not all(math.isfinite(s) and s >= 0 for s in (self.latency, self.batch_seconds)):
            raise ValueError("latency and batch_seconds must be finite numbers of seconds >= 0")
        if min(self.max_storage_bytes, self.log_requests, self.log_body_bytes) < 0:
            raise ValueError("max_storage_bytes, log_requests and log_body_bytes must be >= 0")
        object.__setattr__(self, "faults", tuple(self.faults))


@dataclass(frozen=True)
class ServerLimits:
    """What the socket server gives any one client at most, so that no client, careless or
    hostile, can make it hold memory, threads or sockets without end."""

    read_timeout: int = 20
    """Seconds the server waits for a client that owes it bytes: a new or kept-alive connection
    idle that long is closed, a request's head must arrive whole within it, and its body may not
    pause longer. Longer than the idle expiry of the usual clients (httpx 5 s, aiohttp 15 s), so
    that they, not the server, close a pooled connection: no request races a closing socket."""
    max_connections: int = 1000
    """Connections served at once (the official SDK's pool size); a request on any connection
    past it is answered 503 until others close."""

    def __post_init__(self) -> None:
        if self.read_timeout < 1 or self.max_connections < 1:
            raise ValueError("read_timeout and max_connections must be >= 1")


def load_canned(path: str | Path) -> dict[str, str]:
    """Read canned replies from JSON or YAML.

    Either a flat mapping ``{"<model or exact prompt>": "<reply>"}`` or
    ``{"models": {...}, "prompts": {...}}``; prompts win over models when both match.
    """
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith((".yaml", ".yml")):
        import yaml  # a project dependency; imported lazily to keep the sandbox import light

        data: Any = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: canned replies must be a mapping")
    if set(data) <= {"models", "prompts"}:
        data = {**data.get("models", {}), **data.get("prompts", {})}
    return {str(k): str(v) for k, v in data.items()}
