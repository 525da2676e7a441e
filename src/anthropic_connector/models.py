"""The model table the rules read: the facts shipped in models.json.

Each model's output-token limit, what it refuses (sampling parameters, thinking with a token
budget, prefill, a forced tool_choice) and, once retired, when and the model to use instead,
each fact with its source in the file. A model the table does not know passes: the API decides.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Mapping, NamedTuple


class ModelFacts(NamedTuple):
    """What the rules know of one model; None and empty: not known, so not held against it.

    NamedTuples here and in rules.py, not dataclasses: a one-shot run imports them, and a
    dataclass costs it half a millisecond to make."""

    id: str
    max_tokens: int | None = None
    refuses: frozenset[str] = frozenset()  # sampling, budget_thinking, prefill, forced_tool_choice
    retired: str | None = None  # when (a date, or words), None while in service
    use: str | None = None  # a retired model's replacement

    def has(self, fact: str) -> bool:
        """A rules.json ``model`` condition: ``retired``, or ``refuses_<what>``."""
        return self.retired is not None if fact == "retired" else fact.removeprefix("refuses_") in self.refuses

    def words(self) -> dict[str, Any]:
        return {"model": self.id, "retired": self.retired, "replacement": self.use or "a current model (list_models)"}


class ModelTable(NamedTuple):
    models: Mapping[str, ModelFacts]
    aliases: Mapping[str, str]

    def get(self, name: Any) -> ModelFacts | None:
        """The facts of a model by id or alias; None for one the table does not know."""
        return self.models.get(self.aliases.get(name, name)) if isinstance(name, str) else None


@functools.cache
def shipped() -> ModelTable:
    """models.json, read once."""
    data = json.loads(Path(__file__).with_name("models.json").read_bytes())
    ids = {*data["max_tokens"]["models"], *data["retired"]["models"]}
    ids.update(m for fact in data["refuses"].values() for m in fact["models"])
    models = {
        name: ModelFacts(
            name,
            data["max_tokens"]["models"].get(name),
            frozenset(fact for fact, entry in data["refuses"].items() if name in entry["models"]),
            data["retired"]["models"].get(name, {}).get("retired"),
            data["retired"]["models"].get(name, {}).get("use"),
        )
        for name in ids
    }
    return ModelTable(models, data["aliases"]["models"])
