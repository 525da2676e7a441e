"""Every input schema renders as a form a person can use: each choice and each field at every
depth is titled and described, choices are labelled, nothing is filled in that nobody chose,
no open object is an empty box, and model examples are models one can call."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from conftest import OPERATION_IDS, OPERATIONS

from anthropic_connector.sandbox.models import ACTIVE, ALIASES, CATALOGUE


def resolve(node: Any, root: dict[str, Any]) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def nodes(root: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(path, schema, how it was reached) for every schema in ``root``, each definition once."""
    seen: set[str] = set()
    stack: list[tuple[str, Any, str]] = [("", root, "root")]
    while stack:
        path, node, how = stack.pop()
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in seen and set(node) <= {"$ref"}:
                continue
            seen.add(ref)
        node = resolve(node, root)
        yield path, node, how
        for name, prop in node.get("properties", {}).items():
            stack.append((f"{path}/{name}", prop, "property"))
        for keyword in ("oneOf", "anyOf"):
            for i, branch in enumerate(node.get(keyword, [])):
                stack.append((f"{path}/{keyword}[{i}]", branch, "branch"))
        for keyword in ("items", "additionalProperties", "additionalItems"):
            if isinstance(node.get(keyword), dict):
                stack.append((f"{path}/{keyword}", node[keyword], keyword))


def violations(op: Any, rule: Any) -> list[str]:
    return sorted({problem for path, node, how in nodes(op.input_schema) for problem in rule(path, node, how)})


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_every_choice_and_every_field_is_titled_and_described(op: Any) -> None:
    def rule(path: str, node: dict[str, Any], how: str) -> list[str]:
        if how == "branch" and not node.get("title"):
            return [f"{path}: a choice with no title"]
        if how == "property":
            return [f"{path}: no {key}" for key in ("title", "description") if not node.get(key)]
        return []

    assert violations(op, rule) == []


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_choices_are_labelled_and_nothing_is_filled_in_unasked(op: Any) -> None:
    def rule(path: str, node: dict[str, Any], how: str) -> list[str]:
        problems = [f"{path}: an enum (a form shows its raw values): make it labelled constants"] if "enum" in node else []
        return problems + ([f"{path}: a default, which a form would send though nobody chose it"] if "default" in node else [])

    assert violations(op, rule) == []


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_no_open_object_is_an_empty_box(op: Any) -> None:
    """An object whose fields are open must say what its values are, or a form can add none."""

    def rule(path: str, node: dict[str, Any], how: str) -> list[str]:
        kinds = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
        is_open = "object" in kinds and not node.get("properties") and node.get("additionalProperties") is not False
        empty = is_open and not isinstance(node.get("additionalProperties"), dict) and "oneOf" not in node and path != ""
        typeless = how in ("property", "items", "additionalProperties") and not any(k in node for k in ("type", "oneOf", "anyOf", "const"))
        return [f"{path}: an empty box"] * empty + [f"{path}: no type, which a form cannot render"] * typeless

    assert violations(op, rule) == []


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_a_choice_of_objects_reveals_one_branch(op: Any) -> None:
    """Object branches are told apart by a tag they pin (type, role) or by the field each
    requires (endpoint or fullUrl), so the form shows only the chosen branch's fields."""
    root = op.input_schema

    def rule(path: str, node: dict[str, Any], how: str) -> list[str]:
        branches = [resolve(b, root) for b in node.get("oneOf", [])]
        objects = [b for b in branches if "properties" in b]
        if len(objects) < 2:
            return []
        pinned = [k for k in objects[0]["properties"] if all(tags(b, k) for b in objects)]
        if any(len({repr(v) for b in objects for v in tags(b, k)}) == sum(len(tags(b, k)) for b in objects) for k in pinned):
            return []
        required = [frozenset(b.get("required", [])) - set(pinned) for b in objects]
        disjoint = all(not (a & c) and a and c for i, a in enumerate(required) for c in required[i + 1 :])
        return [] if disjoint else [f"{path}: branches {[b.get('title') for b in objects]} are not told apart by a tag or a field"]

    assert violations(op, rule) == []


def tags(branch: dict[str, Any], key: str) -> list[Any]:
    prop = branch["properties"].get(key, {})
    if "const" in prop:
        return [prop["const"]]
    return [b.get("const") for b in prop.get("oneOf", []) if "const" in b]


def test_budget_tokens_belongs_to_enabled_thinking_only() -> None:
    op = next(o for o in OPERATIONS if o.name == "create_message")
    thinking = [resolve(b, op.input_schema) for b in op.input_schema["properties"]["thinking"]["oneOf"]]
    with_budget = [b["properties"]["type"]["const"] for b in thinking if "budget_tokens" in b["properties"]]
    assert with_budget == ["enabled"]


@pytest.mark.parametrize("op", [o for o in OPERATIONS if "model" in o.input_schema.get("properties", {}) and o.name != "create_completion"], ids=lambda o: o.name)
def test_model_examples_are_models_one_can_call(op: Any) -> None:
    """create_completion is left out: every model Text Completions served is retired, as its
    description and help say."""
    examples = resolve(op.input_schema["properties"]["model"], op.input_schema).get("examples", [])
    active = {m.id for m in ACTIVE} | {alias for alias, target in ALIASES.items() if CATALOGUE[target] in ACTIVE}
    assert examples and set(examples) <= active
