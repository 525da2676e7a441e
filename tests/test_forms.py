"""A real form generator renders every input schema: react-jsonschema-form, in Node.

Each operation's input schema (and the connection's) is rendered to HTML the way a form
builder would show it, with the sample filled in; RJSF's own Ajv validator must accept the
sample and refuse an empty form. `make test` installs tests/forms/ (package-lock.json).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import MANIFEST, OPERATION_IDS, OPERATIONS

FORMS = Path(__file__).resolve().parent / "forms"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (FORMS / "node_modules").is_dir(),
    reason="needs Node.js and `npm ci --prefix tests/forms` (make test runs it)",
)


def render(jobs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    done = subprocess.run(["node", str(FORMS / "render.mjs")], input=json.dumps(jobs), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return {result["name"]: result for result in json.loads(done.stdout)}


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, Any]]:
    jobs = [{"name": f"{op.name}:sample", "schema": op.input_schema, "data": op.sample_input} for op in OPERATIONS]
    jobs += [{"name": f"{op.name}:empty", "schema": op.input_schema, "data": {}} for op in OPERATIONS]
    jobs.append({"name": "connection", "schema": MANIFEST.connection_schema, "data": {}})
    return render(jobs)


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_every_field_of_the_input_is_on_the_form(op: Any, rendered: dict[str, dict[str, Any]]) -> None:
    form = rendered[f"{op.name}:sample"]
    titles = [field["title"] for name, field in op.input_schema.get("properties", {}).items() if name in op.sample_input]
    assert titles or not op.input_schema.get("properties")  # test_connection: a form with no fields
    assert all(any(label.startswith(title) for label in form["labels"]) for title in titles), (titles, form["labels"])
    assert form["inputs"] >= len(titles)
    assert form["errors"] == []  # RJSF's own validator accepts the shipped sample


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_the_forms_validator_refuses_what_the_connector_refuses(op: Any, rendered: dict[str, dict[str, Any]]) -> None:
    errors = rendered[f"{op.name}:empty"]["errors"]
    titles = [op.input_schema["properties"][name]["title"] for name in op.input_schema.get("required", [])]
    assert set(titles) <= {e.split("'")[1] for e in errors if "required" in e}
    assert bool(errors) == bool(op.validator.errors({}))  # an empty form: the same verdict


def test_the_connection_form_renders_every_setting(rendered: dict[str, dict[str, Any]]) -> None:
    form = rendered["connection"]
    titles = [field["title"] for field in MANIFEST.connection_schema["properties"].values()]
    assert all(any(label.startswith(title) for label in form["labels"]) for title in titles), (titles, form["labels"])
    assert form["errors"] == []
