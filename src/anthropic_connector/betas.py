"""The betas an input needs, read from its schema's ``x-anthropic-beta`` marks.

The schema says which field, tool, block or value needs which beta (scripts/gen_message_schemas.py
writes the marks from the SDK); this module reads marks generically, so a new mark needs no code.
A mark counts only when the input takes the subschema that carries it: ``speed: "fast"`` needs
fast-mode, ``speed: "standard"`` does not, and a ``bash_20241022`` tool needs computer-use while
another tool does not.

Two passes, so that an input that needs no beta (nearly every one) costs one cheap walk once a
connector has seen a few (``WARM``):

1. ``Triggers``, from the schema once: the property names that carry a mark, and the constants a
   marked subschema pins (its ``const``, or the ``const`` of a property it requires: a block's
   or a tool's ``type``). A mark that pins nothing sends every input to pass 2.
   Each is necessary for its mark to count, none sufficient.
2. Only an input holding one of them is evaluated by jsonschema-rs, whose output keeps the
   annotations of the subschemas the input is valid against (an unknown keyword is an
   annotation) and drops those of a failed ``oneOf`` branch: exactly "the input takes it".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Mapping, NamedTuple

if TYPE_CHECKING:
    from .validate import Validator

MARK = "x-anthropic-beta"


class Triggers(NamedTuple):
    """What an input must hold for any mark to count: a marked property's key (in an object
    holding one of the constants that property's object pins, when it pins any), a constant a
    marked subschema pins, or anything at all. (A NamedTuple: a one-shot run imports this
    module, and a dataclass would cost it half a millisecond to make.)"""

    keys: Mapping[str, frozenset[str] | None]
    values: frozenset[str]
    always: bool = False
    longest: int = 0  # the longest constant: a longer string is none of them

    @classmethod
    def of(cls, schema: Any) -> Triggers:
        keys: dict[str, frozenset[str] | None] = {}
        values: set[str] = set()
        always = False
        for name, node, parent in _marked(schema, None, None):
            if name is not None:
                pins = _strings(_pinned(parent)) if parent is not None else None
                known = keys.get(name, frozenset())
                keys[name] = None if pins is None or known is None else known | pins
            elif _strings(_pinned(node)):
                values.add(max(_pinned(node), key=len))  # any one is needed: the longest is the rarest
            else:
                always = True
        return cls(keys, frozenset(values), always, max(map(len, values), default=0))

    def held_by(self, instance: Any) -> bool:
        """Whether ``instance`` holds a trigger: one walk, level by level (no recursion, and
        no stack pop per node), long strings skipped."""
        if self.always:
            return True
        keys, values, longest = self.keys, self.values, self.longest
        names = keys.keys()
        level: list[Any] = [instance]
        while level:
            below: list[Any] = []
            for node in level:
                kind: type | None = type(node)  # `is` first, not isinstance: this walk runs on every request
                if kind is str:
                    if len(node) <= longest and node in values:
                        return True
                    continue
                if kind is not dict and kind is not list:  # a subclass walks as its base; a number holds nothing
                    kind = dict if isinstance(node, dict) else list if isinstance(node, list) else None
                if kind is dict:
                    if not names.isdisjoint(node) and any(_pins_held(keys[k], node) for k in node if k in keys):
                        return True
                    below.extend(node.values())
                elif kind is list:
                    below.extend(node)
            level = below
        return False


def _pins_held(pins: frozenset[str] | None, node: dict[str, Any]) -> bool:
    return pins is None or any(isinstance(v, str) and v in pins for v in node.values())


def _marked(node: Any, name: str | None, parent: dict[str, Any] | None) -> Iterator[tuple[str | None, dict[str, Any], dict[str, Any] | None]]:
    """Each marked subschema, with its property name and the object schema it is a property of
    when it is a property's schema."""
    if isinstance(node, dict):
        if MARK in node:
            yield name, node, parent
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop, schema in value.items():
                    yield from _marked(schema, prop, node)
            elif key not in ("const", "enum", "examples", "default"):
                yield from _marked(value, None, None)
    elif isinstance(node, list):
        for item in node:
            yield from _marked(item, None, None)


def _pinned(node: dict[str, Any]) -> list[Any]:
    """The constants an instance of ``node`` must hold: its const, or its required properties'."""
    if "const" in node:
        return [node["const"]]
    props = node.get("properties", {})
    return [props[k]["const"] for k in node.get("required", []) if isinstance(props.get(k), dict) and "const" in props[k]]


def _strings(pinned: list[Any]) -> frozenset[str] | None:
    """The pinned constants when there are some and all are strings (else: nothing to look for)."""
    return frozenset(pinned) if pinned and all(isinstance(v, str) for v in pinned) else None


WARM = 32
"""Inputs evaluated outright before the triggers are worked out: reading them from the schema
costs 1.5 ms, the evaluation of one input 15 to 45 µs, so a one-shot run (one input) is better
off without them and a long-lived connector soon has them."""


class BetaMarks:
    """The betas an instance of one schema needs, in the order the schema's marks are met."""

    def __init__(self, validator: Validator) -> None:
        self.validator = validator
        self.triggers: Triggers | None = None
        self._evaluated = 0

    def needed(self, instance: Any) -> list[str]:
        if self.triggers is None:
            self._evaluated += 1
            if self._evaluated > WARM:
                self.triggers = Triggers.of(self.validator.schema)
        if self.triggers is not None and not self.triggers.held_by(instance):
            return []
        return list(dict.fromkeys(self.validator.annotations(instance, MARK)))
