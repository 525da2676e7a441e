"""`make sdk-suite`: the official SDK's own generated API tests, run against the sandbox.

    .venv/bin/python scripts/sdk_suite.py

Proof by a suite nobody here wrote: the sdist of the installed `anthropic` version ships the
tests its maintainers generate from the API's contract (`tests/api_resources/`); they read
`TEST_API_BASE_URL` and are meant to run against a contract mock server. This script:

1. downloads that sdist (`pip download anthropic==<installed> --no-binary :all: --no-deps`)
   into `.sdk-suite/` (gitignored) and unpacks it;
2. builds a dedicated venv there with the SDK from that sdist and the test dependencies its
   conftest and tests import, at the versions the sdist pins (`requirements-dev.lock`, and
   `uv.lock` for the `aiohttp` extra, which the export leaves out): a separate venv, because
   the SDK's pytest plugins (pytest-asyncio, inline-snapshot, respx...) and pins would change
   the project's own test run;
3. starts `anthropic-connector sandbox --any-id` on a free port of 127.0.0.1;
4. runs exactly the `SUITE` files, with the SDK's own pytest settings except `-n auto` (700
   quick tests finish sooner in one process than in xdist workers on two cores);
5. prints passed/skipped/failed per file and a closing `N passed, N failed, N skipped` line,
   and exits 1 on any failure, error, or traceback the sandbox printed.

Everything is cached: a second run only starts the sandbox and runs the tests.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".sdk-suite"
SUITE = (
    "tests/api_resources/test_messages.py",
    "tests/api_resources/test_models.py",
    "tests/api_resources/messages/test_batches.py",
    "tests/api_resources/test_files.py",
    "tests/api_resources/beta/test_messages.py",
    "tests/api_resources/beta/test_models.py",
    "tests/api_resources/beta/messages/test_batches.py",
    "tests/api_resources/beta/test_files.py",
)
TEST_DEPENDENCIES = ("pytest", "pytest-asyncio", "respx", "inline-snapshot", "http-snapshot[httpx]", "dirty-equals")
"""What the SDK's tests/conftest.py, tests/utils.py and the SUITE files import, besides the SDK."""
ADDOPTS = "--tb=short -p tests._alias_httpx"
"""The sdist's pytest addopts without `-n auto --dist worksteal`; the alias plugin lets respx mock httpx2."""


def main() -> int:
    sdist, tree = sdk_source()
    python = suite_venv(sdist, tree, sdist.parent)
    return run_suite(python, tree, sdist.parent)


def sdk_source() -> tuple[Path, Path]:
    """The sdist of the installed `anthropic` and its unpacked tree, fetched once into
    `.sdk-suite/anthropic-<version>/`; tests/test_sandbox_messages.py runs its examples/ from it."""
    version = importlib.metadata.version("anthropic")
    home = CACHE / f"anthropic-{version}"
    sdist = fetch_sdist(version, home)
    return sdist, unpack(sdist, home)


def run(*command: str | Path) -> None:
    print("+", " ".join(map(str, command)), flush=True)
    subprocess.run([str(c) for c in command], check=True)


def fetch_sdist(version: str, home: Path) -> Path:
    found = sorted(home.glob(f"anthropic-{version}.tar.gz"))
    if not found:
        run(sys.executable, "-m", "pip", "download", "--quiet", f"anthropic=={version}", "--no-binary", ":all:", "--no-deps", "-d", home)
        found = sorted(home.glob(f"anthropic-{version}.tar.gz"))
    return found[0]


def unpack(sdist: Path, home: Path) -> Path:
    tree = home / sdist.name.removesuffix(".tar.gz")
    if not (tree / "tests" / "api_resources").is_dir():
        shutil.rmtree(tree, ignore_errors=True)
        with tarfile.open(sdist) as archive:
            if hasattr(tarfile, "data_filter"):  # Python 3.10.12+: no links or paths out of `home`
                archive.extractall(home, filter="data")
            else:
                archive.extractall(home)  # noqa: S202 - a PyPI sdist we just downloaded
    return tree


def pins(tree: Path) -> str:
    """Constraints: `requirements-dev.lock`, plus `uv.lock` for packages it does not name that
    have a single locked version (the aiohttp extra and its dependencies)."""
    lock = [line.strip() for line in (tree / "requirements-dev.lock").read_text().splitlines()]
    lines = [line for line in lock if line and not line.startswith(("#", "-e"))]
    named = {re.split(r"[=<>; \[]", line, maxsplit=1)[0].lower() for line in lines}
    versions: dict[str, set[str]] = {}
    uv = (tree / "uv.lock").read_text()
    for name, version in re.findall(r'^\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', uv, re.M):
        versions.setdefault(name.lower(), set()).add(version)
    lines += [f"{name}=={vs.pop()}" for name, vs in sorted(versions.items()) if name not in named and name != "anthropic" and len(vs) == 1]
    return "\n".join(lines) + "\n"


def suite_venv(sdist: Path, tree: Path, home: Path) -> Path:
    venv = home / "venv"
    python = venv / "bin" / "python"
    wanted = f"{sdist.name}[aiohttp] " + " ".join(TEST_DEPENDENCIES)
    stamp = venv / "installed.txt"
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    run(sys.executable, "-m", "venv", venv)
    constraints = home / "constraints.txt"
    constraints.write_text(pins(tree))
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", constraints, f"{sdist}[aiohttp]", *TEST_DEPENDENCIES)
    stamp.write_text(wanted)
    return python


class Sandbox:
    """`anthropic-connector sandbox --any-id --port 0` as a child process; its stderr is kept."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        command = [sys.executable, "-m", "anthropic_connector", "sandbox", "--port", "0", "--any-id"]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
        assert self.process.stderr is not None
        first = self.process.stderr.readline()  # "sandbox listening on http://127.0.0.1:PORT"
        if "listening on " not in first:
            self.process.kill()
            raise SystemExit(f"the sandbox did not start: {first}{self.process.stderr.read()}")
        self.url = first.strip().rsplit(" ", 1)[-1]
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        self.lines.extend(self.process.stderr)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._reader.join(timeout=5)


def run_suite(python: Path, tree: Path, home: Path) -> int:
    report = home / "report.xml"
    sandbox = Sandbox()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYTHON"))}
    env["TEST_API_BASE_URL"] = sandbox.url
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", f"addopts={ADDOPTS}", "-rs", f"--junitxml={report}", *SUITE]
    print(f"+ TEST_API_BASE_URL={sandbox.url} {' '.join(command[2:])}", flush=True)
    try:
        code = subprocess.run(command, cwd=tree, env=env, timeout=600, check=False).returncode
    finally:
        sandbox.stop()
    counts = tally(report)
    print(f"\n{'file':48} {'passed':>7} {'skipped':>8} {'failed':>7}")
    for name in SUITE:
        row = counts[name]
        print(f"{name:48} {row['passed']:7} {row['skipped']:8} {row['failed']:7}")
    total = sum(counts.values(), Counter())
    tracebacks = sum("Traceback (most recent call last)" in line for line in sandbox.lines)
    if tracebacks:
        print("".join(sandbox.lines)[-4000:])
    print(f"sandbox tracebacks: {tracebacks}")
    print(f"sdk-suite: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 0 if code == 0 and not total["failed"] and not tracebacks else 1


def tally(report: Path) -> dict[str, Counter[str]]:
    """passed / skipped / failed (errors count as failed) per SUITE file, from the JUnit report."""
    counts: dict[str, Counter[str]] = {name: Counter(passed=0, skipped=0, failed=0) for name in SUITE}
    for case in ET.parse(report).iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[0].replace(".", "/") + ".py"
        outcome = "failed" if case.find("failure") is not None or case.find("error") is not None else "skipped" if case.find("skipped") is not None else "passed"
        counts.setdefault(module, Counter())[outcome] += 1
    return counts


if __name__ == "__main__":
    sys.exit(main())
