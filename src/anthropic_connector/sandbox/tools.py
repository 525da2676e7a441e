"""Tool use: which tool a reply calls, the blocks a call makes, and the API's rules for tools.

The sandbox plays a tool loop the way a flow designer needs it offline: with tools and
`tool_choice` auto (or none given) a reply calls a tool when the conversation does not just
answer one, and answers in text once a user turn carries the `tool_result` blocks; `none`
never calls, `any` and a named tool always do. The tool called is the first one the prompt
names, else the first the sandbox can call. A client tool's call is a `tool_use` block whose
input its schema accepts (`stop_reason: "tool_use"`, the caller runs it); a server tool the
API runs itself (web search, web fetch) is a `server_tool_use` block and its result block,
after which the reply goes on in text, as the API's does. A tool the sandbox cannot play
(code execution, tool search, computer and browser toolsets) is never chosen by `auto`.

The refusals (a named tool_choice missing from `tools`, tool_use and tool_result blocks that do
not pair up) carry the API's messages as its users have quoted them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import replies, structured

SERVER_TOOLS = {"web_search_": "web_search", "web_fetch_": "web_fetch"}
"""Server tool type prefixes the sandbox plays, and the `server_tool_use` name each one gets."""

CLIENT_INPUTS = {
    "bash_": {"command": "echo sandbox"},
    "text_editor_": {"command": "view", "path": "/"},
    "memory_": {"command": "view", "path": "/memories"},
}
"""A plausible input for the Anthropic-defined tools the caller runs, which carry no input_schema."""

_URL = re.compile(r"https?://[^\s\"'<>]+")


def answers_tool_result(messages: list[dict[str, Any]]) -> bool:
    """Whether the last message is a user turn carrying tool results: the reply answers them."""
    return bool(messages) and bool(_blocks(messages[-1], "user", "tool_result"))


def due(body: dict[str, Any], prompt: str) -> dict[str, Any] | None:
    """The tool this reply calls, or None for a text reply."""
    tools = [t for t in body.get("tools") or () if isinstance(t, dict)]
    choice = body.get("tool_choice") or {"type": "auto"}
    if choice["type"] == "tool":
        return next((t for t in tools if t.get("name") == choice.get("name")), None)
    playable = [t for t in tools if _kind(t) != "unplayable"]
    if choice["type"] == "any":
        return _named_in(prompt, playable or tools)
    if choice["type"] == "auto" and not answers_tool_result(body["messages"]):
        return _named_in(prompt, playable)
    return None


def is_server(tool: dict[str, Any]) -> bool:
    return _kind(tool) in SERVER_TOOLS.values()


def client_call(tool: dict[str, Any], seed: str) -> tuple[dict[str, Any], int]:
    """The `tool_use` block calling a tool the caller runs, and its output tokens."""
    kind = _kind(tool)
    arguments = CLIENT_INPUTS[kind] if kind in CLIENT_INPUTS else structured.example(tool.get("input_schema"))
    block = {"type": "tool_use", "id": "toolu_" + replies.digest(seed, tool["name"])[:24], "name": tool["name"], "input": arguments}
    return block, replies.count_tokens(json.dumps(arguments)) + 8


def server_call(tool: dict[str, Any], seed: str, prompt: str) -> tuple[list[dict[str, Any]], int, dict[str, int]]:
    """A server tool's `server_tool_use` block and its result, the output tokens of the call, and
    the `usage.server_tool_use` counts."""
    name = _kind(tool)
    use_id = "srvtoolu_" + replies.digest(seed, name)[:24]
    if name == "web_search":
        query = " ".join(prompt.split())[:200] or "sandbox"
        arguments: dict[str, Any] = {"query": query}
        results = [
            {
                "type": "web_search_result",
                "url": f"https://example.com/search/{replies.digest(query)[:12]}/{n}",
                "title": f"{query[:60]} - sandbox result {n}",
                "encrypted_content": replies.digest("page", query, n),
                "page_age": None,
            }
            for n in (1, 2)
        ]
        result: dict[str, Any] = {"type": "web_search_tool_result", "tool_use_id": use_id, "content": results}
    else:
        found = _URL.search(prompt)
        arguments = {"url": found.group(0) if found else "https://example.com/"}
        page = {"type": "text", "media_type": "text/plain", "data": replies.invent_text(replies.digest("page", arguments["url"]))}
        document = {"type": "document", "source": page, "title": arguments["url"], "citations": None}
        fetched = {"type": "web_fetch_result", "url": arguments["url"], "content": document, "retrieved_at": None}
        result = {"type": "web_fetch_tool_result", "tool_use_id": use_id, "content": fetched}
    call = {"type": "server_tool_use", "id": use_id, "name": name, "input": arguments}
    counts = {"web_search_requests": int(name == "web_search"), "web_fetch_requests": int(name == "web_fetch")}
    return [call, result], replies.count_tokens(json.dumps(arguments)) + 8, counts


def problem(body: dict[str, Any]) -> str | None:
    """`tools` and `tool_choice` as the reply reads them (a tool's schema is checked only
    loosely), then the API's rules for tool calls in the conversation."""
    tools = body.get("tools", [])
    if not isinstance(tools, list):
        return "tools: Input should be a valid list"
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            return f"tools.{i}: Input should be a tool definition with a name"
        if not isinstance(tool.get("input_schema", {}), dict):
            return f"tools.{i}.input_schema: Input should be a valid dictionary"
    choice = body.get("tool_choice", {"type": "auto"})
    if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool", "none"):
        return "tool_choice: Input should be an object whose type is 'auto', 'any', 'tool' or 'none'"
    if choice["type"] == "tool":
        if not isinstance(choice.get("name"), str):
            return "tool_choice.name: Field required"
        if choice["name"] not in {t["name"] for t in tools}:
            return f"Tool '{choice['name']}' not found in provided tools"
    return _pairing(body["messages"])


def _pairing(messages: list[dict[str, Any]]) -> str | None:
    """Each tool_use is answered by a tool_result in the next message, and each tool_result
    answers a tool_use of the message before it (the API's wording for both)."""
    for i, message in enumerate(messages):
        if message["role"] == "assistant" and i + 1 < len(messages):
            answered = {b.get("tool_use_id") for b in _blocks(messages[i + 1], "user", "tool_result")}
            missing = [b["id"] for b in _blocks(message, "assistant", "tool_use") if b.get("id") not in answered]
            if missing:
                return (
                    f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {', '.join(map(str, missing))}. "
                    "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
                )
        calls = {b.get("id") for b in _blocks(messages[i - 1], "assistant", "tool_use")} if i else set()
        for j, block in enumerate(message["content"] if message["role"] == "user" and isinstance(message["content"], list) else []):
            if block["type"] == "tool_result" and block.get("tool_use_id") not in calls:
                return (
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {block.get('tool_use_id')}. "
                    "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                )
    return None


def _blocks(message: dict[str, Any], role: str, kind: str) -> list[dict[str, Any]]:
    """The message's blocks of type `kind` if it has `role`, else none."""
    content = message["content"] if message["role"] == role else None
    return [b for b in content if b["type"] == kind] if isinstance(content, list) else []


def _kind(tool: dict[str, Any]) -> str:
    """"custom" for a tool with an input_schema, the server tool name or client input key the
    sandbox plays for an Anthropic-defined one, else "unplayable"."""
    kind = tool.get("type")
    if kind in (None, "custom"):
        return "custom"
    prefixes = {**SERVER_TOOLS, **{k: k for k in CLIENT_INPUTS}}
    return next((name for prefix, name in prefixes.items() if isinstance(kind, str) and kind.startswith(prefix)), "unplayable")


def _named_in(prompt: str, tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first tool the prompt names, else the first tool."""
    lowered = prompt.lower()
    return next((t for t in tools if t["name"].lower() in lowered), tools[0] if tools else None)
