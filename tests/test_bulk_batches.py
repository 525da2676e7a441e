"""run-many --via-batches on the sandbox: lines split into batches at the limits, polled on an
injected clock with growing waits, results mapped back to input order; a crashed run resumes its
batches instead of paying twice, and Ctrl-C (a real SIGINT) cancels the batches it made.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import MANIFEST, RecordingClock, but_id
from test_bulk import _run_many_process, prompt, results, wait_for, write_lines

from anthropic_connector import ConfigurationError, Connector
from anthropic_connector.bulk.batches import Limits
from anthropic_connector.sandbox import SandboxOptions, serve, transport

KEY = "sk-ant-test-batches"


@pytest.fixture
def sandboxed(clock: RecordingClock) -> Iterator[Connector]:
    """A connector on an in-process sandbox whose batches take 30 s of the test's clock."""
    sandbox = transport(SandboxOptions(check_key=False, batch_seconds=30, clock=clock.now))
    with Connector(MANIFEST, {"api_key": KEY}, transport=sandbox, async_transport=sandbox, clock=clock) as connector:
        yield connector


def test_via_batches_end_to_end_on_an_injected_clock(sandboxed: Connector, clock: RecordingClock, tmp_path: Path) -> None:
    lines: list[Any] = [{**prompt(i), "custom_id": f"q{i}"} if i % 2 else prompt(i) for i in range(10)]
    lines[6] = {**prompt(6), "stream": True}  # valid input, but a batch request may not stream: errored
    inputs = write_lines(tmp_path / "in.jsonl", lines)
    summary = sandboxed.run_many("create_message", inputs, tmp_path / "out.jsonl", via_batches=True, batch_limits=Limits(requests=4))

    assert len(summary["batches"]) == 3 and (summary["succeeded"], summary["failed"]) == (9, 1)
    sizes = [sandboxed.run("get_message_batch", {"message_batch_id": b}).output["request_counts"] for b in summary["batches"]]
    assert [c["succeeded"] + c["errored"] for c in sizes] == [4, 4, 2]
    assert clock.waits[:4] == [1.0, 1.5, 2.25, 3.375] and 30 <= sum(clock.waits) < 60  # polled with backoff until ended

    got = results(tmp_path / "out.jsonl")
    assert [(r["line"], r["custom_id"]) for r in got] == [(i + 1, f"q{i}" if i % 2 else f"line-{i + 1}") for i in range(10)]
    assert "stream" in got[6]["error"]["message"] and got[6]["error"]["type"] == "api_error"
    direct = [sandboxed.run("create_message", prompt(i)).output for i in range(10)]  # the same sandbox answers the same
    assert [r.get("output") and but_id(r["output"]) for r in got] == [None if i == 6 else but_id(direct[i]) for i in range(10)]  # each answer has its own id
    assert not (tmp_path / "out.jsonl.batches.json").exists()


def test_a_batch_is_split_at_the_byte_limit_too(sandboxed: Connector, tmp_path: Path) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(6)])
    one = len(json.dumps({"custom_id": "line-1", "params": prompt(1)})) + 1
    summary = sandboxed.run_many("create_message", inputs, tmp_path / "out.jsonl", via_batches=True, batch_limits=Limits(bytes=15 + 2 * one + 2))
    assert len(summary["batches"]) == 3 and summary["succeeded"] == 6


def test_via_batches_is_for_create_message(sandboxed: Connector, tmp_path: Path) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", [{"messages": [{"role": "user", "content": "x"}], "model": "m"}])
    with pytest.raises(ConfigurationError, match="create_message only"):
        sandboxed.run_many("count_tokens", inputs, tmp_path / "out.jsonl", via_batches=True)


# -- crash and Ctrl-C, as real processes against a socket sandbox ---------------------------------


class Frozen:
    """A sandbox clock that stands still until the test moves it."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def frozen() -> Frozen:
    return Frozen()


@pytest.fixture
def server(frozen: Frozen) -> Iterator[Any]:
    with serve(options=SandboxOptions(check_key=False, batch_seconds=60, clock=frozen)) as running:
        yield running


def batch_creations(server: Any) -> int:
    return sum(1 for r in server.sandbox.requests if r.method == "POST" and r.path == "/v1/messages/batches")


def start(server: Any, inputs: Path, out: Path) -> subprocess.Popen[str]:
    args = ["create_message", str(inputs), "--output", str(out), "--via-batches", "--batch-size", "3"]
    return _run_many_process(args, {"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": KEY}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def saved_batches(out: Path) -> list[dict[str, Any]]:
    state = out.with_name(out.name + ".batches.json")
    return json.loads(state.read_text())["batches"] if state.exists() else []


def test_a_crashed_run_resumes_its_batches_instead_of_paying_twice(server: Any, frozen: Frozen, tmp_path: Path) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(7)])
    out = tmp_path / "out.jsonl"
    process = start(server, inputs, out)
    try:
        wait_for(lambda: len(saved_batches(out)) == 3)  # made, saved, and now polling batches that never end
    finally:
        process.kill()
        process.communicate(timeout=10)
    assert batch_creations(server) == 3 and [(b["first"], b["last"]) for b in saved_batches(out)] == [(1, 3), (4, 6), (7, 7)]
    ids = [b["id"] for b in saved_batches(out)]

    frozen.now += 120  # the batches end while no run is watching
    again = start(server, inputs, out)
    stdout, stderr = again.communicate(timeout=60)
    assert again.returncode == 0, stderr
    assert batch_creations(server) == 3  # none made twice
    summary = json.loads(stdout)
    assert summary["succeeded"] == 7 and summary["batches"] == ids
    assert [r["line"] for r in results(out)] == list(range(1, 8)) and not out.with_name("out.jsonl.batches.json").exists()


def test_ctrl_c_cancels_the_batches_the_run_made(server: Any, frozen: Frozen, tmp_path: Path) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(7)])
    out = tmp_path / "out.jsonl"
    process = start(server, inputs, out)
    try:
        wait_for(lambda: len(saved_batches(out)) == 3)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130 and "Traceback" not in stderr
    ids = [b["id"] for b in saved_batches(out)]  # kept, so that a re-run collects what was done
    with Connector(MANIFEST, {"api_key": KEY, "base_url": server.url}) as connector:
        seen = [connector.run("get_message_batch", {"message_batch_id": i}).output for i in ids]
    assert len(ids) == 3 and all(b["cancel_initiated_at"] and b["processing_status"] == "canceling" for b in seen)

    frozen.now += 120  # each batch finishes the request it had under way; the rest are canceled
    again = start(server, inputs, out)
    stdout, _ = again.communicate(timeout=60)
    summary = json.loads(stdout)
    assert again.returncode == 0 and batch_creations(server) == 3 and summary["batches"] == ids
    assert (summary["succeeded"], summary["failed"]) == (3, 4)
    assert {r["error"]["message"].split(" in batch")[0] for r in results(out) if "error" in r} == {"the request was canceled"}


def test_saved_batches_of_another_input_are_refused(sandboxed: Connector, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.with_name("out.jsonl.batches.json").write_text(json.dumps({"input": {"operation": "create_message", "path": "/elsewhere"}, "batches": []}))
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(0)])
    with pytest.raises(ConfigurationError, match="another input"):
        sandboxed.run_many("create_message", inputs, out, via_batches=True)


def test_arun_many_via_batches(sandboxed: Connector, tmp_path: Path) -> None:
    import asyncio

    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(3)])
    summary = asyncio.run(sandboxed.arun_many("create_message", inputs, tmp_path / "out.jsonl", via_batches=True))
    assert summary["succeeded"] == 3 and len(summary["batches"]) == 1
