"""Property-based: thousands of invalid inputs per operation, each refused and none sent.

The inputs are invalid by construction (a required field removed, an unknown field added, a
value of a JSON type the field's schema does not allow, a bad enum value, a non-object
payload), so the test does not ask the validator under test which inputs are invalid.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anthropic_connector import ConnectorError, ValidationError, manifest
from anthropic_connector.rules import checks
from anthropic_connector.runtime import Connector
from anthropic_connector.sandbox import SandboxOptions, transport

MANIFEST = manifest.load()
EXAMPLES = 1000

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


def json_type_allowed(value: Any, allowed: str | list[str]) -> bool:
    """Draft-07 type semantics, written out independently (1.0 is an integer, True is not)."""
    names = [allowed] if isinstance(allowed, str) else allowed
    checks = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "integer": not isinstance(value, bool) and (isinstance(value, int) or (isinstance(value, float) and value.is_integer())),
        "number": not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }
    return any(checks[n] for n in names)


def allowed_types(schema: dict[str, Any], definitions: dict[str, Any]) -> list[str] | None:
    """The JSON types a property accepts, from `type` or from its `oneOf` alternatives."""
    if "type" in schema:
        return [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
    if "oneOf" in schema:
        resolved = [definitions.get(alt.get("$ref", "").removeprefix("#/definitions/"), alt) for alt in schema["oneOf"]]
        if all("type" in alt for alt in resolved):
            return sorted({t for alt in resolved for t in allowed_types(alt, definitions) or []})
    return None


def mutations(op: manifest.Operation) -> st.SearchStrategy[Any]:
    schema, sample = op.input_schema, op.sample_input
    props: dict[str, Any] = schema["properties"]

    def drop_required(name: str) -> dict[str, Any]:
        payload = copy.deepcopy(sample)
        payload.pop(name, None)
        return payload

    def with_value(name: str, value: Any) -> dict[str, Any]:
        return {**copy.deepcopy(sample), name: value}

    typed = {n: allowed_types(p, schema.get("definitions", {})) for n, p in props.items()}
    typed_names = sorted(n for n, t in typed.items() if t)
    wrong_type = st.sampled_from(typed_names).flatmap(
        lambda n: json_values.filter(lambda v: not json_type_allowed(v, typed[n])).map(lambda v: with_value(n, v))
    )
    enums = sorted(n for n, p in props.items() if "enum" in p)
    strategies = [
        *([wrong_type] if typed_names else []),
        st.tuples(st.text(min_size=1, max_size=12).filter(lambda k: k not in props), json_values).map(lambda kv: with_value(*kv)),
        json_values.filter(lambda v: not isinstance(v, dict)),
    ]
    if schema.get("required"):
        strategies.append(st.sampled_from(schema["required"]).map(drop_required))
    if enums:
        strategies.append(
            st.sampled_from(enums).flatmap(
                lambda n: json_values.filter(lambda v: v not in props[n]["enum"]).map(lambda v: with_value(n, v))
            )
        )
    if "messages" in props:
        role = st.text(max_size=10).filter(lambda r: r not in ("user", "assistant"))
        strategies.append(role.map(lambda r: with_value("messages", [{"role": r, "content": "hi"}])))
        bad_content = json_values.filter(lambda v: not isinstance(v, (str, list, dict)))
        strategies.append(bad_content.map(lambda c: with_value("messages", [{"role": "user", "content": c}])))
    return st.one_of(strategies)


@pytest.fixture(scope="module")
def sandboxed() -> tuple[Connector, Any]:
    sandbox = transport(SandboxOptions(check_key=False))
    return Connector(MANIFEST, {"api_key": "sk-ant-property"}, transport=sandbox), sandbox


@pytest.mark.parametrize("name", list(MANIFEST.operations))
def test_invalid_inputs_are_refused_and_never_sent(name: str, sandboxed) -> None:
    connector, sandbox = sandboxed
    seen: list[Any] = []

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(payload=mutations(MANIFEST.operation(name)))
    def check(payload: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            connector.run(name, payload)
        assert caught.value.exit_code == 2
        assert caught.value.details and all(set(v) == {"path", "message"} for v in caught.value.details)
        seen.append(payload)

    check()
    assert len(seen) >= EXAMPLES
    assert sandbox.requests == []


# -- garbage: what no schema is written for ------------------------------------------------------

GARBAGE_EXAMPLES = 200


def deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


refused_garbage = st.one_of(
    st.text(max_size=5).map(lambda t: t + "\ud800" + t),  # a lone surrogate: not Unicode text
    st.integers(300, 2_000).map(deep),  # nesting far past any request
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
)
odd_garbage = st.one_of(
    st.sampled_from([1e300, -1e300, 2**64, -(2**64)]),  # giant numbers
    st.text(alphabet=st.characters(max_codepoint=0x1F) | st.sampled_from("é\u202e\ufeff:/?#[]@"), max_size=12),  # control characters
)


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position in the sample where a value can be swapped out."""
    if isinstance(value, dict) and value:
        return [path] + [p for k, v in value.items() for p in leaves(v, (*path, k))]
    if isinstance(value, list) and value:
        return [path] + [p for i, v in enumerate(value) for p in leaves(v, (*path, i))]
    return [path]


def swapped(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    document = copy.deepcopy(document)
    node = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return document


def sent(sandbox: Any, op: Any) -> int:
    """The requests ``op`` sent: for an operation the rules check, a refusal that rests on the
    model table may first have fetched GET /v1/models to confirm it (models.py), which sends
    nothing of the input."""
    return sum(1 for r in sandbox.requests if not (checks(op).places and r.path == "/v1/models"))


@pytest.mark.parametrize("name", list(MANIFEST.operations))
def test_garbage_anywhere_is_refused_or_sent_never_a_traceback(name: str, sandboxed) -> None:
    """Lone surrogates, runaway nesting and NaN anywhere: refused with nothing sent. Giant numbers
    and control characters anywhere: refused by the schema, or a clean answer; never anything
    but a ConnectorError."""
    connector, sandbox = sandboxed
    op = MANIFEST.operation(name)
    spots = leaves(op.sample_input) + [(field,) for field in op.input_schema.get("properties", {})]

    @settings(max_examples=GARBAGE_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(spot=st.sampled_from(spots), garbage=refused_garbage.map(lambda v: (True, v)) | odd_garbage.map(lambda v: (False, v)))
    def check(spot: tuple[Any, ...], garbage: tuple[bool, Any]) -> None:
        always_refused, value = garbage
        payload = swapped(op.sample_input, spot, value)
        before = sent(sandbox, op)
        try:
            connector.run(name, payload)
        except ConnectorError as exc:
            assert exc.envelope()["error"]["message"]
            assert isinstance(exc, ValidationError) or not always_refused, exc.envelope()
            if isinstance(exc, ValidationError):
                assert sent(sandbox, op) == before  # refused: nothing sent
        else:
            assert not always_refused, payload

    check()
