"""`anthropic-connector mcp`, driven by the official SDK's own client over stdio and over
Streamable HTTP, against the sandbox: every operation a tool with the manifest's schemas and
hints; create_message, count_tokens and list_models run; an invalid input is a tool error
carrying its violations."""

from __future__ import annotations

import json
import sys
from typing import Any, Iterator

import anyio
import pytest
from conftest import MANIFEST, OPERATIONS, SRC
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from servers import Server

from anthropic_connector.doors.mcp_server import output_schema


@pytest.fixture(scope="module")
def http_server() -> Iterator[Server]:
    with Server(["mcp", "--http", "--sandbox"]) as server:
        yield server


def target(transport: str, http_server: Server) -> Any:
    if transport == "http":
        return http_server.url + "/mcp"
    return StdioServerParameters(command=sys.executable, args=["-m", "anthropic_connector", "mcp", "--sandbox"], env={"PYTHONPATH": str(SRC)})


async def session(server: Any) -> dict[str, Any]:
    """What a client sees: the tools, three runs and an invalid call."""
    samples = {op.name: op.sample_input for op in OPERATIONS}
    seen: dict[str, Any] = {}
    with anyio.fail_after(60):
        async with Client(server) as client:
            seen["tools"] = (await client.list_tools()).tools
            for name in ("create_message", "count_tokens", "list_models", "get_message_batch_results", "test_connection"):
                seen[name] = await client.call_tool(name, samples[name])
            seen["invalid"] = await client.call_tool("create_message", {"model": 1, "messages": []})
            seen["refused"] = await client.call_tool("upload_file", {"file_path": "/etc/passwd"})
    return seen


@pytest.fixture(scope="module", params=["stdio", "http"])
def seen(request: pytest.FixtureRequest, http_server: Server) -> dict[str, Any]:
    return anyio.run(session, target(request.param, http_server))


def test_every_operation_is_a_tool_with_its_schemas_and_hints(seen: dict[str, Any]) -> None:
    tools = {t.name: t for t in seen["tools"]}
    assert list(tools) == [op.name for op in OPERATIONS]
    for op in OPERATIONS:
        listed = tools[op.name]
        assert (listed.title, listed.description, listed.input_schema) == (op.title, op.description, op.input_schema)
        assert listed.output_schema == output_schema(op) and listed.output_schema["type"] == "object"
        hints = listed.annotations
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == tuple(op.annotations.as_dict().values())
    wrapped = tools["get_message_batch_results"].output_schema
    assert wrapped["properties"]["result"]["type"] == "array"


def test_runs_answer_structured_content_and_text(seen: dict[str, Any]) -> None:
    message = seen["create_message"]
    assert not message.is_error and message.structured_content["type"] == "message"
    assert json.loads(message.content[0].text) == message.structured_content
    assert seen["count_tokens"].structured_content["input_tokens"] > 0
    assert seen["list_models"].structured_content["data"]
    assert isinstance(seen["get_message_batch_results"].structured_content["result"], list)
    assert seen["test_connection"].structured_content == {"ok": True}


def test_an_invalid_input_is_a_tool_error_with_its_violations(seen: dict[str, Any]) -> None:
    invalid = seen["invalid"]
    assert invalid.is_error
    error = invalid.structured_content["error"]
    assert error["type"] == "validation_error"
    assert {"/model", "/max_tokens"} <= {d["path"] for d in error["details"]}
    refused = seen["refused"].structured_content["error"]
    assert seen["refused"].is_error and refused["details"][0]["path"] == "/file_path"


def test_the_mcp_server_needs_a_connection(cli: Any) -> None:
    code, out, _ = cli("mcp")
    assert code == 3 and out["error"]["type"] == "configuration_error"


def test_every_output_schema_takes_its_sample() -> None:
    from jsonschema import validators

    for op in OPERATIONS:
        schema = output_schema(op)
        wrapped = schema.get("required") == ["result"] and op.output_schema.get("type") != "object"
        sample = {"result": op.sample_output} if wrapped else op.sample_output
        assert not list(validators.validator_for(schema)(schema).iter_errors(sample)), op.name
    assert output_schema(MANIFEST.operation("get_message_batch_results"))["properties"]["result"]["type"] == "array"
