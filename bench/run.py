"""`make bench`: every benchmark row in one bounded run, results to bench/results/.

    .venv/bin/python bench/run.py [--seconds 2] [--oneshot-runs 10] [--quick]

Starts the fake upstream (bench/upstream.py) on 127.0.0.1, then measures, in this order: the
upstream's own limit (wrk, when installed), one-shot process time (CLI against an SDK script),
the connector's CPU per request above raw httpx2 (plus a cProfile), what each import adds to
memory (bench/memory.py), requests/s and latency at concurrency 1, 64 and 256 (each row a
fresh process, bench/load.py), streaming CPU per SSE event at concurrency 64, and the data
plane (bench/dataplane.py: 100,000 batch results to a file, a 200 MB upload and download, each
command a fresh process at a small and a large size). Writes bench/results/latest.md, a dated
copy and latest.json, and rewrites the ratios block of bench/README.md. Loopback only; every
step has a count and a time bound; the upstream and every child are ended on exit.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bulk  # noqa: E402
import report  # noqa: E402
from clients import API_KEY, PAYLOAD  # noqa: E402

PY = sys.executable
SRC = ROOT / "src"  # --src: measure another copy of the package (a prototype of a fix)
DELTAS = 200  # text deltas per streamed answer
EVENTS_PER_STREAM = DELTAS + 6  # + message_start, content_block_start, ping, block_stop, message_delta, message_stop
TIME_BUDGET = 285.0  # seconds: rows still to run after this are skipped, and said so
DATAPLANE_TIMEOUT = 420.0  # seconds: bench/dataplane.py as a whole (its children have their own limit)

ROWS: list[tuple[str, int, bool]] = [
    *((c, 1, False) for c in ("connector-sync", "connector-async", "connector-async-httpx2", "sdk-sync", "sdk-async", "httpx2-sync", "httpx2-async", "aiohttp")),
    *((c, 64, False) for c in ("connector-async", "connector-async-limits", "connector-async-httpx2", "sdk-async", "sdk-async-aiohttp", "httpx2-async", "httpx2-async-limits", "httpx2-async-aiohttp", "aiohttp")),
    *((c, 256, False) for c in ("connector-async", "connector-async-limits", "connector-async-httpx2", "sdk-async", "httpx2-async", "httpx2-async-aiohttp", "aiohttp")),
    *((c, 64, True) for c in ("connector-async", "connector-async-httpx2", "sdk-async", "httpx2-async", "httpx2-async-aiohttp")),
]


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


CACHE = HERE / ".work" / "cache"  # the children's manifest cache: theirs alone


def child_env(**extra: str) -> dict[str, str]:
    """The environment for children: the source tree importable, no proxies, no real key, and a
    manifest cache of their own. (The shared ~/.cache entry is keyed by connector.yaml's text
    alone, so another checkout with the same connector.yaml but other schemas replaces it, and
    the next child here pays a full manifest check: +2.7 MB peak RSS and ~30 ms CPU.)"""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env["NO_PROXY"] = "127.0.0.1"
    env["XDG_CACHE_HOME"] = str(CACHE)
    env.update(extra)
    return env


class Upstream:
    """bench/upstream.py in a child process; ``url`` once it listens."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [PY, str(HERE / "upstream.py"), "--port", "0", "--deltas", str(DELTAS)],
            stdout=subprocess.PIPE, text=True, env=child_env(),
        )
        timer = threading.Timer(10.0, self.process.kill)  # a server that never says PORT is killed
        timer.start()
        line = self.process.stdout.readline() if self.process.stdout else ""
        timer.cancel()
        if not line.startswith("PORT "):
            self.close()
            raise SystemExit("bench: the fake upstream did not start")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


# -- the upstream's limit ----------------------------------------------------------------------


def find_wrk() -> str | None:
    """wrk on PATH; as root with apt-get and BENCH_INSTALL_WRK=1, install it first."""
    if shutil.which("wrk") is None and os.environ.get("BENCH_INSTALL_WRK") == "1" and os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk with apt-get (BENCH_INSTALL_WRK=1)")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, timeout=180, check=False)
    return shutil.which("wrk")


def wrk_row(wrk: str, url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    body = json.dumps(PAYLOAD)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n')
        script.write('wrk.headers["content-type"] = "application/json"\n')
    try:
        out = subprocess.run(
            [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency", "-s", script.name, url + "/v1/messages"],
            capture_output=True, text=True, timeout=seconds + 30, check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    return {"client": "upstream-wrk", "concurrency": concurrency, "stream": False, **report.parse_wrk(out)}


# -- one-shot process time ---------------------------------------------------------------------


def timed_process(cmd: list[str], env: dict[str, str], timeout: float = 60.0) -> dict[str, float]:
    """Wall time (perf_counter), CPU time and peak RSS of one child, from its own rusage."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if process.returncode != 0 or '"msg_bench' not in text:
        raise RuntimeError(f"{cmd[-3:]} failed ({process.returncode}): {text[-500:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_mb": usage.ru_maxrss / 1024}


def cli_command() -> list[str]:
    script = Path(PY).parent / "anthropic-connector"
    return [str(script)] if script.exists() and SRC == ROOT / "src" else [PY, "-m", "anthropic_connector"]


def oneshot(url: str, runs: int, work: Path) -> dict[str, Any]:
    """CLI and SDK one-shot runs, interleaved; medians of wall, CPU and RSS."""
    work.mkdir(parents=True, exist_ok=True)
    infile = work / "create_message.input.json"
    infile.write_text(json.dumps(PAYLOAD), encoding="utf-8")
    env = child_env(ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY=API_KEY)
    commands = {
        "cli": [*cli_command(), "run", "create_message", str(infile)],
        "sdk": [PY, str(HERE / "sdk_oneshot.py"), str(infile)],
    }
    # Bytecode for the package measured, as pip writes it when it installs one (the SDK's was
    # written so): a warm-up run cannot write it where PYTHONDONTWRITEBYTECODE is set, and
    # then every run compiled each changed module from source again (7 ms for validate.py).
    compileall.compile_dir(str(SRC / "anthropic_connector"), quiet=1)
    for cmd in [*commands.values(), commands["cli"]]:  # not counted: the file cache warmed; the CLI's
        timed_process(cmd, env)  # first run checks the manifest, its second keeps the compiled schemas
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            samples[name].append(timed_process(cmd, env))
    result: dict[str, Any] = {"runs": runs, "command": {k: " ".join(v) for k, v in commands.items()}}
    for name, rows in samples.items():
        result[name] = {key: statistics.median(r[key] for r in rows) for key in ("wall", "cpu", "maxrss_mb")}
    importtime = subprocess.run(
        [PY, "-X", "importtime", "-m", "anthropic_connector", "run", "create_message", str(infile)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    ).stderr
    result["importtime"] = report.summarize_importtime(importtime)
    return result


# -- rows --------------------------------------------------------------------------------------


def load_row(client: str, url: str, concurrency: int, stream: bool, seconds: float) -> dict[str, Any]:
    cmd = [PY, str(HERE / "load.py"), client, "--url", url, "--concurrency", str(concurrency), "--seconds", str(seconds)]
    if stream:
        cmd.append("--stream")
    done = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), timeout=seconds + 60, check=False)
    if done.returncode != 0:
        return {"client": client, "concurrency": concurrency, "stream": stream, "error": done.stderr.strip().splitlines()[-1:]}
    row = json.loads(done.stdout.strip().splitlines()[-1])
    if stream:
        row["cpu_us_per_event"] = row["cpu_us_per_req"] / EVENTS_PER_STREAM
    return row


def dataplane(url: str, quick: bool, no_sdk: bool) -> dict[str, Any]:
    """bench/dataplane.py against the upstream; its progress goes to our stderr."""
    cmd = [PY, str(HERE / "dataplane.py"), "--url", url, "--cli", shlex.join(cli_command())]
    cmd += ["--quick"] * quick + ["--no-sdk"] * no_sdk
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=child_env(), timeout=DATAPLANE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {DATAPLANE_TIMEOUT:.0f} s"}
    if done.returncode != 0:
        return {"error": f"exit {done.returncode} (its stderr is above in the log)"}
    return json.loads(done.stdout)


def available(module: str) -> bool:
    return subprocess.run([PY, "-c", f"import {module}"], capture_output=True, env=child_env(), check=False).returncode == 0


def main() -> None:
    global SRC
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measured seconds per throughput row")
    parser.add_argument("--oneshot-runs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="1 s rows, 3 one-shot runs: a smoke run, not for the record")
    parser.add_argument("--results", help="where results go (default: bench/results; bench/.work/results for --quick or --src)")
    parser.add_argument("--src", help="measure the package under this src/ instead of the checkout's")
    args = parser.parse_args()
    if args.src:
        SRC = Path(args.src).resolve()
    if args.quick:
        args.seconds, args.oneshot_runs = 1.0, 3
    if args.results is None:  # only a full run of this checkout is the record
        args.results = str(HERE / (".work/results" if args.quick or args.src else "results"))
    began = time.monotonic()
    missing = [m for m in ("anthropic", "aiohttp") if not available(m)]
    data: dict[str, Any] = {"machine": report.machine(), "rows": [], "skipped": [], "deltas": DELTAS, "events_per_stream": EVENTS_PER_STREAM}
    upstream = Upstream()
    try:
        log(f"fake upstream at {upstream.url}")
        wrk = find_wrk()
        if wrk is None:
            data["skipped"].append("upstream limit: wrk is not installed (apt-get install wrk, or BENCH_INSTALL_WRK=1 as root)")
            log("wrk not found: the upstream-limit row is skipped")
        else:
            data["machine"]["wrk"] = report.wrk_version(wrk)
            for concurrency in (1, 64, 256):
                data["rows"].append(wrk_row(wrk, upstream.url, concurrency, args.seconds))
        if "anthropic" in missing:
            data["skipped"].append("one-shot: the anthropic SDK is not installed")
        else:
            log(f"one-shot: {args.oneshot_runs} CLI and {args.oneshot_runs} SDK processes, interleaved")
            data["oneshot"] = oneshot(upstream.url, args.oneshot_runs, HERE / ".work")
        log("CPU per request above raw httpx2, and a cProfile of Connector.run")
        results = Path(args.results)
        results.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [PY, str(HERE / "overhead.py"), "--url", upstream.url, "--profile", str(results / "profile.txt")],
            capture_output=True, text=True, env=child_env(), timeout=120, check=False,
        )
        data["overhead"] = json.loads(done.stdout) if done.returncode == 0 else {"error": done.stderr[-500:]}
        log("what each import of an async run adds to its memory")
        done = subprocess.run([PY, str(HERE / "memory.py")], capture_output=True, text=True, env=child_env(), timeout=60, check=False)
        data["memory"] = json.loads(done.stdout) if done.returncode == 0 else {"error": done.stderr[-500:]}
        for client, concurrency, stream in ROWS:
            needs = {"sdk": "anthropic", "aiohttp": "aiohttp"}
            lacking = [m for key, m in needs.items() if key in client and m in missing]
            if lacking:
                data["skipped"].append(f"{client} c={concurrency}: {lacking[0]} is not installed")
                continue
            if time.monotonic() - began > TIME_BUDGET:
                data["skipped"].append(f"{client} c={concurrency}{' stream' if stream else ''}: over the time budget")
                continue
            log(f"{client} at concurrency {concurrency}{' (stream)' if stream else ''}")
            data["rows"].append(load_row(client, upstream.url, concurrency, stream, args.seconds))
        log("the HTTP service (serve) against the library, c=64 (bench/service.py)")
        done = subprocess.run([PY, str(HERE / "service.py"), "--url", upstream.url, "--seconds", str(args.seconds * 2)],
                              capture_output=True, text=True, env=child_env(), timeout=120, check=False)
        data["service"] = json.loads(done.stdout) if done.returncode == 0 else {"error": done.stderr[-500:]}
        if time.monotonic() - began > TIME_BUDGET:
            data["skipped"].append("data plane (bench/dataplane.py): over the time budget")
        else:
            log("data plane: batch results, upload and download, small and large, each a fresh process")
            data["dataplane"] = dataplane(upstream.url, args.quick, "anthropic" in missing)
        log("bulk runs over the sandbox, after the time-budgeted rows (bench/bulk.py)")
        data["bulk"] = bulk.measure(bulk.QUICK_SIZES if args.quick else bulk.SIZES, 64, child_env(), log)
    finally:
        upstream.close()
    data["elapsed_s"] = round(time.monotonic() - began, 1)
    data["quick"] = args.quick
    data["src"] = str(SRC)
    data["command"] = shlex.join(["bench/run.py", *sys.argv[1:]])
    report.write(data, Path(args.results), HERE / "README.md" if Path(args.results) == HERE / "results" else None)
    log(f"done in {data['elapsed_s']} s: {Path(args.results) / 'latest.md'}")


if __name__ == "__main__":
    main()
