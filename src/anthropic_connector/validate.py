"""Check a payload against a JSON Schema and report every violation, in words a workflow user reads.

Two validators per schema, built once: jsonschema-rs answers "is it valid?" in about a
microsecond, so a valid input (the common case) costs almost nothing and start-up skips the
pure-Python jsonschema import; only an invalid input is walked by jsonschema, whose
``iter_errors`` gives every violation with its path and keyword. Each violation becomes
``{"path": "/messages/0/content", "message": "..."}``, the path an RFC 6901 JSON pointer.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple
from urllib.parse import unquote

import jsonschema_rs

from .errors import ValidationError
from .pointers import segments

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as SchemaViolation

_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def pointer(parts: Iterable[Any]) -> str:
    """RFC 6901 pointer for a path of keys and indexes ('~' → '~0', '/' → '~1')."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _expected_types(expected: str | list[str]) -> str:
    names = [_TYPE_NAMES.get(t, t) for t in ([expected] if isinstance(expected, str) else expected)]
    return " or ".join(names)


def _shown(error: SchemaViolation, limit: int = 60) -> str:
    """The offending value for a message; never the value of a writeOnly (secret) field."""
    if isinstance(error.schema, dict) and error.schema.get("writeOnly"):
        return "a hidden value"
    try:
        text = json.dumps(error.instance, ensure_ascii=False)
    except ValueError:
        text = repr(error.instance)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _form(schema: dict[str, Any], pattern: str) -> str:
    """How to write a value a pattern accepts: the schema's first example, else its description,
    else the pattern itself."""
    if schema.get("examples"):
        return f"for example {json.dumps(schema['examples'][0], ensure_ascii=False)}"
    return str(schema.get("description") or f"matching {pattern}").rstrip(".")


# One phrasing per JSON Schema keyword; anything else falls back to jsonschema's own message.
_MESSAGES: dict[str, Callable[[SchemaViolation], str]] = {
    "type": lambda e: f"must be {_expected_types(e.validator_value)}, got {_shown(e)}",
    "enum": lambda e: "must be one of: " + ", ".join(json.dumps(v) for v in e.validator_value),
    "const": lambda e: f"must be {json.dumps(e.validator_value)}",
    "minimum": lambda e: f"must be at least {e.validator_value}",
    "maximum": lambda e: f"must be at most {e.validator_value}",
    "exclusiveMinimum": lambda e: f"must be greater than {e.validator_value}",
    "exclusiveMaximum": lambda e: f"must be less than {e.validator_value}",
    "minLength": lambda e: "must not be empty" if e.validator_value == 1 else f"must be at least {e.validator_value} characters long",
    "maxLength": lambda e: f"must be at most {e.validator_value} characters long",
    "minItems": lambda e: "must have at least one item" if e.validator_value == 1 else f"must have at least {e.validator_value} items",
    "maxItems": lambda e: f"must have at most {e.validator_value} items",
    "pattern": lambda e: f"{_shown(e)} is not in the expected form ({_form(e.schema, e.validator_value)})",
    "oneOf": lambda e: "must be one of the accepted forms" + (f": {e.schema['description']}" if e.schema.get("description") else ""),
    "not": lambda e: str(e.validator_value["description"]) if isinstance(e.validator_value, dict) and e.validator_value.get("description") else f"{_shown(e)} is not allowed here",
    "anyOf": lambda e: "must be one of the accepted forms" + (f": {e.schema['description']}" if e.schema.get("description") else ""),
}


_STRUCTURAL = ("type", "required", "additionalProperties", "const")


def _closest_branch(context: list[SchemaViolation]) -> list[SchemaViolation]:
    """The errors of the one alternative the value was evidently meant to be, or [] if unclear.

    An alternative whose complaint is about the value's own shape (wrong type, missing or
    unknown keys) is a worse fit than one that only objects to something inside it.
    """
    branches: dict[Any, list[SchemaViolation]] = {}
    for e in context:
        branches.setdefault(e.relative_schema_path[0], []).append(e)
    fits = [errs for errs in branches.values() if not any(not e.relative_path and e.validator in _STRUCTURAL for e in errs)]
    return fits[0] if len(fits) == 1 else []


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    """``schema`` with a local ``$ref`` followed (the loader bundles every schema into one file)."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#") and seen < 32:
        node: Any = root
        for node in _along(schema["$ref"], root):
            pass
        schema, seen = node, seen + 1
    return schema


def _along(ref: str, root: dict[str, Any]) -> Iterator[Any]:
    """The nodes a local $ref's pointer ("#/definitions/a", percent-decoded as a URI fragment)
    passes from ``root``, the last the one it points to; None where it leads nowhere."""
    node: Any = root
    for token in segments(unquote(ref[1:])):
        if isinstance(node, list):
            node = node[int(token)] if token.isdigit() and int(token) < len(node) else None
        else:
            node = node.get(token) if isinstance(node, dict) else None
        yield node
        if node is None:
            return


def _tags(branch: Any, key: str) -> list[Any] | None:
    """The values a branch's ``key`` may take when the branch pins it (const or enum), else None."""
    prop = branch.get("properties", {}).get(key) if isinstance(branch, dict) else None
    if not isinstance(prop, dict):
        return None
    if "const" in prop:
        return [prop["const"]]
    labelled = prop.get("oneOf")  # an enum as labelled constants (what a form shows)
    if isinstance(labelled, list) and labelled and all(isinstance(b, dict) and ("const" in b or b.get("type") == "null") for b in labelled):
        return [b.get("const") for b in labelled]
    return list(prop["enum"]) if isinstance(prop.get("enum"), list) else None


def _discriminated(error: SchemaViolation, root: dict[str, Any]) -> list[tuple[Path, str]] | None:
    """For a union whose object alternatives each pin one field (``type``, ``role``), the
    alternative the value names, in its own words and at its own paths; None when the union is
    not of that kind or the value names none unambiguously."""
    value = error.instance
    if not isinstance(value, dict):
        return None
    branches = [_resolve(b, root) for b in error.validator_value]
    alternatives = [i for i, b in enumerate(branches) if isinstance(b, dict) and "properties" in b]
    if len(alternatives) < 2:
        return None
    for key in branches[alternatives[0]]["properties"]:
        objects = [i for i in alternatives if _tags(branches[i], key) is not None]
        rest = [i for i in alternatives if i not in objects]  # at most one, taking the values the others do not pin
        if len(objects) < 2 or len(rest) > 1 or (rest and _refused(branches[rest[0]], key, root) is None):
            continue
        if key in value:
            chosen = [i for i in objects if value[key] in _tags(branches[i], key)]  # type: ignore[operator]
        else:
            chosen = [i for i in objects if key not in branches[i].get("required", [])]
        path = (*error.absolute_path, key)
        if not chosen:
            if key not in value:
                return [(path, "is required")]
            accepted = [json.dumps(v) for i in objects for v in _tags(branches[i], key) or [] if v is not None]  # type: ignore[union-attr]
            return [(path, "must be one of: " + ", ".join(dict.fromkeys(accepted)))]
        if len(chosen) == 1:
            errors = [e for e in error.context or [] if e.relative_schema_path[0] == chosen[0]]
            return [v for e in errors for v in _violations(e, root)] or None
    return None


def _constant_choice(error: SchemaViolation, root: dict[str, Any]) -> str | None:
    """A oneOf of labelled constants (an enum a form shows with labels) reads as an enum."""
    branches = [_resolve(b, root) for b in error.validator_value]
    if not branches or not all(isinstance(b, dict) and ("const" in b or b.get("type") == "null") for b in branches):
        return None
    return "must be one of: " + ", ".join(json.dumps(b.get("const")) for b in branches)


Path = tuple[Any, ...]  # keys and array indices, as jsonschema gives them


def _violations(error: SchemaViolation, root: dict[str, Any]) -> list[tuple[Path, str]]:
    """Turn one jsonschema error into the violations a user sees (several for extra fields)."""
    path = tuple(error.absolute_path)
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        return [((*path, name), "is required") for name in error.validator_value if name not in present]
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        known = ", ".join(sorted(allowed))
        return [((*path, k), f"is not a known field (known fields: {known})") for k in extra]
    if error.validator == "propertyNames":
        return [(path, f"has a name that is not allowed: {error.message}")]
    if error.validator in ("oneOf", "anyOf"):
        constant = _constant_choice(error, root)
        if constant:
            return [(path, constant)]
        named = _discriminated(error, root)
        if named:
            return named
    if error.validator in ("oneOf", "anyOf") and error.context:
        if all(e.validator == "required" and not e.relative_path for e in error.context):
            return [(path, f"needs {_alternatives(error)}")]  # a choice of fields: name the choices
        branch = _closest_branch(error.context)
        if branch:
            return [v for e in branch for v in _violations(e, root)]
    if error.validator == "oneOf" and not error.context:  # more than one form fits
        titles = [b.get("title") or f"form {i + 1}" for i, b in enumerate(error.validator_value) if isinstance(b, dict)]
        return [(path, "must take only one of these forms: " + ", ".join(titles))]
    render = _MESSAGES.get(str(error.validator))
    if render is None:
        secret = isinstance(error.schema, dict) and error.schema.get("writeOnly")
        return [(path, f"is not valid ({error.validator})" if secret else error.message)]
    return [(path, render(error))]


def _alternatives(error: SchemaViolation) -> str:
    """"file_path, or file_base64 and filename": the fields each branch of a choice requires."""
    branches = [b.get("required", []) for b in error.validator_value if isinstance(b, dict)]
    return ", or ".join(" and ".join(names) for names in branches if names)


def order(path: Path) -> tuple[tuple[int, Any], ...]:
    """A sort key for a path: indices as numbers (/messages/2 before /messages/10), keys as text."""
    return tuple((0, part) if isinstance(part, int) else (1, str(part)) for part in path)


# Keywords that only annotate: jsonschema-rs keeps every one it is given (create_message's
# compiled input schema held 2 MB of them), and the fast validator needs none of them. The
# x-* marks stay: they are the annotations ``Validator.annotations`` is asked for (betas.py).
_NOTES = frozenset({"title", "description", "examples", "$comment", "default", "readOnly", "writeOnly"})
# Keywords whose value is a map of names (not keywords) to subschemas.
_NAMED = frozenset({"properties", "patternProperties", "definitions", "$defs", "dependencies"})


def lean(schema: Any) -> Any:
    """``schema`` for the fast validator: its annotating keywords dropped (values held as data,
    const, enum and x-* marks, and the names of properties are left exactly as they are), and
    each oneOf that no value can match two branches of made an anyOf, which stops at the
    branch that holds instead of trying them all: the same verdict, on fewer of the compiled
    schema's nodes (an answer's text block is held to 1 of 15 block kinds, not to 15)."""
    kept = _lean(schema, schema, {})
    return _shared(kept) if isinstance(kept, dict) else kept


def _lean(node: Any, root: dict[str, Any], kinds: dict[str, _Kind | None]) -> Any:
    if isinstance(node, list):
        return [_lean(item, root, kinds) for item in node]
    if not isinstance(node, dict):
        return node
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if key in _NOTES:
            continue
        if key in ("const", "enum") or key.startswith("x-"):
            kept[key] = value
        elif key in _NAMED and isinstance(value, dict):
            kept[key] = {name: _lean(sub, root, kinds) for name, sub in value.items()}
        elif key == "oneOf" and _exclusive(value, root, kinds):
            kept["anyOf"] = _lean(value, root, kinds)
        else:
            kept[key] = _lean(value, root, kinds)
    return kept


# Keywords whose value is one subschema, or a list of subschemas.
_ONE = frozenset({"not", "if", "then", "else", "items", "additionalItems", "additionalProperties", "contains", "propertyNames"})
_MANY = frozenset({"allOf", "anyOf", "oneOf", "items"})
# The fewest keywords (its own and its subschemas') a subschema written twice must have to be
# shared: below it, the $ref's own node costs about what the copy would.
_SHARED_SIZE = 3


def _shared(root: dict[str, Any]) -> dict[str, Any]:
    """``root`` (lean's own copy, changed in place) with each subschema written more than once
    kept once, as a definition that each of its places $refs. jsonschema-rs compiles a $ref's
    target once however often it is referred to, so the browser toolset's 35 identical configs,
    or the ``cache_control`` of every block, are compiled once: create_message's two compiled
    schemas take about 0.5 MB less. Same verdicts: a subschema means the same wherever it
    stands, and every $ref points from the root. What stays: a subschema under a $id (where a
    $ref means something else), and one that a $ref's pointer passes through on its way."""
    sharing = _Sharing()
    sharing.children(root, scoped=False)
    passed = _passed_through(root, sharing.pointers)
    given = root.get("definitions")
    names = set(given) if isinstance(given, dict) else set()
    shared: dict[str, Any] = {}
    for number, places in sharing.places.items():
        places = [node for node in places if id(node) not in passed]
        if len(places) < 2:
            continue
        name = f"shared{number}"
        while name in names:
            name += "_"
        shared[name] = dict(places[0])
        for node in places:
            node.clear()
            node["$ref"] = f"#/definitions/{name}"
    if shared:
        root["definitions"] = {**(given if isinstance(given, dict) else {}), **shared}
    return root


def _passed_through(root: dict[str, Any], pointers: set[str]) -> set[int]:
    """The ids of the subschemas that the local ``pointers`` ("#/properties/a/items") pass
    through before they end: made a $ref, such a subschema would leave the pointer nowhere."""
    return {id(node) for ref in pointers for node in list(_along(ref, root))[:-1] if node is not None}


def _data(value: Any) -> Any:
    """A JSON value (const, enum, required…) as a hashable that tells 1 from True."""
    if isinstance(value, str):  # most are: a type's name, a $ref
        return value
    if isinstance(value, dict):
        return ("{", *sorted((name, _data(item)) for name, item in value.items()))
    if isinstance(value, list):
        return ("[", *map(_data, value))
    return (type(value), value)


class _Sharing:
    """One walk, subschemas before the schema they stand in, that numbers each subschema's
    shape and lists the places of each shape that may be shared."""

    def __init__(self) -> None:
        self.shapes: dict[Any, int] = {}
        self.size: list[int] = []  # a shape's keywords, its own and its subschemas'
        self.places: dict[int, list[dict[str, Any]]] = {}
        self.pointers: set[str] = set()  # every local $ref pointer met

    def children(self, node: dict[str, Any], scoped: bool) -> tuple[Any, int]:
        """Visit ``node``'s subschemas; ``node``'s shape and size. ``scoped``: under a $id,
        where a $ref means something else, nothing is listed to move."""
        parts, size = [], len(node)
        scoped = scoped or "$id" in node
        for key, value in node.items():
            if isinstance(value, dict) and key in _ONE:
                part: Any = self.visit(value, scoped)
                size += self.size[part]
            elif isinstance(value, dict) and key in _NAMED:
                named = []
                for name, sub in value.items():
                    if isinstance(sub, dict):
                        number = self.visit(sub, scoped)
                        named.append((name, number))
                        size += self.size[number]
                    else:
                        named.append((name, _data(sub)))
                part = ("{}", *sorted(named))
            elif isinstance(value, list) and key in _MANY:
                numbers = []
                for sub in value:
                    if isinstance(sub, dict):
                        number = self.visit(sub, scoped)
                        numbers.append(number)
                        size += self.size[number]
                    else:  # a true or false schema
                        numbers.append(_data(sub))
                part = ("[]", *numbers)
            else:
                if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
                    self.pointers.add(value)
                part = _data(value)
            parts.append((key, part))
        return tuple(sorted(parts)), size

    def visit(self, node: dict[str, Any], scoped: bool) -> int:
        """``node``'s shape number; ``node`` listed as a place of it, if it may be shared."""
        shape, size = self.children(node, scoped)
        number = self.shapes.setdefault(shape, len(self.shapes))
        if number == len(self.size):
            self.size.append(size)
        if not scoped and "$id" not in node and size >= _SHARED_SIZE:
            self.places.setdefault(number, []).append(node)
        return number


class _Kind(NamedTuple):
    """What values of a oneOf branch may be: their JSON types (None: any) and its one constant
    (_NONE: none); ``branch`` is the branch, $ref followed."""

    types: frozenset[str] | None
    const: Any
    branch: dict[str, Any]


_NONE = object()
_OBJECT = frozenset({"object"})
_JSON_TYPES = {bool: "boolean", int: "number", float: "number", str: "string", type(None): "null", list: "array", dict: "object"}


def _kind(branch: Any, root: dict[str, Any], kinds: dict[str, _Kind | None]) -> _Kind | None:
    """``branch``'s kind (worked out once per $ref), None for a branch that is no schema object."""
    ref = branch.get("$ref") if isinstance(branch, dict) else None
    if isinstance(ref, str) and ref in kinds:
        return kinds[ref]
    target = _resolve(branch, root)
    kind = None
    if isinstance(target, dict):
        values = [target["const"]] if "const" in target else target.get("enum")
        declared = target.get("type")
        if isinstance(values, list):
            types: frozenset[str] | None = frozenset(_JSON_TYPES.get(type(v), "?") for v in values)
        elif declared is not None:
            types = frozenset("number" if t == "integer" else t for t in ([declared] if isinstance(declared, str) else declared))
        else:
            types = None
        kind = _Kind(types, target.get("const", _NONE), target)
    if isinstance(ref, str):
        kinds[ref] = kind
    return kind


def _exclusive(branches: Any, root: dict[str, Any], kinds: dict[str, _Kind | None]) -> bool:
    """Whether no value can match two of ``branches``: the objects among them each require a
    property pinned to a value of its own (a block's ``type``), and any other two take no JSON
    type in common or are two constants. Python's equality stands for JSON's here, and errs
    only towards "may match both" ([1] == [True]), which keeps the oneOf."""
    if not isinstance(branches, list):
        return False
    found = [_kind(branch, root, kinds) for branch in branches]
    known = [kind for kind in found if kind is not None]
    if len(known) < len(found):
        return False
    objects = [kind for kind in known if kind.types == _OBJECT]
    others = [kind for kind in known if kind.types != _OBJECT]
    pairs = [(a, b) for i, a in enumerate(others) for b in [*others[i + 1:], *objects[:1]]]
    return all(_apart(a, b) for a, b in pairs) and (len(objects) < 2 or _tagged([kind.branch for kind in objects], root))


def _apart(a: _Kind, b: _Kind) -> bool:
    if a.types is not None and b.types is not None and not a.types & b.types:
        return True
    return a.const is not _NONE and b.const is not _NONE and a.const != b.const


def _tagged(objects: list[dict[str, Any]], root: dict[str, Any]) -> bool:
    """Whether one property every object requires is pinned (const) to a different value in
    each, but for at most one object that refuses every value the others pin (an answer's
    catch-all for a block type the API adds later)."""
    for name in objects[0].get("required", ()):
        values, refused = [], None
        for branch in objects:
            prop = _resolve(branch.get("properties", {}).get(name), root) if name in branch.get("required", ()) else None
            if isinstance(prop, dict) and "const" in prop:
                values.append(prop["const"])
            elif refused is None and name in branch.get("required", ()) and (found := _refused(branch, name, root)) is not None:
                refused = found
            else:
                break
        else:
            apart = all(a != b for i, a in enumerate(values) for b in values[i + 1:])
            if apart and (refused is None or all(any(v == r and type(v) is type(r) for r in refused) for v in values)):
                return True
    return False


def _refused(branch: dict[str, Any], name: str, root: dict[str, Any]) -> list[Any] | None:
    """The values of property ``name`` that ``branch`` refuses, when its ``not`` refuses those
    and nothing else: ``{"not": {"properties": {name: {"enum": [...]}}}}``."""
    refusal = _resolve(branch.get("not"), root)
    if not (isinstance(refusal, dict) and set(refusal).difference(_NOTES) == {"properties"} and set(refusal["properties"]) == {name}):
        return None
    values = _resolve(refusal["properties"][name], root)
    if not (isinstance(values, dict) and set(values).difference(_NOTES) == {"enum"} and isinstance(values["enum"], list)):
        return None
    return values["enum"]


class Validator:
    """A compiled schema: ``errors()`` lists violations, ``check()`` raises them all at once.

    ``schema`` is the schema, or a function that reads it: then the validator keeps only its
    compiled form, and reads the schema again on the rare occasions it wants it whole (the
    messages for an invalid instance, betas.py's triggers). create_message's input schema is
    1 MB as dicts, which a valid input never needs. ``lean_schema``: a function that gives
    ``lean(schema)`` faster than working it out (schema_files.SchemaFiles.lean, from the cache).
    """

    def __init__(self, schema: dict[str, Any] | Callable[[], dict[str, Any]], lean_schema: Callable[[], dict[str, Any]] | None = None) -> None:
        self._schema = schema
        self._lean = lean_schema
        self._fast: Any = None  # compiled on first use: a run compiles only the schema it needs
        self._full: Any = None

    @property
    def schema(self) -> dict[str, Any]:
        return self._schema() if callable(self._schema) else self._schema

    @staticmethod
    def meta_errors(schema: Any) -> list[SchemaViolation]:
        """What makes ``schema`` itself an invalid draft-07 schema (empty when it is fine)."""
        if isinstance(schema, dict):
            try:
                if jsonschema_rs.meta.is_valid({**schema, "$schema": "http://json-schema.org/draft-07/schema#"}):
                    return []
            except jsonschema_rs.ReferencingError:
                pass  # let jsonschema say what is wrong
        from jsonschema import Draft7Validator

        return list(Draft7Validator(Draft7Validator.META_SCHEMA).iter_errors(schema))

    def _compiled(self) -> Any:
        if self._fast is None:
            self._fast = jsonschema_rs.Draft7Validator(self._lean() if self._lean else lean(self.schema))
        return self._fast

    def compile(self) -> None:
        """Compile now rather than at first use. A request's answer check is compiled before the
        request goes out (operations.build): compiling create_message's output schema takes
        a few MB of scratch memory, which, done as the first answer arrives, adds to what the
        requests then in flight hold (1.5 MB more at the peak with 256 of them)."""
        self._compiled()

    def annotations(self, instance: Any, keyword: str) -> list[Any]:
        """The values of ``keyword`` in the subschemas a valid ``instance`` was held to and passed:
        JSON Schema's output keeps the annotations (an unknown keyword is one) of the subschemas
        that hold and drops those of a failed branch."""
        found = self._compiled().evaluate(instance).annotations()
        return [entry["annotations"][keyword] for entry in found if isinstance(entry.get("annotations"), dict) and keyword in entry["annotations"]]

    def errors(self, instance: Any) -> list[dict[str, str]]:
        """Every violation, sorted by path, each ``{"path", "message"}``."""
        if self._compiled().is_valid(instance):
            return []
        if self._full is None:
            from jsonschema import Draft7Validator

            self._full = Draft7Validator(self.schema)
        seen: list[tuple[Path, str]] = []
        for error in self._full.iter_errors(instance):
            seen.extend(v for v in _violations(error, self._full.schema) if v not in seen)
        if not seen:
            # The two engines read a few regexes differently (Python's $ also matches before a
            # final line break): jsonschema-rs's verdict stands, in its own words, value hidden.
            seen = [(tuple(e.instance_path), f"is not valid ({type(e.kind).__name__.lower()} check)") for e in self._fast.iter_errors(instance)]
        return [{"path": pointer(path), "message": message} for path, message in sorted(seen, key=lambda v: order(v[0]))]

    def check(self, instance: Any, what: str = "input") -> None:
        """Raise ValidationError naming every violation, or return when the instance is valid."""
        violations = self.errors(instance)
        if violations:
            raise ValidationError(f"the {what} is invalid: {describe(violations)}", details=violations)


def describe(violations: list[dict[str, str]]) -> str:
    """One line for a person: the first violation, and how many more there are."""
    first, more = violations[0], len(violations) - 1
    return f"{first['path'] or '(root)'} {first['message']}" + (f" (and {more} more)" if more else "")
