"""Bulk rows: `run-many` over 1,000 and 100,000 lines on the sandbox, against the official SDK.

    python bench/bulk.py [--lines 1000 10000 100000] [--concurrency 64]      # or through bench/run.py

Starts `anthropic-connector sandbox` in its own process on 127.0.0.1, writes the input files
(create_message, a custom_id every other line) to bench/.work, then times each run as a child
process: wall time, lines/s and peak RSS from the child's own rusage (``wait4``). Rows:

- ``run-many``: `anthropic-connector run-many create_message IN --output OUT --concurrency C`;
- ``sdk-loop``: the official SDK doing the same loop as a user would write it: read the lines,
  an ``asyncio.Semaphore(C)`` around ``AsyncAnthropic.messages.create``, each result written as
  it completes (in completion order: the SDK has no resume and no reorder buffer); up to
  10,000 lines, which is enough for its throughput;
- ``run-many --via-batches`` (``--batch-size 10000``): the lines through Message Batches.

The memory target: 100,000 lines within 20 MB of peak RSS of 1,000 lines. Prints one JSON
object; run.py puts it in the results under ``bulk``. Every child has a time limit.
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
from typing import Any

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "bulk"
MODEL = "claude-sonnet-5-5"
TARGET_MB = 20.0
LIMIT_S = 900.0
SIZES = [1000, 10_000, 100_000]
QUICK_SIZES = [1000, 10_000]
SDK_LINES_AT_MOST = 10_000  # at about 340 lines/s, the SDK's 100,000 would add 5 minutes to make bench


def inputs(lines: int) -> Path:
    """bench/.work/bulk/in-N.jsonl, written once."""
    path = WORK / f"in-{lines}.jsonl"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as file:
            for i in range(lines):
                line: dict[str, Any] = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": f"Summarise ticket {i} in one line."}]}
                if i % 2:
                    line["custom_id"] = f"ticket-{i}"
                file.write(json.dumps(line) + "\n")
    return path


def timed(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall time and peak RSS of one child (its own rusage), which must succeed within LIMIT_S."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        timer = threading.Timer(LIMIT_S, process.kill)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        timer.cancel()
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(cmd[2:6])} failed: {errors.read().decode('utf-8', 'replace')[-500:]}")
    return {"wall_s": wall, "maxrss_mb": usage.ru_maxrss / 1024}


class Sandbox:
    """`anthropic-connector sandbox --port 0` in its own process; ``url`` once it listens."""

    def __init__(self, env: dict[str, str]) -> None:
        cmd = [sys.executable, "-m", "anthropic_connector", "sandbox", "--port", "0", "--no-key-check", "--batch-seconds", "0"]
        self.process = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
        line = self.process.stderr.readline() if self.process.stderr else ""
        if "listening on" not in line:
            self.close()
            raise SystemExit(f"bench: the sandbox did not start: {line}")
        self.url = line.split()[-1]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def sdk_loop(source: str, target: str, url: str, concurrency: int) -> None:
    """The SDK's side of the comparison, run as ``bulk.py sdk IN OUT URL C`` in its own process."""
    import anthropic

    async def main() -> None:
        gate = asyncio.Semaphore(concurrency)
        async with anthropic.AsyncAnthropic(base_url=url, api_key="sk-bench-not-a-real-key") as client:
            with open(source, encoding="utf-8") as lines, open(target, "w", encoding="utf-8") as out:

                async def one(line: dict[str, Any]) -> None:
                    try:
                        custom_id = line.pop("custom_id", None)
                        message = await client.messages.create(**line)
                        out.write(json.dumps({"custom_id": custom_id, "output": message.model_dump(mode="json")}) + "\n")
                    finally:
                        gate.release()

                tasks = set()
                for text in lines:
                    await gate.acquire()
                    task = asyncio.ensure_future(one(json.loads(text)))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                await asyncio.gather(*tasks)

    asyncio.run(main())


def measure(sizes: list[int], concurrency: int, env: dict[str, str], log: Any = print) -> dict[str, Any]:
    """Every row at every size; the SDK rows are skipped (and said so) when it is not installed."""
    sandbox = Sandbox(env)
    run_env = {**env, "ANTHROPIC_BASE_URL": sandbox.url, "ANTHROPIC_API_KEY": "sk-bench-not-a-real-key"}
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    have_sdk = subprocess.run([sys.executable, "-c", "import anthropic"], env=env, capture_output=True).returncode == 0
    try:
        for lines in sizes:
            source = inputs(lines)
            connector = [sys.executable, "-m", "anthropic_connector", "run-many", "create_message", str(source), "--output"]
            commands = {
                "run-many": lambda out: [*connector, out, "--concurrency", str(concurrency)],
                "sdk-loop": lambda out: [sys.executable, __file__, "sdk", str(source), out, sandbox.url, str(concurrency)],
                "run-many --via-batches": lambda out: [*connector, out, "--via-batches", "--batch-size", "10000"],
            }
            for name, command in commands.items():
                if name == "sdk-loop" and (not have_sdk or lines > SDK_LINES_AT_MOST):
                    skipped.append(f"{name} over {lines:,} lines: " + ("the anthropic SDK is not installed" if not have_sdk else "left out to keep make bench short"))
                    continue
                out = WORK / f"out-{lines}.jsonl"
                out.unlink(missing_ok=True)
                log(f"bulk: {name} over {lines:,} lines")
                row = {"row": name, "lines": lines, "concurrency": None if "batches" in name else concurrency, **timed(command(str(out)), run_env)}
                row["lines_per_s"] = lines / row["wall_s"]
                rows.append(row)
                out.unlink(missing_ok=True)
    finally:
        sandbox.close()
    result: dict[str, Any] = {"rows": rows, "skipped": skipped, "target_mb": TARGET_MB}
    peak = {(r["row"], r["lines"]): r["maxrss_mb"] for r in rows}
    if len(sizes) > 1 and ("run-many", sizes[0]) in peak:
        result["growth_mb"] = peak[("run-many", sizes[-1])] - peak[("run-many", sizes[0])]
    return result


def markdown(result: dict[str, Any]) -> list[str]:
    """The results file's section for these rows."""
    lines = ["", "## Bulk runs (bench/bulk.py)", "", "| row | lines | concurrency | wall s | lines/s | peak RSS MB |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in result.get("rows", []):
        lines.append(f"| `{r['row']}` | {r['lines']:,} | {r['concurrency'] or '-'} | {r['wall_s']:.1f} | {r['lines_per_s']:,.0f} | {r['maxrss_mb']:.1f} |")
    if "growth_mb" in result:
        met = "met" if result["growth_mb"] <= result["target_mb"] else "**not met**"
        lines += ["", f"`run-many` peak RSS grows {result['growth_mb']:.1f} MB from the smallest to the largest input (target ≤ {result['target_mb']:g} MB: {met})."]
    lines += [f"- skipped: {s}" for s in result.get("skipped", [])]
    return lines


def main() -> None:
    if sys.argv[1:2] == ["sdk"]:
        source, target, url, concurrency = sys.argv[2:6]
        return sdk_loop(source, target, url, int(concurrency))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=SIZES)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    src = str(HERE.parent / "src")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}, "PYTHONPATH": src, "NO_PROXY": "127.0.0.1"}
    result = measure(args.lines, args.concurrency, env, lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(result, indent=1))
    print("\n".join(markdown(result)), file=sys.stderr)


if __name__ == "__main__":
    main()
