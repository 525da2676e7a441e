"""A real form generator renders every input schema: react-jsonschema-form, in Node and in a
real browser.

In Node (web/test/render.mjs) each schema is rendered to HTML as a form builder would show it,
and RJSF's own Ajv validator must accept the sample and refuse an empty form. In headless
Chromium (web/test/forms.mjs) a page built with esbuild from the same lockfile shows each
operation's form with its uiSchema, and each sample is entered as a person would (a branch
picked in its select, "Add" pressed for each item, text typed) and submitted: what the form
hands over must be valid and send the very request the sample sends (the connector's own
normalisation: {"string": text} unwrapped, {"none": null} as no body).

`make test` installs Node's packages (web/package-lock.json) and Debian's chromium. Without
them these tests skip on a developer's machine, and fail on CI (CI=true), where a skip would
hide that nothing was checked. UPDATE_FORM_SCREENSHOTS=1 writes docs/forms/*.png.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import MANIFEST, OPERATION_IDS, OPERATIONS, REPO

from anthropic_connector.connection import Connection
from anthropic_connector.operations import build

WEB = REPO / "web"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ("create_message", "create_completion", "raw_http_request", "create_message_batch", "upload_file")


def needs(*paths: Path) -> None:
    """Skip when a tool is missing, except on CI, where that is a failure."""
    missing = [str(p) for p in paths if not p.exists()] + (["node"] if shutil.which("node") is None else [])
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI must run the form tests, and {', '.join(missing)} is missing (make test installs them)")
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (make test installs them)")


def node(script: str, payload: Any, timeout: float) -> Any:
    done = subprocess.run(["node", str(WEB / "test" / script)], input=json.dumps(payload), capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


# -- rendered in Node ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, Any]]:
    needs(WEB / "node_modules")
    jobs = [{"name": f"{op.name}:sample", "schema": op.input_schema, "data": op.sample_input} for op in OPERATIONS]
    jobs += [{"name": f"{op.name}:empty", "schema": op.input_schema, "data": {}} for op in OPERATIONS]
    jobs.append({"name": "connection", "schema": MANIFEST.connection_schema, "data": {}})
    return {result["name"]: result for result in node("render.mjs", jobs, 120)}


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


# -- filled in by a person, in Chromium ------------------------------------------------------


def samples() -> Iterator[tuple[str, Any, Path]]:
    """Every sample input: samples/OP.input.json and the variants samples/OP.*.input.json."""
    for op in OPERATIONS:
        for path in sorted((REPO / "samples").glob(f"{op.name}.*input.json")):
            if path.name.split(".")[0] == op.name:
                yield f"{op.name}:{path.name}", op, path


SAMPLES = list(samples())


def sent(op: Any, payload: dict[str, Any]) -> tuple[str, str, Any]:
    """What the connector sends for ``payload``: method, URL and body (JSON as data; a
    multipart body, whose boundary is random, as the input that made it)."""
    call = build(op, payload, Connection.from_mapping({"api_key": "sk-ant-forms-test"}, MANIFEST))
    body = call.request.read()
    if call.request.headers.get("content-type", "").startswith("multipart/"):
        return call.request.method, str(call.request.url), payload
    return call.request.method, str(call.request.url), json.loads(body) if body else None


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    needs(WEB / "node_modules", CHROMIUM)
    page = tmp_path_factory.mktemp("forms-page")
    subprocess.run(["node", str(WEB / "build.mjs"), "harness", str(page)], check=True, timeout=120)
    (page / "index.html").write_text('<!doctype html><meta charset="utf-8"><title>Forms</title><link rel="stylesheet" href="harness.css"><div id="app"></div><script src="harness.js"></script>\n')
    shots = REPO / "docs" / "forms" if os.environ.get("UPDATE_FORM_SCREENSHOTS") else page
    jobs = [
        {
            "name": name,
            "schema": op.input_schema,
            "uiSchema": op.ui_schema,
            "choices": {},
            "sample": json.loads(path.read_text()),
            **({"screenshot": str(shots / f"{op.name}.png")} if path.name == f"{op.name}.input.json" and op.name in SCREENSHOTS else {}),
        }
        for name, op, path in SAMPLES
    ]
    answer = node("forms.mjs", {"page": str(page), "jobs": jobs}, 900)
    return {result["name"]: result for result in answer["results"]}


@pytest.mark.parametrize(("name", "op", "path"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_a_person_fills_the_form_and_it_sends_the_samples_request(name: str, op: Any, path: Path, filled: dict[str, dict[str, Any]]) -> None:
    result = filled[name]
    assert result["failure"] is None and result["pageErrors"] == [], result
    assert result.get("submitErrors") is None, result["submitErrors"]
    submitted, sample = result["submitted"], json.loads(path.read_text())
    assert op.validator.errors(submitted) == []
    assert sent(op, submitted) == sent(op, sample)
