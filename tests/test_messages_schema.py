"""create_message's schemas against the official SDK's own types, not against our reading of them.

The SDK's TypedDicts (requests) and models (answers) are introspected here with typing alone:
every request field, every content block and tool of its unions, every Literal enum must be
in the schema as the SDK has it. The SDK's own with_all_params request bodies
(tests/sdk_examples.json, recorded from its test suite by scripts/sdk_examples.py) must
validate, and what the API refuses with a 400 that a schema can say must be refused, at the
stated path, in the stated words.
"""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any, Iterator

import anthropic.types as T
import anthropic.types.beta as B
import pytest
import typing_extensions as te
from anthropic.types import message_create_params as ga_params
from anthropic.types.beta import message_create_params as beta_params
from conftest import MANIFEST, REPO, Answer, Recorder

from anthropic_connector import Connector, UnexpectedResponseError
from anthropic_connector.validate import Validator

OP = MANIFEST.operation("create_message")
INPUT = OP.input_schema
OUTPUT = OP.output_schema
DEFS = INPUT["definitions"]


# -- the SDK, read with typing alone ---------------------------------------------------------


def members(tp: Any) -> list[Any]:
    """A union's members, nested unions and Annotated unwrapped."""
    while typing.get_origin(tp) is te.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) is typing.Union:
        return [m for arg in typing.get_args(tp) for m in members(arg)]
    return [tp]


def keys(cls: type) -> dict[str, bool]:
    """{JSON key: required} of a TypedDict or a pydantic model."""
    if hasattr(cls, "model_fields"):
        return {(f.alias or k): f.is_required() for k, f in cls.model_fields.items()}
    hints = te.get_type_hints(cls, include_extras=True)
    return {k: typing.get_origin(v) is te.Required for k, v in hints.items()}


def field_type(cls: type, key: str) -> Any:
    if hasattr(cls, "model_fields"):
        return cls.model_fields[key].annotation
    tp = te.get_type_hints(cls, include_extras=True)[key]
    while typing.get_origin(tp) in (te.Required, te.NotRequired):
        tp = typing.get_args(tp)[0]
    return tp


def literal_values(tp: Any) -> list[Any]:
    return [v for m in members(tp) if typing.get_origin(m) is te.Literal for v in typing.get_args(m)]


def tag(cls: type) -> list[Any]:
    return literal_values(field_type(cls, "type")) if "type" in keys(cls) else []


# -- the schema -----------------------------------------------------------------------------


def resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["definitions"][node["$ref"].split("/")[-1]]
    return node


def branches(union: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    return [resolve(b, root) for b in union.get("oneOf", [union])]


def branch_for(union: dict[str, Any], value: str, root: dict[str, Any]) -> dict[str, Any]:
    found = [b for b in branches(union, root) if value in schema_tags(b)]
    assert len(found) == 1, f"{value}: {len(found)} branches"
    return found[0]


def schema_tags(branch: dict[str, Any]) -> list[Any]:
    prop = branch.get("properties", {}).get("type", {})
    return [prop["const"]] if "const" in prop else enum_of(prop) if "enum" in prop or "oneOf" in prop else []


def enum_of(prop: dict[str, Any]) -> list[Any]:
    """An enum's values, whether a plain enum or a oneOf of labelled constants."""
    if "enum" in prop:
        return list(prop["enum"])
    if "const" in prop:
        return [prop["const"]]
    if "oneOf" not in prop:  # an answer's open values (open_values in gen_message_schemas.py): the known ones
        return list(prop["examples"])
    return [b.get("const") for b in prop["oneOf"]]


BLOCK_UNION = DEFS["userMessage"]["properties"]["content"]["oneOf"][-1]["items"]
TOOL_UNION = INPUT["properties"]["tools"]["items"]


# -- every request field ---------------------------------------------------------------------


@pytest.mark.parametrize("params", [ga_params.MessageCreateParamsNonStreaming, ga_params.MessageCreateParamsStreaming, beta_params.MessageCreateParamsNonStreaming, beta_params.MessageCreateParamsStreaming], ids=["ga", "ga-stream", "beta", "beta-stream"])
def test_every_request_field_of_the_sdk_is_a_property(params: type) -> None:
    fields = {k for k in keys(params) if not k.startswith("extra_")}
    assert fields <= set(INPUT["properties"]), sorted(fields - set(INPUT["properties"]))
    required = {k for k, r in keys(params).items() if r and k != "stream"}
    assert required == set(INPUT["required"])


def test_sampling_fields_the_sdk_moved_to_extra_body_are_kept() -> None:
    assert {"temperature", "top_p", "top_k"} <= set(INPUT["properties"])


UNIONS = [(T.ContentBlockParam, "ga"), (B.BetaContentBlockParam, "beta")]


@pytest.mark.parametrize("cls", [c for u, _ in UNIONS for c in members(u)], ids=lambda c: c.__name__)
def test_every_content_block_param_has_a_closed_branch_with_its_keys(cls: type) -> None:
    (kind,) = tag(cls)
    branch = branch_for(BLOCK_UNION, kind, INPUT)
    assert branch["additionalProperties"] is False
    twins = [c for u, _ in UNIONS for c in members(u) if tag(c) == [kind]]
    assert set(branch["properties"]) == {k for c in twins for k in keys(c)}
    assert set(branch.get("required", [])) == {k for k in keys(cls) if all(keys(c).get(k) for c in twins)}


@pytest.mark.parametrize("cls", [c for u in (T.ToolUnionParam, B.BetaToolUnionParam) for c in members(u)], ids=lambda c: c.__name__)
def test_every_tool_of_the_sdk_has_a_branch(cls: type) -> None:
    for kind in [k for k in tag(cls) if k is not None]:
        branch = branch_for(TOOL_UNION, kind, INPUT)
        assert set(branch["properties"]) >= set(keys(cls))
        assert {k for k, r in keys(cls).items() if r} <= set(branch.get("required", [])) | {"type"}


@pytest.mark.parametrize(
    ("sdk", "schema"),
    [
        (T.StopReason, OUTPUT["properties"]["stop_reason"]),
        (B.BetaStopReason, OUTPUT["properties"]["stop_reason"]),
        (field_type(T.Base64ImageSourceParam, "media_type"), DEFS["base64ImageSource"]["properties"]["media_type"]),
        (field_type(B.BetaBase64ImageSourceParam, "media_type"), DEFS["base64ImageSource"]["properties"]["media_type"]),
        (field_type(B.BetaOutputConfigParam, "effort"), DEFS["outputConfig"]["properties"]["effort"]),
        (field_type(ga_params.MessageCreateParamsBase, "service_tier"), INPUT["properties"]["service_tier"]),
        (field_type(beta_params.MessageCreateParamsBase, "speed"), INPUT["properties"]["speed"]),
        (field_type(B.BetaCacheControlEphemeralParam, "ttl"), DEFS["cacheControlEphemeral"]["properties"]["ttl"]),
        (field_type(B.BetaThinkingConfigAdaptiveParam, "display"), DEFS["thinkingConfigAdaptive"]["properties"]["display"]),
        (field_type(T.Usage, "service_tier"), OUTPUT["definitions"]["usage"]["properties"]["service_tier"]),
    ],
    ids=["stop_reason", "beta stop_reason", "image media_type", "beta image media_type", "effort", "service_tier", "speed", "cache ttl", "thinking display", "usage service_tier"],
)
def test_every_literal_enum_equals_the_schemas(sdk: Any, schema: dict[str, Any]) -> None:
    values = [v for v in enum_of(schema) if v is not None]
    assert set(literal_values(sdk)) <= set(values)
    if sdk is not T.StopReason and sdk is not field_type(T.Base64ImageSourceParam, "media_type"):
        assert set(values) == set(literal_values(sdk))


@pytest.mark.parametrize("cls", [c for u in (T.ContentBlock, B.BetaContentBlock) for c in members(u)], ids=lambda c: c.__name__)
def test_every_response_block_type_is_in_the_output_schema(cls: type) -> None:
    (kind,) = tag(cls)
    branch = branch_for(OUTPUT["properties"]["content"]["items"], kind, OUTPUT)
    assert set(branch["properties"]) >= set(keys(cls))
    assert set(branch.get("required", [])) == {k for k, r in keys(cls).items() if r}
    assert branch.get("additionalProperties") is not False


def test_the_output_stays_open_and_requires_only_what_the_api_always_sends() -> None:
    assert "additionalProperties: false" not in json.dumps(OUTPUT).replace('"additionalProperties": false', "additionalProperties: false")
    assert OUTPUT["required"] == ["id", "type", "role", "content", "model", "stop_reason", "stop_sequence"]
    assert {k for k, r in keys(T.Message).items() if r} - set(OUTPUT["required"]) == {"usage"}  # the seed's answer has none


def test_an_answer_with_values_the_api_added_later_is_passed_through(recorder: Recorder, connection: dict[str, Any]) -> None:
    """The API adds stop reasons, service tiers and error codes over time: an answer with a new
    one is the output as sent, not an unexpected_response. The shapes stay held: a value of
    another JSON type, or an unknown field where a closed one is, still is refused."""
    answer = {**MANIFEST.operation("create_message").sample_output, "stop_reason": "a_reason_added_later"}
    answer["usage"] = {**answer.get("usage", {"input_tokens": 1, "output_tokens": 1}), "service_tier": "a_tier_added_later"}
    recorder.script(Answer(200, answer))
    with Connector(MANIFEST, connection) as connector:
        output = connector.run("create_message", {"model": "claude-sonnet-5-5", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}).output
        assert (output["stop_reason"], output["usage"]["service_tier"]) == ("a_reason_added_later", "a_tier_added_later")
        recorder.script(Answer(200, {**answer, "stop_reason": 7}))
        with pytest.raises(UnexpectedResponseError) as caught:
            connector.run("create_message", {"model": "claude-sonnet-5-5", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]})
    assert caught.value.details[0]["path"] == "/stop_reason"


def test_an_answer_with_types_the_api_added_later_is_passed_through(recorder: Recorder, connection: dict[str, Any]) -> None:
    """The API adds block, citation and tool-result types over time: an answer holding a new one,
    at the top or inside a block, is the output as sent. A known type is still held to its own
    branch: a citation of a known type without its fields is refused where it stands."""
    request = {"model": "claude-sonnet-5-5", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}
    cited = {"type": "text", "text": "Hi", "citations": [{"type": "a_citation_added_later", "cited_text": "Hi"}]}
    answer = {**MANIFEST.operation("create_message").sample_output, "content": [cited, {"type": "a_block_added_later", "data": 1}]}
    recorder.script(Answer(200, answer))
    with Connector(MANIFEST, connection) as connector:
        assert connector.run("create_message", request).output["content"] == answer["content"]
        recorder.script(Answer(200, {**answer, "content": [{**cited, "citations": [{"type": "char_location", "cited_text": "Hi"}]}]}))
        with pytest.raises(UnexpectedResponseError) as caught:
            connector.run("create_message", request)
    assert caught.value.details[0]["path"].startswith("/content/0/citations/0")


def test_the_committed_schemas_are_what_the_generator_makes() -> None:
    """schemas/create_message.*.json are generated from the installed SDK's types: an edit by
    hand, or a generator change not run, fails here."""
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_message_schemas.py"), "--check"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_beta_header_named_is_one_the_sdk_knows() -> None:
    known = set(literal_values(T.AnthropicBetaParam))
    named = set(_betas(INPUT))
    assert named and named <= known, sorted(named - known)
    for field in ("billing_policy", "compaction", "context_management", "fallback_credit_token", "fallbacks", "mcp_servers", "thread"):
        assert INPUT["properties"][field]["x-anthropic-beta"] in known


def _betas(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "x-anthropic-beta" in node:
            yield node["x-anthropic-beta"]
        for value in node.values():
            yield from _betas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _betas(value)


# -- samples and the SDK's own examples ------------------------------------------------------

CAPABILITIES = ["tools", "image", "pdf", "thinking", "structured_output", "caching", "web_search"]


@pytest.mark.parametrize("name", CAPABILITIES)
def test_each_capability_sample_is_valid(name: str) -> None:
    sample = json.loads((REPO / f"samples/create_message.{name}.input.json").read_text(encoding="utf-8"))
    assert OP.validator.errors(sample) == []
    assert not any(m in json.dumps(sample) for m in ("claude-2", "claude-instant", "claude-3-"))


def test_the_capability_samples_are_the_manifests_examples() -> None:
    assert [e["name"] for e in OP.examples] == CAPABILITIES
    assert all(e["input"] == json.loads((REPO / f"samples/create_message.{e['name']}.input.json").read_text(encoding="utf-8")) for e in OP.examples)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("name", CAPABILITIES)
def test_each_capability_sample_runs_on_the_sandbox(name: str, stream: bool) -> None:
    """The output is a Message; the structured one carries parsed_output. The sandbox is told
    what to answer that prompt (a canned reply), so that the data is known."""
    from anthropic_connector import Connector, sandbox

    sample = next(e["input"] for e in OP.examples if e["name"] == name)
    contact = {"name": "John Smith", "email": "john@example.com", "plan": "pro"}
    prompt = sample["messages"][0]["content"]
    canned = {prompt: json.dumps(contact)} if name == "structured_output" else {}
    emulated = sandbox.transport(sandbox.SandboxOptions(check_key=False, any_id=True, canned=canned))
    with Connector(connection={"api_key": "sk-ant-sandbox"}, transport=emulated, async_transport=emulated) as connector:
        output = connector.run("create_message", {**sample, "stream": stream}).output
    assert OP.output_validator.errors(output) == []
    assert output.get("parsed_output") == (contact if name == "structured_output" else None)


def test_the_sample_outputs_are_valid() -> None:
    assert OP.output_validator.errors(OP.sample_output) == []


EXAMPLES = json.loads((Path(__file__).parent / "sdk_examples.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("body", EXAMPLES["bodies"], ids=[f"{b['method']}:{b['from'].rsplit('_', 1)[-1]}" for b in EXAMPLES["bodies"]])
def test_the_sdks_own_request_bodies_are_valid(body: dict[str, Any]) -> None:
    kwargs = {k: v for k, v in body["kwargs"].items() if not k.startswith("extra_")}
    assert OP.validator.errors(kwargs) == []


def test_the_recorded_examples_cover_every_sdk_field() -> None:
    assert {b["method"] for b in EXAMPLES["bodies"]} == {"messages.create", "beta.messages.create"}
    beta = next(b["kwargs"] for b in EXAMPLES["bodies"] if b["method"] == "beta.messages.create")
    assert set(keys(beta_params.MessageCreateParamsBase)) <= set(beta)


# -- what the API answers with 400, refused before sending -----------------------------------

BASE = {"model": "claude-sonnet-4-6", "max_tokens": 1024, "messages": [{"role": "user", "content": "Hello, Claude"}]}


def user(*blocks: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": list(blocks)}]}


BAD = [
    ({"tool_choice": {"type": "tool"}}, "/tool_choice/name", "is required"),
    (user({"type": "text", "text": "look"}, {"type": "image", "source": {"type": "base64", "media_type": "image/bmp", "data": "Qk0="}}),
     "/messages/0/content/1/source/media_type", 'must be one of: "image/jpeg", "image/png", "image/gif", "image/webp"'),
    ({"tools": [{"name": "get_weather", "description": "no schema"}]}, "/tools/0/input_schema", "is required"),
    (user({"type": "audio", "source": {}}), "/messages/0/content/0/type", 'must be one of: "text", "image", "document"'),
    ({"cache_control": {"type": "persistent"}}, "/cache_control/type", 'must be "ephemeral"'),
    ({"cache_control": {"type": "ephemeral", "ttl": "2h"}}, "/cache_control/ttl", 'must be one of: "5m", "1h"'),
    (user({"type": "text", "text": "hi", "cache_control": {"type": "ephemeral", "ttl": "1d"}}), "/messages/0/content/0/cache_control/ttl", 'must be one of: "5m", "1h"'),
    ({"output_config": {"effort": "extreme"}}, "/output_config/effort", 'must be one of: "low", "medium", "high", "xhigh", "max"'),
    (user(), "/messages/0/content", "must have at least one item"),
    ({"messages": [{"role": "user", "content": ""}]}, "/messages/0/content", "must not be empty"),
    (user({"type": "text", "text": ""}), "/messages/0/content/0/text", "must not be empty"),
    (user({"type": "text", "text": " \n"}), "/messages/0/content/0/text", "is not in the expected form"),
    ({"messages": [{"role": "robot", "content": "hi"}]}, "/messages/0/role", 'must be one of: "user", "assistant", "system"'),
    ({"thinking": {"type": "enabled", "budget_tokens": 512}}, "/thinking/budget_tokens", "must be at least 1024"),
    ({"max_tokens": -1}, "/max_tokens", "must be at least 0"),
]


@pytest.mark.parametrize(("change", "path", "message"), BAD, ids=[p + " " + m[:24] for _, p, m in BAD])
def test_what_the_api_refuses_is_refused_at_its_path(change: dict[str, Any], path: str, message: str) -> None:
    errors = OP.validator.errors({**BASE, **change})
    assert [e["path"] for e in errors] == [path], errors
    assert message in errors[0]["message"], errors


def test_max_tokens_0_pre_warms_the_cache() -> None:
    assert OP.validator.errors({**BASE, "max_tokens": 0}) == []


def test_the_platform_wrapper_stays_valid() -> None:
    wrapped = {**BASE, "system": {"string": "Be brief."}, "messages": [{"role": "user", "content": {"string": "Hi"}}]}
    assert OP.validator.errors(wrapped) == []


# -- forms -----------------------------------------------------------------------------------


def walk(node: Any, at: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield at, node
        for key, value in node.items():
            yield from walk(value, f"{at}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{at}/{i}")


def untitled(schema: dict[str, Any], root: dict[str, Any], at: str = "") -> Iterator[str]:
    """Where a property lacks a title or a description, or a oneOf/anyOf branch a title."""
    for name, prop in schema.get("properties", {}).items():
        if not ("title" in prop and "description" in prop):
            yield f"{at}/properties/{name}"
        yield from untitled(prop, root, f"{at}/properties/{name}")
    for word in ("oneOf", "anyOf"):
        for i, branch in enumerate(schema.get(word, [])):
            if "title" not in branch and "title" not in resolve(branch, root):
                yield f"{at}/{word}/{i}"
            if "$ref" not in branch:
                yield from untitled(branch, root, f"{at}/{word}/{i}")
    for word in ("items", "additionalProperties"):
        if isinstance(schema.get(word), dict):
            yield from untitled(schema[word], root, f"{at}/{word}")
    for name, definition in schema.get("definitions", {}).items():
        yield from untitled(definition, root, f"/definitions/{name}")


@pytest.mark.parametrize("schema", [INPUT, OUTPUT, MANIFEST.operation("create_completion").input_schema], ids=["message input", "message output", "completion input"])
def test_every_property_and_branch_has_a_title_and_a_description(schema: dict[str, Any]) -> None:
    assert list(untitled(schema, schema)) == []


@pytest.mark.parametrize("schema", [INPUT, MANIFEST.operation("create_completion").input_schema], ids=["message", "completion"])
def test_no_default_changes_what_is_sent(schema: dict[str, Any]) -> None:
    assert not [at for at, node in walk(schema) if "default" in node and isinstance(node.get("default"), (bool, int, float, str, dict, list))]


def test_valid_inputs_stay_fast() -> None:
    import timeit

    validator = Validator(INPUT)
    sample = json.loads((REPO / "samples/create_message.tools.input.json").read_text(encoding="utf-8"))
    assert validator.errors(sample) == []
    seconds = min(timeit.repeat(lambda: validator.errors(sample), number=200, repeat=5)) / 200
    assert seconds < 100e-6, f"{seconds * 1e6:.1f} µs per valid input"


def test_every_input_property_says_its_type_so_a_form_can_render_it() -> None:
    """react-jsonschema-form shows "Unsupported field schema" for a property with no type."""
    says = ("type", "$ref", "oneOf", "anyOf", "enum", "const")
    for at, node in walk(INPUT):
        for name, prop in (node.get("properties") or {}).items() if at.endswith("properties") is False else []:
            if isinstance(prop, dict) and "title" in prop:
                assert any(k in prop for k in says), f"{at}/properties/{name}"
