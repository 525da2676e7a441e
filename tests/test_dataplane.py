"""The data plane end to end: batches and files through the connector, on the sandbox and on
servers that misbehave; JSON Lines and file answers streamed to disk or handed out one by one,
never whole in memory and never half-written; the connection test a host's button runs."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import MANIFEST, REPO, Answer, Recorder, refused_url, run_cli

from anthropic_connector import Connector, ConnectorError, ValidationError
from anthropic_connector.sandbox import SandboxOptions, serve, transport

MESSAGE = {"model": "claude-sonnet-5-5", "max_tokens": 32, "messages": [{"role": "user", "content": "Summarise: the sky is blue."}]}


@pytest.fixture
def connector() -> Iterator[Connector]:
    """One sandbox for a whole flow: batches end at once, files are kept."""
    sandbox = transport(SandboxOptions(check_key=False, batch_seconds=0))
    with Connector(MANIFEST, {"api_key": "sk-ant-test-flow"}, transport=sandbox, async_transport=sandbox) as c:
        yield c


# -- a batch, from creation to results ---------------------------------------------------------


def test_a_batch_from_creation_to_results(connector: Connector, tmp_path: Path) -> None:
    requests = [{"custom_id": f"doc-{i}", "params": {**MESSAGE, "messages": [{"role": "user", "content": {"string": f"Document {i}"}}]}} for i in range(5)]
    batch = connector.run("create_message_batch", {"requests": requests}).output
    assert batch["id"].startswith("msgbatch_") and batch["type"] == "message_batch"
    ended = connector.run("get_message_batch", {"message_batch_id": batch["id"]}).output
    assert ended["processing_status"] == "ended" and ended["request_counts"]["succeeded"] == 5
    listed = connector.run("list_message_batches", {"limit": 10}).output
    assert batch["id"] in [b["id"] for b in listed["data"]]

    results = connector.run("get_message_batch_results", {"message_batch_id": batch["id"]}).output
    assert sorted(r["custom_id"] for r in results) == [f"doc-{i}" for i in range(5)]
    assert all(r["result"]["type"] == "succeeded" and r["result"]["message"]["type"] == "message" for r in results)

    streamed = list(connector.lines("get_message_batch_results", {"message_batch_id": batch["id"]}))
    assert streamed == results

    out = tmp_path / "results.jsonl"
    summary = connector.run("get_message_batch_results", {"message_batch_id": batch["id"]}, output_file=out).output
    assert summary == {"path": str(out), "lines": 5}
    assert [json.loads(line) for line in out.read_text().splitlines()] == results

    deleted = connector.run("delete_message_batch", {"message_batch_id": batch["id"]}).output
    assert deleted == {"id": batch["id"], "type": "message_batch_deleted"}


def test_every_bad_request_of_a_batch_is_reported_at_its_path_and_nothing_is_sent() -> None:
    sandbox = transport(SandboxOptions(check_key=False))
    good = {"custom_id": "ok", "params": MESSAGE}
    bad = [
        good,
        {"custom_id": "a", "params": {**MESSAGE, "max_tokens": "many"}},
        *[good] * 8,
        {"custom_id": "b", "params": {**MESSAGE, "messages": [{"role": "robot", "content": "hi"}]}},
    ]
    with Connector(MANIFEST, {"api_key": "sk-ant-test-b"}, transport=sandbox) as connector, pytest.raises(ValidationError) as caught:
        connector.run("create_message_batch", {"requests": bad})
    assert [d["path"] for d in caught.value.details] == ["/requests/1/params/max_tokens", "/requests/10/params/messages/0/role"]
    assert sandbox.requests == []


def test_a_canceled_batch(connector: Connector) -> None:
    slow = transport(SandboxOptions(check_key=False, batch_seconds=3600))
    with Connector(MANIFEST, {"api_key": "sk-ant-test-c"}, transport=slow) as c:
        batch = c.run("create_message_batch", {"requests": [{"custom_id": "x", "params": MESSAGE}]}).output
        assert batch["processing_status"] == "in_progress"
        with pytest.raises(ConnectorError) as caught:
            c.run("delete_message_batch", {"message_batch_id": batch["id"]})  # only an ended batch can go
        assert caught.value.status == 400
        canceling = c.run("cancel_message_batch", {"message_batch_id": batch["id"]}).output
        assert canceling["processing_status"] in ("canceling", "ended")


def results_answer(lines: list[bytes], chunk: int = 7) -> Answer:
    return Answer(200, b"".join(lines), {"content-type": "application/binary"}, chunk=chunk)


def test_results_to_a_file_are_complete_or_absent(recorder: Recorder, connection: dict[str, Any], tmp_path: Path) -> None:
    line = json.dumps(MANIFEST.operation("get_message_batch_results").sample_output[0]).encode() + b"\n"
    out = tmp_path / "results.jsonl"
    with Connector(MANIFEST, connection) as c:
        recorder.script(results_answer([line * 3, b"not json\n"]))
        with pytest.raises(ConnectorError) as caught:
            c.run("get_message_batch_results", {"message_batch_id": "msgbatch_1"}, output_file=out)
        assert caught.value.type == "unexpected_response" and "line 4" in caught.value.message
        recorder.script(results_answer([line, b'{"custom_id": "x"}\n']))  # a line that is not a result
        with pytest.raises(ConnectorError, match="line 2"):
            c.run("get_message_batch_results", {"message_batch_id": "msgbatch_1"}, output_file=out)
        assert not out.exists() and list(tmp_path.iterdir()) == []  # no partial file, no temporary left
        recorder.script(results_answer([line * 2 + line.rstrip(b"\n")]))  # the last line without its newline
        assert c.run("get_message_batch_results", {"message_batch_id": "msgbatch_1"}, output_file=out).output["lines"] == 3


def test_results_to_a_file_need_no_more_memory_than_a_line(recorder: Recorder, connection: dict[str, Any], tmp_path: Path) -> None:
    """Past max_response_bytes as a whole, but each line within it: written; kept whole: refused."""
    line = json.dumps(MANIFEST.operation("get_message_batch_results").sample_output[0]).encode() + b"\n"
    body = line * 200
    recorder.script(results_answer([body], chunk=4096))
    small = {**connection, "max_response_bytes": 4 * len(line)}
    with Connector(MANIFEST, small) as c:
        assert c.run("get_message_batch_results", {"message_batch_id": "m"}, output_file=tmp_path / "r.jsonl").output["lines"] == 200
        assert sum(1 for _ in c.lines("get_message_batch_results", {"message_batch_id": "m"})) == 200
        with pytest.raises(ConnectorError) as caught:
            c.run("get_message_batch_results", {"message_batch_id": "m"})
        assert caught.value.type == "response_too_large"


def test_an_output_file_only_for_answers_that_are_files(connector: Connector, tmp_path: Path) -> None:
    with pytest.raises(ConnectorError) as caught:
        connector.run("create_message", MESSAGE, output_file=tmp_path / "x")
    assert caught.value.type == "configuration_error"
    with pytest.raises(ValidationError):
        connector.run("download_file", {"file_id": "file_1"}, output_file=tmp_path / "missing-folder" / "x")


# -- files -------------------------------------------------------------------------------------


def test_a_file_from_disk_up_and_back_byte_for_byte(connector: Connector, tmp_path: Path) -> None:
    content = bytes(range(256)) * 1000
    source = tmp_path / "every-byte.pdf"
    source.write_bytes(content)
    meta = connector.run("upload_file", {"file_path": str(source)}).output
    assert (meta["filename"], meta["mime_type"], meta["size_bytes"]) == ("every-byte.pdf", "application/pdf", len(content))
    assert connector.run("get_file", {"file_id": meta["id"]}).output["id"] == meta["id"]
    assert meta["id"] in [f["id"] for f in connector.run("list_files", {}).output["data"]]

    inline = connector.run("download_file", {"file_id": meta["id"]}).output
    assert base64.b64decode(inline["content_base64"]) == content
    assert (inline["filename"], inline["size_bytes"]) == ("every-byte.pdf", len(content))
    saved = tmp_path / "copy.pdf"
    summary = connector.run("download_file", {"file_id": meta["id"]}, output_file=saved).output
    assert saved.read_bytes() == content and summary["size_bytes"] == len(content) and summary["path"] == str(saved)

    assert connector.run("delete_file", {"file_id": meta["id"]}).output["id"] == meta["id"]
    with pytest.raises(ConnectorError) as caught:
        connector.run("get_file", {"file_id": meta["id"]})
    assert caught.value.status == 404


def test_a_base64_file_with_its_name_and_type(connector: Connector) -> None:
    meta = connector.run("upload_file", {"file_base64": base64.b64encode(b"a,b\n1,2\n").decode(), "filename": "t.csv"}).output
    assert (meta["filename"], meta["mime_type"], meta["size_bytes"]) == ("t.csv", "text/csv", 8)
    renamed = connector.run("upload_file", {"file_base64": "aGk=", "filename": "notes", "media_type": "text/plain"}).output
    assert renamed["mime_type"] == "text/plain"


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"file_path": "/nowhere/at/all.pdf"}, "/file_path"),
        ({"file_base64": "not base64!", "filename": "x.txt"}, "/file_base64"),
        ({"file_base64": "aGk="}, ""),
    ],
    ids=["missing file", "bad base64", "no file name"],
)
def test_a_file_that_cannot_be_sent_is_refused_before_sending(payload: dict[str, Any], path: str) -> None:
    sandbox = transport(SandboxOptions(check_key=False))
    with Connector(MANIFEST, {"api_key": "sk-ant-test-f"}, transport=sandbox) as c, pytest.raises(ValidationError) as caught:
        c.run("upload_file", payload)
    assert path in [d["path"] for d in caught.value.details]
    assert sandbox.requests == []


def test_a_download_past_the_size_limit_needs_an_output_file(recorder: Recorder, connection: dict[str, Any], tmp_path: Path) -> None:
    content = hashlib.sha256(b"x").digest() * 100  # 3,200 bytes
    recorder.script(Answer(200, content, {"content-type": "application/octet-stream"}, chunk=512))
    with Connector(MANIFEST, {**connection, "max_response_bytes": 1024}) as c:
        with pytest.raises(ConnectorError) as caught:
            c.run("download_file", {"file_id": "file_big"})
        assert caught.value.type == "response_too_large"
        summary = c.run("download_file", {"file_id": "file_big"}, output_file=tmp_path / "big.bin").output
    assert (tmp_path / "big.bin").read_bytes() == content
    assert summary["filename"] == "file_big"  # no content-disposition: named after its id


def test_cli_writes_a_download_and_prints_where(recorder: Recorder, connection_env: dict[str, str], tmp_path: Path) -> None:
    recorder.script(Answer(200, b"%PDF-1.7 ...", {"content-type": "application/pdf", "content-disposition": 'attachment; filename="report.pdf"'}))
    (tmp_path / "in.json").write_text(json.dumps({"file_id": "file_9"}))
    result = run_cli(["run", "download_file", str(tmp_path / "in.json"), "--output", str(tmp_path / "got.pdf")], env=connection_env)
    assert result.code == 0 and result.out == {"path": str(tmp_path / "got.pdf"), "filename": "report.pdf", "media_type": "application/pdf", "size_bytes": 12}
    assert (tmp_path / "got.pdf").read_bytes() == b"%PDF-1.7 ..."


# -- the connection test -----------------------------------------------------------------------


def test_connection_test_is_ok_and_names_no_model() -> None:
    with serve(options=SandboxOptions(api_key="sk-ant-test-right")) as server:
        for key, expected in (("sk-ant-test-right", 0), ("sk-ant-test-wrong", 4)):
            result = run_cli(["test-connection"], env={"ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": server.url})
            assert result.code == expected
            assert "claude" not in json.dumps(result.out)
        assert [r.path for r in server.requests] == ["/v1/models"] * 2
    assert result.out["error"]["status"] == 401 and result.out["error"]["type"] == "api_error"


@pytest.mark.parametrize(("fault", "kind", "status"), [("403", "api_error", 403), ("latency=5", "timeout_error", None)])
def test_connection_test_says_what_is_wrong(fault: str, kind: str, status: int | None) -> None:
    with serve(options=SandboxOptions(check_key=False, faults=(fault,))) as server:
        with Connector(MANIFEST, {"api_key": "sk-ant-test-t", "base_url": server.url, "max_retries": 0}) as c, pytest.raises(ConnectorError) as caught:
            c.test_connection(timeout=0.5)
    assert (caught.value.type, caught.value.status) == (kind, status)


def test_connection_test_against_nothing_is_a_connection_error() -> None:
    result = run_cli(["test-connection", "--max-retries", "0"], env={"ANTHROPIC_API_KEY": "sk-ant-test-u", "ANTHROPIC_BASE_URL": refused_url()})
    assert result.code == 5 and result.out["error"]["type"] == "connection_error"


def test_connection_test_refuses_an_answer_that_is_not_the_apis(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(Answer(200, {"echo": True}))
    with Connector(MANIFEST, connection) as c, pytest.raises(ConnectorError) as caught:
        c.test_connection()
    assert caught.value.type == "unexpected_response"


def test_connection_test_on_the_sandbox() -> None:
    result = run_cli(["test-connection", "--sandbox"])
    assert (result.code, result.out) == (0, {"ok": True})


# -- violations in order -----------------------------------------------------------------------


def test_violations_are_ordered_with_indices_as_numbers() -> None:
    messages = [{"role": "user", "content": "hi"}] * 12
    messages[2] = {"role": "robot", "content": "hi"}
    messages[10] = {"role": "robot", "content": "hi"}
    problems = MANIFEST.operation("create_message").validator.errors({**MESSAGE, "messages": messages})
    assert [p["path"] for p in problems] == ["/messages/2/role", "/messages/10/role"]


@pytest.mark.parametrize("paging", [{"limit": 5}, {"page": "page_1"}, {"limit": 5, "page": "page_1"}])
def test_list_files_by_ids_or_by_page_not_both(connector: Connector, paging: dict[str, Any]) -> None:
    """The two ways of listing files do not mix: said in words, at the input's root, once."""
    found = connector.validate("list_files", {"ids": ["file_011CNha8iCJcU1wXNR6q4V8w"], **paging})
    assert found == [{"path": "", "message": "must not give ids together with page or limit: ids names the files to get, page and limit go through all of them"}]
