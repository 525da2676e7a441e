"""raw_http_request: method, URL, headers, query and body exactly as the user describes them.

A builder of its own because the input itself chooses the method, the URL and the body's
encoding, which a request spec fixes per operation; the output is every answer as
{status, headers, body}.
"""

from __future__ import annotations

from typing import Any

import httpx2

from ..auth import prepare
from ..call import Call
from ..connection import Connection
from ..spec import Operation
from . import invalid, spell


def _url(spec: dict[str, str], connection: Connection) -> str:
    return spec["fullUrl"] if "fullUrl" in spec else connection.base_url + spec["endpoint"]


def _query(values: dict[str, Any]) -> list[tuple[str, str | int | float | bool | None]]:
    """Query pairs; a list repeats the key."""
    return [(k, spell(item)) for k, v in values.items() for item in (v if isinstance(v, list) else [v])]


# Framing headers the client writes from the body itself: a user's value would make the
# request say one length and send another, which breaks it half-way through the send.
_FRAMING = ("content-length", "transfer-encoding")


def raw_http_request(op: Operation, payload: dict[str, Any], connection: Connection) -> Call:
    for name in payload.get("headers") or {}:
        if name.lower() in _FRAMING:
            raise invalid(f"/headers/{name}", "is set by the connector from the body; leave it out")
    mode = "fullUrl" if "fullUrl" in payload["url"] else "endpoint"
    try:
        url = httpx2.URL(_url(payload["url"], connection))
        url.host.encode("idna")  # a label over 63 characters would fail only at connect time
    except (httpx2.InvalidURL, ValueError) as exc:  # ValueError (UnicodeError): a host idna cannot encode
        raise invalid(f"/url/{mode}", f"is not a URL that can be sent: {exc}") from None
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
    return Call(prepare(request, connection), connection, "raw")  # credentials only if bound for the connection's origin
