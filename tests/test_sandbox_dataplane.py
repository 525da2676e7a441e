"""The sandbox's data plane (models), driven by the official
`anthropic` SDK on a real socket, with strict response validation on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import ModelInfo
from anthropic.types.beta import BetaModelInfo

from anthropic_connector import sandbox
from anthropic_connector.sandbox import SandboxOptions

MODEL = "claude-sonnet-4-6"


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
    with serve(clock) as running:
        yield running


def sdk(server: sandbox.SandboxServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key="sk-test", max_retries=0, _strict_response_validation=True)


def raw(server: sandbox.SandboxServer) -> httpx2.Client:
    return httpx2.Client(base_url=server.url, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})


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
