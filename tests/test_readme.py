"""The README's examples run as written: its command lines and its library snippet.

A newcomer copies these first; an example that fails is a broken promise, so each one runs
here from the repository root, on the embedded sandbox (no key, no network).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, but_id

README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def command_lines() -> list[list[str]]:
    """The single-line `anthropic-connector ...` commands of the command-line section."""
    lines = fenced(section("The command line: `anthropic-connector`"), "sh")[0].splitlines()
    return [shlex.split(line.split("  #")[0])[1:] for line in lines if line.startswith("anthropic-connector ")]


@pytest.mark.parametrize("args", command_lines(), ids=lambda args: " ".join(args[:2]))
def test_each_readme_command_runs(cli: Any, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.chdir(REPO)
    before = set(REPO.iterdir())
    try:
        code, out, _ = cli(*args)
    finally:
        for made in set(REPO.iterdir()) - before:  # --output results.jsonl: the example's file, not the repo's
            made.unlink()
    assert code == 0 and out, (args, out)


def test_the_piped_readme_command_runs(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    (piped,) = re.findall(r"echo '(.*?)' \\\n\s*\| anthropic-connector (.*)", section("The command line: `anthropic-connector`"))
    stdin, command = piped
    code, out, _ = cli(*shlex.split(command), stdin=stdin)
    assert code == 0 and out["type"] == "message"


def test_the_readme_library_snippets_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    first, second = fenced(section("The library"), "python")
    monkeypatch.chdir(REPO)
    exec(compile(first, "README.md", "exec"), {})  # noqa: S102 - our own README
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == "message_stop" and "msg_" in printed[0]
    monkeypatch.chdir(tmp_path)  # the second writes results.jsonl where it runs
    exec(compile(second, "README.md", "exec"), {})  # noqa: S102
    assert capsys.readouterr().out.splitlines() == ["q1 succeeded"]
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 1


def test_the_readme_plugin_snippet_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The four doors' host snippet, through the entry point of this checkout's install."""
    (snippet,) = fenced(section("Load it into any platform: four doors"), "python")
    exec(compile(snippet, "README.md", "exec"), {})  # noqa: S102 - our own README
    assert capsys.readouterr().out.startswith("{'ok': True} ['Advanced', 'Batches'")


def _env(home: Path) -> dict[str, str]:
    """A shell's environment in which the venv's anthropic-connector comes first."""
    return {"PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}", "HOME": str(home)}


def test_the_at_scale_commands_run_as_written(tmp_path: Any) -> None:
    """The run-many block, heredoc and all, in bash: results, a re-run that sends nothing, batches."""
    (block,) = fenced(section("At scale"), "sh")
    done = subprocess.run(["bash", "-e", "-c", block], cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    decoder, text, summaries = json.JSONDecoder(), done.stdout, []
    while text.strip():
        summary, end = decoder.raw_decode(text.lstrip())
        summaries.append(summary)
        text = text.lstrip()[end:]
    assert [(s["succeeded"], s["kept"]) for s in summaries] == [(2, 0), (2, 2), (2, 0)] and len(summaries[2]["batches"]) == 1
    results = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [r["custom_id"] for r in results] == ["colour", "line-2"]
    batched, direct = ([json.loads(line) for line in (tmp_path / name).read_text().splitlines()] for name in ("batched.jsonl", "results.jsonl"))
    assert [{**r, "output": but_id(r["output"])} for r in batched] == [{**r, "output": but_id(r["output"])} for r in direct]  # each answer has its own id


def test_the_at_scale_library_snippet_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    snippet = fenced(section("At scale"), "python")[0]  # the second is the Airflow DAG: tests/test_airflow.py runs it
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, "README.md", "exec"), {})  # noqa: S102 - our own README
    printed = capsys.readouterr().out.strip()
    assert f"print(summary)   # {printed}" in snippet and "'succeeded': 1" in printed
    assert len((tmp_path / "batched.jsonl").read_text().splitlines()) == 1


def test_the_structured_output_snippet_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (snippet,) = fenced(section("Structured outputs and legacy completions"), "python")
    # dont_inherit: this file's `from __future__ import annotations` would make the model's fields strings
    exec(compile(snippet, "README.md", "exec", dont_inherit=True), {})  # noqa: S102 - our own README
    assert capsys.readouterr().out.splitlines() == ["pro john@example.com", "structured_output_error max_tokens"]


def test_the_legacy_completion_commands_run_as_written(tmp_path: Any) -> None:
    (block,) = fenced(section("Structured outputs and legacy completions"), "sh")
    (tmp_path / "samples").symlink_to(REPO / "samples")
    done = subprocess.run(["bash", "-e", "-c", block], cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert (output["type"], output["model"], output["stop_reason"]) == ("completion", "claude-sonnet-4-6", "stop_sequence")
