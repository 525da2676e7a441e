"""Time as the connector reads it and waits through it.

The send loop takes a Clock from its caller, so that a test hands in one that only records
the waits (a fault test never sleeps through real backoff) and moves its own time on.
"""

from __future__ import annotations

import time


class Clock:
    """The real clock: wall time, and sleeps that really wait."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        import asyncio  # here: a sync run never loads it (6 ms of a one-shot run)

        await asyncio.sleep(seconds)
