"""The data plane, each command a fresh process: batch results to a file, a file upload and a
file download, each at a small and a large size, so that the large run's peak RSS can be held
to the small one's.

    python bench/dataplane.py --url URL [--quick] [--runs 3] [--cli "anthropic-connector"]

Against bench/upstream.py at URL (bench/run.py passes its own; without --url this starts one):

- ``anthropic-connector run get_message_batch_results IN --output OUT`` for 1,000 and 100,000
  result lines (~500 bytes each), and for reference the official SDK iterating
  ``client.messages.batches.results(id)`` into a file (bench/sdk_results.py);
- ``anthropic-connector run upload_file IN`` with ``file_path`` a 1 MB and a 200 MB file
  (written into bench/.work, deleted afterwards);
- ``anthropic-connector run download_file IN --output OUT`` of 1 MB and 200 MB.

Each command runs ``--runs`` times, small and large interleaved; medians of wall time
(perf_counter), CPU and peak RSS (the child's own rusage from os.wait4). Every run's output is
checked: the results file has exactly N lines and the bytes served; the downloaded file has
N bytes and the served SHA-256; the upstream received the uploaded file's size and SHA-256.
Prints one JSON object. (MB here is 2**20 bytes, as in the RSS figures.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import upstream  # noqa: E402  (the bytes it serves, to check what arrived)

MB = 1 << 20
API_KEY = "sk-ant-bench-dataplane"
SIZES = {  # (small, large)
    "full": {"lines": (1_000, 100_000), "bytes": (1 * MB, 200 * MB)},
    "quick": {"lines": (1_000, 10_000), "bytes": (1 * MB, 20 * MB)},
}
CHILD_TIMEOUT = 180.0  # seconds: a child that takes longer is killed, and the row says so


def log(message: str) -> None:
    sys.stderr.write(f"[dataplane {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def measured(cmd: list[str], env: dict[str, str], timeout: float = CHILD_TIMEOUT) -> dict[str, Any]:
    """Run one child; its stdout, exit code, wall time, CPU time and peak RSS (its own rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace")[-500:],
            "rc": process.returncode,
            "wall": wall,
            "cpu": usage.ru_utime + usage.ru_stime,
            "maxrss_mb": usage.ru_maxrss / 1024,
        }


def file_facts(path: Path) -> tuple[int, int, str]:
    """Size, newline count and SHA-256 of a file, read 1 MB at a time."""
    digest, size, lines = hashlib.sha256(), 0, 0
    with path.open("rb") as f:
        while chunk := f.read(MB):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return size, lines, digest.hexdigest()


def results_sha256(lines: int) -> str:
    """The SHA-256 of the results body the upstream serves for ``lines`` lines."""
    digest = hashlib.sha256()
    for start in range(0, lines, upstream.LINES_PER_CHUNK):
        digest.update(upstream.result_lines(start, min(upstream.LINES_PER_CHUNK, lines - start)))
    return digest.hexdigest()


def write_upload(path: Path, size: int) -> str:
    """A ``size``-byte file of incompressible bytes; its SHA-256."""
    digest = hashlib.sha256()
    block = os.urandom(upstream.BLOCK)
    with path.open("wb") as f:
        for chunk in upstream.content_chunks(block, size):
            f.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def _output(run: dict[str, Any]) -> Any:
    try:
        return json.loads(run["stdout"])
    except ValueError:
        return None


class Row:
    """One command at one size: its runs, and what was wrong with any of them."""

    def __init__(self, name: str, size: int, unit: str, command: str) -> None:
        self.name, self.size, self.unit, self.command = name, size, unit, command
        self.runs: list[dict[str, Any]] = []
        self.problems: list[str] = []

    def add(self, run: dict[str, Any], problems: list[str]) -> None:
        self.runs.append({k: run[k] for k in ("wall", "cpu", "maxrss_mb")})
        if run["rc"] != 0:
            last = (run["stderr"].strip().splitlines() or [run["stdout"][-200:]])[-1]
            problems = [f"exit {run['rc']}: {last}"]
        self.problems += problems

    def summary(self) -> dict[str, Any]:
        med = {k: statistics.median(r[k] for r in self.runs) for k in ("wall", "cpu", "maxrss_mb")} if self.runs else {}
        out: dict[str, Any] = {
            "row": self.name, "size": self.size, "unit": self.unit, "command": self.command, "runs": len(self.runs),
            **med, "maxrss_mb_all": [round(r["maxrss_mb"], 1) for r in self.runs],
            "verified": not self.problems and bool(self.runs), "problems": self.problems[:5],
        }
        if med:  # bytes: of the file, or of the result lines served
            out["bytes"] = self.size if self.unit == "bytes" else self.size * len(upstream.LINE_TEMPLATE % (0, 0))
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the fake upstream (default: start bench/upstream.py)")
    parser.add_argument("--quick", action="store_true", help="small sizes (10,000 lines, 20 MB), one run each")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cli", help="the command that runs the CLI (default: .venv's anthropic-connector, else python -m anthropic_connector)")
    parser.add_argument("--no-sdk", action="store_true", help="skip the SDK reference rows")
    parser.add_argument("--work", default=str(HERE / ".work" / "dataplane"), help="where inputs and outputs go (deleted afterwards)")
    args = parser.parse_args()
    sizes = SIZES["quick" if args.quick else "full"]
    runs = 1 if args.quick else max(1, args.runs)
    script = Path(sys.executable).parent / "anthropic-connector"
    cli = shlex.split(args.cli) if args.cli else ([str(script)] if script.exists() else [sys.executable, "-m", "anthropic_connector"])
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    server = None
    url = args.url
    if url is None:
        server = subprocess.Popen([sys.executable, str(HERE / "upstream.py"), "--port", "0"], stdout=subprocess.PIPE, text=True)
        timer = threading.Timer(10.0, server.kill)  # a server that never says PORT is killed
        timer.start()
        line = server.stdout.readline() if server.stdout else ""
        timer.cancel()
        if not line.startswith("PORT "):
            server.kill()
            raise SystemExit("dataplane: the fake upstream did not start")
        url = f"http://127.0.0.1:{int(line.split()[1])}"
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("ANTHROPIC_")}
    # a manifest cache no other checkout can evict (as bench/run.py's children have): the
    # warm-up run fills it, so no measured run pays a full manifest check
    env.update(ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY=API_KEY, NO_PROXY="127.0.0.1", XDG_CACHE_HOME=str(HERE / ".work" / "cache"))
    sdk = not args.no_sdk and subprocess.run([sys.executable, "-c", "import anthropic"], env=env, capture_output=True, check=False).returncode == 0

    rows: list[Row] = []
    skipped: list[str] = [] if sdk else ["the SDK reference rows: the anthropic SDK is not installed (or --no-sdk)"]
    began = time.monotonic()
    try:
        def run_pair(name: str, unit: str, sizes_: tuple[int, int], command: Callable[[int], list[str]], check: Callable[[int, dict[str, Any]], list[str]]) -> None:
            pair = [Row(name, n, unit, shlex.join(command(n))) for n in sizes_]
            log(f"{name}: {' and '.join(f'{n:,} {unit}' for n in sizes_)}, {runs} run(s) each")
            warm = measured(command(sizes_[0]), env)  # warm the page cache and .pyc files; not counted
            check(sizes_[0], warm)  # (and removes its output file)
            for _ in range(runs):
                for row in pair:
                    done = measured(command(row.size), env)
                    row.add(done, check(row.size, done) if done["rc"] == 0 else [])
            rows.extend(pair)

        # batch results → a file
        def results_input(n: int) -> Path:
            path = work / f"results_{n}.input.json"
            path.write_text(json.dumps({"message_batch_id": f"msgbatch_bench_lines_{n}"}), encoding="utf-8")
            return path

        expected_hash = {n: results_sha256(n) for n in sizes["lines"]}

        def check_results(n: int, done: dict[str, Any], sdk_row: bool = False) -> list[str]:
            out = work / f"results_{n}.jsonl"
            problems = []
            output = _output(done)
            if not isinstance(output, dict) or output.get("lines") != n:
                problems.append(f"the command's output says {output!r:.200}, not lines: {n}")
            if not out.exists():
                return problems + [f"{out.name} was not written"]
            _, lines, digest = file_facts(out)
            out.unlink()
            if lines != n:
                problems.append(f"{out.name} has {lines} lines, not {n}")
            if not sdk_row and digest != expected_hash[n]:  # the SDK writes its models' JSON, not the bytes served
                problems.append(f"{out.name} is not the {n} lines served (sha256 {digest[:12]}…)")
            return problems

        run_pair("results-cli", "lines", sizes["lines"],
                 lambda n: [*cli, "run", "get_message_batch_results", str(results_input(n)), "--output", str(work / f"results_{n}.jsonl")],
                 check_results)
        if sdk:
            run_pair("results-sdk", "lines", sizes["lines"],
                     lambda n: [sys.executable, str(HERE / "sdk_results.py"), f"msgbatch_bench_lines_{n}", str(work / f"results_{n}.jsonl")],
                     lambda n, done: check_results(n, done, sdk_row=True))

        # upload: file_path streamed from disk
        uploads: dict[int, tuple[Path, str]] = {}
        try:
            for n in sizes["bytes"]:
                path = work / f"upload_{n}.bin"
                uploads[n] = (path, write_upload(path, n))

            def upload_input(n: int) -> Path:
                path = work / f"upload_{n}.input.json"
                path.write_text(json.dumps({"file_path": str(uploads[n][0])}), encoding="utf-8")
                return path

            def check_upload(n: int, done: dict[str, Any]) -> list[str]:
                output = _output(done)
                if not isinstance(output, dict):
                    return [f"the output is not a FileMetadata: {done['stdout'][:200]!r}"]
                problems = []
                if output.get("size_bytes") != n:
                    problems.append(f"the upstream received {output.get('size_bytes')} bytes, not {n}")
                if output.get("sha256") != uploads[n][1]:
                    problems.append(f"the upstream received other bytes (sha256 {str(output.get('sha256'))[:12]}…)")
                return problems

            run_pair("upload", "bytes", sizes["bytes"], lambda n: [*cli, "run", "upload_file", str(upload_input(n))], check_upload)
        finally:
            for path, _ in uploads.values():
                path.unlink(missing_ok=True)

        # download → a file
        def download_input(n: int) -> Path:
            path = work / f"download_{n}.input.json"
            path.write_text(json.dumps({"file_id": f"file_bytes_{n}"}), encoding="utf-8")
            return path

        expected_content = {n: upstream.content_sha256(n) for n in sizes["bytes"]}

        def check_download(n: int, done: dict[str, Any]) -> list[str]:
            out = work / f"download_{n}.bin"
            output = _output(done)
            problems = []
            if not isinstance(output, dict) or output.get("size_bytes") != n:
                problems.append(f"the command's output says {output!r:.200}, not size_bytes: {n}")
            if not out.exists():
                return problems + [f"{out.name} was not written"]
            size, _, digest = file_facts(out)
            out.unlink()
            if size != n:
                problems.append(f"{out.name} has {size} bytes, not {n}")
            if digest != expected_content[n]:
                problems.append(f"{out.name} is not the bytes served (sha256 {digest[:12]}…)")
            return problems

        run_pair("download", "bytes", sizes["bytes"],
                 lambda n: [*cli, "run", "download_file", str(download_input(n)), "--output", str(work / f"download_{n}.bin")],
                 check_download)
    finally:
        if server is not None:
            server.terminate()
            server.wait(5)
        for leftover in work.glob("*"):
            if leftover.is_file():
                leftover.unlink()

    json.dump({"runs": runs, "quick": args.quick, "sizes": sizes, "line_bytes": len(upstream.LINE_TEMPLATE % (0, 0)),
               "rows": [row.summary() for row in rows], "skipped": skipped, "elapsed_s": round(time.monotonic() - began, 1)}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
