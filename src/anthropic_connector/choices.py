"""A field's choices, listed when a form opens (manifest ``options``): `anthropic-connector
options OP FIELD` and the service's ``GET /operations/{op}/options/{field}``.

The model dropdown is the case in point: its choices are what ``GET /v1/models`` lists for this
key (every page), with display names as labels, deprecated and retiring models marked so that
nobody picks one unawares, and retired models left out (the API refuses them). When the API
cannot be asked (no key yet, no network, a refusal) the manifest's fallback stands in, and the
answer says so and why: a form still opens.

Paging is a generator that yields each page's input and is sent its output, so that the
rules stay apart from the awaiting; the CLI and the service both call ``collect``.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Generator

from .errors import ConnectorError
from .forms import OptionSource
from .spec import Operation

Pager = Generator[dict[str, Any], Any, list[dict[str, Any]]]
MAX_PAGES = 20  # 20,000 choices at 1,000 a page: far past any model list, and a bound on a cursor loop


def source_of(op: Operation, field: str) -> OptionSource:
    """The field's declared source; a ConfigurationError names the fields that have one."""
    from .errors import ConfigurationError

    if field not in op.options:
        known = ", ".join(op.options) or "none"
        raise ConfigurationError(f"operation {op.name!r} declares no options for {field!r} (fields with options: {known})")
    return op.options[field]


def _choice(source: OptionSource, item: dict[str, Any]) -> dict[str, Any] | None:
    """One item as a choice, marked when it is on its way out; None for a retired one."""
    lifecycle = item.get("lifecycle") or "active"
    if lifecycle == "retired":
        return None
    marks = ["deprecated"] if lifecycle == "deprecated" else []
    if item.get("retires_at"):
        marks.append(f"retires {str(item['retires_at'])[:10]}")
    label = str(item.get(source.label) or item[source.value])
    status = "deprecated" if lifecycle == "deprecated" else "retiring" if item.get("retires_at") else "active"
    return {"value": item[source.value], "label": f"{label} ({', '.join(marks)})" if marks else label, "status": status}


def _pages(source: OptionSource) -> Pager:
    """Yields each page's input, is sent its output; returns the choices of every page."""
    choices: list[dict[str, Any]] = []
    payload = dict(source.input)
    for _ in range(MAX_PAGES):
        page = yield payload
        choices += [c for c in (_choice(source, item) for item in page.get("data", [])) if c is not None]
        if not page.get("has_more") or not page.get("last_id"):
            break
        payload = {**source.input, "after_id": page["last_id"]}
    return choices


def fallback(op: Operation, field: str, problem: ConnectorError) -> dict[str, Any]:
    """The manifest's fallback choices, and why the API's could not be had."""
    source = source_of(op, field)
    choices = [{**item, "status": "active"} for item in source.fallback]
    return {"field": field, "operation": source.operation, "source": "fallback", "reason": problem.message, "options": choices}


async def collect(op: Operation, field: str, run: Callable[[str, dict[str, Any]], Awaitable[Any]]) -> dict[str, Any]:
    """The choices, with ``run(operation, input)`` awaited for each page (a Connector's arun)."""
    source = source_of(op, field)
    pager = _pages(source)
    try:
        payload = next(pager)
        while True:
            payload = pager.send(await run(source.operation, payload))
    except StopIteration as done:
        return {"field": field, "operation": source.operation, "source": "api", "options": done.value}
    except ConnectorError as exc:
        return fallback(op, field, exc)
