"""Bad input is refused before anything is sent: every violation at once, each at its JSON pointer.

The bad values for top-level fields are generated from each operation's input schema (a wrong
JSON type, and a value past each enum/minimum/maximum/length/pattern), so a field added to a
schema gets its tests with no new code. Nested fields are listed by hand. Every case runs
through ``anthropic-connector run`` against the recording server with a valid key, and must
exit 2 with a validation_error envelope naming the field, with zero requests recorded.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import jsonschema_rs
import pytest
from conftest import MANIFEST, OPERATIONS, REPO, Answer, at, by_operation, load_json, places, replaced, sendable
from jsonschema import Draft7Validator

from anthropic_connector import Connector, ValidationError
from anthropic_connector.validate import Validator, pointer

# -- building bad inputs ---------------------------------------------------------------------


class Bad(NamedTuple):
    """Put ``value`` at ``at`` in the operation's sample; a violation is expected at ``expect``."""

    op: str
    at: str
    value: Any
    expect: str
    why: str

    @property
    def id(self) -> str:
        return f"{self.op}:{self.at}={self.why}"


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def put(document: Any, at: str, value: Any) -> Any:
    """A deep copy of ``document`` with ``value`` at JSON pointer ``at`` (intermediate objects created)."""
    document = copy.deepcopy(document)
    *parents, last = [unescape(t) for t in at.split("/")[1:]]
    node = document
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node.setdefault(token, {})
    if isinstance(node, list) and int(last) == len(node):
        node.append(value)
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return document


def _rejected(op_name: str, field: str, value: Any) -> bool:
    """Whether jsonschema itself (not the connector) refuses ``value`` for the top-level ``field``."""
    op = MANIFEST.operation(op_name)
    return not Draft7Validator(op.input_schema).is_valid(put(op.sample_input, "/" + field, value))


WRONG_TYPES = [12345, "not-a-valid-value", True, [], {"unexpected": 1}, None, 0.5]


def json_type(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object", type(None): "null"}
    return names[type(value)]


def of_wrong_type(schema: dict[str, Any], value: Any) -> bool:
    """Whether ``value``'s JSON type is outside the schema's declared ``type`` (any type when none is declared)."""
    declared = schema.get("type")
    if declared is None:
        return True
    allowed = {declared} if isinstance(declared, str) else set(declared)
    if "number" in allowed:
        allowed.add("integer")
    return json_type(value) not in allowed


def generated_cases() -> list[Bad]:
    """For each top-level property: one value of a wrong JSON type, and one past each constraint."""
    cases = []
    for op in OPERATIONS:
        for field, schema in op.input_schema["properties"].items():
            at = "/" + pointer([field])[1:]
            wrong = next((v for v in WRONG_TYPES if of_wrong_type(schema, v) and _rejected(op.name, field, v)), None)
            if wrong is not None:
                cases.append(Bad(op.name, at, wrong, at, f"wrong type {type(wrong).__name__}"))
            candidates = []
            if "enum" in schema:
                candidates.append(("not in enum", f"not-{schema['enum'][0]}"))
            if "minimum" in schema:
                candidates.append(("below minimum", schema["minimum"] - 1))
            if "maximum" in schema:
                candidates.append(("above maximum", schema["maximum"] + (1 if schema.get("type") == "integer" else 0.5)))
            if schema.get("minLength"):
                candidates.append(("too short", ""))
            if "maxLength" in schema:
                candidates.append(("too long", "x" * (schema["maxLength"] + 1)))
            if "pattern" in schema:
                candidates.append(("against pattern", " no match "))
            if schema.get("minItems"):
                candidates.append(("too few items", []))
            for why, value in candidates:
                assert _rejected(op.name, field, value), (op.name, field, why)
                cases.append(Bad(op.name, at, value, at, why))
    return cases


MESSAGE = {"role": "user", "content": "hi"}

NESTED = [
    # create_message: messages[], content blocks, system, metadata, stop_sequences, tools
    Bad("create_message", "/messages/0/role", "robot", "/messages/0/role", "role not in enum"),
    Bad("create_message", "/messages/0/role", 1, "/messages/0/role", "role wrong type"),
    Bad("create_message", "/messages/0/content", 42, "/messages/0/content", "content wrong type"),
    Bad("create_message", "/messages/0/content", None, "/messages/0/content", "content null"),
    Bad("create_message", "/messages/0/content", {"string": 5}, "/messages/0/content/string", "wrapper wrong type"),
    Bad("create_message", "/messages/0/content", {"text": "hi"}, "/messages/0/content", "wrapper wrong key"),
    Bad("create_message", "/messages/0/content", [{"type": "text"}], "/messages/0/content/0/text", "text block without text"),
    Bad("create_message", "/messages/0/content", [{"text": "hi"}], "/messages/0/content/0/type", "block without type"),
    Bad("create_message", "/messages/0/content", [{"type": "image"}], "/messages/0/content/0/source", "image without source"),
    Bad("create_message", "/messages/0/content", [{"type": "tool_use", "id": "t", "name": "n"}], "/messages/0/content/0/input", "tool_use without input"),
    Bad("create_message", "/messages/0/content", [{"type": "tool_result"}], "/messages/0/content/0/tool_use_id", "tool_result without id"),
    Bad("create_message", "/messages/0/content", ["hi"], "/messages/0/content/0", "block is a string"),
    Bad("create_message", "/messages/0/extra", 1, "/messages/0/extra", "unknown message field"),
    Bad("create_message", "/messages/1", {"role": "user"}, "/messages/1/content", "message without content"),
    Bad("create_message", "/messages/1", {"content": "hi"}, "/messages/1/role", "message without role"),
    Bad("create_message", "/messages", [MESSAGE, "hello"], "/messages/1", "message is a string"),
    Bad("create_message", "/system", [{"type": "text"}], "/system/0/text", "system block without text"),
    Bad("create_message", "/system", {"string": None}, "/system/string", "system wrapper null"),
    Bad("create_message", "/metadata/user_id", 7, "/metadata/user_id", "user_id wrong type"),
    Bad("create_message", "/metadata/user_id", "u" * 257, "/metadata/user_id", "user_id too long"),
    Bad("create_message", "/metadata/email", "a@b.c", "/metadata/email", "unknown metadata field"),
    Bad("create_message", "/stop_sequences", ["ok", ""], "/stop_sequences/1", "empty stop sequence"),
    Bad("create_message", "/stop_sequences", [3], "/stop_sequences/0", "stop sequence wrong type"),
    Bad("create_message", "/tools", [{"name": "bad name!"}], "/tools/0/name", "tool name pattern"),
    Bad("create_message", "/tools", [{"description": "no name"}], "/tools/0/name", "tool without name"),
    Bad("create_message", "/tool_choice", {"type": "sometimes"}, "/tool_choice/type", "tool_choice type"),
    Bad("create_message", "/thinking", {"type": "enabled", "budget_tokens": 10}, "/thinking/budget_tokens", "budget too small"),
    # create_completion: metadata, stop_sequences
    Bad("create_completion", "/metadata/user_id", ["u"], "/metadata/user_id", "user_id wrong type"),
    Bad("create_completion", "/metadata/user_id", "u" * 257, "/metadata/user_id", "user_id too long"),
    Bad("create_completion", "/metadata/name", "Ada", "/metadata/name", "unknown metadata field"),
    Bad("create_completion", "/stop_sequences", ["\n\nHuman:", None], "/stop_sequences/1", "stop sequence null"),
    Bad("create_completion", "/stop_sequences", [""], "/stop_sequences/0", "empty stop sequence"),
    # raw_http_request: url modes, body modes, headers, query parameters
    Bad("raw_http_request", "/url", {"endpoint": "v1/models"}, "/url/endpoint", "endpoint without slash"),
    Bad("raw_http_request", "/url", {"endpoint": 1}, "/url/endpoint", "endpoint wrong type"),
    Bad("raw_http_request", "/url", {"fullUrl": "ftp://example.com/x"}, "/url/fullUrl", "fullUrl not http"),
    Bad("raw_http_request", "/url", {"fullUrl": "/v1/models"}, "/url/fullUrl", "fullUrl relative"),
    Bad("raw_http_request", "/url", {"endpoint": "/v1/models", "fullUrl": "https://api.anthropic.com"}, "/url", "both url modes"),
    Bad("raw_http_request", "/url", {}, "/url", "no url mode"),
    Bad("raw_http_request", "/url", "https://api.anthropic.com/v1/models", "/url", "url as a string"),
    Bad("raw_http_request", "/body", {"json": {}}, "/body", "unknown body mode"),
    Bad("raw_http_request", "/body", {"raw": {}, "none": None}, "/body", "two body modes"),
    Bad("raw_http_request", "/body", {"none": 1}, "/body/none", "none not null"),
    Bad("raw_http_request", "/body", {"urlencoded": {"a": [1]}}, "/body/urlencoded/a", "urlencoded list value"),
    Bad("raw_http_request", "/body", {"urlencoded": "a=1"}, "/body/urlencoded", "urlencoded as text"),
    Bad("raw_http_request", "/body", {"form_data": {"f": {"nested": 1}}}, "/body/form_data/f", "form_data object value"),
    Bad("raw_http_request", "/headers", {"X-Count": 5}, "/headers/X-Count", "header value not text"),
    Bad("raw_http_request", "/headers", {"Bad Header": "x"}, "/headers", "header name with a space"),
    Bad("raw_http_request", "/query_parameters", {"limit": None}, "/query_parameters/limit", "query null"),
    Bad("raw_http_request", "/query_parameters", {"filter": {"a": 1}}, "/query_parameters/filter", "query object"),
    Bad("raw_http_request", "/query_parameters", {"ids": [1, [2]]}, "/query_parameters/ids/1", "query nested list"),
]

CASES = generated_cases() + NESTED


def test_every_top_level_input_field_has_a_bad_value() -> None:
    """The generator reaches every field of every operation (a new field cannot go untested)."""
    covered = {(c.op, c.at) for c in CASES}
    for op in OPERATIONS:
        for field in op.input_schema["properties"]:
            assert (op.name, "/" + field) in covered, f"{op.name}.{field} has no bad-value test"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_value_is_refused_with_exit_2_and_nothing_sent(cli: Any, recorder: Any, connection_env: dict[str, str], case: Bad) -> None:
    op = MANIFEST.operation(case.op)
    payload = put(op.sample_input, case.at, case.value)
    code, out, err = cli("run", case.op, "-", env=connection_env, stdin=json.dumps(payload))
    assert code == 2, out
    assert out["error"]["type"] == "validation_error"
    paths = [d["path"] for d in out["error"]["details"]]
    assert case.expect in paths, paths
    assert err.startswith("anthropic-connector: validation_error:") and err.count("\n") == 1
    assert recorder.requests == []


# -- the shape of the report -----------------------------------------------------------------


def readable(message: str) -> bool:
    """A sentence a workflow user can read: no object reprs, class names or tracebacks."""
    return bool(message) and not any(s in message for s in ("object at 0x", "<class", "<function", "jsonschema", "Traceback", "ValidationError("))


@by_operation()
def test_several_violations_are_reported_at_once(op: Any) -> None:
    """Every required field missing and an unknown field added: one violation each, all at once."""
    payload = {k: v for k, v in op.sample_input.items() if k not in op.input_schema["required"]}
    payload["no_such_field"] = 1
    with pytest.raises(ValidationError) as caught:
        op.validator.check(payload)
    details = caught.value.details
    expected = sorted(["/" + f for f in op.input_schema["required"]] + ["/no_such_field"])
    assert [d["path"] for d in details] == expected
    assert all(readable(d["message"]) for d in details)
    assert f"(and {len(expected) - 1} more)" in caught.value.message if len(expected) > 1 else "more)" not in caught.value.message
    assert caught.value.exit_code == 2 and caught.value.type == "validation_error"


@by_operation()
def test_violations_are_sorted_and_each_reported_once(op: Any) -> None:
    payload = {field: [] for field in op.input_schema["properties"]}  # a list wherever a list does not belong
    details = op.validator.errors(payload)
    paths = [d["path"] for d in details]
    assert paths == sorted(paths) and len(details) == len({json.dumps(d, sort_keys=True) for d in details})
    assert {"/" + f for f in op.input_schema["required"]} <= set(paths)


def test_nested_violations_in_one_input_are_all_listed() -> None:
    op = MANIFEST.operation("create_message")
    payload = {
        "model": "",
        "max_tokens": -1,
        "messages": [{"role": "user", "content": [{"type": "text"}]}, {"role": "user", "content": "ok", "name": "x"}, {"role": "robot", "content": "hi"}],
        "metadata": {"user_id": 3},
    }
    paths = [d["path"] for d in op.validator.errors(payload)]
    assert paths == ["/max_tokens", "/messages/0/content/0/text", "/messages/1/name", "/messages/2/role", "/metadata/user_id", "/model"]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([], ""),
        (["a"], "/a"),
        (["messages", 0, "content"], "/messages/0/content"),
        (["a/b"], "/a~1b"),
        (["m~n"], "/m~0n"),
        (["~/"], "/~0~1"),
        (["/~"], "/~1~0"),
        (["~1"], "/~01"),
        ([""], "/"),
    ],
)
def test_pointer_escapes_per_rfc_6901(parts: list[Any], expected: str) -> None:
    assert pointer(parts) == expected


@pytest.mark.parametrize(
    ("op", "at", "value", "expect"),
    [
        ("raw_http_request", "/query_parameters", {"a/b": {"x": 1}}, "/query_parameters/a~1b"),
        ("raw_http_request", "/query_parameters", {"t~/": None}, "/query_parameters/t~0~1"),
        ("raw_http_request", "/headers", {"x~y": 5}, "/headers/x~0y"),
        ("raw_http_request", "/body", {"urlencoded": {"k/~": [1]}}, "/body/urlencoded/k~1~0"),
        ("create_message", "/a/b", 1, "/a~1b"),
    ],
    ids=["slash", "tilde and slash", "tilde in a header", "urlencoded key", "unknown top-level key"],
)
def test_keys_with_tilde_and_slash_are_escaped_in_paths(op: str, at: str, value: Any, expect: str) -> None:
    spec = MANIFEST.operation(op)
    payload = copy.deepcopy(spec.sample_input)
    if at == "/a/b":
        payload["a/b"] = value
    else:
        payload = put(payload, at, value)
    paths = [d["path"] for d in spec.validator.errors(payload)]
    assert expect in paths, paths


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_messages_are_readable(case: Bad) -> None:
    op = MANIFEST.operation(case.op)
    for detail in op.validator.errors(put(op.sample_input, case.at, case.value)):
        assert readable(detail["message"]), detail
        assert detail["path"] == "" or detail["path"].startswith("/")
        assert set(detail) == {"path", "message"}


@pytest.mark.parametrize("value", [True, None, {"a": 1}], ids=["true", "null", "object"])
def test_offending_values_are_shown_as_json(value: Any) -> None:
    op = MANIFEST.operation("create_message")
    (detail,) = op.validator.errors(put(op.sample_input, "/model", value))
    assert json.dumps(value) in detail["message"], detail["message"]


def test_a_value_of_the_wrong_form_is_shown_an_example() -> None:
    (detail,) = MANIFEST.connection_validator.errors({"base_url": "127.0.0.1:8787"})
    assert detail == {"path": "/base_url", "message": '"127.0.0.1:8787" is not in the expected form (for example "https://api.anthropic.com")'}


def test_a_non_object_input_is_one_violation_at_the_root(cli: Any, recorder: Any, connection_env: dict[str, str]) -> None:
    code, out, _ = cli("run", "create_message", "-", env=connection_env, stdin="[1, 2]")
    assert code == 2
    assert [d["path"] for d in out["error"]["details"]] == [""]
    assert "the input is invalid: (root) must be an object" in out["error"]["message"]
    assert recorder.requests == []


@by_operation()
def test_samples_have_no_violations(op: Any) -> None:
    assert op.validator.errors(op.sample_input) == []
    op.validator.check(op.sample_input)


def test_validator_reports_on_any_schema() -> None:
    validator = Validator({"type": "object", "required": ["a"], "properties": {"a": {"enum": ["x", "y"]}}})
    assert validator.errors({}) == [{"path": "/a", "message": "is required"}]
    assert validator.errors({"a": "z"}) == [{"path": "/a", "message": 'must be one of: "x", "y"'}]


TAGGED = {"definitions": {
    "a": {"type": "object", "required": ["type"], "properties": {"type": {"const": "a"}, "x": {"type": "string"}}},
    "b": {"type": "object", "required": ["type"], "properties": {"type": {"const": "b"}}},
    "untagged": {"type": "object", "properties": {"type": {"const": "b"}}},
    "other": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}, "not": {"properties": {"type": {"enum": ["a", "b"]}}}},
    "not_b": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}, "not": {"properties": {"type": {"enum": ["a"]}}}},
}}


@pytest.mark.parametrize(
    ("union", "becomes"),
    [
        ([{"type": "string"}, {"type": "null"}], "anyOf"),  # no value is of two JSON types
        ([{"type": "integer"}, {"type": "number"}], "oneOf"),  # 1 is both
        ([{"const": "5m"}, {"const": "1h"}], "anyOf"),
        ([{"const": 1}, {"const": True}], "anyOf"),  # a number and a boolean
        ([{"const": [1]}, {"const": [True]}], "oneOf"),  # JSON tells them apart, Python's == does not: kept
        ([{"$ref": "#/definitions/a"}, {"$ref": "#/definitions/b"}, {"type": "null"}], "anyOf"),  # a tag each
        ([{"$ref": "#/definitions/a"}, {"$ref": "#/definitions/untagged"}], "oneOf"),  # {"x": "1"} is both
        ([{"type": "string"}, {}], "oneOf"),  # a branch that takes anything
        ([True, {"type": "null"}], "oneOf"),
        ([{"$ref": "#/definitions/a"}, {"$ref": "#/definitions/b"}, {"$ref": "#/definitions/other"}], "anyOf"),  # a catch-all for the rest
        ([{"$ref": "#/definitions/a"}, {"$ref": "#/definitions/b"}, {"$ref": "#/definitions/not_b"}], "oneOf"),  # {"type": "b"} is both
    ],
)
def test_the_fast_validator_stops_at_the_branch_that_holds_only_where_no_value_holds_two(union: list[Any], becomes: str) -> None:
    """lean() makes a oneOf an anyOf (which stops at the first branch that holds) only where no
    value can match two branches, so that the verdict is oneOf's: checked here on both."""
    from anthropic_connector.validate import lean

    schema = {**TAGGED, "properties": {"v": {"oneOf": union}}}
    fast = lean(schema)["properties"]["v"]
    assert list(fast) == [becomes]
    validator = Validator(schema)
    for value in ("s", 1, 1.5, True, None, [1], [True], {"type": "a"}, {"type": "b"}, {"type": "c"}, {"type": "a", "x": "1"}, {"x": "1"}, "5m", "1h"):
        assert (validator.errors({"v": value}) == []) == Draft7Validator(schema).is_valid({"v": value}), value


def test_a_subschema_written_twice_is_compiled_once_with_the_same_verdicts() -> None:
    """lean() keeps each subschema written more than once as one definition its places $ref
    (jsonschema-rs compiles a $ref's target once): alike subschemas, alike definitions, a
    subschema under a $id (which changes what a $ref in it means) staying where it is, and a
    new definition's name never taking a given one's."""
    from anthropic_connector.validate import lean

    config = {"type": "object", "properties": {"enabled": {"type": ["boolean", "null"]}}, "additionalProperties": False}
    scoped = {"$id": "http://example.com/s", "type": "object", "properties": {"n": copy.deepcopy(config)}, "required": ["n"]}
    schema = {
        "type": "object",
        "properties": {
            "a": config, "b": copy.deepcopy(config), "c": {"anyOf": [copy.deepcopy(config), True]},
            "d": {"$ref": "#/definitions/one"}, "e": {"$ref": "#/definitions/two"},
            "f": scoped, "g": copy.deepcopy(scoped), "h": {"const": {"type": "object", "properties": {}, "additionalProperties": False}},
            "i": {"type": "integer", "minimum": 0, "maximum": 5}, "j": {"type": "integer", "minimum": 0, "maximum": 6},
            "k": {"type": ["number", "boolean"], "enum": [1], "minimum": 0}, "l": {"type": ["number", "boolean"], "enum": [True], "minimum": 0},
        },
        "definitions": {"one": {"type": "string", "minLength": 1, "maxLength": 5}, "two": {"type": "string", "minLength": 1, "maxLength": 5}, "shared0": {"const": 1}},
    }
    fast = lean(schema)
    places = [fast["properties"][p] for p in "ab"] + [fast["properties"]["c"]["anyOf"][0]]
    assert places[0] == places[1] == places[2] == {"$ref": places[0]["$ref"]}
    assert fast["definitions"][places[0]["$ref"].split("/")[-1]] == config
    one, two = fast["definitions"]["one"], fast["definitions"]["two"]
    assert one == two == {"$ref": one["$ref"]} and fast["definitions"][one["$ref"].split("/")[-1]] == schema["definitions"]["one"]
    assert fast["properties"]["f"] == fast["properties"]["g"] == scoped  # nothing under a $id moves
    assert fast["properties"]["h"] == schema["properties"]["h"] and fast["definitions"]["shared0"] == {"const": 1}
    compiled, oracle = jsonschema_rs.Draft7Validator(fast), Draft7Validator(schema)
    values = [{}, {"a": {"enabled": True}}, {"a": {"enabled": 1}}, {"b": {"x": 1}}, {"c": 5}, {"c": {"enabled": None}}, {"c": {"enabled": "no"}},
              {"d": ""}, {"d": "abc"}, {"e": "toolong"}, {"e": "ok"}, {"f": {"n": {"enabled": False}}}, {"f": {"n": {"x": 1}}}, {"g": {}}, {"h": {"type": "object", "properties": {}, "additionalProperties": False}}, {"h": {}},
              {"i": 6}, {"j": 6}, {"k": 1}, {"k": True}, {"l": 1}, {"l": True}]
    assert [compiled.is_valid(v) for v in values] == [oracle.is_valid(v) for v in values]


def test_a_pointer_through_a_subschema_written_twice_still_finds_its_way() -> None:
    """A $ref's pointer may pass through a subschema that is written twice (rules.py points
    into a batch's params so): that subschema stays where it is, or the pointer would end
    nowhere. A schema that is only true or false is left as it is."""
    from anthropic_connector.validate import lean

    through = {"type": "object", "properties": {"b": {"type": "integer", "minimum": 1, "maximum": 9}}, "required": ["b"]}
    schema = {"properties": {"a": through, "c": copy.deepcopy(through), "d": {"$ref": "#/properties/a/properties/b"}}}
    compiled, oracle = jsonschema_rs.Draft7Validator(lean(schema)), jsonschema_rs.Draft7Validator(schema)
    values = [{"d": 1}, {"d": 0}, {"d": "x"}, {"a": {}}, {"c": {"b": 1}}, {"c": {"b": 10}}]
    assert [compiled.is_valid(v) for v in values] == [oracle.is_valid(v) for v in values] == [True, False, False, False, True, False]
    assert lean(True) is True and Validator(True).errors(1) == [] and Validator(False).errors(1) != []


def _variants(value: Any) -> Iterator[Any]:
    """``value``, then ``value`` with one place in it changed: to a value of another JSON type,
    to null, or (an object) given a key no schema names."""
    yield value
    for path in places(value):
        here = at(value, path)
        for other in ([7, None] if isinstance(here, str) else ["x", None]) + ([{**here, "no_such_key": 1}] if isinstance(here, dict) else []):
            yield replaced(value, path, other)


def _corpus(op: Any, kind: str) -> list[Any]:
    """An operation's samples, and for create_message one instance of every tool and content block."""
    from message_cases import INPUT, OUTPUT, block_names, response_block_names, tool_names, valid_instance

    if kind == "output":
        found = [op.sample_output]
        if op.name == "create_message":
            oracle = Draft7Validator(OUTPUT)
            wrap = lambda block: {**op.sample_output, "content": [block]}  # noqa: E731
            found += [wrap(valid_instance(name, OUTPUT, lambda v: not oracle.is_valid(v), wrap)[0]) for name in response_block_names()]
        return found
    found = [op.sample_input, *(example["input"] for example in op.examples)]
    if op.name == "create_message":
        oracle = Draft7Validator(INPUT)
        tools = lambda tool: {**op.sample_input, "tools": [tool]}  # noqa: E731
        found += [tools(valid_instance(name, INPUT, lambda v: not oracle.is_valid(v), tools)[0]) for name in tool_names()]
        blocks = lambda block: {**op.sample_input, "messages": [{"role": "user", "content": [block]}]}  # noqa: E731
        found += [blocks(valid_instance(name, INPUT, lambda v: not oracle.is_valid(v), blocks)[0]) for name in block_names()]
    return found


@by_operation()
@pytest.mark.parametrize("kind", ["input", "output"])
def test_the_compiled_schema_agrees_with_jsonschema_on_the_schema_as_written(op: Any, kind: str) -> None:
    """What jsonschema-rs compiles is lean()'s schema: no annotations, exclusive oneOfs made
    anyOfs, repeated subschemas shared. Its verdict on each sample, each of create_message's
    tools and blocks, and each of those with one place broken, is the same as on the schema as
    written."""
    from anthropic_connector.validate import lean

    schema = op.input_schema if kind == "input" else op.output_schema
    compiled, oracle = jsonschema_rs.Draft7Validator(lean(schema)), jsonschema_rs.Draft7Validator(schema)
    checked = disagree = 0
    for value in _corpus(op, kind):
        for variant in _variants(value):
            checked += 1
            disagree += compiled.is_valid(variant) != oracle.is_valid(variant)
    assert disagree == 0 and checked > 1


def test_a_union_names_the_fields_of_the_branch_whose_tag_the_value_has() -> None:
    """In a choice of objects told apart by one field, the violations are those of the branch
    the value's tag names: also beside a catch-all branch that takes every other tag (an
    answer's next block type), and also when a branch has a ``not`` of its own about
    something else."""
    shape = {"oneOf": [
        {"type": "object", "required": ["kind", "r"], "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}}},
        {"type": "object", "required": ["kind", "a", "b"], "properties": {"kind": {"const": "rect"}, "a": {"type": "number"}, "b": {"type": "number"}}, "not": {"properties": {"a": {"const": 0}}}},
        {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}}, "not": {"properties": {"kind": {"enum": ["circle", "rect"]}}}},
    ]}
    validator = Validator({"type": "object", "properties": {"shape": shape}})
    assert validator.errors({"shape": {"kind": "rect", "a": "x"}}) == [{"path": "/shape/a", "message": 'must be a number, got "x"'}, {"path": "/shape/b", "message": "is required"}]
    assert validator.errors({"shape": {"kind": "circle"}}) == [{"path": "/shape/r", "message": "is required"}]
    assert validator.errors({"shape": {"kind": "hexagon"}}) == []


# -- input that is not JSON, or cannot be read -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("not json", b"model: claude\n"),
        ("truncated json", b'{"model": "claude-2.1", "messages": ['),
        ("empty file", b""),
        ("not utf-8", b'{"model": "\xff\xfe"}'),
    ],
)
def test_input_that_is_not_json_exits_2_and_sends_nothing(
    cli: Any, recorder: Any, connection_env: dict[str, str], tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(content)
    code, out, err = cli("run", "create_message", str(path), env=connection_env)
    assert code == 2
    assert out["error"]["type"] == "validation_error"
    assert out["error"]["details"][0]["path"] == ""
    assert recorder.requests == []


@pytest.mark.parametrize("where", ["file", "stdin"])
def test_an_input_with_a_byte_order_mark_is_read(cli: Any, recorder: Any, connection_env: dict[str, str], tmp_path: Path, where: str) -> None:
    """Some editors start UTF-8 files with a BOM; it is not part of the JSON."""
    recorder.script(Answer(200, load_json(REPO / "samples/create_message.output.json")))
    text = "\ufeff" + json.dumps(sendable(MANIFEST.operation("create_message")))
    path = tmp_path / "input.json"
    path.write_text(text, encoding="utf-8")
    args = ("run", "create_message", str(path) if where == "file" else "-")
    code, out, _ = cli(*args, env=connection_env, stdin=text if where == "stdin" else None)
    assert code == 0 and out["type"] == "message"


@pytest.mark.parametrize("where", ["missing", "directory"])
def test_an_unreadable_input_file_exits_2_and_sends_nothing(
    cli: Any, recorder: Any, connection_env: dict[str, str], tmp_path: Path, where: str
) -> None:
    path = tmp_path / "missing.json" if where == "missing" else tmp_path
    code, out, err = cli("run", "create_message", str(path), env=connection_env)
    assert code == 2
    assert out["error"]["type"] == "validation_error"
    assert str(path) in out["error"]["message"] and ("cannot be read" in out["error"]["message"] or "not a regular file" in out["error"]["message"])
    assert recorder.requests == []


def test_non_json_on_stdin_exits_2(cli: Any, recorder: Any, connection_env: dict[str, str]) -> None:
    code, out, _ = cli("run", "create_completion", "-", env=connection_env, stdin="not json")
    assert code == 2 and "is not valid JSON" in out["error"]["message"]
    assert recorder.requests == []


def test_nan_is_refused_before_sending(cli: Any, recorder: Any, connection_env: dict[str, str]) -> None:
    text = json.dumps(MANIFEST.operation("create_message").sample_input).replace("0.7", "NaN")
    assert '"temperature": NaN' in text
    code, out, _ = cli("run", "create_message", "-", env=connection_env, stdin=text)
    assert code == 2 and out["error"]["type"] == "validation_error"
    assert recorder.requests == []


def test_validation_comes_before_the_missing_key(cli: Any, recorder: Any) -> None:
    """A bad input with no key configured is reported as the input's fault (exit 2), not 3."""
    code, out, _ = cli("run", "create_message", "-", env={"ANTHROPIC_BASE_URL": recorder.url}, stdin="{}")
    assert code == 2 and out["error"]["type"] == "validation_error"
    assert recorder.requests == []


@by_operation()
def test_library_run_refuses_bad_input_before_sending(op: Any, recorder: Any, connection: dict[str, Any]) -> None:
    with Connector(MANIFEST, connection) as connector:
        with pytest.raises(ValidationError) as caught:
            connector.run(op.name, {"no_such_field": True})
        assert connector.validate(op.name, {"no_such_field": True}) == caught.value.details
    assert recorder.requests == []
