"""The sandbox's data plane (models, message batches), driven by the official
`anthropic` SDK on a real socket, sync and async, with strict response validation on.

Time comes from an injected clock, so a batch ends when the test says so, without sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import ModelInfo
from anthropic.types.beta import BetaModelInfo
from anthropic.types.beta.messages import BetaMessageBatch

from anthropic_connector import sandbox
from anthropic_connector.sandbox import SandboxOptions

MODEL = "claude-sonnet-4-6"
DAY = 24 * 3600.0


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
            assert lines[f"ok-{i}"].type == "succeeded" and lines[f"ok-{i}"].message == direct
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
