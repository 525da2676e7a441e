"""Send a bulk run's lines one request each, a bounded number at once, results in input order.

The requests are the runtime's own (``Connector.arun``: validation, retries, deadlines); this
module only decides how many are under way and in what order their results go out. A window
of at most ``4 × concurrency`` lines is open at a time: the line at its head is written as soon
as its result is in, and results that finish before it wait in the window (the reorder
buffer). So memory is bounded by the window, whatever the file's length, and one slow request
holds back the writing, never the sending of the next ``4 × concurrency - 1`` lines.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Awaitable, Callable, Iterable, Union

from .inputs import Line

WINDOW_PER_SLOT = 4

Result = dict[str, Any]
Slot = Union[Result, "asyncio.Task[Result]"]


async def send_all(
    work: Iterable[Line | Result],
    send: Callable[[Line], Awaitable[Result]],
    write: Callable[[Result], None],
    concurrency: int,
) -> None:
    """``send`` each Line (at most ``concurrency`` at once), ``write`` every result in order;
    a finished result (kept from an earlier run, or an invalid line's error) takes its place in
    the order as it is. Leaving early (an error, Ctrl-C) cancels what is still under way."""
    gate = asyncio.Semaphore(concurrency)

    async def one(line: Line) -> Result:
        async with gate:
            return await send(line)

    window: deque[Slot] = deque()
    try:
        for item in work:
            if len(window) >= WINDOW_PER_SLOT * concurrency:
                write(await _ready(window.popleft()))
            window.append(asyncio.ensure_future(one(item)) if isinstance(item, Line) else item)
        while window:
            write(await _ready(window.popleft()))
    finally:
        running = [slot for slot in window if isinstance(slot, asyncio.Task)]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


async def _ready(slot: Slot) -> Result:
    return slot if isinstance(slot, dict) else await slot
