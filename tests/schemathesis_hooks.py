"""Schemathesis hooks for tests/test_schemathesis.py: a server error is the service's own 500.

A 502 or 504 is the service telling the truth about its upstream (the sandbox refuses what a
schema cannot say, such as a batch whose custom_ids repeat), documented in the OpenAPI
document with the envelope, and checked against it like any other answer."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def no_internal_error(ctx: Any, response: Any, case: Any) -> None:
    if response.status_code == 500:
        raise AssertionError(f"the service failed (500): {response.text[:500]}")
    if response.status_code >= 500 and response.status_code not in (502, 504):
        raise AssertionError(f"an undocumented server status {response.status_code}")
