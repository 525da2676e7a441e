"""Checks before sending that JSON Schema cannot say, read from rules.json by a small evaluator.

The facts live in rules.json (which request field, across which fields or messages, under which
API version, for which model, in which words); this module only knows how to read them:

- ``at``: where to look, a pattern of pointers.py from a Messages request's root;
- ``when``: what must hold there, pointers to a value or ``{"in": [...]}`` / ``{"not_in": [...]}``;
  ``api_version``; ``model`` (a fact of the request's model, models.py);
- ``must``: ``below`` a pointer's number, ``at_most`` a fact of the model, ``among`` a pointer's
  values, or a test conversation.py names; no ``must``: being there is what is refused;
- ``check``: a rule data cannot say, a function of conversation.py (tool results pairing with
  tool uses across turns).

Where a Messages request sits in each operation's input is data too (``params``): a batch holds
one per request, and its violations are reported at their full path. All violations of all
rules are gathered, then refused at once, as the schema's are.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple

from . import conversation
from .errors import ValidationError
from .pointers import Select, Where, dig, path, segments, selector
from .validate import Validator, describe, order, pointer

if TYPE_CHECKING:
    from .connection import Connection
    from .models import ModelFacts, ModelTable
    from .spec import Operation

log = logging.getLogger("anthropic_connector")


@functools.cache
def data() -> dict[str, Any]:
    """rules.json, read once."""
    loaded: dict[str, Any] = json.loads(Path(__file__).with_name("rules.json").read_bytes())
    return loaded


KNOWN_VERSIONS = frozenset(data()["versions"])  # the API versions whose rules rules.json holds


class Facts(NamedTuple):
    """What a check knows beyond the input: the connection's API version, the model table, and
    whether the in-process sandbox answers (it serves retired models on purpose)."""

    version: str
    models: ModelTable
    sandbox: bool = False

    @classmethod
    def at_hand(cls, connection: Connection, sandbox: bool = False) -> Facts:
        """For a check that sends nothing (validate): the model table cached or as shipped."""
        from .clock import Clock
        from .models import ModelSource

        return cls(connection.anthropic_version, ModelSource(connection.base_url, Clock(), can_fetch=False).table(), sandbox)

    def note_unknown_version(self) -> None:
        if self.version not in KNOWN_VERSIONS and log.isEnabledFor(logging.INFO):
            log.info("anthropic-version %s is not one the connector knows (%s): sent as given, with no version rules", self.version, ", ".join(sorted(KNOWN_VERSIONS)))


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# -- rules ---------------------------------------------------------------------------------


class Rule(NamedTuple):
    """One entry of rules.json, compiled."""

    id: str
    on: tuple[str, ...]
    at: tuple[Select, ...]  # each pattern with its `when`
    heads: frozenset[str]  # the request fields its patterns start from: without one, nothing to look at
    versions: tuple[str, ...] | None
    model: str | None
    must: Any
    message: str
    check: Callable[[dict[str, Any]], Iterator[tuple[Where, str]]] | None
    in_sandbox: str | None
    on_model: bool  # it reads the request's model in the table: it skips a model the table does not know, and a fresher table could lift its refusal

    @classmethod
    def of(cls, entry: dict[str, Any]) -> Rule:
        at = entry.get("at", [])
        patterns = [at] if isinstance(at, str) else at
        must = entry.get("must")
        if isinstance(must, dict) and "below" in must:
            must = {"below": segments(must["below"])}
        elif isinstance(must, dict) and "among" in must:
            must = {"among": selector(must["among"])}
        return cls(
            id=entry["id"],
            on=tuple(entry.get("on", ["messages"])),
            at=tuple(selector(p, entry.get("when")) for p in patterns),
            heads=frozenset(segments(p)[0] for p in patterns if segments(p)),
            versions=tuple(entry["api_version"]) if "api_version" in entry else None,
            model=entry.get("model"),
            must=must,
            message=entry.get("message", ""),
            check=conversation.CHECKS[entry["check"]] if "check" in entry else None,
            in_sandbox=entry.get("in_sandbox"),
            on_model="model" in entry or (isinstance(must, dict) and "at_most" in must),
        )

    def applies(self, kind: str, version: str, model: ModelFacts | None) -> bool:
        if kind not in self.on or (self.versions is not None and version not in self.versions):
            return False
        if self.on_model and model is None:
            return False
        return self.model is None or (model is not None and model.has(self.model))

    def violations(self, params: dict[str, Any], facts: Facts, model: ModelFacts | None) -> list[tuple[Where, str]]:
        if self.check is not None:
            return list(self.check(params))
        found = []
        for select in self.at:
            for chain, value in select(params):
                words = self._broken(params, value, model)
                if words is not None:
                    known = model.words() if model is not None else {}
                    found.append((path(chain), self.message.format_map({**known, **words, "value": _shown(value), "version": facts.version})))
        return found

    def _broken(self, params: dict[str, Any], value: Any, model: ModelFacts | None) -> dict[str, Any] | None:
        """None when ``value`` keeps the rule, else the words its message needs."""
        must = self.must
        if must is None:
            return {}
        if isinstance(must, str):
            return None if conversation.TESTS[must](value) else {}
        if "below" in must:
            found, limit = dig(params, must["below"])
            ok = not found or not isinstance(limit, (int, float)) or value < limit
            return None if ok else {"limit": limit}
        if "at_most" in must:
            limit = getattr(model, must["at_most"], None)
            return None if limit is None or value <= limit else {"limit": limit}
        among = [v for _, v in must["among"](params)]
        return None if value in among else {"among": ", ".join(map(_shown, among)) or "none"}


@functools.cache
def rules() -> tuple[Rule, ...]:
    return tuple(Rule.of(entry) for entry in data()["rules"])


# -- an operation's checks -----------------------------------------------------------------


class Checks:
    """What is checked of one operation's input beyond its schema, and which betas it needs:
    both look at each Messages request the input holds (``params`` in rules.json)."""

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.places = [(kind, at) for kind, ops in data()["params"].items() for name, at in ops.items() if name == op.name]
        self._selects = [(kind, selector(at)) for kind, at in self.places]
        self._applying: dict[tuple[str, str, ModelFacts | None], tuple[Rule, ...]] = {}

    def _rules(self, kind: str, version: str, model: ModelFacts | None) -> tuple[Rule, ...]:
        """The rules that apply to a request of this kind, version and model, worked out once."""
        key = (kind, version, model)
        if key not in self._applying:
            self._applying[key] = tuple(rule for rule in rules() if rule.applies(kind, version, model))
        return self._applying[key]

    def violations(self, payload: Any, facts: Facts) -> list[dict[str, str]]:
        """Every rule's violations, in path order."""
        return self.verdict(payload, facts)[0]

    def verdict(self, payload: Any, facts: Facts) -> tuple[list[dict[str, str]], bool]:
        """Every rule's violations, in path order, and whether any rests on the model table."""
        if not self.places:
            return [], False
        if facts.version not in KNOWN_VERSIONS:
            facts.note_unknown_version()
        found: list[tuple[Where, str]] = []
        on_model = False
        for kind, select in self._selects:
            for chain, params in select(payload):
                if isinstance(params, dict):
                    on_model = self._check(kind, path(chain), params, facts, found) or on_model
        return [{"path": pointer(where), "message": message} for where, message in sorted(found, key=lambda v: order(v[0]))], on_model

    def _check(self, kind: str, at: Where, params: dict[str, Any], facts: Facts, found: list[tuple[Where, str]]) -> bool:
        """One request's violations into ``found``; whether any rests on the model table."""
        on_model = False
        model = facts.models.get(params.get("model"))
        for rule in self._rules(kind, facts.version, model):
            if rule.heads and rule.heads.isdisjoint(params):
                continue  # the common case, said cheaply
            for where, message in rule.violations(params, facts, model):
                if facts.sandbox and rule.in_sandbox == "note":
                    log.info("%s %s (the sandbox serves it; the API would refuse it)", pointer((*at, *where)) or "(root)", message)
                    continue
                found.append(((*at, *where), message))
                on_model = on_model or rule.on_model
        return on_model

    @functools.cached_property
    def _marks(self) -> list[tuple[Select, Any]]:
        from .betas import BetaMarks

        marks = []
        for _, at in self.places:
            validator = self.op.validator if not at else Validator(_subschema(self.op.input_schema, at))
            marks.append((selector(at), BetaMarks(validator)))
        return marks

    def betas(self, payload: Any) -> list[str]:
        """The betas the input's fields, tools, blocks and values need (betas.py), in order."""
        needed: list[str] = []
        for select, marks in self._marks:
            for _, params in select(payload):
                needed += marks.needed(params)
        return list(dict.fromkeys(needed)) if needed else needed


def _subschema(schema: dict[str, Any], at: str) -> dict[str, Any]:
    """A schema for what sits at ``at`` of an instance of ``schema``: a $ref to the subschema
    (draft-07 ignores a $ref's siblings, which stay there for it to point into)."""
    target = "".join("/items" if s in ("*", "-1", ":-1") else f"/properties/{s}" for s in segments(at))
    return {**schema, "$ref": "#" + target}


class ModelRuleError(ValidationError):
    """A refusal that rests on the model table: a fresher table (models.py) may lift it."""


def enforce(op: Operation, payload: Any, facts: Facts) -> None:
    """Raise every rule's violations at once (a ModelRuleError when the model table is involved)."""
    found, on_model = op.checks.verdict(payload, facts)
    if found:
        error = ModelRuleError if on_model else ValidationError
        raise error(f"the input is invalid: {describe(found)}", details=found)
