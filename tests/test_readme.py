"""The README's examples run as written: its command lines and its library snippet.

A newcomer copies these first; an example that fails is a broken promise, so each one runs
here from the repository root, on the embedded sandbox (no key, no network).
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
from conftest import REPO

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
    code, out, _ = cli(*args)
    assert code == 0 and out, (args, out)


def test_the_piped_readme_command_runs(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    (piped,) = re.findall(r"echo '(.*?)' \\\n\s*\| anthropic-connector (.*)", section("The command line: `anthropic-connector`"))
    stdin, command = piped
    code, out, _ = cli(*shlex.split(command), stdin=stdin)
    assert code == 0 and out["type"] == "message"


def test_the_readme_library_snippet_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    namespace: dict[str, Any] = {}
    exec(compile(fenced(section("The library"), "python")[0], "README.md", "exec"), namespace)  # noqa: S102 - our own README
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == "message_stop" and "msg_" in printed[0]
