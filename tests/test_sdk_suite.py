"""The official SDK's own generated API tests pass against `anthropic-connector sandbox --any-id`.

scripts/sdk_suite.py fetches the sdist of the installed `anthropic` (cached in .sdk-suite/),
runs its tests/api_resources files for messages, models, batches and files, GA and beta, and
exits non-zero on any failure or on a traceback from the sandbox.
"""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO


def test_the_sdk_suite_passes_against_the_sandbox() -> None:
    done = subprocess.run([sys.executable, "scripts/sdk_suite.py"], cwd=REPO, capture_output=True, text=True, timeout=170, check=False)
    summary = re.search(r"^sdk-suite: (\d+) passed, (\d+) failed, (\d+) skipped$", done.stdout, re.M)
    assert done.returncode == 0 and summary, done.stdout[-4000:] + done.stderr[-2000:]
    passed, failed, _ = map(int, summary.groups())
    assert failed == 0 and passed > 600
    assert "sandbox tracebacks: 0" in done.stdout
