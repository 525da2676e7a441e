"""The model catalogue the sandbox answers for, and the `GET /v1/models` endpoints that list it.

Active ids follow the SDK's `anthropic/types/model_param.py` (SDK 2.14.0). Retired ids and dates
follow Anthropic's model-deprecations page; the real API keeps retired models in `GET /v1/models`
(with `lifecycle: "retired"`, listed only on request) and fails inference on them with
404 `not_found_error` "model: <id>". Release dates of the newest models, token limits and
capabilities are sandbox approximations, not documented values: a capability arrives with the
first model released on or after the day it launched (`Since`), so every model answers with the
full `ModelCapabilities` object the SDK types, and the answers stay consistent across the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import pages
from .call import ApiError, Call, Route, json_reply, not_found
from .options import SandboxOptions
from .stream import Reply

LIFECYCLES = ("active", "deprecated", "retired")


class Since:
    """Release days from which a capability is on (ISO dates compare as strings)."""

    CLAUDE_2_1 = "2023-11-21"  # 200k context
    CLAUDE_3 = "2024-02-29"  # images, batches
    SONNET_3_5 = "2024-06-20"  # citations, 8k output
    SONNET_3_5_NEW = "2024-10-22"  # PDFs, server tools
    SONNET_3_7 = "2025-02-24"  # extended thinking, 64k output
    CLAUDE_4 = "2025-05-22"  # context management
    OPUS_4_1 = "2025-08-05"  # structured outputs
    SONNET_4_5 = "2025-09-29"  # programmatic tool calling
    OPUS_4_5 = "2025-11-24"  # effort
    OPUS_4_6 = "2026-02-05"  # adaptive thinking, compaction, max effort, 1M context, 128k output
    OPUS_4_7 = "2026-04-16"  # xhigh effort
    CLAUDE_5 = "2026-06-01"  # thinking between tools


def _stamp(day: str | None) -> str | None:
    return f"{day}T00:00:00Z" if day else None


@dataclass(frozen=True)
class Model:
    id: str
    display_name: str
    created: str  # YYYY-MM-DD
    line: str | None
    deprecated: str | None = None
    retires: str | None = None
    completions: bool = False  # served by the legacy /v1/complete endpoint

    @property
    def lifecycle(self) -> str:
        return "retired" if self.retired else "deprecated" if self.deprecated else "active"

    @property
    def retired(self) -> bool:
        """Every dated retirement in this catalogue is already past."""
        return self.retires is not None

    def info(self, beta: bool = False) -> dict[str, Any]:
        """The `ModelInfo` JSON object; `BetaModelInfo` adds `allowed_fallback_models` and a
        `compaction` capability."""
        found: dict[str, Any] = {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": _stamp(self.created),
            "lifecycle": self.lifecycle,
            "deprecated_at": _stamp(self.deprecated),
            "retires_at": _stamp(self.retires),
            "line": self.line,
            "max_input_tokens": 1_000_000 if self.since(Since.OPUS_4_6) else 200_000 if self.since(Since.CLAUDE_2_1) else 100_000,
            "max_tokens": next(n for day, n in _MAX_TOKENS if self.since(day)),
            "capabilities": self.capabilities(beta),
        }
        if beta:  # a retired model is no fallback, nor has any; a line falls back on its other models
            same_line = [m.id for m in ORDERED if m.line == self.line and m is not self and not m.retired]
            found["allowed_fallback_models"] = same_line if self.line and not self.retired else []
        return found

    def since(self, day: str) -> bool:
        return self.created >= day

    def capabilities(self, beta: bool) -> dict[str, Any]:
        """The `ModelCapabilities` object: every known key, each a `{"supported": bool}`."""
        on: Callable[[str], dict[str, bool]] = lambda day: {"supported": self.since(day)}  # noqa: E731
        thinking = {"adaptive": on(Since.OPUS_4_6), "between_tools": on(Since.CLAUDE_5), "disabled": {"supported": True}, "enabled": on(Since.SONNET_3_7)}
        found = {
            "batch": on(Since.CLAUDE_3),
            "citations": on(Since.SONNET_3_5),
            "code_execution": on(Since.SONNET_4_5),
            "context_management": _group(clear_thinking_20251015=on(Since.CLAUDE_4), clear_tool_uses_20250919=on(Since.CLAUDE_4), compact_20260112=on(Since.OPUS_4_6)),
            "effort": _group(low=on(Since.OPUS_4_5), medium=on(Since.OPUS_4_5), high=on(Since.OPUS_4_5), max=on(Since.OPUS_4_6), xhigh=on(Since.OPUS_4_7)),
            "image_input": on(Since.CLAUDE_3),
            "pdf_input": on(Since.SONNET_3_5_NEW),
            "server_tools": _group(code_execution=on(Since.SONNET_3_5_NEW), web_search=on(Since.SONNET_3_5_NEW)),
            "structured_outputs": on(Since.OPUS_4_1),
            "thinking": {"supported": self.since(Since.SONNET_3_7), "types": thinking},
        }
        if beta:
            found["compaction"] = _group(summarize=on(Since.OPUS_4_6))
        return found


_MAX_TOKENS = ((Since.OPUS_4_6, 128_000), (Since.SONNET_3_7, 64_000), (Since.SONNET_3_5, 8_192), ("", 4_096))


def _group(**members: dict[str, bool]) -> dict[str, Any]:
    """A capability with parts (effort levels, server tools...): supported when any part is."""
    return {"supported": any(m["supported"] for m in members.values()), **members}


ACTIVE = (
    Model("claude-fable-5-2", "Claude Fable 5.2", "2026-10-21", "fable"),
    Model("claude-mythos-5-2", "Claude Mythos 5.2", "2026-10-21", "mythos"),
    Model("claude-haiku-5-5", "Claude Haiku 5.5", "2026-09-24", "haiku"),
    Model("claude-sonnet-5-5", "Claude Sonnet 5.5", "2026-09-24", "sonnet"),
    Model("claude-opus-5-5", "Claude Opus 5.5", "2026-09-24", "opus"),
    Model("claude-fable-5-1", "Claude Fable 5.1", "2026-09-24", "fable"),
    Model("claude-mythos-5-1", "Claude Mythos 5.1", "2026-09-24", "mythos"),
    Model("claude-sonnet-5", "Claude Sonnet 5", "2026-07-15", "sonnet"),
    Model("claude-opus-5", "Claude Opus 5", "2026-07-15", "opus"),
    Model("claude-fable-5", "Claude Fable 5", "2026-06-01", "fable"),
    Model("claude-mythos-5", "Claude Mythos 5", "2026-06-01", "mythos"),
    Model("claude-opus-4-8", "Claude Opus 4.8", "2026-05-28", "opus"),
    Model("claude-opus-4-7", "Claude Opus 4.7", "2026-04-16", "opus"),
    Model("claude-mythos-preview", "Claude Mythos Preview", "2026-04-07", "mythos"),
    Model("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17", "sonnet"),
    Model("claude-opus-4-6", "Claude Opus 4.6", "2026-02-05", "opus"),
    Model("claude-opus-4-5-20251101", "Claude Opus 4.5", "2025-11-24", "opus"),
    Model("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15", "haiku"),
    Model("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29", "sonnet"),
)

RETIRED = (
    Model("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05", "opus", "2026-06-05", "2026-08-05"),
    Model("claude-opus-4-20250514", "Claude Opus 4", "2025-05-22", "opus", "2026-04-14", "2026-06-15"),
    Model("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22", "sonnet", "2026-04-14", "2026-06-15"),
    Model("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", "2025-02-24", "sonnet", "2025-10-28", "2026-02-19"),
    Model("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22", "haiku", "2025-12-19", "2026-02-19"),
    Model("claude-3-5-sonnet-20241022", "Claude Sonnet 3.5 (New)", "2024-10-22", "sonnet", "2025-08-13", "2025-10-22"),
    Model("claude-3-5-sonnet-20240620", "Claude Sonnet 3.5 (Old)", "2024-06-20", "sonnet", "2025-08-13", "2025-10-22"),
    Model("claude-3-opus-20240229", "Claude Opus 3", "2024-02-29", "opus", "2025-06-30", "2026-01-05"),
    Model("claude-3-sonnet-20240229", "Claude Sonnet 3", "2024-02-29", "sonnet", "2025-01-21", "2025-07-21"),
    Model("claude-2.1", "Claude 2.1", "2023-11-21", None, "2025-01-21", "2025-07-21", completions=True),
    Model("claude-2.0", "Claude 2.0", "2023-07-11", None, "2025-01-21", "2025-07-21", completions=True),
    Model("claude-instant-1.2", "Claude Instant 1.2", "2023-08-09", None, "2024-09-04", "2024-11-06", completions=True),
)

ALIASES = {
    "claude-opus-4-5": "claude-opus-4-5-20251101",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-opus-4-1": "claude-opus-4-1-20250805",
    "claude-opus-4-0": "claude-opus-4-20250514",
    "claude-sonnet-4-0": "claude-sonnet-4-20250514",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
    "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
    "claude-3-5-sonnet-latest": "claude-3-5-sonnet-20241022",
    "claude-3-opus-latest": "claude-3-opus-20240229",
    "claude-2": "claude-2.0",
    "claude-instant-1": "claude-instant-1.2",
}

CATALOGUE: dict[str, Model] = {m.id: m for m in ACTIVE + RETIRED}
ORDERED: tuple[Model, ...] = tuple(sorted(ACTIVE + RETIRED, key=lambda m: (m.created, m.id), reverse=True))
"""Newest first, as `GET /v1/models` lists them."""


def lookup(name: str, *, any_id: bool = False) -> Model | None:
    """Resolve an id or alias to its catalogue entry; with `any_id` (`--any-id`), an unknown id
    is an active model with the newest model's abilities."""
    found = CATALOGUE.get(ALIASES.get(name, name))
    return found or (Model(name, name, ORDERED[0].created, None) if any_id else None)


class Models:
    """`GET /v1/models` (newest first, cursor pages, `lifecycle` filter) and `GET /v1/models/{id}`."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options

    def routes(self) -> list[Route]:
        return [Route("GET", "/v1/models", self.list_models), Route("GET", "/v1/models/{id}", self.get_model)]

    def list_models(self, call: Call) -> Reply:
        wanted = set(call.args("lifecycle"))
        if not wanted <= set(LIFECYCLES):
            raise ApiError(400, f"lifecycle: Input should be {', '.join(map(repr, LIFECYCLES))}")
        items = [m for m in ORDERED if m.lifecycle in (wanted or {"active", "deprecated"})]
        render = lambda m: m.info(call.beta)  # noqa: E731
        return json_reply(call, pages.by_id(call, items, render, any_id=self.options.any_id))

    def get_model(self, call: Call, name: str) -> Reply:
        model = lookup(name, any_id=self.options.any_id)
        if model is None:
            raise not_found("model", name)
        return json_reply(call, model.info(call.beta))
