"""A door's server as a child process on 127.0.0.1, for the service, load, schemathesis and MCP
tests: started with `--port 0`, its URL read from the line it writes once it listens, its
stderr kept (for the no-secret checks), stopped by its own pid."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Mapping

from conftest import REPO, SRC


class Server:
    """`python -m anthropic_connector ARGS --port 0`; ``url`` once it listens."""

    def __init__(self, args: list[str], env: Mapping[str, str] | None = None, cwd: Path = REPO, timeout: float = 30.0) -> None:
        full = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "PYTHONPATH": str(SRC), **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "anthropic_connector", *args, "--port", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=full, cwd=cwd,
        )
        self.lines: list[str] = []
        self._listening = threading.Event()
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        if not self._listening.wait(timeout):
            self.close()
            raise RuntimeError(f"{args[0]} did not start: {''.join(self.lines)[-2000:]}")
        self.url = next(line.split(" listening on ")[1].strip() for line in self.lines if " listening on " in line)

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if " listening on " in line:
                self._listening.set()

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def rss_kb(self) -> int:
        """The child's resident memory now (VmRSS)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._drainer.join(5)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
