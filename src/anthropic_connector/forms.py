"""The manifest's form hints (FormHints) and field choices (OptionSource), and the hints as react-jsonschema-form's uiSchema.

The schema says what a valid input is; how a person fills it in (which fields come first,
which hide under "Advanced", a text area for a prompt, a password field for a secret, a
placeholder, help) is the manifest's, declared once per operation, and this is its one
translation: `anthropic-connector ui-schema OP`, the service's `GET /operations/{op}` and the
playground all read it from here.

Hints on a definition (``textBlock/text``) go to RJSF's ``ui:definitions``, keyed by every
``$ref`` that names that definition, so that a text block is a text area at any depth and in
a schema that bundles another (a batch's params). RJSF ignores ``ui:options`` it does not
know: ``advanced`` and ``dynamicOptions`` cost a host without the playground's templates
nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

@dataclass(frozen=True)
class FormHints:
    """How a form generator should lay an input out, beyond what its schema says (manifest
    ``form``): declared once, exported as an RJSF uiSchema by ``ui_schema`` below.

    ``fields`` and ``definitions`` map a path (``messages/items/content``, or a definition's
    name then a path inside it: ``textBlock/text``) to a hint: widget, placeholder, help, rows.
    """

    order: tuple[str, ...] = ()  # the fields shown first, in this order; the rest follow as the schema lists them
    advanced: tuple[str, ...] = ()  # shown collapsed, under "Advanced"
    fields: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    definitions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class OptionSource:
    """Where a field's choices come from (manifest ``options``): another operation's answer,
    listed when a form opens, or ``fallback`` when the API cannot be asked."""

    operation: str  # run with ``input``; its output's ``data`` is the list (every page)
    input: Mapping[str, Any]
    value: str  # the key of an item that is the field's value
    label: str  # the key of an item a person reads
    fallback: tuple[Mapping[str, str], ...]  # [{"value", "label"}]



_UI_KEYS = {"widget": "ui:widget", "placeholder": "ui:placeholder", "help": "ui:help", "title": "ui:title"}
_OPTIONS = ("rows",)  # hints that are widget options
_FIELD = ("help", "title")  # hints about the field itself; the rest are its widget's


def _hint(hint: Mapping[str, Any], node: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    """``hint`` as uiSchema for ``node``. On a choice of forms (oneOf: a text, or blocks) RJSF
    would hand a widget to the choice's own select, so the widget goes to the text forms only."""
    ui = {_UI_KEYS[k]: v for k, v in hint.items() if k in _UI_KEYS}
    options = {k: v for k, v in hint.items() if k in _OPTIONS}
    if options:
        ui["ui:options"] = options
    keyword = "oneOf" if "oneOf" in node else "anyOf" if "anyOf" in node else None
    if keyword is None:
        return ui
    widget = {k: v for k, v in ui.items() if k not in {_UI_KEYS[f] for f in _FIELD}}
    branches = [_resolve(b, root) for b in node[keyword]]
    return {**{k: v for k, v in ui.items() if k not in widget}, keyword: [widget if b.get("type") == "string" else {} for b in branches]}


def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _optional_objects(ui: dict[str, Any], node: Mapping[str, Any], root: Mapping[str, Any]) -> None:
    """Each optional object field of ``node`` shown as "Add" until a person wants it."""
    required = set(node.get("required", []))
    for name, prop in node.get("properties", {}).items():
        if name not in required and _is_object(prop, root):  # its own title, not its first branch's
            _merge(_at(ui, [name]), {"ui:enableOptionalDataFieldForType": ["object"], "ui:title": _resolve(prop, root).get("title", name)})


def _is_object(node: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
    """An object, or a choice of objects: what RJSF shows as an "Add" button until a person
    wants it, instead of filling in its first branch unasked (optional data controls)."""
    node = _resolve(node, root)
    branches = [_resolve(b, root) for b in node.get("oneOf", node.get("anyOf", []))]
    return node.get("type") == "object" or bool(branches) and all(b.get("type") == "object" for b in branches)


def _node(schema: Mapping[str, Any], path: list[str], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema a uiSchema path (field names and ``items``) leads to; {} where it cannot say."""
    node = _resolve(schema, root)
    for part in path:
        forms = [node, *(_resolve(b, root) for b in node.get("oneOf", node.get("anyOf", [])))]  # a message: any of its kinds
        key = "items" if part == "items" else "properties"
        found = [f[key] if key == "items" else f[key][part] for f in forms if key in f and (key == "items" or part in f[key])]
        node = _resolve(found[0], root) if found else {}
    return node


def _at(ui: dict[str, Any], path: list[str]) -> dict[str, Any]:
    for part in path:
        if part:
            ui = ui.setdefault(part, {})
    return ui


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _all_refs(schema: Mapping[str, Any]) -> list[str]:
    return sorted(set(re.findall(r'"\$ref": "(#/[^"]*)"', json.dumps(schema))))


def refs_to(schema: Mapping[str, Any], definition: str) -> list[str]:
    """Every ``$ref`` in ``schema`` that names the definition ``definition`` (at any bundle depth)."""
    found = re.findall(r'"\$ref": "(#/(?:[^"]*/)?definitions/' + re.escape(definition) + r')"', json.dumps(schema))
    return sorted(set(found))


def ui_schema(form: FormHints, schema: Mapping[str, Any], options: Mapping[str, OptionSource]) -> dict[str, Any]:
    """The uiSchema for ``schema``: order, advanced fields, hints, and fields with dynamic choices."""
    ui: dict[str, Any] = {}
    if "oneOf" in schema or "anyOf" in schema:  # a choice of required fields (upload_file): RJSF would show the branch's words
        ui.update({"ui:title": schema.get("title"), "ui:description": schema.get("description")})
    if form.order:
        ui["ui:order"] = [*form.order, "*"]
    for name in (n for n in form.advanced if n in schema.get("properties", {})):
        _merge(_at(ui, [name]), {"ui:options": {"advanced": True}})
    for path, hint in form.fields.items():
        _merge(_at(ui, path.split("/")), _hint(hint, _node(schema, path.split("/"), schema), schema))
    for key, hint in form.definitions.items():
        name, *inner = key.split("/")
        for ref in refs_to(schema, name):
            node = _node({"$ref": ref}, inner, schema)
            _merge(_at(ui.setdefault("ui:definitions", {}), [ref, *inner]), _hint(hint, node, schema))
    _optional_objects(ui, schema, schema)
    for ref in _all_refs(schema):  # at every depth: a tool call's caller, a block's cache control, a batch's params
        _optional_objects(ui.setdefault("ui:definitions", {}).setdefault(ref, {}), _resolve({"$ref": ref}, schema), schema)
    ui["ui:definitions"] = {ref: hints for ref, hints in ui.get("ui:definitions", {}).items() if hints}
    if not ui["ui:definitions"]:
        del ui["ui:definitions"]
    for name, source in options.items():
        choices = {"operation": source.operation, "fallback": [dict(item) for item in source.fallback]}
        _merge(_at(ui, [name]), {"ui:options": {"dynamicOptions": choices}})
    return ui
