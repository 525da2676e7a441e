"""The one send loop: every decision about retries and redirects, made without any I/O.

``retrying`` is a generator (httpx's auth flow and h11's sans-IO are the model): it asks for
an attempt (``Send``), is told the attempt's outcome (its value, a ``Redirect`` closed unread,
or its ConnectorError), and says how long to wait (``Wait``) or stops with the result (or the
error). ``drive`` and ``adrive`` run it, one sync and one async, with the clock the caller
gave: a test's clock only records the waits. dispatch.py does the I/O.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Generator, NamedTuple

import httpx2

from . import errors, output, retry
from .auth import prepare
from .call import Call
from .clock import Clock

log = logging.getLogger("anthropic_connector")

MAX_REDIRECTS = 5  # hops followed (each judged by auth.py); a sixth redirect is the answer


class Send(NamedTuple):
    attempt: int  # from 0
    request: httpx2.Request
    follow: bool  # a redirect answer may be followed (False: it is the answer)


class Wait(NamedTuple):
    seconds: float


class Redirect(NamedTuple):
    """An attempt's answer was a redirect, closed unread; ``request`` is the next hop."""

    request: httpx2.Request


Flow = Generator["Send | Wait", Any, Any]


def retrying(call: Call, clock: Clock) -> Flow:
    """The one send loop: yields Send (send back the attempt's outcome: its value, a
    Redirect, or its ConnectorError) or Wait (send back None once waited); returns the
    outcome that ends it, or raises the error that does."""
    attempt = 0
    while True:
        request, hops = call.request, 0
        if call.guard is not None:
            call.guard(request)
        outcome = yield Send(attempt, request, True)
        while isinstance(outcome, Redirect):  # each hop judged anew; its body was never read
            hops += 1
            request = prepare(outcome.request, call.connection, redirected=True)
            if call.guard is not None:
                call.guard(request)
            outcome = yield Send(attempt, request, hops < MAX_REDIRECTS)
        if isinstance(outcome, errors.ConnectorError):
            retryable, headers, why = retry.should_retry(outcome), getattr(outcome, "headers", None), outcome.message
        elif call.raw and isinstance(outcome, output.Result) and not 200 <= outcome.status < 300:
            headers, why = outcome.output["headers"], f"HTTP {outcome.status}"
            retryable = retry.should_retry_answer(outcome.status, headers)  # a raw answer is its output once retries are spent
        else:
            return outcome
        if not retryable or attempt >= call.max_retries:
            if isinstance(outcome, errors.ConnectorError):
                raise outcome
            return outcome
        wait = retry.delay(attempt, headers, clock.now())
        log.info("attempt %d failed (%s); retrying in %.2fs", attempt + 1, why, wait)
        yield Wait(wait)
        attempt += 1


def drive(flow: Flow, attempt: Callable[[Send], Any], sleep: Callable[[float], None]) -> Any:
    step = next(flow)
    while True:
        try:
            if isinstance(step, Wait):
                sleep(step.seconds)
                step = flow.send(None)
                continue
            try:
                outcome = attempt(step)
            except errors.ConnectorError as exc:
                outcome = exc
            step = flow.send(outcome)
        except StopIteration as done:
            return done.value


async def adrive(flow: Flow, attempt: Callable[[Send], Awaitable[Any]], sleep: Callable[[float], Awaitable[None]]) -> Any:
    step = next(flow)
    while True:
        try:
            if isinstance(step, Wait):
                await sleep(step.seconds)
                step = flow.send(None)
                continue
            try:
                outcome = await attempt(step)
            except errors.ConnectorError as exc:
                outcome = exc
            step = flow.send(outcome)
        except StopIteration as done:
            return done.value
