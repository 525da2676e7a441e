"""When to try again, and how long to wait: the official SDK's policy, as pure functions.

Constants and branches mirror anthropic-sdk-python's ``_base_client`` so that the connector
behaves under load exactly as Anthropic's own client does. Time is passed in (``now``), so
that a test's clock decides what a retry-after date means.
"""

from __future__ import annotations

import email.utils
import random
from typing import Mapping

from . import errors

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0  # a longer retry-after is not obeyed: the backoff below applies instead


def should_retry_answer(status: int, headers: Mapping[str, str] | None) -> bool:
    """Whether an answer with this status is worth another attempt."""
    header = (headers or {}).get("x-should-retry")
    if header == "true":
        return True  # the server said so: obey
    if header == "false":
        return False  # the server said so: obey
    if status in (408, 409, 429):
        return True  # request timeout, lock timeout, rate limit
    return status >= 500  # internal errors and 529 overloaded


def should_retry(exc: errors.ConnectorError) -> bool:
    """Whether the failure ``exc`` is worth another attempt."""
    if isinstance(exc, errors.TransportError):
        return True  # no answer (refused, dropped, cut short, timed out): try again
    if isinstance(exc, errors.APIError) and exc.status is not None:
        return should_retry_answer(exc.status, exc.headers)
    return False  # an error event mid-stream, an oversized or unexpected body: trying again would not help


def retry_after(headers: Mapping[str, str] | None, now: float) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, retry-after seconds or date), if any."""
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[name]) / scale
        except (KeyError, TypeError, ValueError):
            pass
    parsed = email.utils.parsedate_tz(headers.get("retry-after", ""))
    return None if parsed is None else float(email.utils.mktime_tz(parsed) - now)


def delay(attempt: int, headers: Mapping[str, str] | None, now: float) -> float:
    """Seconds to sleep before attempt ``attempt + 1``."""
    asked = retry_after(headers, now)
    if asked is not None and 0 < asked <= MAX_RETRY_AFTER:
        return asked  # the API said how long: do what it says
    backoff = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return backoff * (1 - 0.25 * random.random())  # up to 25% jitter, as the SDK
