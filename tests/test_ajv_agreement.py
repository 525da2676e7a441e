"""A form generator's validator and the connector's agree: Ajv 8 as react-jsonschema-form runs
it (@rjsf/validator-ajv8, draft-07) and the connector's jsonschema-rs give every sample and at
least 300 generated inputs per operation the same verdict, so that a form never accepts what
a run then refuses, nor refuses what a run takes.

Inputs are made from the samples, deterministically: the valid ones by leaving optional fields
out, putting in the schema's own examples and each labelled choice, bounds at their edges, and
values built from the schema; the invalid ones by known-bad mutations at every depth (a
required field removed, a wrong type, an unknown field, past a bound, an empty text, a value
outside a choice, null). What each is meant to be is counted beside what both said.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import OPERATIONS, REPO, at, places, replaced
from test_forms import WEB, needs, node

PER_OPERATION = 300
Path_ = tuple[Any, ...]


def resolve(node: Any, root: dict[str, Any]) -> dict[str, Any]:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node if isinstance(node, dict) else {}


def schema_at(root: dict[str, Any], value: Any, path: Path_) -> dict[str, Any]:
    """The schema a value at ``path`` of ``value`` answers to: through properties, items and
    the oneOf branch the data picks (the first branch whose pinned type it names)."""
    node = resolve(root, root)
    for depth, part in enumerate(path):
        node = branch_for(node, at(value, path[:depth]), root)
        if isinstance(part, int):
            node = resolve(node.get("items", {}), root)
        else:
            props = node.get("properties", {})
            extra = node.get("additionalProperties")
            node = resolve(props[part] if part in props else extra if isinstance(extra, dict) else {}, root)
    return branch_for(node, at(value, path), root)


def branch_for(node: dict[str, Any], value: Any, root: dict[str, Any]) -> dict[str, Any]:
    branches = [resolve(b, root) for b in node.get("oneOf", node.get("anyOf", []))]
    for branch in branches:
        tag = branch.get("properties", {}).get("type", {})
        if isinstance(value, dict) and "const" in tag and value.get("type") == tag["const"]:
            return branch
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}
    kind = kinds.get(type(value))
    for branch in branches:
        types = branch.get("type") if isinstance(branch.get("type"), list) else [branch.get("type")]
        if kind in types or (kind == "integer" and "number" in types):
            return branch
    return node


def valid_variants(op: Any, sample: dict[str, Any], rng: random.Random) -> Iterator[Any]:
    """Inputs meant to pass: the sample with optional fields left out, examples put in, each
    labelled choice, numbers at their bounds."""
    root = op.input_schema
    required = set(root.get("required", []))
    optional = [k for k in sample if k not in required]
    for key in optional:
        yield {k: v for k, v in sample.items() if k != key}
    for _ in range(20):
        yield {k: v for k, v in sample.items() if k in required or rng.random() < 0.5}
    for path in places(sample):
        schema = schema_at(root, sample, path)
        for example in schema.get("examples", [])[:3]:
            yield replaced(sample, path, example)
        for choice in schema.get("oneOf", []):
            if "const" in choice:
                yield replaced(sample, path, choice["const"])
        for bound in ("minimum", "maximum"):
            if isinstance(schema.get(bound), (int, float)):
                yield replaced(sample, path, schema[bound])
    for name, prop in root.get("properties", {}).items():
        prop = resolve(prop, root)
        for example in prop.get("examples", [])[:3]:
            yield {**sample, name: example}


def invalid_variants(op: Any, sample: dict[str, Any]) -> Iterator[Any]:
    """Inputs meant to fail: a known-bad mutation at every place of the sample."""
    root = op.input_schema
    for path in places(sample):
        here = at(sample, path)
        schema = schema_at(root, sample, path)
        if isinstance(here, dict):
            for key in resolve(schema, root).get("required", []):
                if key in here:
                    yield replaced(sample, path, {k: v for k, v in here.items() if k != key})
            if schema.get("additionalProperties") is False:
                yield replaced(sample, path, {**here, "not_a_field": 1})
            yield replaced(sample, path, [here])
        elif isinstance(here, list):
            yield replaced(sample, path, {"items": here})
            if isinstance(schema.get("minItems"), int) and schema["minItems"] > 0:
                yield replaced(sample, path, [])
        elif isinstance(here, str):
            yield replaced(sample, path, 12345)
            if schema.get("minLength", 0) > 0 or "pattern" in schema:
                yield replaced(sample, path, "")
            if "oneOf" in schema and all("const" in b or b.get("type") == "null" for b in schema["oneOf"]):
                yield replaced(sample, path, here + "-not-a-choice")
        elif isinstance(here, bool):
            yield replaced(sample, path, "true")
        elif isinstance(here, (int, float)):
            yield replaced(sample, path, str(here))
            for bound, step in (("minimum", -1), ("maximum", 1)):
                if isinstance(schema.get(bound), (int, float)):
                    yield replaced(sample, path, schema[bound] + step)
        if path and here is not None and "null" not in str(schema.get("type")) and "oneOf" not in schema:
            yield replaced(sample, path, None)


def built(op: Any, rng: random.Random) -> Iterator[Any]:
    """Values built from the schema alone: each optional field alone, from its examples."""
    root = op.input_schema
    base = {k: v for k, v in op.sample_input.items() if k in root.get("required", [])}
    for _ in range(60):
        value = dict(base)
        for name, prop in root.get("properties", {}).items():
            prop = resolve(prop, root)
            choices = [*prop.get("examples", []), *(b["const"] for b in prop.get("oneOf", []) if "const" in b)]
            if name not in value and choices and rng.random() < 0.4:
                value[name] = rng.choice(choices)
        yield value


def inputs(op: Any) -> list[tuple[Any, str]]:
    """At least PER_OPERATION distinct (input, meant) pairs, the samples first."""
    rng = random.Random(op.name)
    samples = [json.loads(p.read_text()) for p in sorted((REPO / "samples").glob(f"{op.name}.*input.json")) if p.name.split(".")[0] == op.name]
    made: dict[str, tuple[Any, str]] = {}

    def add(value: Any, meant: str) -> None:
        made.setdefault(json.dumps(value, sort_keys=True), (value, meant))

    for sample in samples:
        add(sample, "sample")
    for sample in samples:
        for value in valid_variants(op, sample, rng):
            add(value, "valid")
        for value in invalid_variants(op, sample):
            add(value, "invalid")
    for value in built(op, rng):
        add(value, "valid")
    filler = 0
    while len(made) < PER_OPERATION:  # small inputs: vary a free text or an id until there are enough
        sample = rng.choice(samples)
        texts = [p for p in places(sample) if isinstance(at(sample, p), str)]
        path = rng.choice(texts) if texts else ("not_a_field",)
        add(replaced(sample, path, f"{at(sample, path) if texts else ''}{filler}"), "valid" if texts else "invalid")
        add(replaced(sample, path, "\u0000" if texts else filler), "invalid")
        filler += 1
    return list(made.values())


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[tuple[Any, str, bool, bool]]]:
    needs(WEB / "node_modules")
    made = {op.name: inputs(op) for op in OPERATIONS}
    payload = {"schemas": {op.name: op.input_schema for op in OPERATIONS}, "inputs": {name: [v for v, _ in pairs] for name, pairs in made.items()}}
    ajv = node("verdicts.mjs", payload, 600)
    by_op = {op.name: op for op in OPERATIONS}
    return {name: [(v, meant, ok, by_op[name].validator.errors(v) == []) for (v, meant), ok in zip(pairs, ajv[name])] for name, pairs in made.items()}


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.name for op in OPERATIONS])
def test_ajv_and_the_connector_agree(op: Any, verdicts: dict[str, list[tuple[Any, str, bool, bool]]]) -> None:
    results = verdicts[op.name]
    assert len(results) >= PER_OPERATION
    disagree = [(json.dumps(v)[:300], meant, f"ajv={ajv}", f"connector={ours}") for v, meant, ajv, ours in results if ajv != ours]
    meant_valid = [ours for _, meant, _, ours in results if meant != "invalid"]
    meant_invalid = [ours for _, meant, _, ours in results if meant == "invalid"]
    print(
        f"\n{op.name}: {len(results)} inputs, {len(results) - len(disagree)} agreed; "
        f"made valid {len(meant_valid)} (accepted {sum(meant_valid)}), made invalid {len(meant_invalid)} (refused {len(meant_invalid) - sum(meant_invalid)})"
    )
    assert all(ours for _, meant, _, ours in results if meant == "sample")
    assert any(not ours for *_, ours in results) and any(ours for *_, ours in results)
    assert disagree == []
