"""The connector's CPU per request above the raw httpx2 client it sends with, in one process.

    python bench/overhead.py --url URL [--requests N] [--rounds R] [--profile FILE]

Sync: ``httpx2.Client`` with the connector's headers (``post`` + ``json()``) against
``Connector.run``; async: ``httpx2.AsyncClient`` on the same transport as the connector's
async row (AiohttpTransport) against ``Connector.arun``. Sequential requests, CPU from
``time.process_time``; rounds alternate raw and connector, and the overhead is the median
of the rounds' differences.
With ``--profile`` the sync connector's requests are also run under cProfile and the top
costs written to FILE. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clients import CLIENTS  # noqa: E402


def _cpu_per_request(send: Callable[[], Any], n: int) -> float:
    cpu = time.process_time()
    for _ in range(n):
        send()
    return (time.process_time() - cpu) / n * 1e6


async def _acpu_per_request(send: Callable[[], Any], n: int) -> float:
    cpu = time.process_time()
    for _ in range(n):
        await send()
    return (time.process_time() - cpu) / n * 1e6


def sync_overhead(url: str, n: int, rounds: int) -> dict[str, float]:
    raw, raw_close = CLIENTS["httpx2-sync"](url, 1, False)
    conn, conn_close = CLIENTS["connector-sync"](url, 1, False)
    try:
        for send in (raw, conn):  # warm: connections open, caches filled
            _cpu_per_request(send, 100)
        raws, conns = [], []
        for _ in range(rounds):
            raws.append(_cpu_per_request(raw, n))
            conns.append(_cpu_per_request(conn, n))
    finally:
        raw_close()
        conn_close()
    return _summary(raws, conns)


async def async_overhead(url: str, n: int, rounds: int) -> dict[str, float]:
    raw, raw_close = CLIENTS["httpx2-async-aiohttp"](url, 1, False)
    conn, conn_close = CLIENTS["connector-async"](url, 1, False)
    try:
        for send in (raw, conn):
            await _acpu_per_request(send, 100)
        raws, conns = [], []
        for _ in range(rounds):
            raws.append(await _acpu_per_request(raw, n))
            conns.append(await _acpu_per_request(conn, n))
    finally:
        await raw_close()
        await conn_close()
    return _summary(raws, conns)


def _summary(raws: list[float], conns: list[float]) -> dict[str, float]:
    """Medians, and the overhead as the median of each round's difference: adjacent rounds
    share the machine's state (clock, the upstream's load), so pairing cancels its drift.
    The difference of the two medians swung from 10 to 52 µs over four runs; this, 21 to 35.
    Short rounds pair more closely still: 31 rounds of 100 requests gave 48.5 to 51.6 µs
    (sync) over three runs where 7 rounds of 400 gave 50.7 to 55.1 on the same code."""
    return {
        "raw_us": statistics.median(raws),
        "connector_us": statistics.median(conns),
        "overhead_us": statistics.median(c - r for c, r in zip(conns, raws)),
    }


def profile(url: str, n: int, top: int = 25) -> str:
    """cProfile of ``n`` sync Connector.run calls: the top functions by own time."""
    send, close = CLIENTS["connector-sync"](url, 1, False)
    try:
        _cpu_per_request(send, 50)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(n):
            send()
        profiler.disable()
    finally:
        close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    out.write("\n-- by cumulative time, connector and validation only --\n")
    stats.sort_stats("cumulative").print_stats(r"anthropic_connector|jsonschema", top)
    text = out.getvalue()
    return text.replace(str(Path(sys.prefix)), "<venv>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=100, help="requests per round")
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--profile", help="write the sync connector's cProfile top costs here")
    args = parser.parse_args()
    report: dict[str, Any] = {"requests": args.requests, "rounds": args.rounds}
    report["sync"] = sync_overhead(args.url, args.requests, args.rounds)
    try:
        report["async"] = asyncio.run(async_overhead(args.url, args.requests, args.rounds))
    except ImportError as exc:  # aiohttp absent: the async comparison needs the aiohttp transport
        report["async"] = {"skipped": str(exc)}
    if args.profile:
        Path(args.profile).write_text(profile(args.url, args.requests * 2), encoding="utf-8")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
