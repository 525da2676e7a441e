"""The model table fetched from GET /v1/models, end to end: asked only to confirm a refusal that
rests on it, on a fake GET /v1/models of the recording server; kept in the cache folder with an
expiry read from an injected clock; never failing a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import MANIFEST, Answer, Recorded, Recorder, RecordingClock

from anthropic_connector import Connector, ValidationError, models
from test_rules import BASE, MESSAGE, posted, refused, sent


@pytest.fixture(autouse=True)
def _answers(recorder: Recorder) -> None:
    """The recording server answers as the API would (``api``, below), unless a test says otherwise."""
    recorder.script(api(LISTING))


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own cache folder, so that no fetched table leaks between tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ANTHROPIC_CONNECTOR_NO_CACHE", raising=False)
    return tmp_path / "cache" / "anthropic-connector"


def info(name: str, *, lifecycle: str = "active", max_tokens: int = 64000, budget: bool = True, line: str | None = "sonnet", created: str = "2026-01-01", retires: str | None = None) -> dict[str, Any]:
    """One ModelInfo of GET /v1/models, as the API lists it: the list_models sample's first, changed."""
    model = json.loads(json.dumps(MANIFEST.operation("list_models").sample_output["data"][0]))
    model["capabilities"]["thinking"]["types"]["enabled"] = {"supported": budget}
    return {
        **model, "id": name, "display_name": name, "created_at": f"{created}T00:00:00Z", "lifecycle": lifecycle,
        "deprecated_at": None, "retires_at": f"{retires}T00:00:00Z" if retires else None, "line": line, "max_tokens": max_tokens,
    }


LISTING = [
    info("claude-sonnet-5-5", max_tokens=256000, budget=False, created="2026-09-24"),
    info("claude-sonnet-6", max_tokens=300000, created="2026-11-20"),
    info("claude-sonnet-5", lifecycle="retired", created="2026-07-15", retires="2026-12-01"),
    info("claude-2.1", lifecycle="retired", line=None, created="2023-11-21", retires="2025-07-21"),
]


def api(listing: list[dict[str, Any]], *, pages: int = 1) -> Callable[[Recorded], Answer]:
    """The recording server as the API: GET /v1/models lists ``listing`` (``pages`` pages), and
    anything else answers the Message sample."""

    def answer(request: Recorded) -> Answer:
        if request.path != "/v1/models":
            return Answer(200, MESSAGE)
        query = dict(request.query)
        size = max(-(-len(listing) // pages), 1)
        start = next(i + 1 for i, m in enumerate(listing) if m["id"] == query["after_id"]) if "after_id" in query else 0
        page = listing[start : start + size]
        ends = (page[0]["id"], page[-1]["id"]) if page else (None, None)
        return Answer(200, {"data": page, "first_id": ends[0], "last_id": ends[1], "has_more": start + size < len(listing)})

    return answer


def gets(recorder: Recorder) -> list[str]:
    return [r.target for r in recorder.requests if r.method == "GET"]


def test_a_retired_model_names_its_replacement_after_asking_the_api(recorder: Recorder, connection: dict[str, Any]) -> None:
    details = refused(connection, {**BASE, "model": "claude-2.1"})
    assert details == [{"path": "/model", "message": "claude-2.1 was retired (2025-07-21): use claude-sonnet-5-5 instead"}]
    assert gets(recorder) == ["/v1/models?limit=1000&lifecycle%5B%5D=active&lifecycle%5B%5D=deprecated&lifecycle%5B%5D=retired"]
    assert posted(recorder) == []  # nothing sent but the question


def test_the_listing_lifts_what_the_shipped_table_would_refuse(recorder: Recorder, connection: dict[str, Any]) -> None:
    """The shipped table says 128,000 for claude-sonnet-5-5; the API, asked, says 256,000."""
    request = sent(connection, {**BASE, "max_tokens": 200000}, recorder)
    assert request.json()["max_tokens"] == 200000 and len(gets(recorder)) == 1


def test_the_listing_adds_what_the_shipped_table_does_not_know(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(api(LISTING, pages=2))
    with Connector(MANIFEST, connection) as connector:
        with pytest.raises(ValidationError) as caught:  # known too high as shipped: the fetch confirms it, and tells more
            connector.run("create_message", {**BASE, "max_tokens": 300000, "thinking": {"type": "enabled", "budget_tokens": 2048}})
        assert caught.value.details == [
            {"path": "/max_tokens", "message": "must be at most 256000, the most claude-sonnet-5-5 writes"},
            {"path": "/thinking/type", "message": "\"enabled\" (thinking with a token budget) is not accepted by claude-sonnet-5-5: use \"adaptive\""},
        ]
        with pytest.raises(ValidationError) as caught:  # retired since the table shipped: the replacement is its line's newest
            connector.run("create_message", {**BASE, "model": "claude-sonnet-5"})
        assert caught.value.details == [{"path": "/model", "message": "claude-sonnet-5 was retired (2026-12-01): use claude-sonnet-6 instead"}]
        connector.run("create_message", {**BASE, "model": "claude-sonnet-6", "max_tokens": 300000})
    assert len(gets(recorder)) == 2  # two pages, fetched once


def test_the_table_is_cached_for_a_day(recorder: Recorder, connection: dict[str, Any], clock: RecordingClock, _own_cache: Path) -> None:
    too_many = {**BASE, "max_tokens": 300000}
    with Connector(MANIFEST, connection, clock=clock) as connector, pytest.raises(ValidationError):
        connector.run("create_message", too_many)
    (entry,) = _own_cache.glob("models-*.json")
    assert json.loads(entry.read_text())["models"]["claude-sonnet-5-5"]["max_tokens"] == 256000
    clock.time += 23 * 3600  # another connector, a day later less an hour: the cache, no question
    with Connector(MANIFEST, connection, clock=clock) as connector:
        with pytest.raises(ValidationError):
            connector.run("create_message", too_many)
        connector.run("create_message", {**BASE, "max_tokens": 200000})
    assert len(gets(recorder)) == 1
    clock.time += 2 * 3600  # past the day: the cache is stale, the shipped table is at hand, and a refusal asks again
    with Connector(MANIFEST, connection, clock=clock) as connector:
        assert connector.validate("create_message", {**BASE, "max_tokens": 200000}) == [{"path": "/max_tokens", "message": "must be at most 128000, the most claude-sonnet-5-5 writes"}]
        connector.run("create_message", {**BASE, "max_tokens": 200000})
    assert len(gets(recorder)) == 2


def test_no_cache_keeps_nothing_on_disk(recorder: Recorder, connection: dict[str, Any], monkeypatch: pytest.MonkeyPatch, _own_cache: Path) -> None:
    monkeypatch.setenv("ANTHROPIC_CONNECTOR_NO_CACHE", "1")
    sent(connection, {**BASE, "max_tokens": 200000}, recorder)
    assert len(gets(recorder)) == 1 and not list(_own_cache.parent.rglob("models-*"))


@pytest.mark.parametrize(
    "answer",
    [Answer(500, {"type": "error", "error": {"type": "api_error", "message": "down"}}), Answer(200, {"unexpected": True}), Answer(403, {"type": "error", "error": {"type": "permission_error", "message": "no"}})],
    ids=["5xx", "not a listing", "forbidden"],
)
def test_a_failed_fetch_never_fails_a_run(answer: Answer, recorder: Recorder, connection: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    """The table at hand decides, and the fetch is not tried again within the hour."""
    recorder.script(lambda request: answer if request.path == "/v1/models" else Answer(200, MESSAGE))
    with Connector(MANIFEST, connection) as connector:
        for _ in range(2):
            with pytest.raises(ValidationError) as caught:
                connector.run("create_message", {**BASE, "max_tokens": 200000})
            assert caught.value.details == [{"path": "/max_tokens", "message": "must be at most 128000, the most claude-sonnet-5-5 writes"}]
        connector.run("create_message", BASE)
    assert len(gets(recorder)) == 1
    assert any("the model table could not be fetched" in r.getMessage() for r in caplog.records)


def test_an_unknown_model_asks_nothing(recorder: Recorder, connection: dict[str, Any]) -> None:
    sent(connection, {**BASE, "model": "claude-from-the-future", "max_tokens": 900000}, recorder)
    assert gets(recorder) == []


def test_a_valid_input_never_waits_for_the_table(recorder: Recorder, connection: dict[str, Any]) -> None:
    sent(connection, BASE, recorder)
    assert gets(recorder) == []


def test_a_bearer_token_fetches_too_and_the_sandbox_never(recorder: Recorder) -> None:
    with Connector(MANIFEST, {"base_url": recorder.url, "auth_token": "t-oken", "max_retries": 0}) as connector, pytest.raises(ValidationError):
        connector.run("create_message", {**BASE, "model": "claude-2.1"})
    assert recorder.requests[0].headers["authorization"] == "Bearer t-oken" and len(gets(recorder)) == 1
    with Connector(sandbox=True) as connector, pytest.raises(ValidationError) as caught:  # its own table is the shipped one
        connector.run("create_message", {**BASE, "max_tokens": 200000})
    assert caught.value.details == [{"path": "/max_tokens", "message": "must be at most 128000, the most claude-sonnet-5-5 writes"}]


def test_arun_fetches_off_the_event_loop(recorder: Recorder, connection: dict[str, Any]) -> None:
    import asyncio
    import threading

    seen: list[str] = []
    real = models.fetch

    def spy(run: Any) -> list[Any]:
        seen.append(threading.current_thread().name)
        return real(run)

    async def main() -> None:
        async with Connector(MANIFEST, connection) as connector:
            await connector.arun("create_message", {**BASE, "max_tokens": 200000})

    models.fetch, saved = spy, models.fetch
    try:
        asyncio.run(main())
    finally:
        models.fetch = saved
    assert seen and seen[0] != threading.main_thread().name


def test_events_confirm_a_refusal_off_the_event_loop_then_stream(recorder: Recorder, connection: dict[str, Any]) -> None:
    """events() refuses at once what a fresh table would refuse too; what only the shipped table
    refuses is asked of the API (off the event loop) when iteration starts, and then streams."""
    import asyncio
    import threading

    from test_streaming import sse_answer

    listing = api(LISTING)
    recorder.script(lambda request: listing(request) if request.path == "/v1/models" else sse_answer())
    seen: list[str] = []
    real = models.fetch

    def spy(run: Any) -> list[Any]:
        seen.append(threading.current_thread().name)
        return real(run)

    async def main() -> list[str]:
        async with Connector(MANIFEST, connection) as connector:
            stream = connector.events("create_message", {**BASE, "max_tokens": 200000})
            types = [event["type"] async for event in stream]
            with pytest.raises(ValidationError) as caught:  # the fresh table is at hand now: refused at the call
                connector.events("create_message", {**BASE, "max_tokens": 300000})
            assert caught.value.details[0]["message"] == "must be at most 256000, the most claude-sonnet-5-5 writes"
            return types

    models.fetch, saved = spy, models.fetch
    try:
        types = asyncio.run(main())
    finally:
        models.fetch = saved
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert len(seen) == 1 and seen[0] != threading.main_thread().name
    assert len(gets(recorder)) == 1 and posted(recorder)[0].json()["max_tokens"] == 200000


def test_run_many_confirms_a_refusal_once_for_every_line(recorder: Recorder, connection: dict[str, Any], tmp_path: Path) -> None:
    """The lines are checked as run checks them: refused on the shipped table, confirmed by
    one fetch, and then sent (200,000 tokens) or refused in the API's words (a retired model)."""
    inputs = tmp_path / "in.jsonl"
    lines = [{**BASE, "max_tokens": 200000}, {**BASE, "max_tokens": 150000}, {**BASE, "model": "claude-2.1"}]
    inputs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with Connector(MANIFEST, connection) as connector:
        summary = connector.run_many("create_message", inputs, tmp_path / "out.jsonl", skip_invalid=True, progress=False)
    results = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert (summary["succeeded"], summary["failed"]) == (2, 1)
    assert results[2]["error"]["details"] == [{"path": "/model", "message": "claude-2.1 was retired (2025-07-21): use claude-sonnet-5-5 instead"}]
    assert len(gets(recorder)) == 1 and sorted(r.json()["max_tokens"] for r in posted(recorder)) == [150000, 200000]  # sent concurrently


def test_arun_many_confirms_off_the_event_loop(recorder: Recorder, connection: dict[str, Any], tmp_path: Path) -> None:
    """arun_many checks its file (and fetches the table, once) in a worker thread, not on the host's loop."""
    import asyncio
    import threading

    inputs = tmp_path / "in.jsonl"
    inputs.write_text("".join(json.dumps({**BASE, "max_tokens": tokens}) + "\n" for tokens in (200000, 150000)))
    seen: list[str] = []
    real = models.fetch

    def spy(run: Any) -> list[Any]:
        seen.append(threading.current_thread().name)
        return real(run)

    async def main() -> dict[str, Any]:
        async with Connector(MANIFEST, connection) as connector:
            return await connector.arun_many("create_message", inputs, tmp_path / "out.jsonl", progress=False)

    models.fetch, saved = spy, models.fetch
    try:
        summary = asyncio.run(main())
    finally:
        models.fetch = saved
    assert summary["succeeded"] == 2 and len(seen) == 1 and seen[0] != threading.main_thread().name
    assert len(gets(recorder)) == 1


def test_validate_sends_nothing_unless_asked_to_confirm(recorder: Recorder, connection: dict[str, Any]) -> None:
    with Connector(MANIFEST, connection) as connector:
        assert connector.validate("create_message", {**BASE, "max_tokens": 200000})[0]["path"] == "/max_tokens"
        assert recorder.requests == []
        assert connector.validate("create_message", {**BASE, "max_tokens": 200000}, confirm=True) == []
    assert len(gets(recorder)) == 1 and posted(recorder) == []
