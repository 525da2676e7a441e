"""The sandbox, proved with the official `anthropic` SDK and with raw httpx2, in-process and on a socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anthropic_connector import sandbox
from anthropic_connector.sandbox import replies
from anthropic_connector.sandbox import SandboxOptions
from conftest import but_id

MODEL = "claude-sonnet-4-6"
HELLO = [{"role": "user", "content": "Hello, sandbox"}]
V1 = "2023-06-01"
V2 = "2026-10-21"


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[sandbox.SandboxServer]:
    with sandbox.serve() as server:
        yield server


@pytest.fixture(params=["socket", "in-process"])
def sandbox_sdk(request: pytest.FixtureRequest, sandbox_server: sandbox.SandboxServer) -> Iterator[anthropic.Anthropic]:
    """The official SDK client against the socket server and against the in-process transport."""
    if request.param == "socket":
        client = anthropic.Anthropic(base_url=sandbox_server.url, api_key="sk-test", max_retries=0)
    else:
        http = httpx2.Client(transport=sandbox.transport())
        client = anthropic.Anthropic(base_url="http://sandbox.test", api_key="sk-test", max_retries=0, http_client=http)
    with client:
        yield client


def sdk_for(options: SandboxOptions, **kwargs: object) -> anthropic.Anthropic:
    http = httpx2.Client(transport=sandbox.transport(options))
    kwargs = {"api_key": "sk-test", "max_retries": 0, **kwargs}
    return anthropic.Anthropic(base_url="http://sandbox.test", http_client=http, **kwargs)  # type: ignore[arg-type]


def raw(options: SandboxOptions | None = None) -> httpx2.Client:
    headers = {"x-api-key": "sk-test", "anthropic-version": V1}
    return httpx2.Client(transport=sandbox.transport(options), base_url="http://sandbox.test", headers=headers)


def events(response: httpx2.Response) -> list[tuple[str, dict]]:
    """Parse an SSE body into (event, data) pairs, checking each event has both lines."""
    parsed = []
    for block in response.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        assert set(lines) == {"event", "data"}, block
        parsed.append((lines["event"], json.loads(lines["data"])))
    return parsed


def message(**overrides: object) -> dict:
    return {"model": MODEL, "max_tokens": 200, "messages": HELLO, **overrides}


# -- the official SDK ------------------------------------------------------------------------


def test_sdk_create_stream_and_count(sandbox_sdk: anthropic.Anthropic) -> None:
    created = sandbox_sdk.messages.create(model=MODEL, max_tokens=200, messages=HELLO)
    assert created.type == "message" and created.role == "assistant" and created.stop_reason == "end_turn"
    assert created.id.startswith("msg_") and created.content[0].text
    assert created.usage.input_tokens > 0 and created.usage.output_tokens > 0
    assert created._request_id and created._request_id.startswith("req_")

    with sandbox_sdk.messages.stream(model=MODEL, max_tokens=200, messages=HELLO) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert streamed == final.content[0].text == created.content[0].text
    assert final.usage.output_tokens == created.usage.output_tokens and final.stop_reason == "end_turn"

    counted = sandbox_sdk.messages.count_tokens(model=MODEL, messages=HELLO)
    assert counted.input_tokens == created.usage.input_tokens


WEATHER = {
    "name": "get_weather",
    "description": "Current weather at a place",
    "input_schema": {
        "type": "object",
        "required": ["location", "unit", "days"],
        "properties": {
            "location": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1},
            "detail": {"type": "boolean"},
        },
    },
}


@pytest.mark.parametrize("choice", [{"type": "tool", "name": "get_weather"}, {"type": "any"}], ids=["named", "any"])
def test_sdk_forced_tool_call_plain_and_streamed(sandbox_sdk: anthropic.Anthropic, choice: dict) -> None:
    """With tool_choice asking for a call, the reply is a tool_use block whose input the tool's
    own schema accepts, the same whether it is read whole or assembled from the stream."""
    from jsonschema import Draft7Validator

    kwargs = {"model": MODEL, "max_tokens": 200, "messages": HELLO, "tools": [WEATHER], "tool_choice": choice}
    created = sandbox_sdk.messages.create(**kwargs)  # type: ignore[call-overload]
    (block,) = created.content
    assert created.stop_reason == "tool_use" and block.type == "tool_use" and block.name == "get_weather"
    assert block.id.startswith("toolu_") and list(Draft7Validator(WEATHER["input_schema"]).iter_errors(block.input)) == []
    with sandbox_sdk.messages.stream(**kwargs) as stream:  # type: ignore[arg-type]
        final = stream.get_final_message()
    assert but_id(final) == but_id(created)


def test_auto_calls_a_tool_and_none_never_does() -> None:
    """auto (the default) calls a tool, as a tool loop needs; its answer is in tests/test_sandbox_messages.py."""
    with raw() as http:
        for choice, kind in ((None, "tool_use"), ({"type": "auto"}, "tool_use"), ({"type": "none"}, "text")):
            body = message(tools=[WEATHER], **({"tool_choice": choice} if choice else {}))
            assert http.post("/v1/messages", json=body).json()["content"][0]["type"] == kind


def test_sdk_models_list_and_get(sandbox_sdk: anthropic.Anthropic) -> None:
    first = sandbox_sdk.models.list(limit=3)
    assert len(first.data) == 3 and first.has_more and first.first_id == first.data[0].id
    everything = [m.id for m in sandbox_sdk.models.list(limit=4)]  # auto-paginates with after_id
    assert "claude-opus-4-6" in everything and "claude-2.1" not in everything
    assert len(everything) == len(set(everything))
    retired = sandbox_sdk.models.list(lifecycle=["retired"])
    assert {m.lifecycle for m in retired.data} == {"retired"} and "claude-2.1" in [m.id for m in retired.data]
    info = sandbox_sdk.models.retrieve("claude-haiku-4-5")
    assert info.id == "claude-haiku-4-5-20251001" and info.type == "model" and info.display_name


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_tokens": 0}, anthropic.BadRequestError),
        ({"extra_body": {"temperature": 0.5}}, anthropic.BadRequestError),  # SDK 2.x sends 2026-10-21
        ({"model": "claude-nonexistent-9"}, anthropic.NotFoundError),
        ({"extra_headers": {"x-sandbox-fault": "429:retry-after=0"}}, anthropic.RateLimitError),
        ({"extra_headers": {"x-sandbox-fault": "500"}}, anthropic.InternalServerError),
        ({"extra_headers": {"x-sandbox-fault": "529"}}, anthropic.OverloadedError),
        ({"extra_headers": {"x-sandbox-fault": "403"}}, anthropic.PermissionDeniedError),
    ],
)
def test_sdk_error_classes(sandbox_sdk: anthropic.Anthropic, kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        sandbox_sdk.messages.create(**{"model": MODEL, "max_tokens": 50, "messages": HELLO, **kwargs})
    assert caught.value.request_id and caught.value.request_id.startswith("req_")  # type: ignore[attr-defined]
    body = caught.value.body  # type: ignore[attr-defined]
    assert body["type"] == "error" and body["request_id"] == caught.value.request_id  # type: ignore[attr-defined]


def test_sdk_temperature_message_names_the_field() -> None:
    with sdk_for(SandboxOptions()) as client, pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model=MODEL, max_tokens=5, messages=HELLO, extra_body={"top_k": 5})
    assert caught.value.api_message == "top_k: Extra inputs are not permitted"


def test_sdk_authentication() -> None:
    options = SandboxOptions(api_key="sk-right")
    with sdk_for(options, api_key="sk-wrong") as client, pytest.raises(anthropic.AuthenticationError):
        client.messages.create(model=MODEL, max_tokens=5, messages=HELLO)
    with sdk_for(options, api_key="sk-right") as client:  # sent as Authorization: Bearer
        assert client.messages.create(model=MODEL, max_tokens=5, messages=HELLO).content
    with raw(options) as http:
        assert http.post("/v1/messages", json=message(), headers={"x-api-key": "sk-right"}).status_code == 200
        missing = http.post("/v1/messages", json=message(), headers={"x-api-key": ""})
        assert missing.status_code == 401 and missing.json()["error"]["type"] == "authentication_error"


def test_sdk_retries_through_counted_faults() -> None:
    with sdk_for(SandboxOptions(), max_retries=2) as client:
        fault = {"x-sandbox-fault": "529:retry-after=0.01;times=2"}
        reply = client.messages.with_raw_response.create(model=MODEL, max_tokens=5, messages=HELLO, extra_headers=fault)
        assert reply.retries_taken == 2 and reply.parse().content
    with sdk_for(SandboxOptions(faults=("429:retry-after=0.01", "500:retry-after=0.01")), max_retries=2) as client:
        assert client.messages.create(model=MODEL, max_tokens=5, messages=HELLO).content
        assert len(client._client._transport.requests) == 3  # type: ignore[attr-defined]
    with sdk_for(SandboxOptions(faults=("529;should-retry=false",)), max_retries=2) as client:
        with pytest.raises(anthropic.OverloadedError):
            client.messages.create(model=MODEL, max_tokens=5, messages=HELLO)


def test_sdk_error_event_mid_stream(sandbox_sdk: anthropic.Anthropic) -> None:
    fault = {"x-sandbox-fault": "error-event"}
    with pytest.raises(anthropic.APIStatusError) as caught:
        with sandbox_sdk.messages.stream(model=MODEL, max_tokens=200, messages=HELLO, extra_headers=fault) as stream:
            "".join(stream.text_stream)
    assert caught.value.body["error"]["type"] == "overloaded_error"  # type: ignore[attr-defined]


def test_sdk_drop_is_a_connection_error(sandbox_sdk: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.APIConnectionError):
        sandbox_sdk.messages.create(model=MODEL, max_tokens=5, messages=HELLO, extra_headers={"x-sandbox-fault": "drop"})


# -- raw HTTP --------------------------------------------------------------------------------


def test_sse_event_order_and_headers() -> None:
    with raw() as http:
        response = http.post("/v1/messages", json=message(stream=True))
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["request-id"].startswith("req_")
    parsed = events(response)
    names = [name for name, _ in parsed]
    deltas = names.count("content_block_delta")
    assert deltas >= 1 and names == [
        "message_start", "content_block_start", "ping", *["content_block_delta"] * deltas,
        "content_block_stop", "message_delta", "message_stop",
    ]
    assert all(data["type"] == name for name, data in parsed)
    start = parsed[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None and start["usage"]["input_tokens"] > 0
    delta = parsed[-2][1]
    assert delta["delta"] == {"stop_reason": "end_turn", "stop_sequence": None} and delta["usage"]["output_tokens"] > 0


def test_headers_on_every_response() -> None:
    with raw() as http:
        for response in (http.get("/v1/models"), http.post("/v1/messages", json={})):
            assert response.headers["request-id"].startswith("req_")
            for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
                for part in ("limit", "remaining", "reset"):
                    assert f"anthropic-ratelimit-{kind}-{part}" in response.headers
        limited = http.post("/v1/messages", json=message(), headers={"x-sandbox-fault": "429:retry-after=0.1"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "0.1"
    assert limited.json()["error"]["type"] == "rate_limit_error"


def test_max_tokens_cut_off_and_stop_sequence() -> None:
    with raw() as http:
        full = http.post("/v1/messages", json=message()).json()
        short = http.post("/v1/messages", json=message(max_tokens=3)).json()
        words = full["content"][0]["text"].split()
        stop = words[len(words) // 2]
        stopped = http.post("/v1/messages", json=message(stop_sequences=[stop])).json()
    assert short["stop_reason"] == "max_tokens" and short["usage"]["output_tokens"] == 3
    assert full["content"][0]["text"].startswith(short["content"][0]["text"])
    assert stopped["stop_reason"] == "stop_sequence" and stopped["stop_sequence"] == stop
    text = stopped["content"][0]["text"]
    assert stop not in text and full["content"][0]["text"].startswith(text + stop)


def test_deterministic_replies_with_fresh_ids() -> None:
    """The same request gets the same message but for its id; every answer has its own
    message id and request id, as the API's do."""
    with raw() as http:
        answers = [http.post("/v1/messages", json=message()) for _ in range(2)]
        other = http.post("/v1/messages", json=message(messages=[{"role": "user", "content": "Other"}])).json()
    with raw() as http:  # a fresh sandbox gives the same answer too
        answers.append(http.post("/v1/messages", json=message()))
    bodies = [a.json() for a in answers]
    assert but_id(bodies[0]) == but_id(bodies[1]) == but_id(bodies[2]) != but_id(other)
    assert len({b["id"] for b in bodies}) == len({a.headers["request-id"] for a in answers}) == 3


def test_legacy_complete() -> None:
    prompt = "\n\nHuman: Tell me a story\n\nAssistant:"
    body = {"model": "claude-2.1", "prompt": prompt, "max_tokens_to_sample": 300}
    with raw() as http:
        done = http.post("/v1/complete", json=body).json()
        capped = http.post("/v1/complete", json={**body, "max_tokens_to_sample": 2}).json()
        streamed = events(http.post("/v1/complete", json={**body, "stream": True}))
        bad_prompt = http.post("/v1/complete", json={**body, "prompt": "Tell me a story"})
        modern = http.post("/v1/complete", json={**body, "model": MODEL})
        missing = http.post("/v1/complete", json={"model": "claude-2", "prompt": prompt})
    assert done["type"] == "completion" and done["id"].startswith("compl_") and done["model"] == "claude-2.1"
    assert done["stop_reason"] == "stop_sequence" and done["completion"]
    assert capped["stop_reason"] == "max_tokens"
    names = [name for name, _ in streamed]
    assert names[0] == "completion" and "ping" in names and names[-1] == "completion"
    assert "".join(d["completion"] for n, d in streamed if n == "completion") == done["completion"]
    assert streamed[-1][1]["stop_reason"] == "stop_sequence"
    assert all(d["stop_reason"] is None for n, d in streamed[:-1] if n == "completion")
    assert bad_prompt.status_code == 400 and "Human:" in bad_prompt.json()["error"]["message"]
    assert modern.status_code == 400 and "Messages API" in modern.json()["error"]["message"]
    assert missing.status_code == 400 and "max_tokens_to_sample" in missing.json()["error"]["message"]


def test_versions() -> None:
    with raw() as http:
        old = http.post("/v1/messages", json=message(temperature=0.2, top_p=0.9, top_k=5))
        new = http.post("/v1/messages", json=message(temperature=1.0), headers={"anthropic-version": V2})
        missing = http.post("/v1/messages", json=message(), headers={"anthropic-version": ""})
        unknown = http.post("/v1/messages", json=message(), headers={"anthropic-version": "2099-01-01"})
    assert old.status_code == 200
    assert new.status_code == 400 and new.json()["error"]["message"] == "temperature: Extra inputs are not permitted"
    assert missing.status_code == 400 and missing.json()["error"]["message"] == "anthropic-version: header is required"
    assert unknown.status_code == 400 and unknown.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "content",
    [
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": [{"type": "document", "source": {}}]}],
        [{"role": "user", "content": [{"type": "text", "text": "Hi", "citations": [{"type": "char_location"}]}]}],
    ],
)
def test_2026_content_rules(content: list) -> None:
    with raw() as http:
        assert http.post("/v1/messages", json=message(messages=content)).status_code == 200
        new = http.post("/v1/messages", json=message(messages=content), headers={"anthropic-version": V2})
    assert new.status_code == 400 and new.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "body",
    [
        {"max_tokens": 10, "messages": HELLO},
        message(max_tokens="ten"),
        message(max_tokens=1.5),
        message(messages=[]),
        message(messages=[{"role": "system", "content": "x"}]),
        message(messages=[{"role": "user", "content": 7}]),
        message(stop_sequences="x"),
        message(tools="x", tool_choice={"type": "any"}),
        message(tools=[1], tool_choice={"type": "any"}),
        message(tools=[{"name": "t", "input_schema": 5}]),
        message(tool_choice="any"),
        message(tool_choice={"type": "tool"}),
    ],
)
def test_invalid_messages_bodies(body: dict) -> None:
    with raw() as http:
        response = http.post("/v1/messages", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_malformed_schemas_and_deep_json_are_answered_not_crashed_on() -> None:
    odd = {"type": "object", "properties": 5, "required": ["a", 7]}
    worse = {"type": [], "enum": {"a": 1}, "minItems": 10**9}
    with raw() as http:
        for schema in (odd, worse):
            body = message(tools=[{"name": "t", "input_schema": schema}], tool_choice={"type": "any"})
            assert http.post("/v1/messages", json=body).json()["content"][0]["type"] == "tool_use"
        deep = http.post("/v1/messages", content=b"[" * 100_000, headers={"content-type": "application/json"})
    assert deep.status_code == 400 and deep.json()["error"]["type"] == "invalid_request_error"


def test_errors_shape_404_413_and_bad_json() -> None:
    with raw(SandboxOptions(max_body_bytes=1000)) as http:
        unknown_route = http.get("/v1/nothing")
        unknown_model = http.post("/v1/messages", json=message(model="claude-nope"))
        too_large = http.post("/v1/messages", json=message(messages=[{"role": "user", "content": "x" * 2000}]))
        not_json = http.post("/v1/messages", content=b"{not json", headers={"content-type": "application/json"})
    assert unknown_route.status_code == 404 and unknown_route.json()["error"]["type"] == "not_found_error"
    assert unknown_model.status_code == 404 and unknown_model.json()["error"]["message"] == "model: claude-nope"
    assert too_large.status_code == 413 and too_large.json()["error"]["type"] == "request_too_large"
    assert not_json.status_code == 400
    for response in (unknown_route, unknown_model, too_large, not_json):
        body = response.json()
        assert set(body) == {"type", "error", "request_id"} and body["request_id"] == response.headers["request-id"]


def test_retired_models_serve_and_reject() -> None:
    legacy = {"model": "claude-2", "prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 20}
    with raw() as http:  # default: serve, so the connector's legacy samples run
        assert http.post("/v1/messages", json=message(model="claude-2.1")).status_code == 200
        assert http.post("/v1/complete", json=legacy).status_code == 200
    with raw(SandboxOptions(retired_models="reject")) as http:
        for response in (
            http.post("/v1/messages", json=message(model="claude-2.1")),
            http.post("/v1/messages", json=message(model="claude-3-opus-20240229")),
            http.post("/v1/complete", json=legacy),
        ):
            assert response.status_code == 404 and response.json()["error"]["type"] == "not_found_error"
        assert http.post("/v1/messages", json=message(model="claude-opus-4-6")).status_code == 200
        assert http.get("/v1/models/claude-2.1").json()["lifecycle"] == "retired"


def test_canned_replies() -> None:
    options = SandboxOptions(canned={"Hello, sandbox": "Canned by prompt.", "claude-opus-4-6": "Canned by model."})
    with raw(options) as http:
        by_prompt = http.post("/v1/messages", json=message()).json()
        by_model = http.post("/v1/messages", json=message(model="claude-opus-4-6", messages=[{"role": "user", "content": "x"}]))
    assert by_prompt["content"][0]["text"] == "Canned by prompt."
    assert by_model.json()["content"][0]["text"] == "Canned by model."


# -- faults ----------------------------------------------------------------------------------


def test_drop_really_drops_on_the_socket(sandbox_server: sandbox.SandboxServer) -> None:
    headers = {"x-api-key": "k", "anthropic-version": V1}
    with httpx2.Client(base_url=sandbox_server.url, headers=headers) as http:
        with pytest.raises(httpx2.RemoteProtocolError):
            http.post("/v1/messages", json=message(), headers={"x-sandbox-fault": "drop"})
        with pytest.raises(httpx2.TransportError):
            http.post("/v1/messages", json=message(stream=True), headers={"x-sandbox-fault": "drop:mid"})
        with pytest.raises(httpx2.TransportError):
            http.post("/v1/messages", json=message(), headers={"x-sandbox-fault": "drop:mid"})
        assert http.post("/v1/messages", json=message()).status_code == 200  # the server lives on


def test_drop_in_process_raises_like_httpx2() -> None:
    with raw() as http:
        with pytest.raises(httpx2.RemoteProtocolError):
            http.post("/v1/messages", json=message(), headers={"x-sandbox-fault": "drop"})
        with http.stream("POST", "/v1/messages", json=message(stream=True), headers={"x-sandbox-fault": "drop:mid"}) as r:
            assert r.status_code == 200
            with pytest.raises(httpx2.RemoteProtocolError):
                r.read()


@pytest.mark.parametrize("where", ["socket", "in-process"])
def test_cut_and_error_event(where: str, sandbox_server: sandbox.SandboxServer) -> None:
    headers = {"x-api-key": "k", "anthropic-version": V1}
    http = httpx2.Client(base_url=sandbox_server.url, headers=headers) if where == "socket" else raw()
    with http:
        cut = events(http.post("/v1/messages", json=message(stream=True), headers={"x-sandbox-fault": "cut:after=2"}))
        err = events(http.post("/v1/messages", json=message(stream=True), headers={"x-sandbox-fault": "error-event"}))
    assert [n for n, _ in cut] == ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta"]
    assert [n for n, _ in err][-2:] == ["content_block_delta", "error"]
    assert err[-1][1]["error"]["type"] == "overloaded_error"


def test_times_counts_per_spec_and_requests_are_recorded(sandbox_server: sandbox.SandboxServer) -> None:
    before = len(sandbox_server.requests)
    headers = {"x-api-key": "k", "anthropic-version": V1, "x-sandbox-fault": "529;times=2;should-retry=false"}
    with httpx2.Client(base_url=sandbox_server.url, headers=headers) as http:
        statuses = [http.post("/v1/messages", json=message()).status_code for _ in range(3)]
        other = http.post("/v1/messages", json=message(), headers={"x-sandbox-fault": "500;times=1"})
    assert statuses == [529, 529, 200] and other.status_code == 500
    seen = sandbox_server.requests[before:]
    assert len(seen) == 4 and seen[0].method == "POST" and seen[0].path == "/v1/messages"
    assert json.loads(seen[0].body)["model"] == MODEL and seen[0].headers["x-api-key"] == "k"


def test_fault_sequence_and_latency() -> None:
    with raw(SandboxOptions(faults=("529;times=2", "ok", "429:retry-after=2"), latency=0.01)) as http:
        statuses = [http.post("/v1/messages", json=message()).status_code for _ in range(5)]
    assert statuses == [529, 529, 200, 429, 200]
    with raw() as http:
        bad = http.post("/v1/messages", json=message(), headers={"x-sandbox-fault": "teapot"})
    assert bad.status_code == 400 and "x-sandbox-fault" in bad.json()["error"]["message"]
    with pytest.raises(ValueError):
        sandbox.parse_fault("cut:after=-1")


# -- async -----------------------------------------------------------------------------------


def test_async_client_in_process() -> None:
    async def scenario() -> None:
        transport = sandbox.transport(SandboxOptions(latency=0.01))
        http = httpx2.AsyncClient(transport=transport)
        sdk = anthropic.AsyncAnthropic(base_url="http://sandbox.test", api_key="k", max_retries=0, http_client=http)
        async with sdk as client:
            created = await client.messages.create(model=MODEL, max_tokens=100, messages=HELLO)
            async with client.messages.stream(model=MODEL, max_tokens=100, messages=HELLO) as stream:
                text = "".join([chunk async for chunk in stream.text_stream])
                final = await stream.get_final_message()
            assert text == final.content[0].text == created.content[0].text
            with pytest.raises(anthropic.APIConnectionError):
                await _consume_dropped(client)
        assert len(transport.requests) == 3

    asyncio.run(scenario())


def test_async_raw_stream_faults() -> None:
    async def scenario() -> None:
        headers = {"x-api-key": "k", "anthropic-version": V1}
        async with httpx2.AsyncClient(transport=sandbox.transport(), base_url="http://t", headers=headers) as http:
            cut = await http.post("/v1/messages", json=message(stream=True), headers={"x-sandbox-fault": "cut"})
            assert "message_stop" not in cut.text and "content_block_delta" in cut.text
            request = http.build_request("POST", "/v1/messages", json=message(stream=True), headers={"x-sandbox-fault": "drop:mid"})
            response = await http.send(request, stream=True)
            with pytest.raises(httpx2.RemoteProtocolError):
                await response.aread()
            await response.aclose()

    asyncio.run(scenario())


async def _consume_dropped(client: anthropic.AsyncAnthropic) -> None:
    stream = await client.messages.create(
        model=MODEL, max_tokens=5, messages=HELLO, stream=True, extra_headers={"x-sandbox-fault": "drop"}
    )
    async for _ in stream:
        pass


# -- CLI -------------------------------------------------------------------------------------


def test_cli_arguments(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import argparse

    canned = tmp_path / "canned.json"
    canned.write_text(json.dumps({"prompts": {"Hi": "Hello!"}}))
    parser = argparse.ArgumentParser()
    sandbox.add_arguments(parser)
    args = parser.parse_args(["--port", "0", "--api-key", "k", "--fault", "529;times=2", "--canned", str(canned), "--retired-models", "reject"])
    options = sandbox.cli.options_from_args(args)
    assert options.api_key == "k" and options.faults == ("529;times=2",) and options.canned == {"Hi": "Hello!"}
    assert options.retired_models == "reject"
    assert (options.batch_seconds, options.max_storage_bytes, options.any_id) == (1.0, 256 * 1024 * 1024, False)
    data_plane = sandbox.cli.options_from_args(parser.parse_args(["--batch-seconds", "0", "--max-storage-bytes", "10", "--any-id"]))
    assert (data_plane.batch_seconds, data_plane.max_storage_bytes, data_plane.any_id) == (0.0, 10, True)
    assert sandbox.run_from_args(parser.parse_args(["--fault", "bogus"])) == 2
    assert sandbox.run_from_args(parser.parse_args(["--batch-seconds", "-1"])) == 2


def test_cli_serves_until_interrupted() -> None:
    import signal
    import subprocess
    import sys

    code = "import sys; from anthropic_connector.sandbox import main; sys.exit(main(['--port', '0', '--no-key-check']))"
    env = {"PYTHONPATH": str(Path(sandbox.__file__).parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()  # type: ignore[union-attr]
        assert line.startswith("sandbox listening on http://127.0.0.1:")
        url = line.split()[-1]
        reply = httpx2.get(f"{url}/v1/models", headers={"anthropic-version": V1}, timeout=5)
        assert reply.status_code == 200 and reply.json()["data"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]


def test_handle_is_a_pure_function_of_the_request() -> None:
    request = httpx2.Request(
        "POST", "http://sandbox.test/v1/messages", json=message(), headers={"x-api-key": "k", "anthropic-version": V1}
    )
    first, second = sandbox.handle(request), sandbox.handle(request)
    assert first.status_code == 200 and but_id(first.read()) == but_id(second.read())


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet="ab .\n", max_size=60),
    max_tokens=st.integers(min_value=1, max_value=30),
    stops=st.lists(st.text(alphabet="ab .", min_size=1, max_size=3), max_size=2),
)
def test_generation_invariants(text: str, max_tokens: int, stops: list[str]) -> None:
    gen = replies.generate(text, max_tokens, stops)
    assert "".join(gen.deltas()) == gen.text and text.startswith(gen.text)
    assert gen.output_tokens <= max_tokens
    assert not any(stop in gen.text for stop in stops)
    if gen.stop_reason == "stop_sequence":
        assert text.startswith(gen.text + gen.stop_sequence)  # type: ignore[operator]
    elif gen.stop_reason == "end_turn":
        assert gen.text == text


def test_the_connector_assembles_a_streamed_tool_call_as_the_plain_reply() -> None:
    from anthropic_connector import Connector

    body = message(tools=[WEATHER], tool_choice={"type": "tool", "name": "get_weather"})
    with Connector(sandbox=True) as connector:
        plain = connector.run("create_message", body).output
        streamed = connector.run("create_message", {**body, "stream": True}).output
    assert but_id(streamed) == but_id(plain) and plain["content"][0]["input"] == {"location": "sandbox", "unit": "celsius", "days": 1}
