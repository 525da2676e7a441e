"""connector.yaml and every file it names: schemas are draft-07, samples match them, breakage is named.

The checks here use jsonschema directly, not the connector's own validator, so a bug in
validate.py cannot hide a bad sample.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import OPERATION_IDS, OPERATIONS, REPO, SEED, Answer, Recorder, by_operation, load_json, seed, unbundled, write_json
from jsonschema import Draft7Validator

from anthropic_connector import ConfigurationError, Connector, ValidationError
from anthropic_connector import manifest as manifest_module

SCHEMA_FILES = sorted((REPO / "schemas").glob("*.json"))


def violations(schema: dict[str, Any], instance: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in Draft7Validator(schema).iter_errors(instance)]


# -- the shipped manifest --------------------------------------------------------------------


def test_connector_yaml_matches_the_manifest_schema() -> None:
    raw = yaml.safe_load((REPO / "connector.yaml").read_text(encoding="utf-8"))
    assert violations(load_json(REPO / "schemas" / "manifest.schema.json"), raw) == []


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=[p.name for p in SCHEMA_FILES])
def test_every_schema_file_is_a_valid_draft7_schema(path: Path) -> None:
    schema = load_json(path)
    Draft7Validator.check_schema(schema)
    assert schema.get("$schema") == "http://json-schema.org/draft-07/schema#"


def test_every_schema_file_is_named_by_the_manifest() -> None:
    raw = yaml.safe_load((REPO / "connector.yaml").read_text(encoding="utf-8"))
    named = {raw["connection"]["schema"]} | {e[k] for e in raw["operations"] for k in ("input", "output")}
    assert {f"schemas/{p.name}" for p in SCHEMA_FILES} - named == {"schemas/manifest.schema.json"}


def test_operation_names_are_the_file_stems_everywhere(manifest: manifest_module.Manifest) -> None:
    raw = yaml.safe_load((REPO / "connector.yaml").read_text(encoding="utf-8"))
    for entry in raw["operations"]:
        name = entry["name"]
        assert entry["input"] == f"schemas/{name}.input.json"
        assert entry["output"] == f"schemas/{name}.output.json"
        examples = [{"name": e["name"], "title": e["title"], "input": f"samples/{name}.{e['name']}.input.json"} for e in entry["samples"].get("examples", [])]
        assert entry["samples"] == {"input": f"samples/{name}.input.json", "output": f"samples/{name}.output.json", **({"examples": examples} if examples else {})}
    assert list(manifest.operations) == [e["name"] for e in raw["operations"]] == OPERATION_IDS


@by_operation()
def test_sample_input_matches_the_input_schema(op: manifest_module.Operation) -> None:
    assert isinstance(op.sample_input, dict) and (op.sample_input or not op.input_schema.get("properties"))
    assert violations(op.input_schema, op.sample_input) == []


@by_operation()
def test_sample_output_matches_the_output_schema(op: manifest_module.Operation) -> None:
    assert violations(op.output_schema, op.sample_output) == []


@by_operation()
def test_every_input_field_is_documented_for_forms(op: manifest_module.Operation) -> None:
    """Hosts render forms from the schema: every top-level field has a title and a description."""
    for name, field in op.input_schema["properties"].items():
        assert field.get("title") and field.get("description"), f"{op.name}.{name}"


@by_operation()
def test_operation_spec_is_what_connector_yaml_declares(op: manifest_module.Operation) -> None:
    raw = {e["name"]: e for e in yaml.safe_load((REPO / "connector.yaml").read_text(encoding="utf-8"))["operations"]}[op.name]
    assert (op.title, op.description) == (raw["title"], raw["description"])
    request = raw.get("request")
    assert (op.request and op.request.method, op.request and op.request.path) == ((request or {}).get("method"), (request or {}).get("path"))
    assert op.handler == raw.get("handler")
    assert op.stream == ((request or {}).get("response") if (request or {}).get("response") in ("message", "completion") else None)
    assert unbundled(op.input_schema, load_json(REPO / raw["input"])) == load_json(REPO / raw["input"])
    assert op.sample_output == load_json(REPO / raw["samples"]["output"])
    assert op.summary() == {
        "name": op.name, "title": raw["title"], "description": raw["description"],
        "category": raw["category"], "annotations": raw["annotations"], "streams": op.stream is not None,
        "examples": [{"name": e["name"], "title": e["title"]} for e in raw["samples"].get("examples", [])],
    }
    assert op.examples == [{"name": e["name"], "title": e["title"], "input": load_json(REPO / e["input"])} for e in raw["samples"].get("examples", [])]


def test_list_and_get_operations_are_read_only_and_deletes_destructive(manifest: manifest_module.Manifest) -> None:
    for op in manifest.operations.values():
        if op.name.startswith(("list_", "get_", "count_", "download_", "test_")):
            assert op.annotations.read_only, op.name
        if op.name.startswith(("delete_", "cancel_")):
            assert op.annotations.destructive and op.annotations.idempotent and not op.annotations.read_only, op.name


def test_the_declared_auth_is_what_the_connector_sends(manifest: manifest_module.Manifest) -> None:
    """The manifest tells hosts how the credential travels; Connection.api_headers is what is sent."""
    from anthropic_connector.connection import Connection

    for scheme in manifest.auth:
        connection = Connection.from_mapping({scheme.field: "sk-ant-test-credential"}, manifest)
        sent = connection.api_headers[scheme.header]
        assert sent == ("Bearer sk-ant-test-credential" if scheme.type == "bearer" else "sk-ant-test-credential")


# -- the seed originals ----------------------------------------------------------------------

SEED_NAMES = sorted({p.name.split(".")[0] for p in SEED.glob("*.json")})


def test_there_is_a_seed_for_each_operation_of_the_product_page() -> None:
    assert SEED_NAMES == ["create_completion", "create_message", "raw_http_request"]
    assert set(SEED_NAMES) <= set(OPERATION_IDS)


@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_output_matches_the_output_schema(manifest: manifest_module.Manifest, name: str) -> None:
    assert violations(manifest.operation(name).output_schema, seed(name, "output")) == []


@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_input_is_well_formed(manifest: manifest_module.Manifest, name: str) -> None:
    assert violations(manifest.operation(name).input_schema, seed(name, "input")) == []


@pytest.mark.parametrize("name", [n for n in SEED_NAMES if n != "raw_http_request"])
def test_shipped_samples_are_the_seed_originals(manifest: manifest_module.Manifest, name: str) -> None:
    op = manifest.operation(name)
    assert op.sample_input == seed(name, "input")
    assert op.sample_output == seed(name, "output")


def test_seed_raw_request_targets_the_wrong_endpoint_with_a_typed_key(manifest: manifest_module.Manifest) -> None:
    """The seed is well-formed but wrong: /v1/completions does not exist, and a key is typed in."""
    original = seed("raw_http_request", "input")
    assert original["url"] == {"fullUrl": "https://api.anthropic.com/v1/completions"}
    assert {k.lower() for k in original["headers"]} >= {"x-api-key"}
    assert original["headers"]["X-API-Key"].startswith("sk-ant-")

    shipped = manifest.operation("raw_http_request").sample_input
    paths = {op.request.path for op in manifest.operations.values() if op.request}
    assert shipped["url"] == {"endpoint": "/v1/complete"} and shipped["url"]["endpoint"] in paths
    assert not any(k.lower() in ("x-api-key", "authorization") for k in shipped.get("headers", {}))
    assert "sk-ant-" not in str(shipped)
    # What the seed meant to send is otherwise unchanged.
    assert shipped["method"] == original["method"]
    assert set(shipped["body"]["raw"]) == set(original["body"]["raw"])


# -- broken manifests ------------------------------------------------------------------------


@pytest.fixture
def copy_of_manifest(tmp_path: Path) -> Path:
    """connector.yaml with its schemas and samples, copied to tmp_path; returns the yaml's path."""
    shutil.copy(REPO / "connector.yaml", tmp_path / "connector.yaml")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    shutil.copytree(REPO / "samples", tmp_path / "samples")
    return tmp_path / "connector.yaml"


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


def _missing_schema(root: Path) -> Path:
    edit_yaml(root / "connector.yaml", lambda raw: raw["operations"][1].update(input="schemas/nowhere.input.json"))
    return root / "schemas" / "nowhere.input.json"


def _deleted_schema(root: Path) -> Path:
    (root / "schemas" / "create_completion.output.json").unlink()
    return root / "schemas" / "create_completion.output.json"


def _sample_breaks_schema(root: Path) -> Path:
    sample = root / "samples" / "create_message.input.json"
    data = load_json(sample)
    data["max_tokens"] = "a lot"
    write_json(sample, data)
    return sample


def _output_sample_breaks_schema(root: Path) -> Path:
    sample = root / "samples" / "raw_http_request.output.json"
    data = load_json(sample)
    del data["status"]
    write_json(sample, data)
    return sample


def _unknown_handler(root: Path) -> Path:
    edit_yaml(root / "connector.yaml", lambda raw: raw["operations"][0].update(handler="create_poem"))
    return root / "connector.yaml"


def _invalid_yaml(root: Path) -> Path:
    (root / "connector.yaml").write_text("name: anthropic\noperations: [\n  - {name: x\n", encoding="utf-8")
    return root / "connector.yaml"


def _breaks_manifest_schema(root: Path) -> Path:
    edit_yaml(root / "connector.yaml", lambda raw: raw["operations"][0].pop("title"))
    return root / "connector.yaml"


def _schema_not_json(root: Path) -> Path:
    (root / "schemas" / "create_message.input.json").write_text("{not json", encoding="utf-8")
    return root / "schemas" / "create_message.input.json"


def _schema_not_a_schema(root: Path) -> Path:
    path = root / "schemas" / "raw_http_request.input.json"
    write_json(path, {"type": "dictionary"})
    return path


def _sample_missing(root: Path) -> Path:
    (root / "samples" / "create_completion.input.json").unlink()
    return root / "samples" / "create_completion.input.json"


def _connection_schema_missing(root: Path) -> Path:
    (root / "schemas" / "connection.json").unlink()
    return root / "schemas" / "connection.json"


def _duplicate_operation(root: Path) -> Path:
    edit_yaml(root / "connector.yaml", lambda raw: raw["operations"].append(dict(raw["operations"][0])))
    return root / "connector.yaml"


def _no_request_nor_handler(root: Path) -> Path:
    edit_yaml(root / "connector.yaml", lambda raw: [raw["operations"][0].pop(key, None) for key in ("request", "handler")])
    return root / "connector.yaml"


def _auth_names_a_missing_field(root: Path) -> Path:
    edit_yaml(root / "connector.yaml", lambda raw: raw["connection"]["auth"].append({"type": "api_key", "field": "apikey", "header": "x-api-key"}))
    return root / "connector.yaml"


def _read_only_but_destructive(root: Path) -> Path:
    edit_yaml(root / "connector.yaml", lambda raw: raw["operations"][0].update(annotations={"read_only": True, "destructive": True, "idempotent": True, "open_world": False}))
    return root / "connector.yaml"


def _no_category(root: Path) -> Path:
    edit_yaml(root / "connector.yaml", lambda raw: raw["operations"][0].pop("category"))
    return root / "connector.yaml"


def _example_breaks_schema(root: Path) -> Path:
    sample = root / "samples" / "create_message.tools.input.json"
    write_json(sample, {**load_json(sample), "tools": "all of them"})
    return sample


def _example_missing(root: Path) -> Path:
    (root / "samples" / "create_message.pdf.input.json").unlink()
    return root / "samples" / "create_message.pdf.input.json"


def _two_examples_of_one_name(root: Path) -> Path:
    def twice(raw: dict[str, Any]) -> None:
        examples = next(op for op in raw["operations"] if op["name"] == "create_message")["samples"]["examples"]
        examples.append(dict(examples[0]))

    edit_yaml(root / "connector.yaml", twice)
    return root / "connector.yaml"


BREAKAGES = {
    "an example input breaks its schema": _example_breaks_schema,
    "an example file missing": _example_missing,
    "two examples of one name": _two_examples_of_one_name,
    "schema path that does not exist": _missing_schema,
    "schema file deleted": _deleted_schema,
    "sample input breaks its schema": _sample_breaks_schema,
    "sample output breaks its schema": _output_sample_breaks_schema,
    "unknown handler": _unknown_handler,
    "invalid YAML": _invalid_yaml,
    "manifest breaks its own schema": _breaks_manifest_schema,
    "schema is not JSON": _schema_not_json,
    "schema is not a draft-07 schema": _schema_not_a_schema,
    "sample file missing": _sample_missing,
    "connection schema missing": _connection_schema_missing,
    "operation declared twice": _duplicate_operation,
    "neither request nor handler": _no_request_nor_handler,
    "auth names a field the connection lacks": _auth_names_a_missing_field,
    "read-only yet destructive": _read_only_but_destructive,
    "an operation without a category": _no_category,
}


@pytest.mark.parametrize("breakage", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_a_broken_manifest_fails_at_load_naming_the_file(copy_of_manifest: Path, breakage: Callable[[Path], Path]) -> None:
    culprit = breakage(copy_of_manifest.parent)
    with pytest.raises(ConfigurationError) as caught:
        manifest_module.load(copy_of_manifest)
    assert str(culprit) in caught.value.message
    assert caught.value.exit_code == 3 and caught.value.type == "configuration_error"


def test_a_missing_manifest_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "connector.yaml"
    with pytest.raises(ConfigurationError, match="the manifest: cannot be read") as caught:
        manifest_module.load(missing)
    assert str(missing) in caught.value.message


def test_the_copy_itself_loads(copy_of_manifest: Path, manifest: manifest_module.Manifest) -> None:
    """The broken-manifest cases start from a copy that is fine: only the breakage fails it."""
    copy = manifest_module.load(copy_of_manifest)
    assert list(copy.operations) == list(manifest.operations)
    assert copy.path == copy_of_manifest


def _add_get_thing(root: Path, request: dict[str, Any]) -> None:
    """An operation of nothing but data: a manifest entry, two schemas and two samples."""
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Get thing",
        "description": "One thing by id.",
        "type": "object",
        "additionalProperties": False,
        "required": ["thing_id"],
        "properties": {
            "thing_id": {"type": "string", "minLength": 1, "title": "Thing", "description": "Its id."},
            "limit": {"type": "integer", "minimum": 1, "title": "Limit", "description": "How many."},
        },
    }
    write_json(root / "schemas" / "get_thing.input.json", schema)
    write_json(root / "schemas" / "get_thing.output.json", {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}})
    write_json(root / "samples" / "get_thing.input.json", {"thing_id": "thing_1"})
    write_json(root / "samples" / "get_thing.output.json", {"id": "thing_1"})
    entry = {
        "name": "get_thing",
        "title": "Get Thing",
        "description": "Read one thing.",
        "category": "Things",
        "annotations": {"read_only": True, "destructive": False, "idempotent": True, "open_world": False},
        "request": request,
        "input": "schemas/get_thing.input.json",
        "output": "schemas/get_thing.output.json",
        "samples": {"input": "samples/get_thing.input.json", "output": "samples/get_thing.output.json"},
    }
    edit_yaml(root / "connector.yaml", lambda raw: raw["operations"].append(entry))


def test_adding_an_operation_needs_only_data(copy_of_manifest: Path, recorder: Recorder, fake_key: str) -> None:
    """The README's "Adding an operation", followed to the letter: a GET with a path and a
    query parameter runs on a recording server with no new Python."""
    _add_get_thing(copy_of_manifest.parent, {"method": "GET", "path": "/v1/things/{thing_id}", "query": ["limit"]})
    loaded = manifest_module.load(copy_of_manifest)
    assert list(loaded.operations)[-1] == "get_thing"
    recorder.script(Answer(200, {"id": "a b/c", "added_later": 1}, {"request-id": "req_1"}))
    with Connector(loaded, {"api_key": fake_key, "base_url": recorder.url}) as connector:
        result = connector.run("get_thing", {"thing_id": "a b/c", "limit": 3})
        with pytest.raises(ValidationError):
            connector.run("get_thing", {"limit": 3})
    (request,) = recorder.requests
    assert (request.method, request.target, request.body) == ("GET", "/v1/things/a%20b%2Fc?limit=3", b"")
    assert "content-type" not in request.headers and request.headers["x-api-key"] == fake_key
    assert (result.output, result.request_id) == ({"id": "a b/c", "added_later": 1}, "req_1")


REQUEST_MISTAKES = {
    "placeholder without a required field": ({"method": "GET", "path": "/v1/things/{thing}"}, "{thing}"),
    "query field the input lacks": ({"method": "GET", "path": "/v1/things/{thing_id}", "query": ["offset"]}, "offset"),
    "header field the input lacks": ({"method": "GET", "path": "/v1/things/{thing_id}", "headers": {"betas": "anthropic-beta"}}, "betas"),
    "multipart without a file part": ({"method": "POST", "path": "/v1/things/{thing_id}", "body": "multipart"}, "multipart"),
    "ok without the schema it expects": ({"method": "GET", "path": "/v1/things/{thing_id}", "query": ["limit"], "response": "ok"}, "expect"),
    "a field with no place on the wire": ({"method": "GET", "path": "/v1/things/{thing_id}"}, "'limit' has no place"),
}


@pytest.mark.parametrize(("request_spec", "named"), REQUEST_MISTAKES.values(), ids=REQUEST_MISTAKES.keys())
def test_a_request_spec_that_cannot_run_fails_at_load(copy_of_manifest: Path, request_spec: dict[str, Any], named: str) -> None:
    _add_get_thing(copy_of_manifest.parent, request_spec)
    with pytest.raises(ConfigurationError) as caught:
        manifest_module.load(copy_of_manifest)
    assert str(copy_of_manifest) in caught.value.message and "get_thing" in caught.value.message
    assert any(named in mistake for mistake in caught.value.details)


@pytest.mark.parametrize("header", ["host", "content-length", "content-type", "transfer-encoding"])
def test_an_input_field_cannot_be_sent_as_the_bodys_framing(copy_of_manifest: Path, header: str) -> None:
    """The builder writes these from the body (operations.request_call): a field mapped to one
    is refused at load, at its place in the manifest, not sent twice or in conflict."""
    _add_get_thing(copy_of_manifest.parent, {"method": "GET", "path": "/v1/things/{thing_id}", "headers": {"limit": header}})
    with pytest.raises(ConfigurationError) as caught:
        manifest_module.load(copy_of_manifest)
    assert caught.value.details[0]["path"].endswith("/request/headers/limit")
    assert caught.value.details[0]["message"] == "must not be host, content-length, content-type or transfer-encoding: the builder writes those from the body"


def test_the_handler_names_the_manifest_accepts_are_the_builders() -> None:
    from anthropic_connector.operations import BUILDERS

    schema = load_json(REPO / "schemas" / "manifest.schema.json")
    assert schema["properties"]["operations"]["items"]["properties"]["handler"]["enum"] == sorted(BUILDERS)


def test_a_cross_file_ref_is_bundled_into_one_self_contained_schema(copy_of_manifest: Path) -> None:
    root = copy_of_manifest.parent
    _add_get_thing(root, {"method": "POST", "path": "/v1/things/{thing_id}", "query": ["limit"]})
    schema = load_json(root / "schemas" / "get_thing.input.json")
    schema["properties"]["messages"] = {"$ref": "create_message.input.json#/properties/messages", "title": "Messages", "description": "As create_message takes them."}
    write_json(root / "schemas" / "get_thing.input.json", schema)
    op = manifest_module.load(copy_of_manifest).operation("get_thing")
    assert op.input_schema["properties"]["messages"]["$ref"] == "#/definitions/create_message.input/properties/messages"
    assert "properties" in op.input_schema["definitions"]["create_message.input"]
    assert "$ref" not in json.dumps(op.input_schema).replace('"$ref": "#', "")  # every pointer is local now
    problems = op.validator.errors({"thing_id": "t", "messages": [{"role": "robot", "content": "hi"}]})
    assert [p["path"] for p in problems] == ["/messages/0/role"]


def test_a_ref_to_a_file_the_manifest_does_not_name_is_refused(copy_of_manifest: Path) -> None:
    root = copy_of_manifest.parent
    _add_get_thing(root, {"method": "GET", "path": "/v1/things/{thing_id}"})
    write_json(root / "schemas" / "stray.json", {"type": "string"})
    schema = load_json(root / "schemas" / "get_thing.input.json")
    schema["properties"]["limit"] = {"$ref": "stray.json", "title": "Limit", "description": "x"}
    write_json(root / "schemas" / "get_thing.input.json", schema)
    with pytest.raises(ConfigurationError, match="stray.json"):
        manifest_module.load(copy_of_manifest)


@pytest.mark.parametrize("breakage", [_unknown_handler, _invalid_yaml, _sample_breaks_schema], ids=["unknown handler", "invalid YAML", "bad sample"])
def test_cli_exits_3_naming_the_file_for_a_broken_manifest(cli: Any, copy_of_manifest: Path, breakage: Callable[[Path], Path]) -> None:
    culprit = breakage(copy_of_manifest.parent)
    code, out, err = cli("--manifest", str(copy_of_manifest), "operations")
    assert code == 3
    assert out["error"]["type"] == "configuration_error"
    assert str(culprit) in out["error"]["message"] and str(culprit) in err


def test_cli_exits_3_for_a_manifest_that_does_not_exist(cli: Any, tmp_path: Path) -> None:
    code, out, err = cli("--manifest", str(tmp_path / "missing.yaml"), "schema", "create_message")
    assert code == 3 and str(tmp_path / "missing.yaml") in out["error"]["message"]


def test_cli_reads_another_manifest(cli: Any, copy_of_manifest: Path) -> None:
    edit_yaml(copy_of_manifest, lambda raw: raw["operations"][0].update(title="Legacy completion"))
    code, out, _ = cli("--manifest", str(copy_of_manifest), "operations")
    assert code == 0 and out[0]["title"] == "Legacy completion"


def test_unknown_operation_lists_the_known_ones(manifest: manifest_module.Manifest) -> None:
    with pytest.raises(ConfigurationError) as caught:
        manifest.operation("create_poem")
    assert "create_poem" in caught.value.message
    assert all(name in caught.value.message for name in OPERATION_IDS)


# -- the remembered check --------------------------------------------------------------------


def test_a_passed_check_is_remembered_until_any_file_changes(copy_of_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = manifest_module.load(copy_of_manifest)
    assert first.operation("create_message").validator._fast is not None  # the samples were checked
    assert len(list((tmp_path / "cache" / "anthropic-connector").glob("manifest-*.json"))) == 1
    again = manifest_module.load(copy_of_manifest)
    assert again.operation("create_message").validator._fast is None  # remembered: nothing compiled
    culprit = _sample_breaks_schema(copy_of_manifest.parent)
    with pytest.raises(ConfigurationError) as caught:
        manifest_module.load(copy_of_manifest)
    assert str(culprit) in caught.value.message


def test_a_schema_that_changes_after_the_load_is_refused_when_read(copy_of_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    manifest_module.load(copy_of_manifest)
    loaded = manifest_module.load(copy_of_manifest)  # remembered: no schema read yet, only stamped
    schema = copy_of_manifest.parent / "schemas" / "create_message.input.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"string"', '"integer"', 1), encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        loaded.operation("create_message").input_schema  # noqa: B018
    assert str(schema) in caught.value.message and "changed since the manifest was loaded" in caught.value.message


def test_an_unwritable_cache_only_costs_the_check(copy_of_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    for _ in range(2):
        loaded = manifest_module.load(copy_of_manifest)
        assert loaded.operation("create_message").validator._fast is not None


def test_the_cache_can_be_turned_off(copy_of_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("ANTHROPIC_CONNECTOR_NO_CACHE", "1")
    for _ in range(2):
        assert manifest_module.load(copy_of_manifest).operation("create_message").validator._fast is not None
    assert not (tmp_path / "cache").exists()


def test_an_altered_cache_entry_is_never_trusted(copy_of_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    manifest_module.load(copy_of_manifest)
    (entry,) = (tmp_path / "cache" / "anthropic-connector").glob("manifest-*.json")
    good = json.loads(entry.read_text())
    tampered = json.loads(entry.read_text())
    tampered["raw"]["operations"][1]["request"]["path"] = "/v1/elsewhere"
    for altered in ({"raw": {"operations": []}, "stamp": "0"}, tampered):
        entry.write_text(json.dumps(altered))
        loaded = manifest_module.load(copy_of_manifest)
        assert loaded.operation("create_message").request.path == "/v1/messages"
        assert loaded.operation("create_message").validator._fast is not None  # checked again
    assert json.loads(entry.read_text()) == good  # and the entry is written anew


def test_a_schema_as_compiled_is_kept_until_a_file_or_lean_changes(copy_of_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The form of a schema the fast validator compiles (validate.lean) is kept beside the
    manifest's entry and read by the next run instead of worked out; worked out anew when any of
    the manifest's files changes, when lean's code does, or when the entry was altered."""
    import hashlib
    import json

    from anthropic_connector import schema_files

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "anthropic-connector"
    sample = load_json(copy_of_manifest.parent / "samples" / "create_message.input.json")

    def verdict() -> list[dict[str, str]]:
        return manifest_module.load(copy_of_manifest).operation("create_message").validator.errors(sample)

    def keep_a_schema_that_refuses_all() -> dict[str, Any]:
        (entry,) = folder.glob("lean-*.json")
        kept = json.loads(entry.read_text())
        refuse = json.dumps({"not": {}})
        entry.write_text(json.dumps({**kept, "value": refuse, "digest": hashlib.sha256(refuse.encode()).hexdigest()}))
        return kept

    manifest_module.load(copy_of_manifest)  # a fresh check compiles as it reads, and keeps nothing
    assert not list(folder.glob("lean-*.json"))
    assert verdict() == []
    keep_a_schema_that_refuses_all()
    assert verdict() != []  # what is kept is what is compiled

    other = copy_of_manifest.parent / "samples" / "create_message.output.json"
    other.write_text(json.dumps(load_json(other), indent=4), encoding="utf-8")  # another file's bytes
    assert verdict() == []
    kept = keep_a_schema_that_refuses_all()
    monkeypatch.setattr(schema_files, "_code", lambda: "another lean")
    assert verdict() == []

    (entry,) = folder.glob("lean-*.json")
    kept = json.loads(entry.read_text())
    entry.write_text(json.dumps({**kept, "value": json.dumps({"not": {}})}))  # altered: the digest no longer holds
    assert verdict() == [] and json.loads(entry.read_text()) == kept


def test_schemas_are_held_to_draft_07_whatever_they_declare() -> None:
    from anthropic_connector.validate import Validator

    assert Validator.meta_errors({"properties": {"a": {"additionalItems": "x"}}})  # valid in 2020-12, not in draft-07
    assert Validator.meta_errors({"$schema": "https://example.invalid/custom", "type": 5})
    assert Validator.meta_errors({"type": "object"}) == []
