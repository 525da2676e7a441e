"""The Python door as a host meets it: the built wheel in a clean venv, found only through its
entry point, listing and running operations against the sandbox.

Nothing here imports the source tree into the host: the host is a separate interpreter whose
only copy of the connector is the wheel built from this checkout (`pip wheel`). The venv is
kept in `.plugin-host/` and remade only when the project's dependencies change; the wheel is
rebuilt and reinstalled only when a packaged file changes, so a second run takes seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import MANIFEST, REPO

from anthropic_connector import sandbox

HOST = REPO / ".plugin-host"
PACKAGED = ["pyproject.toml", "connector.yaml", "README.md", "src", "schemas", "samples"]

# The host program: discovery and every run go through the entry point, nothing else.
HOST_PROGRAM = textwrap.dedent(
    """
    import asyncio, json, sys
    from importlib import resources
    from importlib.metadata import entry_points

    (entry,) = entry_points(group="workflow_connectors", name="anthropic")
    Connector = entry.load()
    catalog = Connector.catalog()
    samples = {op["name"]: op["samples"]["input"] for op in catalog["operations"]}
    connection = json.loads(sys.argv[1])
    report = {"module": sys.modules[Connector.__module__].__file__, "catalog": catalog}
    page = resources.files("anthropic_connector.doors") / "playground"
    report["playground"] = {p.name: len(p.read_bytes()) for p in page.iterdir()}

    with Connector(connection=connection) as connector:
        # the seed's create_message names claude-2.1, retired: only the in-process sandbox serves it
        report["sync"] = connector.run("create_message", {**samples["count_tokens"], "max_tokens": 256}).output
        report["test"] = connector.test_connection().output
        report["listed"] = connector.operations()

    async def main():
        async with Connector(sandbox=True) as connector:
            report["async"] = (await connector.arun("count_tokens", samples["count_tokens"])).output
            report["events"] = [e["type"] async for e in connector.events("create_message", samples["create_message"])]

    asyncio.run(main())
    print(json.dumps(report))
    """
)


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for root in paths for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _run(cmd: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("ANTHROPIC_")}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False, **kwargs)
    assert done.returncode == 0, f"{cmd[:4]}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


def _host_python() -> Path:
    """A venv holding the project's dependencies and the wheel built from this checkout."""
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    venv = HOST / ("venv-" + hashlib.sha256(json.dumps([sys.version, dependencies]).encode()).hexdigest()[:12])
    python = venv / "bin" / "python"
    if not (venv / "ready").exists():
        shutil.rmtree(HOST, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)], 120)
        _run([str(python), "-m", "pip", "install", "--quiet", *dependencies], 540)
        (venv / "ready").write_text("")
    stamp = _digest([REPO / p for p in PACKAGED])
    if (venv / "wheel").exists() and (venv / "wheel").read_text() == stamp:
        return python
    wheels = HOST / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(REPO)], 300)
    (wheel,) = wheels.glob("anthropic_connector-*.whl")
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(wheel)], 120)
    (venv / "wheel").write_text(stamp)
    return python


@pytest.fixture(scope="module")
def host_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    python = _host_python()
    where = tmp_path_factory.mktemp("host")  # not the checkout: only the wheel can be imported
    with sandbox.serve() as server:
        connection = {"api_key": "sk-ant-host-" + "0" * 24, "base_url": server.url, "max_retries": 0}
        done = _run([str(python), "-c", HOST_PROGRAM, json.dumps(connection)], 120, cwd=where)
    return json.loads(done.stdout)


def test_the_host_imports_the_installed_wheel_not_the_source_tree(host_report: dict[str, Any]) -> None:
    module = Path(host_report["module"])
    assert "site-packages" in module.parts and REPO / "src" not in module.parents


def test_the_catalogue_lists_every_operation_with_schemas_samples_and_annotations(host_report: dict[str, Any]) -> None:
    catalog = host_report["catalog"]
    assert (catalog["name"], catalog["version"]) == (MANIFEST.name, MANIFEST.version)
    assert catalog["connection"]["schema"] == MANIFEST.connection_schema
    assert [a["type"] for a in catalog["connection"]["auth"]] == ["api_key", "bearer"]
    assert catalog["operations"] == [op.describe() for op in MANIFEST.operations.values()]
    assert host_report["listed"] == [op.summary() for op in MANIFEST.operations.values()]


def test_the_wheel_ships_the_built_playground(host_report: dict[str, Any]) -> None:
    """pip users have no Node: the page `serve` shows at / is in the wheel as built."""
    source = REPO / "src" / "anthropic_connector" / "doors" / "playground"
    assert host_report["playground"] == {p.name: p.stat().st_size for p in source.iterdir()}


def test_the_host_runs_sync_with_a_connection_mapping_and_async_on_the_sandbox(host_report: dict[str, Any]) -> None:
    assert host_report["sync"]["type"] == "message" and host_report["test"] == {"ok": True}
    assert host_report["async"]["input_tokens"] > 0
    assert host_report["events"][0] == "message_start" and host_report["events"][-1] == "message_stop"
