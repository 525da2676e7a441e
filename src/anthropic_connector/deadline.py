"""A deadline for a whole attempt, however slowly its answer trickles in.

httpx2's timeouts bound each read, so a server that sends a byte a second, or ``102
Processing`` for ever, never trips them. The async client runs each attempt inside
``Deadlines.within``, asyncio.timeout's contract with one timer for every attempt. The sync
client has no such thing: ``within`` sets the attempt's deadline in a context variable
(``UNTIL``), and the sync client's network backend (sync_backend.py) shrinks every read's and
write's timeout to what remains of it. That backend is its own module because it loads httpcore2
(with h11, anyio and truststore), which an async-only process never needs.
"""

from __future__ import annotations

import contextvars
import math
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

# When the sync attempt running in this context must end (time.monotonic()), None: no deadline.
UNTIL: contextvars.ContextVar[float | None] = contextvars.ContextVar("anthropic_connector_deadline", default=None)


class within:
    """``with within(seconds):`` every read and write of the sync client inside the block ends
    by ``seconds`` from now (a class: it wraps every sync attempt)."""

    __slots__ = ("_seconds", "_token")

    def __init__(self, seconds: float | None) -> None:
        self._seconds = seconds

    def __enter__(self) -> None:
        self._token = UNTIL.set(None if self._seconds is None else time.monotonic() + self._seconds)

    def __exit__(self, *exc: object) -> None:
        UNTIL.reset(self._token)


def lift() -> None:
    """No deadline from here on in this block (a stream has started: its idle limit applies)."""
    UNTIL.set(None)


# -- async -----------------------------------------------------------------------------------


class Deadlines:
    """``with deadlines.within(seconds) as scope:`` asyncio.timeout's contract (the task
    is cancelled at the deadline, and that cancellation leaves the block as TimeoutError;
    ``scope.lift()``: no deadline from there on) for every attempt on one event loop, with
    one timer between them. asyncio.timeout makes and cancels a TimerHandle per block, 8.8 µs
    of an async run's CPU; here a block costs a dict entry, and the timer moves only for a
    deadline earlier than the one it waits for (never, while every run has one timeout). A
    plain ``with``, inside a task: entering and leaving a block await nothing, and a coroutine
    for each would cost on every run."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        import asyncio  # an event loop runs: it is loaded (a sync run never loads it)

        self._loop = loop
        self._current_task = asyncio.current_task
        self._cancelled = asyncio.CancelledError
        self._due: dict[_Scope, float] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._at = math.inf

    def within(self, seconds: float | None) -> _Scope:
        return _Scope(self, seconds)

    def _watch(self, scope: _Scope, seconds: float) -> None:
        when = self._due[scope] = self._loop.time() + seconds
        if when < self._at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._at = self._loop.call_at(when, self._expire), when

    def _forget(self, scope: _Scope) -> None:
        self._due.pop(scope, None)

    def _expire(self) -> None:
        """Cancel the blocks past their deadline; wait for the next one, if any."""
        now = self._loop.time()
        self._timer, self._at = None, math.inf
        for scope, when in list(self._due.items()):
            if when <= now:
                del self._due[scope]
                scope.expire()
        if self._due:
            when = min(self._due.values())
            self._timer, self._at = self._loop.call_at(when, self._expire), when


class _Scope:
    """One block of ``Deadlines.within``."""

    __slots__ = ("_deadlines", "_seconds", "_task", "_cancelling", "_expired")

    def __init__(self, deadlines: Deadlines, seconds: float | None) -> None:
        self._deadlines = deadlines
        self._seconds = seconds
        self._expired = False

    def __enter__(self) -> _Scope:
        if self._seconds is not None:
            task = self._deadlines._current_task()
            if task is None:
                raise RuntimeError("a deadline needs a task")
            self._task, self._cancelling = task, task.cancelling()
            self._deadlines._watch(self, self._seconds)
        return self

    def lift(self) -> None:
        self._deadlines._forget(self)

    def expire(self) -> None:
        self._expired = True
        self._task.cancel()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self._deadlines._forget(self)
        # As asyncio.timeout: the cancellation is ours to turn into TimeoutError only when no
        # other cancellation came meanwhile.
        if self._expired and self._task.uncancel() <= self._cancelling and kind is self._deadlines._cancelled:
            raise TimeoutError from exc
