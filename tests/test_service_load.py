"""The service holds under load: 3,000 create_message runs at concurrency 64 on loopback, the
sandbox behind it, with no error, and the server's memory flat between the first and the last
thousand. Bounded in count (3,000) and time (60 s); p99 and RSS are written to the terminal.
`make bench` (bench/service.py) runs a longer row against calling the library directly."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from conftest import MANIFEST
from servers import Server

REQUESTS, CONCURRENCY, THOUSAND = 3000, 64, 1000
GROWTH_LIMIT_KB = 8 * 1024  # a leak of even 3 KB a request would pass 8 MB over 2,000 requests


async def hammer(url: str, server: Server, requests: int = REQUESTS) -> dict[str, Any]:
    body = json.dumps(MANIFEST.operation("create_message").sample_input)
    latencies: list[float] = []
    errors: list[str] = []
    rss: dict[int, int] = {}
    issued = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal issued
        while issued < requests:
            issued += 1
            began = time.perf_counter()
            async with session.post(url, data=body, headers={"content-type": "application/json"}) as answer:
                data = await answer.read()
                if answer.status != 200 or b'"type": "message"' not in data:
                    errors.append(f"{answer.status}: {data[:200]!r}")
            latencies.append(time.perf_counter() - began)
            if len(latencies) in (THOUSAND, requests) and len(latencies) not in rss:
                rss[len(latencies)] = server.rss_kb()

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(worker(session) for _ in range(CONCURRENCY))), timeout=60)
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {"errors": errors, "count": len(latencies), "rps": len(latencies) / elapsed, "p50": latencies[len(latencies) // 2], "p99": latencies[int(len(latencies) * 0.99)], "rss": rss}


def test_3000_runs_at_concurrency_64_without_error_and_with_flat_memory(request: pytest.FixtureRequest) -> None:
    with Server(["serve", "--sandbox"]) as server:
        asyncio.run(hammer(server.url + "/operations/create_message/run", server, 500))  # warm-up: pools and allocator arenas fill
        report = asyncio.run(hammer(server.url + "/operations/create_message/run", server))
    first, last = report["rss"][THOUSAND], report["rss"][REQUESTS]
    line = (
        f"service load: {report['count']} runs at c={CONCURRENCY}, {report['rps']:.0f} req/s, p50 {report['p50'] * 1000:.1f} ms, "
        f"p99 {report['p99'] * 1000:.1f} ms, server RSS {first / 1024:.1f} MB after the first {THOUSAND}, {last / 1024:.1f} MB after the last"
    )
    request.config.pluginmanager.get_plugin("terminalreporter").write_line(line)
    assert report["errors"] == [] and report["count"] == REQUESTS
    assert last - first < GROWTH_LIMIT_KB, line
