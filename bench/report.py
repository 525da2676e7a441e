"""Turn one bench run's measurements into bench/results/*.md and the README's ratios block."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("anthropic-connector", "httpx2", "httpcore2", "h11", "aiohttp", "anthropic", "jsonschema", "jsonschema-rs", "PyYAML")
TARGETS = {
    "oneshot": 7.0,  # SDK one-shot process time / CLI's, at least
    "async64": 3.0,  # connector async requests/s at c=64 / SDK's, at least
    "overhead": 50.0,  # µs CPU per request above the connector's own transport, at most
    "stream": 20.0,  # µs CPU per SSE event at c=64, at most
    "rss256": 0.5,  # peak RSS at c=256 over the SDK's (async, default) in the same run, at most
    "flat": 10.0,  # MB peak RSS of a large data-plane run above the same command's small run, at most
}
DATAPLANE = {  # row → what it runs (bench/dataplane.py), and the unit of its size
    "results-cli": "`anthropic-connector run get_message_batch_results IN.json --output OUT.jsonl`",
    "results-sdk": "official SDK: `client.messages.batches.results(id)` into a file (bench/sdk_results.py)",
    "upload": "`anthropic-connector run upload_file IN.json` (`file_path`)",
    "download": "`anthropic-connector run download_file IN.json --output FILE`",
}
README_BEGIN, README_END = "<!-- bench:ratios:begin -->", "<!-- bench:ratios:end -->"

LABELS = {
    "upstream-wrk": "upstream limit (wrk, fake API)",
    "connector-sync": "connector, library sync (`run`)",
    "connector-async": "connector, library async (`arun`), as shipped (httpx2 on aiohttp)",
    "connector-async-limits": "connector async on httpx2's pool, Limits = concurrency",
    "connector-async-httpx2": "connector async on httpx2's own pool (default Limits)",
    "sdk-sync": "official SDK, sync",
    "sdk-async": "official SDK, async (default)",
    "sdk-async-aiohttp": "official SDK, async, DefaultAioHttpClient",
    "httpx2-sync": "raw httpx2 Client",
    "httpx2-async": "raw httpx2 AsyncClient (default pool)",
    "httpx2-async-limits": "raw httpx2 AsyncClient, Limits = concurrency",
    "httpx2-async-aiohttp": "raw httpx2 AsyncClient on AiohttpTransport",
    "aiohttp": "raw aiohttp (Python ceiling)",
}


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "source tree" if name == "anthropic-connector" else "not installed"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, check=False)
    return {
        "commit": commit.stdout.strip() or "?",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
    }


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0] if text else "wrk"


def _duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def parse_wrk(out: str) -> dict[str, Any]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+(\S+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    requests = re.search(r"(\d+) requests in", out)
    return {
        "rps": rps,
        "p50_ms": _duration_ms(p50.group(1)) if p50 else None,
        "p99_ms": _duration_ms(p99.group(1)) if p99 else None,
        "requests": int(requests.group(1)) if requests else None,
    }


def summarize_importtime(stderr: str, top: int = 12) -> dict[str, Any]:
    """Total import time and the packages that cost most (cumulative, top-level imports)."""
    rows = []
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4)))
    total = sum(own for own, _, _, _ in rows)
    roots = sorted((r for r in rows if r[2] == 1), key=lambda r: -r[1])[:top]
    return {"total_ms": total / 1e3, "top": [{"module": r[3], "cumulative_ms": r[1] / 1e3} for r in roots]}


def _find(rows: list[dict[str, Any]], client: str, concurrency: int, stream: bool = False) -> dict[str, Any] | None:
    for row in rows:
        if row["client"] == client and row["concurrency"] == concurrency and row.get("stream", False) == stream and "error" not in row:
            return row
    return None


def _fmt(value: Any, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def verdicts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per target: what was measured, the target, met or not."""
    rows = data["rows"]
    out: list[dict[str, Any]] = []

    def add(name: str, value: float | None, target: float, at_least: bool, unit: str, how: str) -> None:
        met = None if value is None else (value >= target if at_least else value <= target)
        out.append({"name": name, "value": value, "target": target, "at_least": at_least, "unit": unit, "met": met, "how": how})

    one = data.get("oneshot")
    add("one-shot `run` vs SDK process", one and one["sdk"]["wall"] / one["cli"]["wall"], TARGETS["oneshot"], True, "×",
        "median wall time, SDK script / CLI")
    sdk64 = _find(rows, "sdk-async", 64)
    for client in ("connector-async",):
        row = _find(rows, client, 64)
        add(f"async c=64 throughput vs SDK ({LABELS[client]})", row and sdk64 and row["rps"] / sdk64["rps"], TARGETS["async64"], True, "×",
            "requests/s ratio, same run")
    overhead = data.get("overhead", {})
    for mode, label in (("sync", "sync `run` over raw httpx2.Client"), ("async", "async `arun` over raw httpx2 on AiohttpTransport")):
        add(f"connector CPU overhead, {label}", (overhead.get(mode) or {}).get("overhead_us"), TARGETS["overhead"], False, " µs/req",
            "process_time difference, sequential")
    for client in ("connector-async",):
        row = _find(rows, client, 64, stream=True)
        add(f"streaming CPU per SSE event, c=64 ({LABELS[client]})", row and row["cpu_us_per_event"], TARGETS["stream"], False, " µs/event",
            f"process CPU / ({data['events_per_stream']} events × requests)")
    sdk256 = _find(rows, "sdk-async", 256)
    for client in ("connector-async",):
        row = _find(rows, client, 256)
        shown = f" ({row['maxrss_mb']:.1f} MB) vs SDK ({sdk256['maxrss_mb']:.1f} MB)" if row and sdk256 else ""
        add(f"peak RSS at c=256, {LABELS[client]}{shown}", row and sdk256 and row["maxrss_mb"] / sdk256["maxrss_mb"], TARGETS["rss256"], False, "×",
            "ru_maxrss of each row's process, same run")
    what = {"results-cli": "batch results to a file", "upload": "upload_file", "download": "download_file to a file"}
    for name, label in what.items():
        small, large = _dataplane_pair(data, name)
        if small is None or large is None:
            add(f"peak RSS, {label}: large run over small", None, TARGETS["flat"], False, " MB", "")
            continue
        add(f"peak RSS, {label}: {_size(large)} ({large['maxrss_mb']:.1f} MB) over {_size(small)} ({small['maxrss_mb']:.1f} MB)",
            large["maxrss_mb"] - small["maxrss_mb"], TARGETS["flat"], False,
            " MB", "median ru_maxrss of each fresh process (os.wait4), large minus small")
        if not (small["verified"] and large["verified"]):
            out[-1]["met"] = False
            out[-1]["note"] = "output wrong: " + "; ".join(small["problems"] + large["problems"])[:300]
    return out


def _dataplane_pair(data: dict[str, Any], name: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The small and the large run of one data-plane command (sizes ascending)."""
    rows = sorted((r for r in (data.get("dataplane") or {}).get("rows", []) if r["row"] == name and r.get("runs")), key=lambda r: r["size"])
    return (rows[0], rows[-1]) if len(rows) >= 2 else (None, None)


def _size(row: dict[str, Any]) -> str:
    if row["unit"] == "lines":
        return f"{row['size']:,} lines"
    return f"{row['size'] / 2**20:,.0f} MB"


def _net(small: dict[str, Any], large: dict[str, Any], key: str) -> float | None:
    """Per second net of start-up: the large run's extra size over its extra wall time."""
    extra = large["wall"] - small["wall"]
    return (large[key] - small[key]) / extra if extra > 0 else None


def _rate(row: dict[str, Any]) -> str:
    mb_s = row["bytes"] / 2**20 / row["wall"]
    return f"{row['size'] / row['wall']:,.0f} lines/s, {mb_s:,.1f} MB/s" if row["unit"] == "lines" else f"{mb_s:,.1f} MB/s"


def _dataplane_lines(data: dict[str, Any]) -> list[str]:
    dp = data.get("dataplane")
    if not dp:
        return []
    if "error" in dp:
        return ["", "## Data plane", "", f"bench/dataplane.py failed: {dp['error']}"]
    lines = [
        "",
        f"## Data plane (each command a fresh process; median of {dp['runs']} interleaved run(s) per size)",
        "",
        f"bench/dataplane.py against the fake upstream: batch results are succeeded MessageBatchIndividualResponse lines of "
        f"{dp['line_bytes']} bytes (as samples/get_message_batch_results.output.json), generated as they are sent, chunked; "
        "uploads and downloads are incompressible bytes. Wall time and throughput include the process's start-up; peak RSS is "
        "the child's own (os.wait4). MB = 2^20 bytes. Verified: the results file has exactly N lines and is byte for byte what "
        "was served; the downloaded file has N bytes and the served SHA-256; the upstream received the uploaded file's size and SHA-256.",
        "",
        "| command | size | wall s | CPU s | throughput | peak RSS MB (each run) | verified |",
        "| --- | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for row in dp["rows"]:
        if not row.get("runs"):
            continue
        verified = "yes" if row["verified"] else "**no**: " + "; ".join(row["problems"])[:200]
        lines.append(
            f"| {DATAPLANE.get(row['row'], row['row'])} | {_size(row)} | {row['wall']:.2f} | {row['cpu']:.2f} | {_rate(row)} | "
            f"{row['maxrss_mb']:.1f} ({', '.join(f'{v:.1f}' for v in row['maxrss_mb_all'])}) | {verified} |"
        )
    notes = []
    for name in ("results-cli", "results-sdk", "upload", "download"):
        small, large = _dataplane_pair(data, name)
        if small is None or large is None:
            continue
        per_s = _net(small, large, "size")
        mb_s = _net(small, large, "bytes")
        if per_s is not None and mb_s is not None:
            rate = f"{per_s:,.0f} lines/s, {mb_s / 2**20:,.1f} MB/s" if large["unit"] == "lines" else f"{mb_s / 2**20:,.1f} MB/s"
            notes.append(f"{name} {rate}")
    if notes:
        lines += ["", "Net of start-up (the large run's extra size over its extra wall time): " + "; ".join(notes) + "."]
    cli, sdk = _dataplane_pair(data, "results-cli")[1], _dataplane_pair(data, "results-sdk")[1]
    if cli and sdk:
        lines += ["", f"For {_size(cli)}, the SDK took {sdk['wall'] / cli['wall']:.1f}× the connector's wall time and "
                  f"{sdk['cpu'] / cli['cpu']:.1f}× its CPU, at {sdk['maxrss_mb']:.0f} MB peak RSS against {cli['maxrss_mb']:.0f} MB."]
    if dp.get("skipped"):
        lines += ["", "Skipped: " + "; ".join(dp["skipped"]) + "."]
    return lines


def _dataplane_summary(data: dict[str, Any]) -> list[str]:
    """One line for the README block: the large runs' throughput."""
    parts = []
    for name, label in (("results-cli", "batch results"), ("upload", "upload"), ("download", "download")):
        large = _dataplane_pair(data, name)[1]
        if large:
            parts.append(f"{label} {_size(large)} in {large['wall']:.2f} s ({_rate(large)})")
    sdk = _dataplane_pair(data, "results-sdk")[1]
    if sdk:
        parts.append(f"the SDK's batch results {_size(sdk)} in {sdk['wall']:.2f} s ({_rate(sdk)})")
    if not parts:
        return []
    return ["", "Data plane (bench/dataplane.py; each a fresh process, start-up included): " + "; ".join(parts) + "."]


def _service_lines(service: dict[str, Any] | None) -> list[str]:
    """The HTTP service (serve, sandbox off, the fake upstream behind it) against the library."""
    if not service:
        return []
    if "error" in service:
        return ["", "## HTTP service", "", f"bench/service.py failed: {service['error']}"]
    lines = ["", f"## HTTP service (bench/service.py: create_message, c={service['concurrency']}, {service['seconds']:g} s each)", "",
             "| row | requests | errors | requests/s | p50 ms | p99 ms | service RSS MB, start → end |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in service["rows"]:
        rss = f"{row['rss_mb_start']:.1f} → {row['rss_mb_end']:.1f}" if "rss_mb_start" in row else "—"
        lines.append(f"| {row['client']} | {row['requests']:,} | {row['errors']} | {row['rps']:,} | {row['p50_ms']} | {row['p99_ms']} | {rss} |")
    lines += ["", f"The service serves {service['service_vs_library']:.2f}× the library's requests/s: each request also crosses HTTP, "
              "JSON and the web framework, in one more process on the same 2 cores."]
    return lines


def _memory_line(data: dict[str, Any]) -> list[str]:
    """What the peak RSS target's figure is made of, from the row's own /proc/self/smaps."""
    row = _find(data["rows"], "connector-async", 256)
    mem = (row or {}).get("resident")
    if not mem:
        return []
    files = ", ".join(f"{f['file']} {f['mb']:.1f} MB" for f in mem["top_files"])
    lines = [
        "",
        f"Peak RSS counts the pages of mapped files as well as private memory: at the end of the c=256 row the connector "
        f"held {mem['private_mb']:.1f} MB of its own and {mem['file_mb']:.1f} MB of clean pages of mapped files, which every "
        f"process mapping the same libraries shares (the largest: {files}).",
    ]
    steps = data.get("memory", {}).get("steps")
    if steps:
        lines += ["", "What each import of that row adds, in a fresh process (bench/memory.py): "
                  + ", ".join(f"{s['step']} {s['mb']:.1f} MB" for s in steps) + "."]
    return lines


def _verdict_lines(data: dict[str, Any]) -> list[str]:
    lines = ["| target | measured | goal | met |", "| --- | ---: | ---: | :---: |"]
    for v in verdicts(data):
        goal = f"{'≥' if v['at_least'] else '≤'} {v['target']:g}{v['unit']}"
        value = "—" if v["value"] is None else f"{v['value']:.2f}{v['unit']}" if v["unit"] == "×" and v["value"] < 1 else f"{v['value']:.1f}{v['unit']}"
        met = {True: "met", False: "**not met**", None: "not measured"}[v["met"]] + (f" ({v['note']})" if v.get("note") else "")
        lines.append(f"| {v['name']} | {value} | {goal} | {met} |")
    return lines


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    rows = data["rows"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {m['date']}, {data['elapsed_s']} s{' (--quick: smoke run, not for the record)' if data.get('quick') else ''}. "
        f"Command: `{data.get('command', 'bench/run.py')}` (`make bench` runs it with no options). Fake upstream: bench/upstream.py on 127.0.0.1."
        + (f" Package measured from `{data['src']}`." if data.get("src") else ""),
        "",
        f"Repository at {m.get('commit', '?')}. Machine: {m['nproc']} CPUs, {m['cpu']}, {m['os']}, Python {m['python']}"
        + (f", {m['wrk']}" if m.get("wrk") else "") + ".",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + ".",
        "",
        "## Targets",
        "",
        *_verdict_lines(data),
        *_memory_line(data),
        "",
        "## Throughput and latency (non-streaming create_message)",
        "",
        "Closed loop: `c` workers each send the next request when the last answer is complete; "
        f"{'2' if not data.get('quick') else '1'} s measured after a 0.3 s warm-up, each row a fresh process. "
        "CPU is the client process's only (the upstream runs in its own). Ratio: requests/s over the official SDK's (async) at the same concurrency.",
        "",
        "| row | c | requests/s | p50 ms | p99 ms | CPU µs/req | peak RSS MB | ratio vs SDK |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for concurrency in (1, 64, 256):
        sdk = _find(rows, "sdk-async", concurrency)
        for row in rows:
            if row["concurrency"] != concurrency or row.get("stream"):
                continue
            label = LABELS.get(row["client"], row["client"])
            if "error" in row:
                lines.append(f"| {label} | {concurrency} | failed: {' '.join(row['error'])} | | | | | |")
                continue
            ratio = f"{row['rps'] / sdk['rps']:.2f}×" if sdk else "—"
            lines.append(
                f"| {label} | {concurrency} | {row['rps']:,.0f} | {_fmt(row.get('p50_ms'), '.2f')} | {_fmt(row.get('p99_ms'), '.2f')} | "
                f"{_fmt(row.get('cpu_us_per_req'), ',.0f')} | {_fmt(row.get('maxrss_mb'), '.0f')} | {ratio} |"
            )
    lines += [
        "",
        f"## Streaming (create_message with stream, {data['deltas']} text deltas = {data['events_per_stream']} events per answer, c=64)",
        "",
        "The connector assembles the events into one Message; the SDK row iterates its typed events; raw rows only split lines.",
        "",
        "| row | requests/s | events/s | CPU µs/event | CPU µs/req | peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        if row.get("stream") and "error" not in row:
            lines.append(
                f"| {LABELS.get(row['client'], row['client'])} | {row['rps']:,.0f} | {row['rps'] * data['events_per_stream']:,.0f} | "
                f"{row['cpu_us_per_event']:.1f} | {row['cpu_us_per_req']:,.0f} | {row['maxrss_mb']:.0f} |"
            )
    one = data.get("oneshot")
    if one:
        lines += [
            "",
            f"## One-shot process (import + one request + print), median of {one['runs']} interleaved runs",
            "",
            "| command | wall ms | CPU ms | peak RSS MB |",
            "| --- | ---: | ---: | ---: |",
        ]
        for name in ("cli", "sdk"):
            r = one[name]
            lines.append(f"| `{one['command'][name]}` | {r['wall'] * 1e3:.0f} | {r['cpu'] * 1e3:.0f} | {r['maxrss_mb']:.0f} |")
        it = one["importtime"]
        lines += ["", f"CLI start-up, `python -X importtime`: {it['total_ms']:.0f} ms of imports; the costliest top-level imports (cumulative):", ""]
        lines += [f"- {t['module']}: {t['cumulative_ms']:.1f} ms" for t in it["top"]]
    overhead = data.get("overhead")
    if overhead:
        lines += ["", f"## Connector CPU per request above its transport ({overhead.get('requests')} sequential requests × {overhead.get('rounds')} rounds; overhead: the median of the rounds' differences)", ""]
        lines += ["| path | raw µs/req | connector µs/req | overhead µs/req |", "| --- | ---: | ---: | ---: |"]
        for mode in ("sync", "async"):
            o = overhead.get(mode) or {}
            if "overhead_us" in o:
                lines.append(f"| {mode} | {o['raw_us']:.0f} | {o['connector_us']:.0f} | {o['overhead_us']:.0f} |")
        lines += ["", "Where it goes: bench/results/profile.txt (cProfile of `Connector.run`)."]
    lines += _dataplane_lines(data)
    lines += _service_lines(data.get("service"))
    if "bulk" in data:
        from bulk import markdown as bulk_markdown

        lines += bulk_markdown(data["bulk"])
    if data["skipped"]:
        lines += ["", "## Skipped", ""] + [f"- {s}" for s in data["skipped"]]
    return "\n".join(lines) + "\n"


def readme_block(data: dict[str, Any]) -> str:
    m = data["machine"]
    head = f"Latest run ({m['date']}, {m['nproc']} CPUs {m['cpu']}, Python {m['python']}); full table in [results/latest.md](results/latest.md):"
    return "\n".join([README_BEGIN, head, "", *_verdict_lines(data), *_memory_line(data), *_dataplane_summary(data), README_END])


def write(data: dict[str, Any], results: Path, readme: Path | None) -> None:
    results.mkdir(parents=True, exist_ok=True)
    text = markdown(data)
    (results / "latest.md").write_text(text, encoding="utf-8")
    (results / "latest.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    if data.get("quick") or readme is None:
        return  # a smoke run (or a prototype's) is not the record: no dated copy, README untouched
    (results / f"{time.strftime('%Y-%m-%d')}.md").write_text(text, encoding="utf-8")
    if readme.exists():
        body = readme.read_text(encoding="utf-8")
        if README_BEGIN in body and README_END in body:
            before, rest = body.split(README_BEGIN, 1)
            after = rest.split(README_END, 1)[1]
            readme.write_text(before + readme_block(data) + after, encoding="utf-8")
