"""Extended and adaptive thinking: the blocks a reply starts with, and the API's rules for them.

With `thinking: {"type": "enabled", "budget_tokens": N}` or `{"type": "adaptive"}` a reply
opens with a `thinking` block (deterministic text, like the reply's own, and an opaque
`signature`); `display: "omitted"` keeps the signature and empties the text, as the SDK's
`ThinkingConfigEnabledParam.display` says. A prompt holding the documented test string
`REDACTED_TRIGGER` adds a `redacted_thinking` block, as the API does. Thinking tokens count
toward `max_tokens` and are reported in `usage.output_tokens_details.thinking_tokens`.

Manual thinking (`enabled`) thinks once at the start of an assistant turn, so the answer to a
tool result has none; adaptive thinking interleaves, so every reply thinks (the extended
thinking docs: "Interleaved thinking: automatic with adaptive thinking"). `between_tools` is
thinking turned off, like `disabled`.

The refusals are the API's own: budget_tokens at least 1,024 and less than max_tokens (the SDK's
docstring), the docs' "feature compatibility" list (temperature, top_k, top_p from 0.95 only,
no forced tool use, the thinking block a tool loop must carry back) and the model's
`capabilities.thinking.types`. Their messages are the API's as its users have quoted them; the
sandbox words three after their siblings: a malformed config's (in the API's "<path>: <problem>"
form), top_p's (after top_k's), and a refused type with no other to suggest (after
`"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive".`).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from . import replies
from .tools import answers_tool_result

REDACTED_TRIGGER = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB"
"""The prompt the extended thinking docs give "to test redacted thinking handling"."""

TYPES = ("enabled", "disabled", "between_tools", "adaptive")
DISPLAYS = ("summarized", "omitted", "updates")  # "updates" is the beta types' third value
MIN_BUDGET = 1024
DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
CONSIDERATIONS = f"Please consult our documentation at {DOCS}#important-considerations-when-using-extended-thinking"


def active(body: dict[str, Any]) -> dict[str, Any] | None:
    """The thinking config when the model thinks at all (enabled or adaptive)."""
    config = body.get("thinking")
    return config if isinstance(config, dict) and config.get("type") in ("enabled", "adaptive") else None


def thinks_now(body: dict[str, Any]) -> bool:
    """Whether this reply starts with thinking: adaptive always, enabled only at a turn's start."""
    config = active(body)
    return config is not None and (config["type"] == "adaptive" or not answers_tool_result(body["messages"]))


def blocks(body: dict[str, Any], seed: str, prompt: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The thinking blocks this reply starts with, and the output tokens they spent (at most
    `limit`, and at most `budget_tokens`)."""
    config = active(body)
    if config is None or not thinks_now(body):
        return [], 0
    budget = config.get("budget_tokens", limit) if config["type"] == "enabled" else limit
    thought = replies.generate(replies.invent_text(replies.digest("thinking", seed)), min(limit, budget), [])
    shown = "" if config.get("display") == "omitted" else thought.text
    found = [{"type": "thinking", "thinking": shown, "signature": _opaque("signature", seed, thought.text)}]
    spent = thought.output_tokens
    if REDACTED_TRIGGER in prompt and spent < min(limit, budget):
        hidden = replies.invent_text(replies.digest("redacted", seed))
        found.append({"type": "redacted_thinking", "data": _opaque("redacted", seed, hidden)})
        spent = min(min(limit, budget), spent + replies.count_tokens(hidden))
    return found, spent


def problem(body: dict[str, Any], *, count_only: bool) -> str | None:
    """The API's refusal of the body's thinking config, or None; `count_only` for Token
    Counting, which has no max_tokens to compare the budget with."""
    config = body.get("thinking")
    if config is None:
        return None
    if not isinstance(config, dict) or not isinstance(config.get("type"), str):
        return "thinking: Input should be a valid dictionary with a 'type'"
    kind = config["type"]
    if kind not in TYPES:
        tags = ", ".join(f"'{t}'" for t in TYPES)
        return f"thinking: Input tag '{kind}' found using 'type' does not match any of the expected tags: {tags}"
    if config.get("display") is not None and config["display"] not in DISPLAYS:
        return f"thinking.{kind}.display: Input should be 'summarized', 'omitted' or 'updates'"
    if kind == "enabled":
        budget = config.get("budget_tokens")
        if budget is None:
            return "thinking.enabled.budget_tokens: Field required"
        if not isinstance(budget, int) or isinstance(budget, bool):
            return "thinking.enabled.budget_tokens: Input should be a valid integer"
        if budget < MIN_BUDGET:
            return f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_BUDGET}"
        if not count_only and isinstance(body.get("max_tokens"), int) and body["max_tokens"] <= budget:
            return f"`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at {DOCS}#max-tokens-and-context-window-size"
    return _compatibility(body, kind) if active(body) else None


def _compatibility(body: dict[str, Any], kind: str) -> str | None:
    """What thinking does not combine with (the docs' "feature compatibility")."""
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        return "Thinking may not be enabled when tool_choice forces tool use."
    if "temperature" in body and body["temperature"] != 1:
        return "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode."
    if "top_k" in body:
        return f"`top_k` must be unset when thinking is enabled. {CONSIDERATIONS}"
    if "top_p" in body and isinstance(body["top_p"], (int, float)) and body["top_p"] < 0.95:
        return f"`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. {CONSIDERATIONS}"
    if kind == "enabled" and answers_tool_result(body["messages"]) and len(body["messages"]) > 1:
        return _carried_back(body["messages"])
    return None


def _carried_back(messages: list[dict[str, Any]]) -> str | None:
    """Manual thinking: the assistant turn a tool result answers must start with its thinking."""
    index = len(messages) - 2
    content = messages[index]["content"]
    first = "text" if isinstance(content, str) else (content[0].get("type") if content else "text")
    if messages[index]["role"] != "assistant" or first in ("thinking", "redacted_thinking"):
        return None
    return (
        f"messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{first}`. "
        "When `thinking` is enabled, a final `assistant` message must start with a thinking block "
        "(preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include "
        f"thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at {DOCS}"
    )


def unsupported(body: dict[str, Any], capabilities: dict[str, Any]) -> str | None:
    """A thinking type the model's `capabilities.thinking.types` says it refuses: the SDK's
    `ThinkingTypes` is false "exactly when a request that sends it gets a 400 from this model"."""
    config = body.get("thinking")
    kind = config.get("type") if isinstance(config, dict) else None
    types = capabilities["thinking"]["types"]
    if kind not in types or types[kind]["supported"]:
        return None
    other = next((t for t in ("adaptive", "enabled") if t != kind and types[t]["supported"]), None)
    return f'"thinking.type.{kind}" is not supported for this model.' + (f' Use "thinking.type.{other}".' if other else "")


def _opaque(*parts: object) -> str:
    """A signature or redacted payload: base64 like the API's, a function of what it covers."""
    digest = hashlib.sha256(replies.digest(*parts).encode()).digest()
    return base64.b64encode(digest * 3).decode()
