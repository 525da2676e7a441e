"""The doors' dependencies stay out of the one-shot path: a `run` (and the other CLI commands,
`openapi` included) imports no web framework, server, MCP SDK or pydantic."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO, SRC

HEAVY = ("starlette", "uvicorn", "mcp", "mcp_types", "pydantic", "fastapi", "anthropic_connector.doors.service", "anthropic_connector.doors.mcp_server")
PROBE = """
import io, json, sys
from contextlib import redirect_stdout
from anthropic_connector.cli import main
with redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in %r or m in %r)}))
"""


@pytest.mark.parametrize("args", [["run", "create_message", "samples/create_message.input.json", "--sandbox"], ["openapi"], ["operations"]], ids=["run", "openapi", "operations"])
def test_the_one_shot_path_imports_no_door_dependency(args: list[str]) -> None:
    probe = PROBE % (tuple(h.split(".")[0] for h in HEAVY if "." not in h), HEAVY)
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=REPO, env={"PYTHONPATH": str(SRC), "PATH": ""}, timeout=60, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "loaded": []}
