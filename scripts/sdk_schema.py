"""Read the official SDK's types as JSON Schema: the walker behind gen_message_schemas.py.

The SDK (``anthropic``, a test dependency) types every request as TypedDicts and every answer
as pydantic models, each field with a docstring. ``Walker`` turns one such type graph into
draft-07 definitions, one per class, named by the class with its ``Beta``/``Request`` prefix
and ``Param`` suffix dropped so that the GA and the beta spelling of a type land on one name;
``merge`` then joins the GA and beta documents into one, remembering what only beta has.
"""

from __future__ import annotations

import ast
import datetime
import inspect
import re
import sys
import textwrap
import typing
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal, Union, get_args, get_origin

import typing_extensions as te

JSON = dict[str, Any]
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}
_SEQUENCES = (list, Iterable, Sequence, typing.List, typing.Iterable, typing.Sequence)


def canonical(cls: type) -> str:
    """The definition name of a class: ``BetaRequestDocumentBlockParam`` → ``documentBlock``."""
    name = cls.__name__.lstrip("_")
    for prefix in ("Beta", "Request"):
        name = name.removeprefix(prefix)
    while name.endswith(("Param", "Typed")):
        name = name.removesuffix("Param").removesuffix("Typed")
    head = re.match(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]", name)
    return name[: head.end()].lower() + name[head.end() :] if head else name


@lru_cache(maxsize=None)
def _module_docs(module: str) -> dict[str, tuple[str | None, dict[str, str]]]:
    """Class docstring and attribute docstrings of every class in a module, read from its source."""
    source = inspect.getsource(sys.modules[module])
    out: dict[str, tuple[str | None, dict[str, str]]] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        attrs: dict[str, str] = {}
        body = node.body
        for here, after in zip(body, body[1:]):
            if isinstance(here, ast.AnnAssign) and isinstance(here.target, ast.Name):
                if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
                    attrs[here.target.id] = after.value.value
        out[node.name] = (ast.get_docstring(node), attrs)
    return out


def docs(cls: type) -> tuple[str | None, dict[str, str]]:
    """``(class docstring, {field: docstring})`` for ``cls`` and the classes it inherits from."""
    own_doc: str | None = None
    fields: dict[str, str] = {}
    for base in reversed(_lineage(cls)):
        try:
            doc, attrs = _module_docs(base.__module__).get(base.__name__, (None, {}))
        except (OSError, TypeError, KeyError):
            continue
        fields.update(attrs)
        if base is cls:
            own_doc = doc
    return own_doc, fields


def _lineage(cls: type) -> list[type]:
    """``cls`` and its bases, nearest first (a TypedDict keeps its bases only in __orig_bases__)."""
    out = [cls]
    for base in getattr(cls, "__orig_bases__", ()) if is_typeddict(cls) else cls.__mro__[1:]:
        if isinstance(base, type) and base not in out and base not in (dict, object):
            out += [b for b in _lineage(base) if b not in out]
    return out


def first_paragraph(text: str | None) -> str | None:
    """The first paragraph of a docstring, on one line."""
    if not text:
        return None
    text = textwrap.dedent(text).strip()
    return " ".join(text.split("\n\n")[0].split())


def is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and te.is_typeddict(tp)


def is_model(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "model_fields")


def fields(cls: type) -> dict[str, tuple[Any, bool]]:
    """``{json key: (type, required)}`` of a TypedDict or a pydantic model."""
    if is_model(cls):
        return {(f.alias or k): (f.annotation, f.is_required()) for k, f in cls.model_fields.items()}
    hints = te.get_type_hints(cls, include_extras=True)
    out = {}
    for name, tp in hints.items():
        required = get_origin(tp) is te.Required or (_total_of(cls, name) and get_origin(tp) is not te.NotRequired)
        while get_origin(tp) in (te.Required, te.NotRequired):
            tp = get_args(tp)[0]
        out[name] = (tp, required)
    return out


def _total_of(cls: type, name: str) -> bool:
    """Whether the TypedDict class that declares ``name`` is total."""
    for base in cls.__mro__:
        if name in base.__dict__.get("__annotations__", {}):
            return bool(getattr(base, "__total__", True))
    return True


def unwrap(tp: Any) -> Any:
    while get_origin(tp) in (te.Annotated, typing.Annotated):
        tp = get_args(tp)[0]
    return tp


def flatten(tp: Any) -> list[Any]:
    """The members of a (nested) union; one member for anything else."""
    tp = unwrap(tp)
    if get_origin(tp) is Union or (sys.version_info >= (3, 10) and type(tp).__name__ == "UnionType"):
        return [m for a in get_args(tp) for m in flatten(a)]
    return [tp]


def literals(tp: Any) -> list[Any] | None:
    tp = unwrap(tp)
    if get_origin(tp) in (Literal, te.Literal):
        return list(get_args(tp))
    return None


def type_consts(cls: type) -> list[Any]:
    """The values of a class's ``type`` field (one, or more for an alias), [] when it has none."""
    entry = fields(cls).get("type")
    if entry is None:
        return []
    return [v for m in flatten(entry[0]) for v in (literals(m) or [])]


def _is_json(tp: Any) -> bool:
    """False for the SDK's non-JSON conveniences (file objects, paths, bytes)."""
    origin = get_origin(tp) or tp
    name = getattr(origin, "__name__", "")
    return name not in ("IO", "PathLike", "BinaryIO", "bytes", "BaseModel") and origin is not bytes


class Walker:
    """One SDK type graph as draft-07 definitions (``self.definitions``), one per class."""

    def __init__(self) -> None:
        self.definitions: dict[str, JSON] = {}
        self.sources: dict[str, type] = {}

    def ref(self, cls: type) -> JSON:
        name = canonical(cls)
        if name not in self.definitions:
            self.definitions[name] = {}  # taken: a class that refers back to itself stops here
            self.sources[name] = cls
            self.definitions[name] = self.object(cls)
        return {"$ref": f"#/definitions/{name}"}

    def object(self, cls: type) -> JSON:
        doc, field_docs = docs(cls)
        schema: JSON = {"type": "object"}
        if first_paragraph(doc):
            schema["description"] = first_paragraph(doc)
        props: JSON = {}
        required = []
        for key, (tp, req) in fields(cls).items():
            prop = self.schema(tp)
            described = first_paragraph(field_docs.get(key) or field_docs.get(key + "_"))
            if described:
                prop = {**prop, "description": described}
            props[key] = prop
            if req:
                required.append(key)
        if required:
            schema["required"] = required
        schema["properties"] = props
        config = getattr(cls, "__pydantic_config__", None) or {}
        if not is_model(cls) and config.get("extra") != "allow":
            schema["additionalProperties"] = False
        return schema

    def schema(self, tp: Any) -> JSON:
        members = [m for m in flatten(tp) if _is_json(m)]
        nullable = any(m is type(None) for m in members)
        members = [m for m in members if m is not type(None)]
        lits = [v for m in members for v in (literals(m) or [])]
        if lits and all(literals(m) is not None for m in members):
            out: JSON = {"const": lits[0]} if len(lits) == 1 else {"enum": lits}
            kinds = sorted({_SCALARS[type(v)] for v in lits if type(v) in _SCALARS})
            out = {"type": kinds[0] if len(kinds) == 1 else kinds, **out}
            return _nullable(out) if nullable else out
        if str in members and any(literals(m) is not None for m in members):
            # Union[str, Literal[...]]: any text, the literals being the known values.
            examples = [v for m in members for v in (literals(m) or [])]
            out = {"type": "string", "examples": examples}
            return _nullable(out) if nullable else out
        if any(_is_dict(m) and _is_any(get_args(m)[1] if get_args(m) else object) for m in members) and any(is_typeddict(m) for m in members):
            # Union[SomeTypedDict, Dict[str, object]]: the typed form, left open.
            typed = next(m for m in members if is_typeddict(m))
            out = self.ref(typed)
            return _nullable(out) if nullable else out
        parts: list[JSON] = []
        for member in members:
            part = self._one(member)
            if part not in parts:  # two SDK classes of one name (a param and its response twin)
                parts.append(part)
        out = parts[0] if len(parts) == 1 else {"oneOf": parts}
        return _nullable(out) if nullable else out

    def _one(self, tp: Any) -> JSON:
        tp = unwrap(tp)
        if tp in _SCALARS:
            return {"type": _SCALARS[tp]}
        if tp is object or tp is Any:
            return {}
        if tp is datetime.datetime:
            return {"type": "string", "format": "date-time"}
        if tp is datetime.date:
            return {"type": "string", "format": "date"}
        if literals(tp) is not None:
            return self.schema(tp)
        if is_typeddict(tp) or is_model(tp):
            return self.ref(tp)
        origin = get_origin(tp)
        args = get_args(tp)
        if _is_dict(tp):
            value = args[1] if len(args) == 2 else object
            return {"type": "object"} if _is_any(value) else {"type": "object", "additionalProperties": self.schema(value)}
        if origin in _SEQUENCES or getattr(origin, "__name__", "") in ("SequenceNotStr", "list", "Iterable", "Sequence"):
            return {"type": "array", "items": self.schema(args[0]) if args else {}}
        if getattr(tp, "__name__", "") == "SequenceNotStr":
            return {"type": "array"}
        if get_origin(tp) is Union:
            return self.schema(tp)
        raise TypeError(f"no JSON Schema for {tp!r}")


def _is_dict(tp: Any) -> bool:
    return get_origin(tp) in (dict, Mapping, typing.Dict, typing.Mapping) or tp in (dict, typing.Dict)


def _is_any(tp: Any) -> bool:
    return tp is object or tp is Any


def _nullable(schema: JSON) -> JSON:
    kind = schema.get("type")
    if isinstance(kind, str) and "$ref" not in schema and "oneOf" not in schema:
        out = {**schema, "type": [kind, "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "const" in out:
            out = {k: v for k, v in out.items() if k != "const"} | {"enum": [schema["const"], None]}
        return out
    if "oneOf" in schema:
        return {**schema, "oneOf": [*schema["oneOf"], {"type": "null"}]}
    if not schema:
        return schema
    return {"oneOf": [schema, {"type": "null"}]}


def walk(*roots: type) -> Walker:
    walker = Walker()
    for root in roots:
        walker.ref(root)
    return walker


def humanize(key: str) -> str:
    """A field name as a title: ``budget_tokens`` → ``Budget tokens``, ``mcp_server_url`` → ``MCP server URL``."""
    words = key.strip("_").split("_")
    upper = {"id", "url", "mcp", "ttl", "pdf", "bm25", "uuid", "json", "ids", "urls", "ms", "api", "geo", "px"}
    out = []
    for i, word in enumerate(words):
        if word in upper and word not in ("ms", "px", "geo"):
            out.append(word.upper() if word not in ("ids", "urls") else word[:-1].upper() + "s")
        elif i == 0:
            out.append(word.capitalize())
        else:
            out.append(word)
    return re.sub(r"\s+", " ", " ".join(out))
