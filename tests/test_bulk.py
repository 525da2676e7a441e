"""Bulk runs (run-many, Connector.run_many / arun_many), sent one request a line: results in
input order whatever order they finish in, a bounded window, every invalid line reported before
anything is sent, resume after a crash, errors sent again, a progress bar only on a terminal.

Servers are real sockets on 127.0.0.1 (the recording server or the sandbox); the crash is a
real SIGKILL of a real run-many process.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import MANIFEST, REPO, SRC, Answer, Recorded, Recorder

from anthropic_connector import Connector, ValidationError
from anthropic_connector.sandbox import SandboxOptions, transport

MESSAGE = MANIFEST.operation("create_message").sample_output


def prompt(i: int) -> dict[str, Any]:
    return {"model": "claude-sonnet-5-5", "max_tokens": 16, "messages": [{"role": "user", "content": f"prompt {i}"}]}


def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines), encoding="utf-8")
    return path


def results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def echo(request: Recorded, delay: Callable[[str], float] = lambda text: 0.0) -> Answer:
    """A Message whose text is the request's prompt, after ``delay(prompt)`` seconds."""
    text = request.json()["messages"][0]["content"]
    time.sleep(delay(text))
    return Answer(200, {**MESSAGE, "content": [{"type": "text", "text": text}]}, {"request-id": "req_" + text.replace(" ", "_")})


@pytest.fixture
def connector(connection: dict[str, Any]) -> Connector:
    return Connector(MANIFEST, connection)


# -- order and the window ------------------------------------------------------------------------


def test_results_are_written_in_input_order_whatever_order_they_finish_in(recorder: Recorder, connector: Connector, tmp_path: Path) -> None:
    finished: list[str] = []

    def answer(request: Recorded) -> Answer:
        reply = echo(request, lambda text: (9 - int(text.split()[1]) % 10) * 0.01)  # later lines answer sooner
        finished.append(reply.body["content"][0]["text"])
        return reply

    recorder.script(answer)
    lines = [prompt(i) for i in range(30)]
    lines[4]["custom_id"] = "ticket-4"
    inputs = write_lines(tmp_path / "in.jsonl", lines)
    summary = connector.run_many("create_message", inputs, tmp_path / "out.jsonl", concurrency=6)

    assert summary == {"path": str(tmp_path / "out.jsonl"), "lines": 30, "succeeded": 30, "failed": 0, "kept": 0}
    assert finished != sorted(finished, key=lambda t: int(t.split()[1]))  # they did finish out of order
    got = results(tmp_path / "out.jsonl")
    assert [r["output"]["content"][0]["text"] for r in got] == [f"prompt {i}" for i in range(30)]
    assert [r["line"] for r in got] == list(range(1, 31))
    assert got[4]["custom_id"] == "ticket-4" and got[5]["custom_id"] == "line-6"
    assert not (tmp_path / "out.jsonl.part").exists()


def test_a_slow_line_holds_back_the_writing_and_at_most_a_window_of_sending(recorder: Recorder, connector: Connector, tmp_path: Path) -> None:
    """Line 1 is answered only once the run has stalled: until then 4 × concurrency lines have
    been sent and no more (the reorder buffer is bounded), however many lines the file has."""
    release = threading.Event()
    arrived: list[str] = []

    def answer(request: Recorded) -> Answer:
        arrived.append(request.json()["messages"][0]["content"])
        if arrived[-1] == "prompt 0":
            release.wait(10)
        return echo(request)

    def watch() -> None:
        deadline = time.monotonic() + 10
        while len(arrived) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)  # an unbounded window would go on sending meanwhile: the others are answered at once
        stalled.append(len(arrived))
        release.set()

    stalled: list[int] = []
    recorder.script(answer)
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(100)])
    watcher = threading.Thread(target=watch)
    watcher.start()
    connector.run_many("create_message", inputs, tmp_path / "out.jsonl", concurrency=2)
    watcher.join(5)
    assert stalled == [8]  # the window: 4 × 2
    assert len(results(tmp_path / "out.jsonl")) == 100


def test_arun_many_runs_in_the_hosts_event_loop(recorder: Recorder, connection: dict[str, Any], tmp_path: Path) -> None:
    recorder.script(echo)
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(5)])

    async def host() -> tuple[dict[str, Any], Any]:
        async with Connector(MANIFEST, connection) as connector:
            summary = await connector.arun_many("create_message", inputs, tmp_path / "out.jsonl", concurrency=3)
            return summary, await connector.arun("create_message", prompt(9))  # its client still serves this loop

    summary, again = asyncio.run(host())
    assert summary["succeeded"] == 5 and again.output["content"][0]["text"] == "prompt 9"


def test_run_many_keeps_its_event_loop_to_itself(recorder: Recorder, connector: Connector, tmp_path: Path) -> None:
    """A sync run_many's event loop and async client are its own: afterwards the connector's
    own clients, sync and async (in the host's loop), work as before."""
    recorder.script(echo)
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(3)])
    assert connector.run_many("create_message", inputs, tmp_path / "out.jsonl")["succeeded"] == 3
    assert connector.run("create_message", prompt(7)).output["content"][0]["text"] == "prompt 7"

    async def host() -> Any:
        async with connector:
            return await connector.arun("create_message", prompt(8))

    assert asyncio.run(host()).output["content"][0]["text"] == "prompt 8"


# -- invalid lines -------------------------------------------------------------------------------


def test_every_violation_is_reported_by_line_and_nothing_is_sent(recorder: Recorder, cli: Any, connection_env: dict[str, str], tmp_path: Path) -> None:
    bad_role = {**prompt(2), "messages": [{"role": "robot", "content": "hi"}]}
    lines = [prompt(1), bad_role, "", "not json", {**prompt(4), "custom_id": "has space"}, [1, 2], {"max_tokens": "many"}]
    inputs = write_lines(tmp_path / "in.jsonl", lines)
    code, out, err = cli("run-many", "create_message", inputs, "--output", tmp_path / "out.jsonl", env=connection_env)

    assert code == 2 and recorder.requests == [] and not (tmp_path / "out.jsonl").exists()
    error = out["error"]
    assert error["type"] == "validation_error" and error["message"].startswith("5 of 6 lines of ")
    by_line = {(d["line"], d["path"]) for d in error["details"]}
    assert (2, "/messages/0/role") in by_line and (4, "") in by_line and (5, "/custom_id") in by_line and (6, "") in by_line
    assert {(7, "/max_tokens"), (7, "/model"), (7, "/messages")} <= by_line  # every violation of a line, not the first
    assert "line 2: /messages/0/role must be one of" in err


def test_skip_invalid_sends_the_valid_lines_and_writes_each_invalid_ones_error(recorder: Recorder, cli: Any, connection_env: dict[str, str], tmp_path: Path) -> None:
    recorder.script(echo)
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(0), {"model": "m"}, prompt(2)])
    code, out, _ = cli("run-many", "create_message", inputs, "--output", tmp_path / "out.jsonl", "--skip-invalid", env=connection_env)

    assert code == 0 and out["succeeded"] == 2 and out["failed"] == 1 and len(recorder.requests) == 2
    skipped = results(tmp_path / "out.jsonl")[1]
    assert skipped["line"] == 2 and skipped["error"]["type"] == "validation_error"
    assert {d["path"] for d in skipped["error"]["details"]} == {"/max_tokens", "/messages"}


def test_a_line_over_the_size_limit_is_never_read_whole(recorder: Recorder, connector: Connector, tmp_path: Path) -> None:
    recorder.script(echo)
    long_line = json.dumps({**prompt(1), "system": "x" * 5000})
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(0), long_line, prompt(2)])
    with pytest.raises(ValidationError) as caught:
        connector.run_many("create_message", inputs, tmp_path / "out.jsonl", max_line_bytes=1000)
    assert caught.value.details == [{"line": 2, "path": "", "message": "is longer than 1000 bytes"}]
    summary = connector.run_many("create_message", inputs, tmp_path / "out.jsonl", max_line_bytes=1000, skip_invalid=True)
    assert summary["succeeded"] == 2 and [r["line"] for r in results(tmp_path / "out.jsonl")] == [1, 2, 3]


# -- resume --------------------------------------------------------------------------------------


def test_a_rerun_keeps_what_succeeded_and_sends_the_errors_again(recorder: Recorder, connector: Connector, tmp_path: Path) -> None:
    overloaded = Answer(529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    recorder.script(lambda r: overloaded if r.json()["messages"][0]["content"] in ("prompt 1", "prompt 3") else echo(r))
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(5)])
    out = tmp_path / "out.jsonl"
    first = connector.run_many("create_message", inputs, out)
    assert (first["succeeded"], first["failed"]) == (3, 2)
    assert results(out)[1]["error"]["status"] == 529

    recorder.reset()
    recorder.script(echo)
    second = connector.run_many("create_message", inputs, out)
    assert (second["succeeded"], second["failed"], second["kept"]) == (5, 0, 3)
    assert sorted(r.json()["messages"][0]["content"] for r in recorder.requests) == ["prompt 1", "prompt 3"]
    assert [r["output"]["content"][0]["text"] for r in results(out)] == [f"prompt {i}" for i in range(5)]


def test_results_of_another_input_are_refused(recorder: Recorder, connector: Connector, tmp_path: Path) -> None:
    recorder.script(echo)
    out = tmp_path / "out.jsonl"
    connector.run_many("create_message", write_lines(tmp_path / "a.jsonl", [{**prompt(0), "custom_id": "a"}]), out)
    with pytest.raises(Exception, match="holds results of another input"):
        connector.run_many("create_message", write_lines(tmp_path / "b.jsonl", [{**prompt(0), "custom_id": "b"}]), out)


def _run_many_process(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.Popen[str]:
    full = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "PYTHONPATH": str(SRC), **env}
    return subprocess.Popen([sys.executable, "-m", "anthropic_connector", "run-many", *args], env=full, cwd=REPO, text=True, **kwargs)


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_killed_run_resumes_where_it_stopped(recorder: Recorder, connection_env: dict[str, str], tmp_path: Path) -> None:
    """SIGKILL mid-run: the re-run keeps the lines the dead run wrote and sends only the rest."""
    hold = threading.Event()
    recorder.script(lambda r: echo(r, lambda text: 10 if int(text.split()[1]) >= 12 and not hold.wait(10) else 0))
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(40)])
    out = tmp_path / "out.jsonl"
    part = tmp_path / "out.jsonl.part"
    process = _run_many_process(["create_message", str(inputs), "--output", str(out), "--concurrency", "2"], connection_env, stdout=subprocess.PIPE)
    try:
        wait_for(lambda: part.exists() and part.read_text().count("\n") >= 12)
    finally:
        process.kill()
        process.communicate(timeout=10)
        hold.set()
    assert not out.exists() and part.read_text().count("\n") == 12

    recorder.reset()
    recorder.script(echo)
    process = _run_many_process(["create_message", str(inputs), "--output", str(out), "--concurrency", "4"], connection_env, stdout=subprocess.PIPE)
    summary = json.loads(process.communicate(timeout=60)[0])
    assert process.returncode == 0 and summary["kept"] == 12 and summary["succeeded"] == 40
    assert len(recorder.requests) == 28 and not part.exists()
    assert [r["output"]["content"][0]["text"] for r in results(out)] == [f"prompt {i}" for i in range(40)]


# -- the progress bar ----------------------------------------------------------------------------


def test_a_progress_bar_on_a_terminal_and_silence_elsewhere(tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(20)])
    args = ["create_message", str(inputs), "--output", str(tmp_path / "out.jsonl"), "--sandbox"]
    piped = _run_many_process(args, {}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = piped.communicate(timeout=60)
    assert piped.returncode == 0 and err == ""

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 columns wide
    on_terminal = _run_many_process(args, {}, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    on_terminal.communicate(timeout=60)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other end has closed
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert on_terminal.returncode == 0 and b"20/20" in drawn and b"create_message" in drawn


def test_a_run_many_in_a_pipeline_imports_no_progress_bar(tmp_path: Path) -> None:
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(0)])
    code = (
        "import sys; from anthropic_connector import Connector\n"
        f"Connector(sandbox=True).run_many('create_message', {str(inputs)!r}, {str(tmp_path / 'out.jsonl')!r})\n"
        "assert 'tqdm' not in sys.modules, 'tqdm was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(SRC), "PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_sigint_stops_a_direct_run_cleanly(recorder: Recorder, connection_env: dict[str, str], tmp_path: Path) -> None:
    hold = threading.Event()
    recorder.script(lambda r: echo(r, lambda text: 0 if int(text.split()[1]) < 3 else (hold.wait(10) and 0)))
    inputs = write_lines(tmp_path / "in.jsonl", [prompt(i) for i in range(10)])
    part = tmp_path / "out.jsonl.part"
    process = _run_many_process(["create_message", str(inputs), "--output", str(tmp_path / "out.jsonl")], connection_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: part.exists() and part.read_text().count("\n") >= 3)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    finally:
        hold.set()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert part.read_text().count("\n") == 3
