"""Each data-plane operation sends what the official SDK sends for the same call.

The same input goes through the connector and through ``anthropic`` (a test dependency) to
one recording server; method, path, query, body (JSON or multipart parts) and the API's own
headers must be equal. The answers are the operations' samples, so both clients also accept
them. What the SDK spells differently is translated here, in one table: a run's ``betas`` are
the SDK's ``extra_headers``, and upload_file's path or base64 is the SDK's ``file`` tuple.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Callable

import anthropic
import pytest
from conftest import MANIFEST, Answer, Recorded, Recorder

from anthropic_connector import Connector
from test_wire import multipart_parts

API_HEADERS = ("anthropic-version", "anthropic-beta", "anthropic-workspace-id", "anthropic-user-profile-id")

SDK_CALLS: dict[str, Callable[[anthropic.Anthropic, dict[str, Any]], Any]] = {
    "count_tokens": lambda c, p: c.messages.count_tokens(**p),
    "list_models": lambda c, p: c.models.list(**p),
    "get_model": lambda c, p: c.models.retrieve(**p),
    "create_message_batch": lambda c, p: c.messages.batches.create(**p),
    "get_message_batch": lambda c, p: c.messages.batches.retrieve(**p),
    "list_message_batches": lambda c, p: c.messages.batches.list(**p),
    "cancel_message_batch": lambda c, p: c.messages.batches.cancel(**p),
    "delete_message_batch": lambda c, p: c.messages.batches.delete(**p),
    "get_message_batch_results": lambda c, p: list(c.messages.batches.results(**p)),
    "upload_file": lambda c, p: c.files.upload(**p),
    "list_files": lambda c, p: c.files.list(**p),
    "get_file": lambda c, p: c.files.retrieve_metadata(**p),
    "download_file": lambda c, p: c.files.download(**p).read(),
    "delete_file": lambda c, p: c.files.delete(**p),
    "test_connection": lambda c, p: c.models.list(limit=1),
}


def sdk_arguments(name: str, payload: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The SDK's keyword arguments for the connector's input."""
    kwargs = dict(payload)
    betas = kwargs.pop("betas", None)
    if betas:
        kwargs["extra_headers"] = {"anthropic-beta": ",".join(betas)}
    if name == "upload_file":
        media_type = kwargs.pop("media_type", None)
        filename = kwargs.pop("filename", None)
        if "file_path" in kwargs:
            path = Path(kwargs.pop("file_path"))
            content = path.read_bytes()
            filename = filename or path.name
        else:
            content = base64.b64decode(kwargs.pop("file_base64"))
        kwargs["file"] = (filename, content, media_type or "text/plain")
    return kwargs


def answer_for(name: str, recorder: Recorder) -> Callable[[Recorded], Answer]:
    op = MANIFEST.operation(name)

    def answer(request: Recorded) -> Answer:
        if name == "get_message_batch_results" and not request.path.endswith("/results"):
            batch = MANIFEST.operation("get_message_batch").sample_output
            return Answer(200, {**batch, "results_url": f"{recorder.url}{request.path}/results"})
        if name == "get_message_batch_results":
            return Answer(200, "".join(json.dumps(line) + "\n" for line in op.sample_output), {"content-type": "application/binary"})
        if name == "download_file":
            return Answer(200, base64.b64decode(op.sample_output["content_base64"]), {"content-type": op.sample_output["media_type"]})
        if name == "test_connection":
            return Answer(200, MANIFEST.operation("list_models").sample_output)
        return Answer(200, op.sample_output)

    return answer


def seen(request: Recorded) -> dict[str, Any]:
    """What of a request the two clients must agree on."""
    content_type = request.headers.get("content-type", "").partition(";")[0]
    if content_type == "multipart/form-data":
        body: Any = multipart_parts(request.body, request.headers["content-type"])
    else:
        body = json.loads(request.body) if request.body else None
    return {
        "method": request.method,
        "path": request.path,
        "query": sorted(request.query),
        "body": body,
        # The SDK labels even an empty body application/json (cancel, delete); only a body's
        # content type says anything.
        "content-type": (content_type or None) if request.body else None,
        # SDK 2.17 sends an API key as "authorization: Bearer"; the connector sends it as the
        # API reference's x-api-key. Both carry the same key: that is what must agree.
        "credential": request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer "),
        **{h: request.headers.get(h) for h in API_HEADERS},
    }


NAMES = [name for name in SDK_CALLS if name in MANIFEST.operations]


@pytest.mark.parametrize("name", NAMES)
def test_the_wire_request_equals_the_official_sdks(name: str, recorder: Recorder, fake_key: str, tmp_path: Path) -> None:
    op = MANIFEST.operation(name)
    payload = dict(op.sample_input)
    if "file_path" in payload:
        payload["file_path"] = str(tmp_path / Path(payload["file_path"]).name)
        Path(payload["file_path"]).write_bytes(b"a document's bytes\n")
    recorder.script(answer_for(name, recorder))
    sdk = anthropic.Anthropic(api_key=fake_key, base_url=recorder.url, max_retries=0)
    SDK_CALLS[name](sdk, sdk_arguments(name, payload, tmp_path))
    expected = seen(recorder.requests[-1])  # results: the SDK reads the batch first, then its results_url
    recorder.reset()
    recorder.script(answer_for(name, recorder))
    connection = {"api_key": fake_key, "base_url": recorder.url, "max_retries": 0, "anthropic_version": expected["anthropic-version"]}
    with Connector(MANIFEST, connection) as connector:
        connector.run(name, payload)
    (request,) = recorder.requests
    assert seen(request) == expected
