"""raw_http_request: method, URL, headers, query and body exactly as the user describes them.

A builder of its own because the input itself chooses the method, the URL and the body's
encoding, which a request spec fixes per operation; the output is every answer as
{status, headers, body}.
"""

from __future__ import annotations

from typing import Any

import httpx2

from ..call import Call
from ..connection import Connection
from ..spec import Operation
from . import spell


def _url(spec: dict[str, str], connection: Connection) -> str:
    return spec["fullUrl"] if "fullUrl" in spec else connection.base_url + spec["endpoint"]


def _query(values: dict[str, Any]) -> list[tuple[str, str | int | float | bool | None]]:
    """Query pairs; a list repeats the key."""
    return [(k, spell(item)) for k, v in values.items() for item in (v if isinstance(v, list) else [v])]


def raw_http_request(op: Operation, payload: dict[str, Any], connection: Connection) -> Call:
    url = httpx2.URL(_url(payload["url"], connection))
    if payload.get("query_parameters"):
        url = url.copy_merge_params(_query(payload["query_parameters"]))
    body = payload.get("body") or {"none": None}
    kwargs: dict[str, Any] = {}
    if "raw" in body:
        kwargs["json"] = body["raw"]
    elif "urlencoded" in body:
        kwargs["data"] = {k: spell(v) for k, v in body["urlencoded"].items()}
    elif "form_data" in body:
        # (None, value) parts make httpx2 send multipart/form-data even without files.
        kwargs["files"] = {k: (None, spell(v)) for k, v in body["form_data"].items()}
    request = httpx2.Request(payload["method"], url, headers=payload.get("headers") or {}, **kwargs)
    return Call(request, "raw")
