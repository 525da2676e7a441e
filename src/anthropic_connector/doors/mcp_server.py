"""`anthropic-connector mcp`: every operation an MCP tool, over stdio (the default: an agent
starts it as a child process) or Streamable HTTP (``--http``, at ``/mcp``).

Built on the official SDK's low-level server, because the tools come from the manifest, not
from Python signatures: each tool's name, title, description, input schema and output schema
are the operation's, and its annotations (readOnlyHint, destructiveHint, idempotentHint,
openWorldHint) are the manifest's flags. MCP wants an object at the root of an output schema,
so an operation whose output is not an object (get_message_batch_results: a list) is wrapped
as ``{"result": <output>}``, in the schema and in every result; that is the one difference
from the other doors. A result carries the output as structured content plus its JSON as
text; a failure is a tool error (isError) whose structured content is the connector's error
envelope, so an agent sees every violation of an invalid input and can correct it.

Calls go through the same policy as the HTTP service (policy.py); over HTTP, ``--token``
guards the endpoint the same way.
"""

from __future__ import annotations

import argparse
import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Sequence

import mcp_types as types
from mcp.server.lowlevel import Server

from ..errors import ConfigurationError, ConnectorError
from ..spec import Operation
from . import http
from .hosting import Hosting, add_arguments, serve
from .policy import CallerGate

WRAPPED = "result"  # the property a non-object output is wrapped in


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with a local ``$ref`` followed (the manifest's schemas are self-contained)."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = schema
    for part in ref[2:].split("/"):
        target = target[part]
    return _resolve(schema, target)


def _is_object(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    node = _resolve(schema, node)
    return node.get("type") == "object" or any(_is_object(schema, sub) for sub in node.get("allOf", []))


def output_schema(op: Operation) -> dict[str, Any]:
    """The operation's output schema with an object at its root, as MCP requires."""
    schema = op.output_schema
    if _is_object(schema, schema):
        return {**schema, "type": "object"}  # explicit where it is only implied by allOf
    body = {k: v for k, v in schema.items() if k not in ("$schema", "definitions")}
    return {
        **({"$schema": schema["$schema"]} if "$schema" in schema else {}),
        "type": "object",
        "description": f"The output, wrapped in {WRAPPED!r}: MCP takes an object at the root.",
        "required": [WRAPPED],
        "properties": {WRAPPED: body},
        **({"definitions": schema["definitions"]} if "definitions" in schema else {}),
    }


def tool(op: Operation) -> types.Tool:
    hints = op.annotations
    return types.Tool(
        name=op.name,
        title=op.title,
        description=op.description,
        input_schema=op.input_schema,
        output_schema=output_schema(op),
        annotations=types.ToolAnnotations(
            title=op.title,
            read_only_hint=hints.read_only,
            destructive_hint=hints.destructive,
            idempotent_hint=hints.idempotent,
            open_world_hint=hints.open_world,
        ),
    )


def _failed(error: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=json.dumps(error, ensure_ascii=False))], structured_content=error, is_error=True)


def server(hosting: Hosting) -> Server[Any]:
    """The low-level MCP server for ``hosting``: list_tools and call_tool from the manifest."""
    manifest = hosting.manifest
    tools = [tool(op) for op in manifest.operations.values()]

    @asynccontextmanager
    async def lifespan(_: Server[Any]) -> AsyncIterator[Any]:
        async with hosting.connector() as connector:  # one pool for every call, closed at exit
            yield connector

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        op = manifest.operations.get(params.name)
        if op is None:
            return _failed(http.envelope("not_found", f"no tool {params.name!r}"))
        try:
            payload, _ = hosting.policy.admit(op, params.arguments or {})
            output = (await ctx.lifespan_context.arun(op.name, payload)).output
        except ConnectorError as exc:
            return _failed(exc.envelope())
        structured = output if _is_object(op.output_schema, op.output_schema) else {WRAPPED: output}
        return types.CallToolResult(content=[types.TextContent(text=json.dumps(output, indent=2, ensure_ascii=False))], structured_content=structured)

    return Server(manifest.name, version=manifest.version, title=manifest.title, description=manifest.description, lifespan=lifespan, on_list_tools=list_tools, on_call_tool=call_tool)


def main(argv: Sequence[str]) -> int:
    """`anthropic-connector mcp [--http]`."""
    parser = argparse.ArgumentParser(prog="anthropic-connector mcp", description="Serve every operation as an MCP tool, over stdio or Streamable HTTP.")
    parser.add_argument("--http", action="store_true", help="serve Streamable HTTP at /mcp instead of stdio")
    add_arguments(parser, port=8000)
    args = parser.parse_args(argv)
    hosting = Hosting.from_args(args)
    if not (hosting.sandbox or hosting.connection.has_credential):  # every tool call runs as the server's connection
        raise ConfigurationError(hosting.connection.missing_credential())
    mcp = server(hosting)
    if args.http:
        return serve(CallerGate(mcp.streamable_http_app(host=args.host), hosting.policy), args, "MCP server")
    import anyio
    from mcp.server.stdio import stdio_server

    async def over_stdio() -> None:
        async with stdio_server() as (read, write):
            await mcp.run(read, write, mcp.create_initialization_options())

    anyio.run(over_stdio)
    return 0
