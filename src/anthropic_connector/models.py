"""The model table the rules read: the facts shipped in models.json, refreshed from GET /v1/models.

The API's own listing tells each model's ``max_tokens``, whether it takes thinking with a token
budget (``capabilities.thinking.types.enabled``) and whether it is retired (``lifecycle``,
``retires_at``); it overrides the shipped facts for the models it lists. What it does not tell
(sampling, prefill, forced tool_choice, a retired model's replacement) stays as shipped.

When it is fetched, and why then: a fetch costs a request, and nearly every input breaks no rule
about its model, so the table is fetched only to confirm a refusal that rests on it. A run whose
input a model rule would refuse, on a connection with a key (never the sandbox), with no table
younger than ``EXPIRY`` at hand and no failed fetch in the last ``RETRY_AFTER``, fetches the
listing, keeps it (in memory and in the cache folder, manifest_cache.py), and checks again with
it. A valid input never waits for it, a one-shot ``run`` pays for it only when it would
otherwise be refused on facts up to a day old, and the shipped approximations never refuse what
the API, asked, accepts. A fetch that fails is logged and the table at hand is used: it never
fails a run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from . import manifest_cache
from .errors import ConnectorError

log = logging.getLogger("anthropic_connector")

EXPIRY = 24 * 3600.0  # a fetched table is trusted this long
RETRY_AFTER = 3600.0  # after a failed fetch, the table at hand is used this long before trying again
LISTING = {"limit": 1000, "lifecycle": ["active", "deprecated", "retired"]}  # every model, retired ones too
MAX_PAGES = 10
FETCH_TIMEOUT = 10.0


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
    fetched_at: float | None = None  # None: as shipped

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


def listed(items: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The facts GET /v1/models tells, by model id (what is cached)."""
    found = {}
    for item in items:
        if not (isinstance(item, dict) and isinstance(item.get("id"), str)):
            continue
        enabled = ((((item.get("capabilities") or {}).get("thinking") or {}).get("types") or {}).get("enabled") or {}).get("supported")
        found[item["id"]] = {
            "max_tokens": item.get("max_tokens") if isinstance(item.get("max_tokens"), int) else None,
            "budget_thinking": enabled if isinstance(enabled, bool) else None,
            "lifecycle": item.get("lifecycle"),
            "retires_at": item.get("retires_at"),
            "line": item.get("line"),
            "created_at": str(item.get("created_at") or ""),
        }
    return found


def table_of(facts: Mapping[str, Mapping[str, Any]], fetched_at: float) -> ModelTable:
    """The shipped table with the listing's facts over it, for the models the listing has."""
    base = shipped()
    current = sorted((f["created_at"], name, f["line"]) for name, f in facts.items() if f["lifecycle"] != "retired")
    newest = {line: name for _, name, line in current}  # the last one of a line is its newest
    models = dict(base.models)
    for name, fact in facts.items():
        old = models.get(name, ModelFacts(name))
        refuses = set(old.refuses)
        if fact["budget_thinking"] is not None:
            (refuses.discard if fact["budget_thinking"] else refuses.add)("budget_thinking")
        retired = use = None
        if fact["lifecycle"] == "retired":
            retired = str(fact["retires_at"] or "")[:10] or old.retired or "date not given"
            use = old.use or (newest.get(fact["line"]) if fact["line"] else None) or (current[-1][1] if current else None)
        models[name] = old._replace(max_tokens=fact["max_tokens"] or old.max_tokens, refuses=frozenset(refuses), retired=retired, use=use)
    return ModelTable(models, base.aliases, fetched_at)


def fetch(run: Callable[..., Any]) -> list[Any]:
    """Every model GET /v1/models lists, page by page, through the connector's own ``run``."""
    items: list[Any] = []
    query: dict[str, Any] = dict(LISTING)
    for _ in range(MAX_PAGES):
        page = run("list_models", query, timeout=FETCH_TIMEOUT, max_retries=0).output
        items += page["data"]
        if not page.get("has_more") or not page.get("last_id"):
            break
        query["after_id"] = page["last_id"]
    return items


class ModelSource:
    """One connection's model table: the freshest at hand, and a fetch when one is due."""

    def __init__(self, base_url: str, now: Callable[[], float], can_fetch: bool) -> None:
        """``now``: the time in seconds since the epoch (the connector's clock's, so that a test
        moves it)."""
        folder = manifest_cache.directory()
        digest = hashlib.sha256(base_url.encode()).hexdigest()[:24]
        self._file = None if folder is None else folder / f"models-{digest}.json"
        self._base_url = base_url
        self._now = now
        self._can_fetch = can_fetch
        self._table: ModelTable | None = None
        self._tried: float | None = None
        self._lock = threading.Lock()

    def table(self) -> ModelTable:
        """In memory, else the cache folder's if younger than EXPIRY, else as shipped."""
        if self._table is None:
            self._table = self._cached() or shipped()
        return self._table

    def _fresh(self, fetched_at: float | None) -> bool:
        return fetched_at is not None and 0 <= self._now() - fetched_at < EXPIRY

    def _cached(self) -> ModelTable | None:
        try:
            entry = json.loads(self._file.read_bytes()) if self._file is not None else None
            if entry and entry["base_url"] == self._base_url and self._fresh(entry["fetched_at"]):
                return table_of(entry["models"], entry["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no entry, or one this version cannot read: as if there were none
        return None

    def due(self) -> bool:
        """Whether a fetch may confirm a refusal: a key, no fresh table, no recent failure."""
        now = self._now()
        recently = self._tried is not None and 0 <= now - self._tried < RETRY_AFTER
        return self._can_fetch and not recently and not self._fresh(self.table().fetched_at)

    def refresh(self, fetch_listing: Callable[[], list[Any]]) -> None:
        """Fetch and keep the listing's facts; a failure is logged, never raised."""
        with self._lock:
            if not self.due():
                return  # another thread did it, or failed at it, meanwhile
            self._tried = now = self._now()
            try:
                facts = listed(fetch_listing())
            except (ConnectorError, KeyError, TypeError, AttributeError) as exc:
                log.info("the model table could not be fetched from GET /v1/models (%s): the table at hand is used", exc)
                return
            self._table = table_of(facts, now)
            if self._file is not None:
                manifest_cache.save(self._file, {"base_url": self._base_url, "fetched_at": now, "models": facts})
