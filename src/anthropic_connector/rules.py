"""What an operation's input is checked for beyond its schema, read from rules.json.

Where a Messages request sits in each operation's input is data (``params``): create_message
and count_tokens are one, a batch holds one per request. For each, the betas its fields, tools,
blocks and values need are found from the schema's marks (betas.py).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .pointers import Select, segments, selector
from .validate import Validator

if TYPE_CHECKING:
    from .spec import Operation


@functools.cache
def data() -> dict[str, Any]:
    """rules.json, read once."""
    loaded: dict[str, Any] = json.loads(Path(__file__).with_name("rules.json").read_bytes())
    return loaded


class Checks:
    """Which betas one operation's input needs: for each Messages request the input holds
    (``params`` in rules.json)."""

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.places = [(kind, at) for kind, ops in data()["params"].items() for name, at in ops.items() if name == op.name]

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
