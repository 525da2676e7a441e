"""Request-body validation for the Messages, Token Counting and Text Completions endpoints.

Each check returns the `invalid_request_error` message the API would give (worded like the real
API's "<field path>: <problem>" messages), or None when the body is acceptable. The rules of a
feature live with the code that plays it (`tools`, `structured`, `thinking`); `messages` runs
them after the body's own shape is checked.
"""

from __future__ import annotations

from typing import Any

from . import structured, thinking, tools

SAMPLING_FIELDS = ("temperature", "top_p", "top_k")
"""Removed in API version 2026-10-21: any value is a 400 "Extra inputs are not permitted"."""

ROLES = ("user", "assistant")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def messages(body: dict[str, Any], version: str, *, count_only: bool = False) -> str | None:
    """Validate a `POST /v1/messages` (or `/v1/messages/count_tokens`) body."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required" if "model" not in body else "model: Input should be a valid string"
    if not count_only:
        problem = _max_tokens(body, "max_tokens")
        if problem:
            return problem
    problem = _messages_list(body.get("messages"), version) if "messages" in body else "messages: Field required"
    if problem:
        return problem
    return (
        _system(body.get("system"))
        or _sampling(body, version)
        or _stop_sequences(body)
        or _stream(body)
        or tools.problem(body)
        or structured.problem(body)
        or thinking.problem(body, count_only=count_only)
    )


def _max_tokens(body: dict[str, Any], field: str) -> str | None:
    if field not in body:
        return f"{field}: Field required"
    value = body[field]
    if not _is_int(value):
        return f"{field}: Input should be a valid integer"
    if value < 1:
        return f"{field}: Input should be greater than or equal to 1"
    return None


def _messages_list(items: Any, version: str) -> str | None:
    if not isinstance(items, list):
        return "messages: Input should be a valid list"
    if not items:
        return "messages: at least one message is required"
    for i, message in enumerate(items):
        where = f"messages.{i}"
        if not isinstance(message, dict):
            return f"{where}: Input should be a valid dictionary"
        if message.get("role") not in ROLES:
            return f"{where}.role: Input should be 'user' or 'assistant'"
        if "content" not in message:
            return f"{where}.content: Field required"
        problem = _content(message["content"], message["role"], where, version)
        if problem:
            return problem
    return None


def _content(content: Any, role: str, where: str, version: str) -> str | None:
    if isinstance(content, str):
        return None
    if not isinstance(content, list):
        return f"{where}.content: Input should be a valid string or a valid list"
    for j, block in enumerate(content):
        here = f"{where}.content.{j}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return f"{here}: Input should be a valid dictionary with a 'type'"
        kind = block["type"]
        if kind == "text" and not isinstance(block.get("text"), str):
            return f"{here}.text: Field required"
        if version == "2026-10-21":
            if kind == "document" and role == "assistant":
                return f"{here}: document blocks are not permitted in assistant messages"
            if kind == "text" and role == "user" and block.get("citations"):
                return f"{here}.citations: Extra inputs are not permitted"
    return None


def _system(system: Any) -> str | None:
    if system is None or isinstance(system, str):
        return None
    if isinstance(system, list) and all(isinstance(b, dict) and b.get("type") == "text" for b in system):
        return None
    return "system: Input should be a valid string or a list of text blocks"


def _sampling(body: dict[str, Any], version: str) -> str | None:
    for field in SAMPLING_FIELDS:
        if field not in body:
            continue
        if version == "2026-10-21":
            return f"{field}: Extra inputs are not permitted"
        value = body[field]
        if field == "top_k":
            if not _is_int(value) or value < 0:
                return "top_k: Input should be a non-negative integer"
        elif not _is_number(value) or not 0 <= value <= 1:
            return f"{field}: Input should be a number between 0 and 1"
    return None


def _stop_sequences(body: dict[str, Any]) -> str | None:
    value = body.get("stop_sequences", [])
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        return "stop_sequences: Input should be a valid list of strings"
    return None


def _stream(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("stream", False), bool):
        return "stream: Input should be a valid boolean"
    return None


def completion(body: dict[str, Any]) -> str | None:
    """Validate a legacy `POST /v1/complete` body (prompt in the Human/Assistant format)."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    prompt = body.get("prompt")
    if not isinstance(prompt, str):
        return "prompt: Field required" if prompt is None else "prompt: Input should be a valid string"
    problem = _max_tokens(body, "max_tokens_to_sample")
    if problem:
        return problem
    human = prompt.rfind("\n\nHuman:")
    if human < 0:
        return 'prompt must start with "\\n\\nHuman:" turn after an optional system prompt'
    if prompt.rfind("\n\nAssistant:") < human:
        return 'prompt must end with "\\n\\nAssistant:" turn'
    return _stop_sequences(body) or _stream(body) or _sampling(body, "2023-06-01")
