"""Fold an operation's server-sent events into the object the non-streaming answer would be.

/v1/messages events become one Message (text, tool-use input JSON, thinking, citations,
usage), /v1/complete events one Completion. An unfinished stream is an error, never a
partial success: the assembled object is asked for only once the final event arrived.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from . import errors
from .sse import Event

# delta type → (block field it builds, delta key holding the piece)
_DELTA_FIELDS = {
    "text_delta": ("text", "text"),
    "thinking_delta": ("thinking", "thinking"),
    "input_json_delta": ("input", "partial_json"),
}


class StreamAssembler:
    """Folds the SSE events of /v1/messages or /v1/complete into one response object."""

    def __init__(self, kind: str, rid: str | None) -> None:
        self.kind = kind
        self.request_id = rid
        self.done = False
        self._message: dict[str, Any] | None = None
        # Deltas collected per (block index, field) and joined once: += would copy the growing
        # text at every delta, quadratic in a long answer.
        self._parts: dict[tuple[int, str], list[str]] = {}
        self._completion: dict[str, Any] | None = None
        self._chunks: list[str] = []

    @property
    def started(self) -> dict[str, Any] | None:
        """The message as message_start gave it (id, model, ...), once it has come."""
        return self._message

    def add(self, event: Event) -> dict[str, Any] | None:
        """Take one event; returns its decoded data (None for pings and comments).

        An event that cannot be read or does not fit the stream so far (not JSON, a delta for
        a block that never started) is a TransportError: the answer cannot be trusted whole.
        """
        if event.event == "ping":
            return None
        try:
            data = json.loads(event.data)
            if event.event == "error" or data.get("type") == "error":
                error = data.get("error") or {}
                raise errors.APIError(
                    f"the API sent an error mid-stream ({error.get('type', 'error')}): {error.get('message', '')}",
                    request_id=self.request_id,
                    details=data,
                )
            (self._add_message if self.kind == "message" else self._add_completion)(event.event, data)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise errors.TransportError(
                f"the stream sent an event that does not fit ({event.event}: {type(exc).__name__}): the response is unusable",
                request_id=self.request_id,
            ) from None
        return data

    def _add_message(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "message_start":
            self._message = copy.deepcopy(data["message"])
            self._message["content"] = []
            return
        message = self._message
        if message is None:
            raise errors.TransportError(f"the stream sent {kind} before message_start", request_id=self.request_id)
        if kind == "content_block_start":
            index = data["index"]
            blocks = message["content"]
            blocks.extend({} for _ in range(index + 1 - len(blocks)))
            blocks[index] = copy.deepcopy(data["content_block"])
        elif kind == "content_block_delta":
            index, delta = data["index"], data["delta"]
            kind_of = delta.get("type")
            if kind_of in _DELTA_FIELDS:
                field, source = _DELTA_FIELDS[kind_of]
                self._parts.setdefault((index, field), []).append(delta[source])
            elif kind_of == "signature_delta":
                message["content"][index]["signature"] = delta["signature"]
            elif kind_of == "citations_delta":
                block = message["content"][index]
                if not block.get("citations"):  # absent, or null as a text block may start (the SDK's rule)
                    block["citations"] = []
                block["citations"].append(delta["citation"])
        elif kind == "content_block_stop":
            self._close_blocks(data["index"])
        elif kind == "message_delta":
            # A null container says nothing new: message_start's stays (the SDK's rule); the
            # stop reason, sequence and details are the delta's, null or not.
            message.update((k, v) for k, v in data.get("delta", {}).items() if v is not None or k != "container")
            usage = {k: v for k, v in (data.get("usage") or {}).items() if v is not None}
            message.setdefault("usage", {}).update(usage)
        elif kind == "message_stop":
            self.done = True

    def _close_blocks(self, index: int | None = None) -> None:
        """Join the collected deltas into their blocks (one block's, or all that are left)."""
        assert self._message is not None
        for key in [k for k in self._parts if index is None or k[0] == index]:
            text = "".join(self._parts.pop(key))
            block, field = self._message["content"][key[0]], key[1]
            if field == "input":
                block["input"] = json.loads(text) if text else {}
            else:
                block[field] = block.get(field, "") + text

    def _add_completion(self, kind: str, data: dict[str, Any]) -> None:
        if kind != "completion":
            return
        if self._completion is None:
            self._completion = {k: v for k, v in data.items() if k != "completion"}
        self._chunks.append(data.get("completion", ""))
        self._completion["stop_reason"] = data.get("stop_reason")
        self.done = data.get("stop_reason") is not None

    def result(self) -> dict[str, Any]:
        """The assembled object; a TransportError if the stream never finished."""
        if not self.done:
            end = "message_stop" if self.kind == "message" else "a final completion event"
            raise errors.TransportError(
                f"the stream ended before {end}: the response is incomplete", request_id=self.request_id
            )
        if self.kind == "message":
            assert self._message is not None
            try:
                self._close_blocks()
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise errors.TransportError(
                    f"the stream's blocks do not fit together ({type(exc).__name__}): the response is unusable", request_id=self.request_id
                ) from None
            return self._message
        assert self._completion is not None
        return {**self._completion, "completion": "".join(self._chunks)}
