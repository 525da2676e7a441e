"""Deterministic reply text, token counts and the event sequences of the two streaming formats.

Tokens are approximated by chunks of at most four non-space characters (with their leading
whitespace), so a count is roughly chars/4 like the real tokenizer, and joining the chunks gives
the text back exactly — which lets max_tokens truncation and streaming deltas line up.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

_PIECE = re.compile(r"\s*\S{1,4}|\s+")
_WORDS = (
    "the sandbox answers every request with text derived from a hash of the body so tests can "
    "rely on it while the connector learns to handle streaming retries errors and usage "
    "accounting without calling the real service model tokens message prompt reply stable "
    "output input simple plain careful short clear quiet steady green river stone light"
).split()


def pieces(text: str) -> list[str]:
    """Split text into pseudo-tokens whose concatenation is the text."""
    return _PIECE.findall(text)


def count_tokens(text: str) -> int:
    return len(pieces(text))


def block_text(content: Any) -> str:
    """The text of a message `content` (a string or a list of blocks); other blocks count as JSON."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or ():
        is_text = isinstance(block, dict) and block.get("type") == "text"
        parts.append(str(block.get("text", "")) if is_text else json.dumps(block, sort_keys=True))
    return "\n".join(parts)


def input_tokens(system: Any, messages: list[dict[str, Any]], tools: Any = None) -> int:
    """Plausible input usage: text tokens plus a small per-message framing overhead."""
    total = count_tokens(block_text(system)) if system else 0
    total += sum(3 + count_tokens(block_text(m.get("content"))) for m in messages)
    if tools:
        total += count_tokens(json.dumps(tools, sort_keys=True))
    return max(1, total)


def digest(*parts: object) -> str:
    """A stable hex digest of JSON-able parts; the root of every id and generated text."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def fresh_id(prefix: str) -> str:
    """A new id for one answer (a message, a completion, a request): the API names every answer
    anew, so two answers to the same request differ in their ids and in nothing else."""
    return prefix + secrets.token_hex(12)


def invent_text(seed: str) -> str:
    """Between 24 and 63 words of plain sentences, fully determined by `seed`."""
    stream = b""
    block = seed.encode()
    while len(stream) < 80:
        block = hashlib.sha256(block).digest()
        stream += block
    count = 24 + stream[0] % 40
    words: list[str] = []
    sentence: list[str] = []
    for i in range(count):
        word = _WORDS[stream[i + 1] % len(_WORDS)]
        sentence.append(word.capitalize() if not sentence else word)
        if len(sentence) >= 6 + stream[i + 1] % 7 or i == count - 1:
            words.append(" ".join(sentence) + ".")
            sentence = []
    return " ".join(words)


@dataclass(frozen=True)
class Generation:
    text: str
    output_tokens: int
    stop_reason: str  # "end_turn" | "max_tokens" | "stop_sequence"
    stop_sequence: str | None

    def deltas(self) -> list[str]:
        """The text in streaming-sized chunks; they join to `text`."""
        return _chunks(pieces(self.text))


@dataclass(frozen=True)
class Answer:
    """What a reply says after its thinking: its blocks, why it stopped, the tokens it spent."""

    content: list[dict[str, Any]]
    stop_reason: str
    stop_sequence: str | None
    output_tokens: int
    server_tool_use: dict[str, int] | None = None  # the usage counts of server tool calls, if any


def generate(full_text: str, max_tokens: int, stop_sequences: list[str]) -> Generation:
    """Emit `full_text` token by token, stopping at max_tokens or at the first stop sequence."""
    text = ""
    for produced, piece in enumerate(pieces(full_text)):
        if produced == max_tokens:
            return Generation(text, produced, "max_tokens", None)
        text += piece
        hits = [(text.find(s), s) for s in stop_sequences if s and s in text]
        if hits:
            index, sequence = min(hits)
            return Generation(text[:index], produced + 1, "stop_sequence", sequence)
    return Generation(text, count_tokens(text), "end_turn", None)


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


USAGE_AT_END = ("output_tokens_details", "server_tool_use")
"""Usage the API reports once output is done: in `message_delta`, not in `message_start`."""


def message_events(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The Messages streaming sequence of `message`, in the documented order (a `ping` after the
    first block opens; content deltas start at index 3) with each block streamed as the API
    streams its type (`_block_events`). Usage known only at the end comes in `message_delta`."""
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {k: v for k, v in usage.items() if k not in USAGE_AT_END} | {"output_tokens": min(1, usage["output_tokens"])}
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        opening, deltas = _block_events(block)
        events.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": opening}))
        if index == 0:
            events.append(("ping", {"type": "ping"}))
        events += [("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    stop = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    end_usage = {k: v for k, v in usage.items() if k in USAGE_AT_END} | {"output_tokens": usage["output_tokens"]}
    events += [
        ("message_delta", {"type": "message_delta", "delta": stop, "usage": end_usage}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


def _block_events(block: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A block's `content_block_start` payload and its deltas: text in text_delta pieces, a tool
    call's input in input_json_delta pieces, thinking in thinking_delta pieces and then its
    signature in one signature_delta "just before the block's content_block_stop" (the SDK's
    `SignatureDelta`); a block with nothing to stream (redacted thinking, a server tool's
    result) arrives whole in its start event."""
    kind = block["type"]
    if kind in ("tool_use", "server_tool_use"):
        return {**block, "input": {}}, [{"type": "input_json_delta", "partial_json": p} for p in _chunks(pieces(json.dumps(block["input"])))]
    if kind == "text":
        return {**block, "text": ""}, [{"type": "text_delta", "text": p} for p in _chunks(pieces(block["text"]))]
    if kind == "thinking":
        deltas = [{"type": "thinking_delta", "thinking": p} for p in _chunks(pieces(block["thinking"]))]
        return {**block, "thinking": "", "signature": ""}, [*deltas, {"type": "signature_delta", "signature": block["signature"]}]
    return block, []


def _chunks(parts: list[str], per_delta: int = 3) -> list[str]:
    return ["".join(parts[i : i + per_delta]) for i in range(0, len(parts), per_delta)]


def completion_events(completion: dict[str, Any], gen: Generation) -> list[tuple[str, dict[str, Any]]]:
    """The legacy Text Completions stream: `completion` chunks, a `ping`, a final chunk with stop_reason."""
    chunk = lambda text, stop: {**completion, "completion": text, "stop_reason": stop}  # noqa: E731
    events = [("completion", chunk(text, None)) for text in gen.deltas()]
    events.insert(min(1, len(events)), ("ping", {"type": "ping"}))
    events.append(("completion", chunk("", completion["stop_reason"])))
    return events
