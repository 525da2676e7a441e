"""Fault injection: parse fault specs and decide, request by request, which fault applies.

Spec syntax (header `x-sandbox-fault` or `SandboxOptions.faults` items), items joined by `;`:

    429                   a rate_limit_error, always with `retry-after` (default 1 second)
    500 | 529 | 403 ...   that status with its Anthropic error type (any status in ERROR_TYPES)
    <status>:retry-after=S   set the `retry-after` header (seconds) on any status fault
    drop                  close the connection without answering
    drop:mid              send part of the body, then close the connection
    cut[:after=N]         SSE stream ends cleanly after N content events, without message_stop
    error-event[:after=N] SSE `event: error` (overloaded_error) after N content events, then the end
    ok                    no fault (a placeholder in a fault sequence)
    latency=S             wait S seconds before answering (combines with the others)
    should-retry=B        add `x-should-retry: true|false`
    times=N               apply to the first N matching requests only

A header spec is counted per sandbox instance and per exact spec string; without `times` it
applies to every request carrying it. `SandboxOptions.faults` is a sequence consumed one item per
request (an item with `times=N` lasts N requests); after it runs out requests are served normally.
The key is checked first, as the API checks it: a request without a valid key is a 401 that meets
no fault and spends none of either count.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Fault:
    spec: str
    status: int | None = None
    retry_after: str | None = None
    should_retry: str | None = None
    drop: str | None = None  # "start" or "mid"
    cut: bool = False
    error_event: bool = False
    after: int = 1
    latency: float = 0.0
    times: int | None = None


def parse(spec: str) -> Fault:
    """Parse a fault spec; raises ValueError with a readable reason."""
    fields: dict[str, object] = {"spec": spec}
    for item in filter(None, (part.strip() for part in spec.split(";"))):
        name, _, params = item.partition(":")
        if "=" in name:  # a top-level key=value item
            params, name = name, ""
        for param in filter(None, (p.strip() for p in params.split(","))):
            key, sep, value = param.partition("=")
            if not sep:
                if name == "drop" and key == "mid":
                    fields["drop"] = "mid"
                    continue
                raise ValueError(f"fault {spec!r}: expected key=value, got {param!r}")
            _set_param(fields, key.strip(), value.strip(), spec)
        if name.isdigit():
            if int(name) not in ERROR_TYPES:
                raise ValueError(f"fault {spec!r}: status {name} is not one of {sorted(ERROR_TYPES)}")
            fields["status"] = int(name)
        elif name == "drop":
            fields.setdefault("drop", "start")
        elif name in ("cut", "error-event"):
            fields[name.replace("-", "_")] = True
        elif name not in ("", "ok"):
            raise ValueError(f"fault {spec!r}: unknown fault {name!r}")
    return Fault(**fields)  # type: ignore[arg-type]


def _seconds(value: str) -> float:
    """A duration: a finite number >= 0. `inf` would wait for ever (and overflow a sleep), `nan`
    and negatives mean nothing; each is refused rather than quietly read as something else."""
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError("must be a finite number of seconds >= 0")
    return number


def _set_param(fields: dict[str, object], key: str, value: str, spec: str) -> None:
    try:
        if key == "latency":
            fields["latency"] = _seconds(value)
        elif key == "retry-after":
            fields["retry_after"] = str(_seconds(value)).removesuffix(".0")
        elif key == "should-retry" and value in ("true", "false"):
            fields["should_retry"] = value
        elif key in ("times", "after") and int(value) >= 0:
            fields[key] = int(value)
        else:
            raise ValueError
    except ValueError as exc:
        why = f": {exc}" if str(exc) else ""
        raise ValueError(f"fault {spec!r}: bad parameter {key}={value!r}{why}") from None


class FaultPlan:
    """Per-instance fault bookkeeping, safe to share between server threads."""

    def __init__(self, sequence: tuple[str, ...]) -> None:
        self._lock = threading.Lock()
        self._sequence = [parse(spec) for spec in sequence]
        self._used = [0] * len(self._sequence)
        self._seen: dict[str, int] = {}

    def pick(self, header: str | None) -> Fault | None:
        """The fault for the next request: the header's if given and still due, else the sequence's.

        Every request consumes one step of the sequence, header or not, so "the Nth request"
        means the same thing for both. Raises ValueError for a malformed header spec.
        """
        requested = parse(header) if header else None
        with self._lock:
            queued = self._next_queued()
            if header is None or requested is None:
                return queued
            seen = self._seen[header] = self._seen.get(header, 0) + 1
        return requested if requested.times is None or seen <= requested.times else None

    def _next_queued(self) -> Fault | None:
        for i, fault in enumerate(self._sequence):
            if self._used[i] < (1 if fault.times is None else fault.times):
                self._used[i] += 1
                return fault
        return None
