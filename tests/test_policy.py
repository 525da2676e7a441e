"""doors/policy.py: what the service's and the MCP server's callers may ask of this machine.
No local file and no other origin on a caller's word; inside an allowed directory only once
resolved; a caller token compared in constant time."""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx2
import pytest
from conftest import MANIFEST

from anthropic_connector.connection import Connection
from anthropic_connector.doors.policy import DoorPolicy, add_arguments
from anthropic_connector.errors import ConfigurationError

UPLOAD = MANIFEST.operation("upload_file")
RESULTS = MANIFEST.operation("get_message_batch_results")


def policy(*argv: str) -> DoorPolicy:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return DoorPolicy.from_args(parser.parse_args(list(argv)))


@pytest.fixture
def allowed(tmp_path: Path) -> Path:
    root = tmp_path / "allowed"
    (root / "in").mkdir(parents=True)
    (root / "in" / "a.txt").write_text("a")
    (tmp_path / "secret.txt").write_text("s")
    (root / "out-link").symlink_to(tmp_path / "secret.txt")
    return root


def refused(call: object) -> str:
    with pytest.raises(ConfigurationError) as caught:
        call()  # type: ignore[operator]
    return str(caught.value.details)


def test_without_an_allowed_dir_no_file_may_be_named(allowed: Path) -> None:
    plain = policy()
    assert "/file_path" in refused(lambda: plain.admit(UPLOAD, {"file_path": str(allowed / "in" / "a.txt")}))
    assert "output_file" in refused(lambda: plain.admit(RESULTS, {"message_batch_id": "b"}, "out.jsonl"))
    assert plain.admit(UPLOAD, {"file_base64": "YQ==", "filename": "a.txt"}) == ({"file_base64": "YQ==", "filename": "a.txt"}, None)


def test_inside_the_allowed_dir_paths_resolve_there(allowed: Path) -> None:
    inside = policy("--allow-dir", str(allowed))
    payload, _ = inside.admit(UPLOAD, {"file_path": "in/a.txt"})
    assert payload == {"file_path": str((allowed / "in" / "a.txt").resolve())}
    assert inside.admit(UPLOAD, {"file_path": str(allowed / "in" / "a.txt")})[0] == payload
    _, out = inside.admit(RESULTS, {"message_batch_id": "b"}, "in/results.jsonl")
    assert out == (allowed / "in" / "results.jsonl").resolve()


@pytest.mark.parametrize("named", ["../secret.txt", "in/../../secret.txt", "out-link", "/etc/passwd", "~/x"])
def test_dot_dot_symlinks_and_absolute_paths_out_are_refused(allowed: Path, named: str) -> None:
    inside = policy("--allow-dir", str(allowed))
    assert "/file_path" in refused(lambda: inside.admit(UPLOAD, {"file_path": named}))
    if named != "~/x":  # a literal "~" folder inside is a place a download may go
        assert "output_file" in refused(lambda: inside.admit(RESULTS, {"message_batch_id": "b"}, named))


def test_requests_go_only_to_the_connection_origin_unless_allowed() -> None:
    connection = Connection.from_mapping({"api_key": "k", "base_url": "https://api.anthropic.com"}, MANIFEST)
    check = policy().guard(connection)
    assert check is not None
    check(httpx2.Request("GET", "https://api.anthropic.com:443/v1/models"))
    for elsewhere in ("http://api.anthropic.com/v1/models", "https://169.254.169.254/latest", "https://api.anthropic.com:8443/"):
        assert "/url" in refused(lambda: check(httpx2.Request("GET", elsewhere)))
    more = policy("--allow-origin", "https://gateway.example").guard(connection)
    assert more is not None
    more(httpx2.Request("GET", "https://gateway.example/v1/x"))
    assert policy("--allow-origin", "*").guard(connection) is None


def test_the_token_is_required_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert policy().admits(None)
    guarded = policy("--token", "s3cret")
    assert guarded.admits("Bearer s3cret") and guarded.admits("bearer s3cret")
    assert not any(guarded.admits(h) for h in (None, "", "Bearer", "Bearer s3cre", "Bearer s3cret2", "Basic s3cret", "s3cret"))
    monkeypatch.setenv("ANTHROPIC_CONNECTOR_TOKEN", "from-env")
    assert policy().admits("Bearer from-env") and not policy().admits(None)


def test_an_allowed_dir_that_is_not_one_is_a_configuration_error(cli: object, tmp_path: Path) -> None:
    code, out, _ = cli("serve", "--allow-dir", str(tmp_path / "nowhere"))  # type: ignore[operator]
    assert code == 3 and "--allow-dir" in out["error"]["message"]
