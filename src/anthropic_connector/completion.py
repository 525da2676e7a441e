"""Legacy Text Completions on the Messages API: a create_completion input as a Messages
request, and a Message (or its stream) back in the completion's shape.

The models behind /v1/complete are retired, so a saved Create Completion step fails there;
with the connection's ``completion_model`` it runs on a current model instead. Everything the
two shapes disagree on is decided here, once, as pure functions (the builder in
operations/create_completion.py only wires them in):

- the prompt's text before its first turn is ``system``; each ``\\n\\nHuman:`` turn a user
  message and each ``\\n\\nAssistant:`` turn an assistant one, trimmed (the legacy format put a
  space after the colon); empty turns are dropped, and so is the empty ``\\n\\nAssistant:`` that
  ends a prompt. A final assistant turn with text is a prefill: the model continues it, and, as
  in the legacy API, the completion does not repeat it. The first turn must be a human one (the
  legacy API said so too).
- ``max_tokens_to_sample`` is ``max_tokens``; stop_sequences, temperature, top_p, top_k,
  metadata and stream carry over as they are.
- the reply's text is the ``completion``; its stop reason the legacy one (STOP_REASONS).
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ValidationError

HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"
_TURN = re.compile(r"(\n\nHuman:|\n\nAssistant:)")
CARRIED = ("stop_sequences", "temperature", "top_p", "top_k", "metadata", "stream", "betas")

# Message stop reason -> the legacy one. The legacy API said "stop_sequence" for its built-in
# "\n\nHuman:" stop too, which is what a finished turn (end_turn) was; "max_tokens" also for
# the model's own limit. Any other (refusal, and tool_use or pause_turn, which a request with
# no tools does not get) passes through as the Messages API said it: the completion's
# stop_reason is open text, and a refusal must be seen, not passed off as a finished answer.
STOP_REASONS = {
    "end_turn": "stop_sequence",
    "stop_sequence": "stop_sequence",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
}


def _refused(message: str) -> ValidationError:
    return ValidationError(f"the input is invalid: /prompt {message}", details=[{"path": "/prompt", "message": message}])


def turns(prompt: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first turn, and each turn as (role, text as written)."""
    head, *rest = _TURN.split(prompt)
    return head, [("user" if marker == HUMAN else "assistant", text) for marker, text in zip(rest[::2], rest[1::2])]


def messages_request(payload: dict[str, Any], model: str, prefill: bool = True) -> dict[str, Any]:
    """The create_message input that asks ``model`` what ``payload`` (a create_completion
    input) asked a legacy model. ``prefill``: whether the model takes a final assistant text;
    when it does not, such a prompt is refused here rather than by the API after sending."""
    head, spoken = turns(payload["prompt"])
    if not spoken or spoken[0][0] != "user":
        raise _refused('must start with a "\\n\\nHuman:" turn (after an optional system text)')
    messages = [{"role": role, "content": text.strip()} for role, text in spoken if text.strip()]
    if not messages or messages[0]["role"] != "user":
        raise _refused('has no text in its first "\\n\\nHuman:" turn')
    if messages[-1]["role"] == "assistant" and not prefill:
        raise _refused("ends with assistant text (a prefill), which the connection's completion_model does not take (completion_prefill: false)")
    body: dict[str, Any] = {"model": model, "max_tokens": payload["max_tokens_to_sample"], "messages": messages}
    if head.strip():
        body["system"] = head.strip()
    body.update((name, payload[name]) for name in CARRIED if name in payload)
    return body


def stop_reason(reason: str | None) -> str | None:
    return STOP_REASONS.get(reason, reason) if reason is not None else None


def from_message(message: dict[str, Any]) -> dict[str, Any]:
    """A Message as the legacy Completion: its text, its id and model, the legacy stop reason."""
    text = "".join(b.get("text", "") for b in message["content"] if b.get("type") == "text")
    return {"type": "completion", "id": message["id"], "completion": text, "stop_reason": stop_reason(message["stop_reason"]), "model": message["model"]}


def event(data: dict[str, Any], started: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Messages stream event as the legacy stream's: each text delta a ``completion`` event,
    the message_delta that says why it stopped the last one (empty text, the stop reason).
    Every other event (starts, stops, thinking, pings) has no legacy counterpart: None."""
    head = {"type": "completion", "id": (started or {}).get("id")}
    model = (started or {}).get("model")
    if data.get("type") == "content_block_delta" and data["delta"].get("type") == "text_delta":
        return {**head, "completion": data["delta"]["text"], "stop_reason": None, "model": model}
    if data.get("type") == "message_delta":
        return {**head, "completion": "", "stop_reason": stop_reason(data["delta"].get("stop_reason")), "model": model}
    return None
