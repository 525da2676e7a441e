"""The manifest's draft-07 schemas in the dialects an OpenAPI document speaks.

OpenAPI 3.1 schemas are JSON Schema 2020-12, so little changes: ``dependencies`` splits into
``dependentRequired`` / ``dependentSchemas`` and tuple ``items`` become ``prefixItems``. OpenAPI
3.0 (what Tray's CDK and other older tools import) speaks a subset of draft-05 with its own
words: ``const`` becomes a one-value ``enum``, a type list with null becomes ``nullable``,
``examples`` becomes one ``example``, a draft-07 numeric ``exclusiveMinimum`` becomes
``minimum`` + ``exclusiveMinimum: true``, a ``$ref`` with siblings is wrapped in ``allOf``
(3.0 ignores siblings), and what 3.0 cannot say (``if``/``then``, ``dependencies``,
``propertyNames``, ``contentEncoding``) is dropped: the service still validates every input
against the full draft-07 schema, so a 3.0 client that sends what its schema allows gets the
real rules back as a 422 with each violation.

In both, the bundled ``definitions`` (schema_files.py) move to ``components/schemas`` and each
pointer is rewritten: a document has one root, and ``#/definitions/...`` would point at
nothing there. A definition bundled from another operation's schema file (``create_message.input``
inside count_tokens) becomes a pointer to that operation's own component, not a second copy.
"""

from __future__ import annotations

from typing import Any

COMPONENTS = "#/components/schemas/"
_SUBSCHEMA = ("additionalProperties", "additionalItems", "not", "if", "then", "else", "propertyNames", "contains")
_SUBSCHEMAS = ("allOf", "anyOf", "oneOf")
_SCHEMA_MAPS = ("properties", "patternProperties")
_NOT_IN_30 = ("if", "then", "else", "dependencies", "propertyNames", "contentEncoding", "contentMediaType", "contains", "additionalItems", "patternProperties")


class Hoister:
    """Turns the manifest's schemas into components of one document, for OpenAPI ``version``.

    ``known``: the component names that operations' own schemas take (``<operation>.input`` /
    ``.output``, the file stems the loader bundles them under).
    """

    def __init__(self, version: str, known: set[str]) -> None:
        self.legacy = version.startswith("3.0")
        self.known = known
        self.components: dict[str, Any] = {}

    def add(self, name: str, schema: dict[str, Any]) -> str:
        """Register ``schema`` as component ``name`` (its definitions as their own); its pointer."""
        self._register(name, schema, name)
        return COMPONENTS + name

    def _name(self, owner: str, key: str) -> str:
        return key if key in self.known else f"{owner}.{key}"

    def _register(self, name: str, schema: dict[str, Any], root: str) -> None:
        """``schema`` as component ``name``; its pointers are relative to the file ``root``."""
        if name in self.components:
            return
        definitions = schema.get("definitions", {})
        self.components[name] = self._convert(schema, root)
        for key, definition in definitions.items():
            if key not in self.known:  # an operation's own schema is registered from that operation
                self._register(self._name(name, key), definition, root)

    def _pointer(self, ref: str, root: str) -> str:
        """``#/definitions/a/definitions/b/rest`` (relative to ``root``) as a components pointer."""
        parts = ref.removeprefix("#").split("/")[1:] if ref.startswith("#/") else []
        owner = root
        while len(parts) >= 2 and parts[0] == "definitions":
            owner = self._name(owner, parts[1])
            parts = parts[2:]
        return COMPONENTS + owner + "".join("/" + p for p in parts)

    def _convert(self, node: Any, root: str) -> Any:
        """One schema node in the target dialect, its subschemas converted in turn."""
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _SCHEMA_MAPS:
                out[key] = {name: self._convert(sub, root) for name, sub in value.items()}
            elif key in _SUBSCHEMA:
                out[key] = self._convert(value, root)
            elif key in _SUBSCHEMAS:
                out[key] = [self._convert(sub, root) for sub in value]
            elif key == "items":
                out[key] = [self._convert(sub, root) for sub in value] if isinstance(value, list) else self._convert(value, root)
            elif key == "dependencies":
                out[key] = {name: value[name] if isinstance(value[name], list) else self._convert(value[name], root) for name in value}
            elif key == "$ref":
                out[key] = self._pointer(value, root)
            elif key not in ("$schema", "$id", "$comment", "definitions"):
                out[key] = value
        return _as_30(out) if self.legacy else _as_31(out)


def _as_31(node: dict[str, Any]) -> dict[str, Any]:
    """Draft-07 words that 2020-12 spells differently."""
    dependencies = node.pop("dependencies", None)
    if dependencies:
        required = {k: v for k, v in dependencies.items() if isinstance(v, list)}
        schemas = {k: v for k, v in dependencies.items() if not isinstance(v, list)}
        node.update({k: v for k, v in (("dependentRequired", required), ("dependentSchemas", schemas)) if v})
    if isinstance(node.get("items"), list):
        node["prefixItems"] = node.pop("items")
        if "additionalItems" in node:
            node["items"] = node.pop("additionalItems")
    return node


def _as_30(node: dict[str, Any]) -> dict[str, Any]:
    """Draft-07 in OpenAPI 3.0's subset, each change as the module docstring lists it."""
    for key in _NOT_IN_30:
        node.pop(key, None)
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if "examples" in node:
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), (int, float)) and not isinstance(node[bound], bool):
            node[plain], node[bound] = node[bound], True
    types = node.get("type")
    if isinstance(types, list) or types == "null":
        kinds = [t for t in (types if isinstance(types, list) else [types]) if t != "null"]
        if len(kinds) != len(types if isinstance(types, list) else [types]):
            node["nullable"] = True
        del node["type"]
        if len(kinds) == 1:
            node["type"] = kinds[0]
        elif kinds:
            alternatives = {"anyOf": [{"type": kind} for kind in kinds]}
            node.update(alternatives if "anyOf" not in node else {"allOf": [alternatives, *node.get("allOf", [])]})
        else:
            node["enum"] = [None]
    if None in node.get("enum", []):
        node["nullable"] = True
    if isinstance(node.get("items"), list):
        node["items"] = {"anyOf": node["items"]} if node["items"] else {}
    if node.get("required") == []:
        del node["required"]
    if "$ref" in node and len(node) > 1:
        node = {"allOf": [{"$ref": node.pop("$ref")}], **node}
    return node
