"""One benchmark row in its own process: a client, a concurrency, a bounded closed loop.

    python bench/load.py CLIENT --url URL --concurrency N [--stream] [--seconds S] [--max-requests M]

``concurrency`` workers each send one request after another (the next as soon as the last
answer is complete) until ``seconds`` have passed or ``max-requests`` were sent, after a short
warm-up that is not counted. Prints one JSON object: requests, seconds, requests/s, latency
p50/p99 (ms), CPU µs per request (this process only, the upstream runs elsewhere) and the
process's peak RSS (MB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clients import CLIENTS, IS_ASYNC  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def resident() -> dict[str, Any]:
    """Where the resident pages are at the end of the run (Linux /proc/self/smaps): private
    memory (anonymous pages, and pages of mapped files written to, such as relocations), and
    the clean pages of mapped files, which every process mapping the same library shares."""
    clean: dict[str, int] = {}
    private = 0
    try:
        with open("/proc/self/smaps") as smaps:
            name = ""
            for line in smaps:
                field = line.split()
                if not field[0].endswith(":"):  # a mapping's header: address perms offset dev inode [path]
                    name = field[5] if len(field) > 5 and field[5].startswith("/") else ""
                elif field[0] == "Rss:":
                    if name:
                        clean[name] = clean.get(name, 0) + int(field[1])
                    else:
                        private += int(field[1])
                elif field[0] == "Private_Dirty:" and name:  # a file's page written to is ours alone
                    clean[name] -= int(field[1])
                    private += int(field[1])
    except OSError:
        return {}
    top = sorted(clean.items(), key=lambda kv: -kv[1])[:3]
    return {
        "private_mb": private / 1024,
        "file_mb": sum(clean.values()) / 1024,
        "top_files": [{"file": Path(path).name, "mb": kb / 1024} for path, kb in top],
    }


def _report(name: str, args: argparse.Namespace, latencies: list[float], wall: float, cpu: float) -> dict[str, Any]:
    n = len(latencies)
    return {
        "client": name,
        "concurrency": args.concurrency,
        "stream": args.stream,
        "requests": n,
        "seconds": round(wall, 3),
        "rps": n / wall if wall else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1e3,
        "p99_ms": percentile(latencies, 0.99) * 1e3,
        "cpu_us_per_req": cpu / n * 1e6 if n else float("nan"),
        "cpu_seconds": cpu,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "resident": resident(),
    }


def run_sync(name: str, args: argparse.Namespace) -> dict[str, Any]:
    send, close = CLIENTS[name](args.url, args.concurrency, args.stream)
    try:
        warm_until = time.perf_counter() + args.warmup
        while time.perf_counter() < warm_until:
            send()
        latencies: list[float] = []
        cpu0, start = time.process_time(), time.perf_counter()
        deadline = start + args.seconds
        now = start
        while now < deadline and len(latencies) < args.max_requests:
            send()
            end = time.perf_counter()
            latencies.append(end - now)
            now = end
        return _report(name, args, latencies, now - start, time.process_time() - cpu0)
    finally:
        close()


async def run_async(name: str, args: argparse.Namespace) -> dict[str, Any]:
    send, close = CLIENTS[name](args.url, args.concurrency, args.stream)
    latencies: list[float] = []
    budget = [0]

    async def worker(deadline: float, record: bool) -> None:
        clock = time.perf_counter
        while True:
            now = clock()
            if now >= deadline or budget[0] <= 0:
                return
            budget[0] -= 1
            await send()
            if record:
                latencies.append(clock() - now)

    try:
        budget[0] = args.max_requests
        await asyncio.gather(*(worker(time.perf_counter() + args.warmup, False) for _ in range(args.concurrency)))
        budget[0] = args.max_requests
        cpu0, start = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(start + args.seconds, True) for _ in range(args.concurrency)))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
        return _report(name, args, latencies, wall, cpu)
    finally:
        await close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("client", choices=sorted(CLIENTS))
    parser.add_argument("--url", required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=0.3)
    parser.add_argument("--max-requests", type=int, default=100_000)
    args = parser.parse_args()
    if not IS_ASYNC[args.client] and args.concurrency != 1:
        parser.error("sync clients run at concurrency 1 only")
    result = run_async(args.client, args) if IS_ASYNC[args.client] else None
    report = asyncio.run(result) if result is not None else run_sync(args.client, args)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
