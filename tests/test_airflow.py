"""The Airflow provider, proved with a real Airflow: no mocks.

The core package never imports Airflow (checked in a fresh process). The provider's entry point
and connection form are checked here; then Airflow itself (apache-airflow 3.3.2, pinned with
everything it needs in tests/airflow/requirements.txt) is installed into .airflow-venv/, cached
between runs and rebuilt when the pins or pyproject.toml change, with this project installed
editable beside it. There, tests/airflow/connector_dag.py runs a DAG with ``dag.test()`` against
sandboxes on 127.0.0.1 that this test starts: a create_message task, a templated task quoting
its XCom, an invalid input failing its task with nothing sent, and deferrable batch operators
whose triggers Airflow runs inline; then the README's DAG, as written. AIRFLOW_HOME and its
sqlite database live in a temp folder.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import MANIFEST, REPO, SRC

from anthropic_connector.airflow.provider import extra_fields, get_provider_info, settings
from anthropic_connector.sandbox import SandboxOptions, serve

HERE = Path(__file__).resolve().parent / "airflow"
README_DAG = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8").split("## At scale\n", 1)[1], re.S)[1]
VENV = REPO / ".airflow-venv"
KEY = "sk-ant-test-airflow-0123456789"


def test_the_core_package_imports_no_airflow() -> None:
    code = (
        "import sys\n"
        "import anthropic_connector\n"
        "from anthropic_connector.cli import main\n"
        "assert main(['run', 'create_message', 'samples/create_message.input.json', '--sandbox']) == 0\n"
        "loaded = sorted(m for m in sys.modules if m == 'airflow' or m.startswith(('airflow.', 'anthropic_connector.airflow', 'tqdm')))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={"PATH": os.environ["PATH"], "PYTHONPATH": str(SRC)}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_entry_point_names_the_distribution_as_airflow_3_requires() -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="apache_airflow_provider") if e.value.startswith("anthropic_connector.")]
    info = entry.load()()
    assert info == get_provider_info() and info["package-name"] == entry.dist.metadata["name"] == "anthropic-connector"
    (conn,) = info["connection-types"]
    assert conn["hook-class-name"] == "anthropic_connector.airflow.hooks.AnthropicConnectorHook"


def test_the_connection_form_is_made_from_the_connection_schema() -> None:
    schema = MANIFEST.connection_schema
    fields = extra_fields(schema)
    assert set(fields) == set(schema["properties"]) - {"api_key", "base_url"}  # those are the password and host
    assert fields["max_retries"]["schema"] == {"type": ["integer", "null"], "minimum": 0, "maximum": 10, "default": 2}
    assert fields["anthropic_version"]["schema"]["pattern"] == schema["properties"]["anthropic_version"]["pattern"]
    assert fields["anthropic_beta"]["schema"]["type"] == ["string", "null"] and fields["anthropic_beta"]["label"] == "Beta features"


class Filled:
    """An Airflow connection as a form leaves it (its extras, below, all text)."""

    password = KEY
    host = "127.0.0.1"
    port = 8787


def test_a_filled_form_becomes_the_connectors_connection_settings() -> None:
    extra = {"timeout": "30", "max_retries": "1", "allow_http_proxy": "false", "anthropic_beta": "a-1, b-2", "deadline": ""}
    assert settings(Filled(), extra, MANIFEST.connection_schema) == {
        "api_key": KEY, "base_url": "https://127.0.0.1:8787", "timeout": 30.0, "max_retries": 1, "allow_http_proxy": False, "anthropic_beta": ["a-1", "b-2"],
    }


# -- a real Airflow ------------------------------------------------------------------------------


def _stamp() -> str:
    return hashlib.sha256((HERE / "requirements.txt").read_bytes() + (REPO / "pyproject.toml").read_bytes()).hexdigest()


def airflow_python() -> Path:
    """.airflow-venv's python: Airflow from the pins, this project editable; made once, kept."""
    python, marker = VENV / "bin" / "python", VENV / ".installed"
    if marker.exists() and marker.read_text() == _stamp():
        return python
    shutil.rmtree(VENV, ignore_errors=True)
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=120)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(HERE / "requirements.txt")], check=True, timeout=1200)
    subprocess.run([*pip, "--no-deps", "-e", str(REPO)], check=True, timeout=600)
    marker.write_text(_stamp())
    print(f"installed Airflow into {VENV} in {time.monotonic() - began:.0f} s")
    return python


def test_dags_run_every_kind_of_task_on_a_real_airflow(tmp_path: Path) -> None:
    python = airflow_python()
    dags, results = tmp_path / "dags", tmp_path / "results"
    dags.mkdir()
    results.mkdir()
    shutil.copy(HERE / "connector_dag.py", dags / "connector_dag.py")
    (dags / "readme_dag.py").write_text(README_DAG, encoding="utf-8")
    fast, slow = SandboxOptions(api_key=KEY, batch_seconds=0), SandboxOptions(api_key=KEY, batch_seconds=1)
    with serve(options=fast) as server, serve(options=slow) as slow_server:
        env = {
            "PATH": os.environ["PATH"], "HOME": str(tmp_path), "NO_PROXY": "127.0.0.1",
            "AIRFLOW_HOME": str(tmp_path / "home"), "AIRFLOW__CORE__DAGS_FOLDER": str(dags), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW_CONN_ANTHROPIC_CONNECTOR_DEFAULT": connection(server.url), "AIRFLOW_CONN_ANTHROPIC_CONNECTOR_SLOW": connection(slow_server.url),
            "BATCH_RESULTS": str(results),
        }
        subprocess.run([str(python), "-m", "airflow", "db", "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True, timeout=600)
        done = subprocess.run([str(python), str(dags / "connector_dag.py")], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        sent = [(r.method, r.path, r.body) for r in server.sandbox.requests]
        sent_slow = [(r.method, r.path) for r in slow_server.sandbox.requests]
    output = done.stdout + done.stderr
    assert KEY not in output
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")] or [pytest.fail(output[-5000:])]
    report: dict[str, Any] = json.loads(line.removeprefix("REPORT "))

    assert report["dag"]["states"] == {"ask": "success", "follow_up": "success", "invalid": "failed", "batch": "success", "batch_to_file": "success"}
    assert report["readme"]["states"] == {"ask": "success", "follow_up": "success", "summaries": "success"}
    found = report["provider"]
    assert found["package"] == "anthropic-connector" and found["hook"] == "anthropic_connector.airflow.hooks.AnthropicConnectorHook"
    assert found["test_connection"][0] is True and "max_retries" in found["conn_fields"]

    xcoms = report["dag"]["xcoms"]
    answer = xcoms["ask.return_value"]["content"][0]["text"]
    messages = [json.loads(body) for method, path, body in sent if (method, path) == ("POST", "/v1/messages")]
    assert len(messages) == 4  # ask and follow_up of each DAG
    assert not any(m["messages"][0]["role"] == "robot" for m in messages)  # the invalid input was never sent
    assert f"Say more about: {answer}" in [m["messages"][0]["content"] for m in messages]  # templated from ask's XCom
    assert "invalid input: /messages/0/role must be one of" in output and "nothing was sent" in output

    assert [r["custom_id"] for r in xcoms["batch.return_value"]] == ["doc-0", "doc-1", "doc-2"]
    assert all(r["result"]["type"] == "succeeded" for r in xcoms["batch.return_value"])
    assert xcoms["batch.batch_id"].startswith("msgbatch_")
    assert xcoms["batch_to_file.return_value"] == {"path": str(results / "batch_to_file.jsonl"), "lines": 20}
    assert len((results / "batch_to_file.jsonl").read_text().splitlines()) == 20
    polls = [path for method, path in sent_slow if method == "GET" and path.startswith("/v1/messages/batches/msgbatch_") and not path.endswith("/results")]
    assert len(polls) >= 4  # the triggers polled with the async client until the batches ended
    assert len(report["readme"]["xcoms"]["summaries.return_value"]) == 3


def connection(url: str) -> str:
    """An Airflow connection in the environment's JSON form, extras as a form leaves them: text."""
    return json.dumps({"conn_type": "anthropic_connector", "host": url, "password": KEY, "extra": {"max_retries": "1", "timeout": "30"}})
