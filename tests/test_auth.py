"""Credentials go to the connection's origin only: raw requests elsewhere and cross-origin
redirects carry none of them; user-set headers are sent as given; no repr shows a secret."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from anthropic_connector import Connection, Connector
from anthropic_connector.sandbox import SandboxOptions, serve
from conftest import MANIFEST, Answer, Recorder

CREDENTIAL_HEADERS = ("x-api-key", "authorization", "anthropic-version", "anthropic-beta")


@pytest.fixture
def elsewhere() -> Iterator[Any]:
    """A second origin on 127.0.0.1 (another port) that records what reaches it."""
    with serve(options=SandboxOptions(check_key=False)) as server:
        yield server


def raw(connector: Connector, url: dict[str, str], **extra: Any) -> dict[str, Any]:
    return connector.run("raw_http_request", {"method": "GET", "url": url, **extra}).output


def test_endpoint_on_the_connection_origin_carries_the_credentials(recorder: Recorder, connection: dict[str, Any], fake_key: str) -> None:
    with Connector(MANIFEST, {**connection, "anthropic_beta": ["a-1", "b-2"]}) as connector:
        raw(connector, {"endpoint": "/v1/models"})
        raw(connector, {"fullUrl": recorder.url + "/v1/models"})
    for request in recorder.requests:
        assert request.headers["x-api-key"] == fake_key
        assert request.headers["anthropic-version"] == "2023-06-01"
        assert request.headers["anthropic-beta"] == "a-1,b-2"


def test_full_url_to_another_origin_carries_no_credentials(connection: dict[str, Any], elsewhere: Any, fake_key: str) -> None:
    with Connector(MANIFEST, {**connection, "anthropic_beta": "x"}) as connector:
        out = raw(connector, {"fullUrl": elsewhere.url + "/v1/models"})
    assert out["status"] == 400  # the other origin got no anthropic-version header from us
    (seen,) = elsewhere.requests
    assert not any(name in seen.headers for name in CREDENTIAL_HEADERS)
    assert fake_key not in repr(seen)


def test_auth_token_is_scoped_the_same_way(recorder: Recorder, connection: dict[str, Any], elsewhere: Any) -> None:
    token_connection = {k: v for k, v in connection.items() if k != "api_key"} | {"auth_token": "tok-secret-1"}
    with Connector(MANIFEST, token_connection) as connector:
        raw(connector, {"endpoint": "/v1/models"})
        raw(connector, {"fullUrl": elsewhere.url + "/v1/models"})
    assert recorder.requests[0].headers["authorization"] == "Bearer tok-secret-1"
    assert "x-api-key" not in recorder.requests[0].headers
    assert "authorization" not in elsewhere.requests[0].headers


def test_redirect_to_another_origin_drops_every_credential(recorder: Recorder, connection: dict[str, Any], elsewhere: Any) -> None:
    recorder.script(Answer(307, headers={"location": elsewhere.url + "/v1/models"}))
    with Connector(MANIFEST, connection) as connector:
        raw(connector, {"endpoint": "/v1/start"}, headers={"Authorization": "Bearer user-typed"})
    assert recorder.requests[0].headers["authorization"] == "Bearer user-typed"  # first hop: as given
    (seen,) = elsewhere.requests
    assert not any(name in seen.headers for name in CREDENTIAL_HEADERS)


def test_redirect_within_the_origin_keeps_the_credentials(recorder: Recorder, connection: dict[str, Any], fake_key: str) -> None:
    recorder.script(Answer(302, headers={"location": "/v1/models"}), Answer(200, {"data": []}))
    with Connector(MANIFEST, connection) as connector:
        out = raw(connector, {"endpoint": "/v1/old"})
    assert out == {"status": 200, "headers": out["headers"], "body": {"data": []}}
    assert [r.path for r in recorder.requests] == ["/v1/old", "/v1/models"]
    assert all(r.headers["x-api-key"] == fake_key for r in recorder.requests)


def test_headers_the_user_sets_are_sent_as_given(recorder: Recorder, connection: dict[str, Any]) -> None:
    headers = {"X-API-Key": "user-key", "anthropic-version": "2026-10-21", "X-Custom": "1"}
    with Connector(MANIFEST, connection) as connector:
        raw(connector, {"endpoint": "/v1/models"}, headers=headers)
    (seen,) = recorder.requests
    assert seen.headers["x-api-key"] == "user-key"
    assert seen.headers["anthropic-version"] == "2026-10-21"
    assert seen.headers["x-custom"] == "1"


def test_no_repr_or_error_shows_the_key(connection: dict[str, Any], fake_key: str) -> None:
    checked = Connection.from_mapping(connection, MANIFEST)
    assert checked.api_headers["x-api-key"] == fake_key  # unwrapped for sending, and kept for the next run...
    for text in (repr(checked), str(checked), repr(checked.api_key)):  # ...yet in no repr
        assert fake_key not in text
    assert checked.api_key is not None and checked.api_key.get_secret_value() == fake_key
    bad = {**connection, "api_key": 12345, "timeout": -1}
    with pytest.raises(Exception) as caught:
        Connection.from_mapping(bad, MANIFEST)
    assert "12345" not in str(caught.value) and "12345" not in repr(caught.value.details)  # type: ignore[attr-defined]


def test_verbose_log_shows_requests_and_retries_but_never_the_key(recorder: Recorder, cli: Any, connection_env: dict[str, str], fake_key: str, tmp_path: Any) -> None:
    recorder.script(Answer(529, {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}, {"retry-after": "0.01"}), Answer(200, {"status": 200}))
    payload = tmp_path / "in.json"
    payload.write_text('{"method": "GET", "url": {"endpoint": "/v1/models"}}')
    result = cli("run", "raw_http_request", str(payload), "--verbose", env=connection_env)
    assert result.code == 0
    assert "GET " + recorder.url + "/v1/models" in result.err
    assert "retrying" in result.err
    assert fake_key not in result.err + str(result.out)
