"""`make bench` row: the HTTP service (`anthropic-connector serve`) against calling the library
directly, both sending create_message to the fake upstream at concurrency 64.

    .venv/bin/python bench/service.py --url http://127.0.0.1:PORT [--seconds 5]

The service runs in a child process (its RSS read from /proc at the start and the end of the
measured window); the client is aiohttp in a closed loop. The library row is Connector.arun
in this process, the same loop shape. Bounded: each row runs `seconds` after a 0.5 s warm-up,
and the child is ended on exit. Prints one JSON object: requests/s, p50, p99, RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from clients import API_KEY, PAYLOAD  # noqa: E402

CONCURRENCY = 64


async def closed_loop(send: Callable[[], Awaitable[bool]], seconds: float) -> dict[str, Any]:
    """``CONCURRENCY`` workers sending back to back; latencies of what ends inside the window."""
    latencies: list[float] = []
    errors = 0
    warm_until = time.perf_counter() + 0.5
    stop = warm_until + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            began = time.perf_counter()
            ok = await send()
            if began >= warm_until:
                latencies.append(time.perf_counter() - began)
                errors += not ok

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    latencies.sort()
    return {"requests": len(latencies), "errors": errors, "rps": round(len(latencies) / seconds), "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1), "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1)}


async def library(url: str, seconds: float) -> dict[str, Any]:
    from anthropic_connector import Connector

    async with Connector(connection={"api_key": API_KEY, "base_url": url}) as connector:
        async def send() -> bool:
            return (await connector.arun("create_message", PAYLOAD)).status == 200

        return {"client": "library arun", **await closed_loop(send, seconds)}


class ServiceChild:
    """`anthropic-connector serve` on a free port, its connection the fake upstream."""

    def __init__(self, url: str) -> None:
        self._file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump({"api_key": API_KEY, "base_url": url}, self._file)
        self._file.close()
        command = [sys.executable, "-m", "anthropic_connector", "serve", "--connection", self._file.name, "--port", "0"]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        timer = threading.Timer(20.0, self.process.kill)
        timer.start()
        line = self.process.stderr.readline() if self.process.stderr else ""
        timer.cancel()
        if " listening on " not in line:
            self.close()
            raise SystemExit(f"bench: the service did not start: {line}")
        self.url = line.split(" listening on ")[1].strip()

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return round(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024, 1)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        os.unlink(self._file.name)


async def service(child: ServiceChild, seconds: float) -> dict[str, Any]:
    import aiohttp

    body = json.dumps(PAYLOAD)
    before = child.rss_mb()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:
        async def send() -> bool:
            async with session.post(child.url + "/operations/create_message/run", data=body, headers={"content-type": "application/json"}) as answer:
                await answer.read()
                return answer.status == 200

        row = await closed_loop(send, seconds)
    return {"client": "service (HTTP, c=64)", **row, "rss_mb_start": before, "rss_mb_end": child.rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the fake upstream (bench/upstream.py)")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    child = ServiceChild(args.url)
    try:
        rows = [asyncio.run(library(args.url, args.seconds)), asyncio.run(service(child, args.seconds))]
    finally:
        child.close()
    print(json.dumps({"concurrency": CONCURRENCY, "seconds": args.seconds, "rows": rows, "service_vs_library": round(rows[1]["rps"] / rows[0]["rps"], 2)}))


if __name__ == "__main__":
    main()
