"""Checks before sending that JSON Schema cannot say, read from rules.json by a small compiler.

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

The rules that apply to a request of one kind, API version and model are written, once, into
one Python function that looks for the places they may be broken (pointers.Source: the cost
of the checks on every request is why); the few places it finds are then judged and worded here.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple

from . import conversation
from .errors import ValidationError
from .inputs import vet
from .pointers import Select, Source, Where, dig, segments, selector
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
    """What a check knows beyond the input: the connection's API version, the model table,
    whether the in-process sandbox answers (it serves retired models on purpose), and the
    connection's ``completion_model``, on which a Text Completion step is really sent."""

    version: str
    models: ModelTable
    sandbox: bool = False
    completion_model: str | None = None

    @classmethod
    def at_hand(cls, connection: Connection, sandbox: bool = False) -> Facts:
        """For a check that sends nothing (validate): the model table cached or as shipped."""
        import time

        from .models import ModelSource

        table = ModelSource(connection.base_url, time.time, can_fetch=False).table()
        return cls(connection.anthropic_version, table, sandbox, connection.completion_model)

    def note_unknown_version(self) -> None:
        if self.version not in KNOWN_VERSIONS and log.isEnabledFor(logging.INFO):
            log.info("anthropic-version %s is not one the connector knows (%s): sent as given, with no version rules", self.version, ", ".join(sorted(KNOWN_VERSIONS)))


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# -- rules ---------------------------------------------------------------------------------


class Rule(NamedTuple):
    """One entry of rules.json, read."""

    id: str
    on: tuple[str, ...]
    at: tuple[str, ...]  # the patterns it looks at
    when: dict[str, Any]
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
        must = entry.get("must")
        if isinstance(must, dict) and "below" in must:
            must = {"below": segments(must["below"])}
        elif isinstance(must, dict) and "among" in must:
            must = {"among": selector(must["among"])}
        return cls(
            id=entry["id"],
            on=tuple(entry.get("on", ["messages"])),
            at=(at,) if isinstance(at, str) else tuple(at),
            when=entry.get("when", {}),
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

    def write(self, source: Source, index: int, model: ModelFacts | None) -> None:
        """Its lines in the function that checks a request (``n0``): each place it may be broken
        is added to ``out`` as (index, path, value), or (index, path, message) for a ``check``;
        a test or a limit is written in, the rest is worked out on the few places found."""
        if self.check is not None:
            source.lines.append(f"    for where, message in {source.constant(self.check)}(n0): out.append(({index}, where, message))")
            return
        must = self.must
        if isinstance(must, dict) and "at_most" in must and getattr(model, must["at_most"], None) is None:
            return  # a limit the table does not know holds nothing back
        for at in self.at:

            def leaf(value: str, where: str) -> list[str]:
                hit = f"out.append(({index}, {where}, {value}))"
                if isinstance(must, str):
                    return [f"if not {source.constant(conversation.TESTS[must])}({value}): {hit}"]
                if isinstance(must, dict) and "at_most" in must:
                    return [f"if {value} > {source.constant(getattr(model, must['at_most']))}: {hit}"]
                return [hit]

            source.walk(at, self.when, leaf)

    def broken(self, params: dict[str, Any], value: Any, model: ModelFacts | None) -> dict[str, Any] | None:
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

    def words(self, params: dict[str, Any], value: Any, facts: Facts, model: ModelFacts | None) -> str | None:
        """The violation's message for a place ``write`` found, or None when it keeps the rule."""
        if self.check is not None:
            return str(value)
        words = self.broken(params, value, model)
        if words is None:
            return None
        known = model.words() if model is not None else {}
        return self.message.format_map({**known, **words, "value": _shown(value), "version": facts.version})


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
        self._compiled: dict[tuple[str, str, ModelFacts | None], tuple[Callable[..., None], tuple[Rule, ...]]] = {}

    def _rules(self, kind: str, version: str, model: ModelFacts | None) -> tuple[Callable[..., None], tuple[Rule, ...]]:
        """The rules that apply to a request of this kind, version and model, and the one
        function that looks for their violations (pointers.Source), both worked out once."""
        key = (kind, version, model)
        found = self._compiled.get(key)
        if found is None:
            applying = tuple(rule for rule in rules() if rule.applies(kind, version, model))
            source = Source("n0, out", dicts=("n0",))  # _check passes a request, a dict
            for index, rule in enumerate(applying):
                rule.write(source, index, model)
            found = self._compiled[key] = (source.compiled(), applying)
        return found

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
            for at, params in select(payload):
                if isinstance(params, dict):
                    on_model = self._check(kind, at, params, facts, found) or on_model
        return [{"path": pointer(where), "message": message} for where, message in sorted(found, key=lambda v: order(v[0]))], on_model

    def _check(self, kind: str, at: Where, params: dict[str, Any], facts: Facts, found: list[tuple[Where, str]]) -> bool:
        """One request's violations into ``found``; whether any rests on the model table."""
        on_model = False
        if kind == "completions" and facts.completion_model:
            params = {**params, "model": facts.completion_model}  # the model the step is sent to
        model = facts.models.get(params.get("model"))
        look, applying = self._rules(kind, facts.version, model)
        places: list[tuple[int, Where, Any]] = []
        look(params, places)
        for index, where, value in places:
            rule = applying[index]
            message = rule.words(params, value, facts, model)
            if message is None:
                continue
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


def checks(op: Operation) -> Checks:
    """``op``'s Checks, worked out once per operation (kept in its memo)."""
    found: Checks | None = op.memo.get("checks")
    if found is None:
        found = op.memo["checks"] = Checks(op)
    return found


def problems(op: Operation, payload: Any, facts: Facts | None = None) -> tuple[list[dict[str, str]], bool]:
    """Every reason an input cannot be sent, and whether they rest on the model table: first
    what no request can carry (too deep, lone surrogates, NaN, a key twice: inputs.vet), then
    its schema's every violation, then, given the facts (API version, model table), every
    rule's that the schema cannot say. Each stage reports all it finds at once; a later one
    runs on an input the earlier ones passed."""
    found = vet(payload) or op.validator.errors(payload)
    if found or facts is None:
        return found, False
    return checks(op).verdict(payload, facts)


def check(op: Operation, payload: Any, facts: Facts | None = None) -> None:
    """Raise ``problems`` as one ValidationError (a ModelRuleError when they rest on the model
    table), or return when the input can be sent."""
    found, on_model = problems(op, payload, facts)
    if found:
        error = ModelRuleError if on_model else ValidationError
        raise error(f"the input is invalid: {describe(found)}", details=found)
