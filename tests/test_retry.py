"""The retry policy as a table, the official SDK's branches one by one (sleep is not involved)."""

from __future__ import annotations

import email.utils
import time

import pytest

from anthropic_connector import errors, retry


def status_error(status: int, **headers: str) -> errors.APIError:
    return errors.api_error(status, {"type": "error", "error": {"type": "x", "message": "m"}}, "req_1", headers)


@pytest.mark.parametrize(
    "status, headers, expected",
    [
        (408, {}, True),
        (409, {}, True),
        (429, {}, True),
        (500, {}, True),
        (502, {}, True),
        (529, {}, True),
        (400, {}, False),
        (401, {}, False),
        (403, {}, False),
        (404, {}, False),
        (413, {}, False),
        (500, {"x-should-retry": "false"}, False),  # the server's word beats the status
        (400, {"x-should-retry": "true"}, True),
        (429, {"x-should-retry": "false"}, False),
    ],
)
def test_should_retry_by_status_and_header(status: int, headers: dict[str, str], expected: bool) -> None:
    assert retry.should_retry(status_error(status, **headers)) is expected


def test_transport_failures_retry_but_stream_errors_and_size_limits_do_not() -> None:
    assert retry.should_retry(errors.TransportError("refused"))
    assert retry.should_retry(errors.APITimeoutError("slow"))
    assert not retry.should_retry(errors.APIError("error event mid-stream"))
    assert not retry.should_retry(errors.ResponseTooLargeError("big", status=200))
    assert not retry.should_retry(errors.ValidationError("bad"))


def test_retry_after_forms() -> None:
    now = time.time()
    assert retry.retry_after({"retry-after-ms": "250"}, now) == 0.25
    assert retry.retry_after({"retry-after": "3"}, now) == 3.0
    assert retry.retry_after({"retry-after": "1.5"}, now) == 1.5
    future = email.utils.formatdate(now + 30, usegmt=True)
    assert 29 <= retry.retry_after({"retry-after": future}, now) <= 30
    assert retry.retry_after({"retry-after": future}, now + 20) <= 10  # read against the clock it is given
    assert retry.retry_after({"retry-after": "soon"}, now) is None
    assert retry.retry_after({}, now) is None


def test_delay_honours_retry_after_and_backs_off_with_jitter_otherwise() -> None:
    now = time.time()
    assert retry.delay(0, {"retry-after": "2"}, now) == 2.0
    # Exponential from 0.5 s, capped at 8 s, minus up to 25 % jitter (SDK constants).
    for attempt, base in [(0, 0.5), (1, 1.0), (2, 2.0), (5, 8.0), (9, 8.0)]:
        waits = [retry.delay(attempt, {}, now) for _ in range(50)]
        assert all(base * 0.75 <= w <= base for w in waits), (attempt, min(waits), max(waits))
    # A retry-after beyond the cap is not obeyed blindly: backoff applies.
    assert retry.delay(0, {"retry-after": "3600"}, now) <= 0.5
