"""What each import of an async run adds to the process's resident memory, in order.

    python bench/memory.py

Run in a fresh process: the interpreter, then asyncio and ssl, httpx2, aiohttp, jsonschema-rs
with the two schemas a create_message run compiles (the connection's and the input's), and
last the connector itself (its modules and a Connector). Prints one JSON object: each step's
added RSS in MB (Linux /proc/self/status), and the total. The peak of a c=256 row is this
total plus the requests in flight and the benchmark's own harness.
"""

from __future__ import annotations

import os
import sys

# Nothing else is imported up here: json and pathlib come with httpx2, and are counted there.
SCHEMAS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    marks = [("Python", rss_mb())]

    import asyncio  # noqa: F401 - imported to be measured
    import ssl  # noqa: F401

    marks.append(("asyncio and ssl", rss_mb()))
    import httpx2  # noqa: F401

    marks.append(("httpx2", rss_mb()))
    import aiohttp  # noqa: F401

    marks.append(("aiohttp", rss_mb()))
    import json

    import jsonschema_rs

    for name in ("connection.json", "create_message.input.json"):
        with open(os.path.join(SCHEMAS, name), encoding="utf-8") as schema:
            jsonschema_rs.Draft7Validator(json.load(schema)).is_valid({})
    marks.append(("jsonschema-rs, two schemas compiled", rss_mb()))
    from anthropic_connector import Connector

    Connector(connection={"api_key": "sk-bench-not-a-real-key", "base_url": "http://127.0.0.1:9"})
    marks.append(("the connector", rss_mb()))

    steps = [{"step": name, "mb": now - before} for (_, before), (name, now) in zip([("", 0.0), *marks], marks)]
    sys.stdout.write(json.dumps({"steps": steps, "total_mb": marks[-1][1]}))


if __name__ == "__main__":
    main()
