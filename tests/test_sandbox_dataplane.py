"""The sandbox's data plane (models, message batches, files, `--any-id`), driven by the official
`anthropic` SDK on a real socket, sync and async, with strict response validation on.

Time comes from an injected clock, so a batch ends when the test says so, without sleeping.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import FileExpiredError, ModelInfo, StorageQuotaExceededError
from anthropic.types.beta import BetaFileMetadata, BetaModelInfo
from anthropic.types.beta.messages import BetaMessageBatch
from anthropic.types.messages import MessageBatch, MessageBatchIndividualResponse

from anthropic_connector import sandbox
from anthropic_connector.sandbox import SandboxOptions
from conftest import but_id

MODEL = "claude-sonnet-4-6"
DAY = 24 * 3600.0
EVERY_BYTE = bytes(range(256)) * 3 + b"\r\n--boundary\r\n\r\n" + bytes(range(255, -1, -1))


class Clock:
    """The sandbox's time, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def serve(clock: Clock, **options: Any) -> sandbox.SandboxServer:
    return sandbox.serve(options=SandboxOptions(clock=clock, **options))


@pytest.fixture
def server(clock: Clock) -> Iterator[sandbox.SandboxServer]:
    with serve(clock, batch_seconds=10) as running:
        yield running


def sdk(server: sandbox.SandboxServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key="sk-test", max_retries=0, _strict_response_validation=True)


def async_sdk(server: sandbox.SandboxServer) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=server.url, api_key="sk-test", max_retries=0, _strict_response_validation=True)


def raw(server: sandbox.SandboxServer) -> httpx2.Client:
    return httpx2.Client(base_url=server.url, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})


def params(text: str, **overrides: Any) -> Any:
    return {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}], **overrides}


# -- models ----------------------------------------------------------------------------------


def test_models_carry_every_model_info_field_and_walk_every_page(server: sandbox.SandboxServer) -> None:
    with sdk(server) as client:
        every = ["active", "deprecated", "retired"]
        walked = [m.id for m in client.models.list(limit=2, lifecycle=every)]
        one_page = client.models.list(limit=1000, lifecycle=every)
        assert walked == [m.id for m in one_page.data] and not one_page.has_more
        backwards = client.models.list(limit=3, before_id=walked[-1], lifecycle=every)
        assert [m.id for m in backwards.data] == walked[-4:-1] and backwards.has_more
        opus = client.models.retrieve("claude-opus-4-6")
        legacy = client.models.retrieve("claude-2.1")
    for model in (opus, legacy):
        assert set(ModelInfo.model_fields) <= set(model.model_dump(exclude_unset=True))
        assert model.capabilities is not None and model.max_tokens and model.max_input_tokens
    assert opus.capabilities and opus.capabilities.thinking.types.adaptive.supported and opus.capabilities.effort.supported
    assert legacy.capabilities and not legacy.capabilities.thinking.supported and legacy.capabilities.thinking.types.disabled.supported
    assert legacy.lifecycle == "retired" and legacy.retires_at and legacy.max_tokens < opus.max_tokens


def test_beta_models_add_the_beta_fields(server: sandbox.SandboxServer) -> None:
    with sdk(server) as client:
        model = client.beta.models.retrieve("claude-opus-4-6", betas=["models-2026-01-01"])
        listed = client.beta.models.list(betas=["models-2026-01-01"], limit=1).data[0]
    assert isinstance(model, BetaModelInfo) and isinstance(listed, BetaModelInfo)
    assert model.capabilities and model.capabilities.compaction and model.capabilities.compaction.supported
    assert model.allowed_fallback_models and "claude-opus-4-6" not in model.allowed_fallback_models
    with raw(server) as http:
        assert "allowed_fallback_models" in http.get("/v1/models/claude-opus-4-6?beta=true").json()  # SDKs before 2.3
        assert "allowed_fallback_models" not in http.get("/v1/models/claude-opus-4-6").json()


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "lifecycle[]=gone", "after_id=nope"])
def test_models_list_refuses_bad_queries(server: sandbox.SandboxServer, query: str) -> None:
    with sdk(server) as client, pytest.raises(anthropic.BadRequestError):
        client.get(f"/v1/models?{query}", cast_to=httpx2.Response)


# -- message batches -------------------------------------------------------------------------


def test_batch_lifecycle_results_equal_what_messages_answers(server: sandbox.SandboxServer, clock: Clock) -> None:
    requests = [{"custom_id": f"ok-{i}", "params": params(f"question {i}")} for i in range(3)]
    requests += [
        {"custom_id": "no-model", "params": params("x", model="claude-nope")},
        {"custom_id": "no-tokens", "params": params("x", max_tokens=0)},
    ]
    with sdk(server) as client:
        created = client.messages.batches.create(requests=requests)
        assert created.id.startswith("msgbatch_") and created.processing_status == "in_progress"
        assert created.request_counts.processing == 5 and created.results_url is None and created.ended_at is None
        assert created.expires_at.timestamp() == clock.now + DAY
        with pytest.raises(anthropic.BadRequestError):  # results before the end: the API's error
            client.get(f"/v1/messages/batches/{created.id}/results", cast_to=httpx2.Response)
        clock.now += 9.9
        assert client.messages.batches.retrieve(created.id).processing_status == "in_progress"
        clock.now += 0.1
        ended = client.messages.batches.retrieve(created.id)
        assert ended.processing_status == "ended" and ended.ended_at and ended.results_url
        assert ended.request_counts.model_dump() == {"processing": 0, "succeeded": 3, "errored": 2, "canceled": 0, "expired": 0}
        lines = {line.custom_id: line.result for line in client.messages.batches.results(created.id)}
        for i in range(3):
            direct = client.messages.create(**params(f"question {i}"))
            assert lines[f"ok-{i}"].type == "succeeded" and but_id(lines[f"ok-{i}"].message) == but_id(direct)
        for custom_id, params_ in (("no-model", params("x", model="claude-nope")), ("no-tokens", params("x", max_tokens=0))):
            with pytest.raises(anthropic.APIStatusError) as refused:
                client.messages.create(**params_)
            error = lines[custom_id].error.error
            assert lines[custom_id].type == "errored"
            assert (error.type, error.message) == (refused.value.body["error"]["type"], refused.value.body["error"]["message"])


def test_cancel_lets_the_request_in_flight_finish_and_cancels_the_rest(server: sandbox.SandboxServer, clock: Clock) -> None:
    with sdk(server) as client:
        batch = client.messages.batches.create(requests=[{"custom_id": f"r{i}", "params": params(str(i))} for i in range(4)])
        clock.now += 3.0  # r0 done at 2.5 s, r1 in flight until 5 s
        with pytest.raises(anthropic.BadRequestError):
            client.messages.batches.delete(batch.id)  # only an ended batch can be deleted
        canceling = client.messages.batches.cancel(batch.id)
        assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at
        clock.now += 2.0
        ended = client.messages.batches.retrieve(batch.id)
        assert ended.processing_status == "ended" and ended.ended_at and ended.ended_at.timestamp() == canceling.created_at.timestamp() + 5
        assert (ended.request_counts.succeeded, ended.request_counts.canceled) == (2, 2)
        assert [line.result.type for line in client.messages.batches.results(batch.id)] == ["succeeded", "succeeded", "canceled", "canceled"]
        with pytest.raises(anthropic.BadRequestError):
            client.messages.batches.cancel(batch.id)
        assert client.messages.batches.delete(batch.id).model_dump() == {"id": batch.id, "type": "message_batch_deleted"}
        for call in (client.messages.batches.retrieve, client.messages.batches.delete, client.messages.batches.cancel):
            with pytest.raises(anthropic.NotFoundError):
                call(batch.id)


def test_batches_list_newest_first_walks_every_page_async(clock: Clock) -> None:
    async def scenario(server: sandbox.SandboxServer) -> None:
        async with async_sdk(server) as client:
            made = [await client.messages.batches.create(requests=[{"custom_id": "a", "params": params(str(i))}]) for i in range(5)]
            walked = [b.id async for b in client.messages.batches.list(limit=2)]
            assert walked == [b.id for b in reversed(made)]
            page = await client.beta.messages.batches.list(limit=2, betas=["message-batches-2024-09-24"])
            assert isinstance(page.data[0], BetaMessageBatch) and page.has_more
            lines = await client.messages.batches.results(made[0].id)
            assert [line.custom_id async for line in lines] == ["a"]  # batch_seconds=0: ended at once

    with serve(clock, batch_seconds=0) as server:
        asyncio.run(scenario(server))


def test_results_url_leads_back_to_the_in_process_sandbox_too(clock: Clock) -> None:
    http = httpx2.Client(transport=sandbox.transport(SandboxOptions(clock=clock, batch_seconds=0)))
    with anthropic.Anthropic(base_url="http://sandbox.test", api_key="k", max_retries=0, http_client=http) as client:
        batch = client.messages.batches.create(requests=[{"custom_id": "a", "params": params("hi")}])
        assert batch.results_url == f"http://sandbox.test/v1/messages/batches/{batch.id}/results"
        assert [line.result.type for line in client.messages.batches.results(batch.id)] == ["succeeded"]


def test_a_batch_that_outlives_a_day_expires_and_is_archived_after_29_days(clock: Clock) -> None:
    with serve(clock, batch_seconds=4 * DAY) as server, sdk(server) as client:
        batch = client.messages.batches.create(requests=[{"custom_id": f"r{i}", "params": params(str(i))} for i in range(8)])
        clock.now += DAY
        ended = client.messages.batches.retrieve(batch.id)
        assert ended.processing_status == "ended" and (ended.request_counts.succeeded, ended.request_counts.expired) == (2, 6)
        assert ended.archived_at is None and len(list(client.messages.batches.results(batch.id))) == 8
        clock.now += 28 * DAY
        assert client.messages.batches.retrieve(batch.id).archived_at is not None
        with pytest.raises(anthropic.NotFoundError):
            client.get(f"/v1/messages/batches/{batch.id}/results", cast_to=httpx2.Response)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"requests": []},
        {"requests": "x"},
        {"requests": [{"custom_id": "a"}]},
        {"requests": [{"custom_id": "bad id!", "params": {}}]},
        {"requests": [{"custom_id": "a", "params": {}}, {"custom_id": "a", "params": {}}]},
        [1, 2],
    ],
)
def test_batch_create_refuses_a_malformed_body(server: sandbox.SandboxServer, body: Any) -> None:
    with sdk(server) as client, pytest.raises(anthropic.BadRequestError) as refused:
        client.post("/v1/messages/batches", body=body, cast_to=httpx2.Response)
    assert refused.value.body["error"]["type"] == "invalid_request_error"


# -- files -----------------------------------------------------------------------------------


def test_files_round_trip_every_byte_list_delete_then_404(server: sandbox.SandboxServer) -> None:
    with sdk(server) as client:
        binary = client.files.upload(file=("every byte.bin", EVERY_BYTE, "application/octet-stream"))
        text = client.files.upload(file=("notes/été.txt", "héllo\n".encode(), "text/plain"))
        nameless = client.files.upload(file=b"%PDF-1.4 sandbox")
        assert binary.id.startswith("file_") and binary.size_bytes == len(EVERY_BYTE) and binary.downloadable
        assert (text.filename, text.mime_type) == ("été.txt", "text/plain")
        assert (nameless.filename, nameless.mime_type) == ("unnamed.bin", "application/octet-stream")  # no name sent
        download = client.files.download(binary.id)
        assert download.read() == EVERY_BYTE and download.headers["content-type"] == "application/octet-stream"
        named = client.files.with_raw_response.download(text.id)
        assert "filename*=UTF-8''%C3%A9t%C3%A9.txt" in named.headers["content-disposition"]
        assert client.files.retrieve_metadata(text.id) == text
        assert [f.id for f in client.files.list(limit=1)] == [nameless.id, text.id, binary.id]
        assert [f.id for f in client.files.list(ids=[binary.id, "file_gone", binary.id]).data] == [binary.id]
        assert client.files.delete(text.id).model_dump() == {"id": text.id, "type": "file_deleted"}
        for call in (client.files.retrieve_metadata, client.files.download, client.files.delete):
            with pytest.raises(anthropic.NotFoundError):
                call(text.id)
        beta = client.beta.files.list(betas=["files-api-2025-04-14"]).data
        assert all(isinstance(f, BetaFileMetadata) for f in beta) and [f.id for f in beta] == [nameless.id, binary.id]


def test_files_async_upload_and_download() -> None:
    async def scenario(server: sandbox.SandboxServer) -> None:
        async with async_sdk(server) as client:
            uploaded = await client.files.upload(file=("b.bin", EVERY_BYTE, "image/png"))
            assert await (await client.files.download(uploaded.id)).read() == EVERY_BYTE
            assert [f.id async for f in client.files.list()] == [uploaded.id]

    with sandbox.serve() as server:
        asyncio.run(scenario(server))


def test_storage_is_bounded_and_freed_by_delete(clock: Clock) -> None:
    with serve(clock, max_storage_bytes=1000) as server, sdk(server) as client:
        first = client.files.upload(file=("a", b"a" * 600, "text/plain"))
        with pytest.raises(StorageQuotaExceededError) as full:
            client.files.upload(file=("b", b"b" * 600, "text/plain"))
        assert full.value.status_code == 400 and full.value.error_code == "storage_quota_exceeded"
        client.files.delete(first.id)
        assert client.files.upload(file=("b", b"b" * 600, "text/plain")).size_bytes == 600


def test_a_file_expires(server: sandbox.SandboxServer, clock: Clock) -> None:
    with sdk(server) as client:
        uploaded = client.files.upload(file=("a.txt", b"soon gone", "text/plain"), expires_in_seconds=3600)
        assert uploaded.expires_at and uploaded.expires_at.timestamp() == clock.now + 3600
        assert client.files.download(uploaded.id).read() == b"soon gone"
        clock.now += 3600
        with pytest.raises(FileExpiredError):
            client.files.download(uploaded.id)
        for seconds in (59, 7_776_001):
            with pytest.raises(anthropic.BadRequestError):
                client.files.upload(file=("a.txt", b"x", "text/plain"), expires_in_seconds=seconds)


def test_a_content_block_can_name_an_uploaded_file(server: sandbox.SandboxServer) -> None:
    with sdk(server) as client:
        pdf = client.files.upload(file=("a.pdf", b"%PDF-1.4", "application/pdf"))

        def ask(file_id: str, kind: str = "document") -> anthropic.types.Message:
            block = {"type": kind, "source": {"type": "file", "file_id": file_id}}
            return client.messages.create(**params("x", messages=[{"role": "user", "content": [block]}]))

        assert ask(pdf.id).content
        with pytest.raises(anthropic.NotFoundError):
            ask("file_unknown")
        with pytest.raises(anthropic.BadRequestError):
            ask(pdf.id, "image")  # a PDF is no image


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"file": "x"}'),
        ("multipart/form-data", b"no boundary"),
        ("multipart/form-data; boundary=zz", b"garbage without any boundary"),
        ("multipart/form-data; boundary=zz", b'--zz\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--zz--\r\n'),
        ("multipart/form-data; boundary=zz", b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nx\r\n--zz\r\nContent-Disposition: form-data; name="expires_in_seconds"\r\n\r\nsoon\r\n--zz--\r\n'),
    ],
)
def test_upload_refuses_a_malformed_form(server: sandbox.SandboxServer, content_type: str, body: bytes) -> None:
    with raw(server) as http:
        answer = http.post("/v1/files", content=body, headers={"content-type": content_type})
    assert answer.status_code == 400 and answer.json()["error"]["type"] == "invalid_request_error"


def test_the_socket_server_reads_chunked_bodies_and_refuses_bad_lengths(server: sandbox.SandboxServer) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    head = "POST /v1/messages/count_tokens HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
    body = json.dumps(params("hi")).encode()
    chunked = head.encode() + b"transfer-encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    for request, status in ((chunked, b" 200 "), (head.encode() + b"content-length: ten\r\n\r\n", b" 400 ")):
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(request)
            assert status in sock.recv(200).split(b"\r\n")[0]


# -- --any-id --------------------------------------------------------------------------------


def test_any_id_answers_every_id_and_cursor_with_objects_of_the_right_type(clock: Clock) -> None:
    with serve(clock, any_id=True) as server, sdk(server) as client:
        assert client.models.retrieve("claude-from-the-future").id == "claude-from-the-future"
        assert client.messages.create(**params("hi", model="claude-from-the-future")).content
        assert isinstance(client.models.list(after_id="nowhere", before_id="nowhere"), anthropic.pagination.SyncPage)
        batch = client.messages.batches.retrieve("msgbatch_planned")
        assert isinstance(batch, MessageBatch) and batch.processing_status == "ended" and batch.results_url
        lines = list(client.messages.batches.results("msgbatch_planned"))
        assert isinstance(lines[0], MessageBatchIndividualResponse) and lines[0].result.type == "succeeded"
        assert client.messages.batches.cancel("msgbatch_planned").processing_status == "canceling"
        assert client.messages.batches.delete("msgbatch_planned").type == "message_batch_deleted"
        planned = client.files.retrieve_metadata("file_planned")
        assert planned.id == "file_planned" and client.files.download("file_planned").read()
        assert [f.id for f in client.files.list(ids=["file_a", "file_b"], limit=5, page="page_zz").data] == ["file_a", "file_b"]
        assert client.files.list(page="anything").next_page is None
        assert client.files.delete("file_planned").id == "file_planned"
        block = {"type": "document", "source": {"type": "file", "file_id": "file_planned"}}
        assert client.messages.create(**params("x", messages=[{"role": "user", "content": [block]}])).content


def test_unknown_ids_are_the_apis_404(server: sandbox.SandboxServer) -> None:
    with sdk(server) as client:
        for call in (client.models.retrieve, client.messages.batches.retrieve, client.files.retrieve_metadata, client.beta.files.download):
            with pytest.raises(anthropic.NotFoundError) as missing:
                call("nothing_here")
            assert missing.value.body["error"]["type"] == "not_found_error"
        with pytest.raises(anthropic.BadRequestError):
            client.files.list(page="page_not_hex")
