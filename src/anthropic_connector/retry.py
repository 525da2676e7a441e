"""When to try again, and how long to wait: the official SDK's policy, as pure functions.

Constants and branches mirror anthropic-sdk-python's ``_base_client`` so that the connector
behaves under load exactly as Anthropic's own client does.
"""

from __future__ import annotations

import email.utils
import random
import time
from typing import Mapping

from . import errors

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0  # a longer retry-after is not obeyed: the backoff below applies instead


def should_retry(exc: errors.ConnectorError) -> bool:
    """Whether the failure ``exc`` is worth another attempt."""
    if isinstance(exc, errors.TransportError):
        return True  # no answer (refused, dropped, cut short, timed out): try again
    if type(exc) is not errors.APIError or exc.status is None:
        return False  # an error event mid-stream or an oversized body: trying again would not help
    header = (exc.headers or {}).get("x-should-retry")
    if header == "true":
        return True  # the server said so: obey
    if header == "false":
        return False  # the server said so: obey
    if exc.status in (408, 409, 429):
        return True  # request timeout, lock timeout, rate limit
    return exc.status >= 500  # internal errors and 529 overloaded


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, retry-after seconds or date), if any."""
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[name]) / scale
        except (KeyError, TypeError, ValueError):
            pass
    parsed = email.utils.parsedate_tz(headers.get("retry-after", ""))
    return None if parsed is None else float(email.utils.mktime_tz(parsed) - time.time())


def delay(exc: errors.ConnectorError, attempt: int, max_retries: int) -> float | None:
    """Seconds to sleep before attempt ``attempt + 1``, or None to give up and raise ``exc``."""
    if attempt >= max_retries or not should_retry(exc):
        return None
    asked = retry_after(getattr(exc, "headers", None))
    if asked is not None and 0 < asked <= MAX_RETRY_AFTER:
        return asked  # the API said how long: do what it says
    backoff = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return backoff * (1 - 0.25 * random.random())  # up to 25% jitter, as the SDK
