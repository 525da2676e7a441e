"""Cursor pagination by object id, as `GET /v1/models` and `GET /v1/messages/batches` answer it.

The SDK's `SyncPage` reads `data`, `has_more`, `first_id` and `last_id`, and asks for the next
page with `after_id=<last_id>` (or `before_id=<first_id>` when walking backwards).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from .call import ApiError, Call


class Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=Identified)


def limit(call: Call) -> int:
    """The `limit` query parameter: 20 by default, 1 to 1000."""
    raw = call.arg("limit") or "20"
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise ApiError(400, "limit: Input should be an integer between 1 and 1000")
    return int(raw)


def by_id(call: Call, items: Sequence[T], render: Callable[[T], dict[str, Any]], *, any_id: bool) -> dict[str, Any]:
    """One page of `items`, in list order, after or before the object the cursor names.

    An unknown cursor is the API's 400, or, with `any_id`, no cursor at all: a contract mock
    answers any cursor, and the first page is the one a flow under design can go on from.
    """
    size = limit(call)
    ids = [item.id for item in items]
    after, before = call.arg("after_id"), call.arg("before_id")
    for cursor in (after, before):
        if cursor is not None and cursor not in ids and not any_id:
            raise ApiError(400, f"Invalid cursor: {cursor}")
    if after in ids:
        start = ids.index(after) + 1
        page, has_more = items[start : start + size], start + size < len(items)
    elif before in ids:
        end = ids.index(before)
        page, has_more = items[max(0, end - size) : end], end - size > 0
    else:
        page, has_more = items[:size], size < len(items)
    data = [render(item) for item in page]
    first, last = (page[0].id, page[-1].id) if page else (None, None)
    return {"data": data, "has_more": has_more, "first_id": first, "last_id": last}
