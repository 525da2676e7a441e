"""Message threads (beta): the server holds a conversation between turns, so that each request
sends only the new turn's messages.

`thread: {"type": "create"}` asks the server to hold the conversation under the reply's `id`;
`{"type": "continue", "previous_message_id": ...}` resumes from that reply with only the new
messages (the SDK's `BetaMessageThreadParam`). The SDK's tool runner threads by default, so a
tool loop designed against the sandbox needs them. A thread keeps the create-only fields its
`create` sent, `system` and `tools`, which a `continue` must not repeat (the SDK's
`CREATE_ONLY_FIELDS`); everything else is sent again each turn.

The refusals are the ones the SDK's error types describe: an unknown `previous_message_id` is a
404 `thread_not_found` (the SDK then replays the whole conversation under a new thread), and a
reply continued twice a 400 `thread_already_continued`. The sandbox holds the latest
`MAX_THREADS` replies; an older one is forgotten as a server may lose one. With `--any-id` an
unknown id continues an empty thread, as a contract mock would.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from .call import ApiError

CREATE_ONLY = ("system", "tools")
MAX_THREADS = 1000
CONTINUED = None
"""What a reply's entry becomes once a turn continued from it: its history has moved on."""


class Threads:
    """The conversations one sandbox holds, by the id of their latest reply."""

    def __init__(self, *, any_id: bool, limit: int = MAX_THREADS) -> None:
        self._any_id = any_id
        self._limit = limit
        self._held: OrderedDict[str, dict[str, Any] | None] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body as if it had been sent whole: a `continue` gets its thread's history in front
        of its messages, and the thread's system and tools."""
        thread = body.get("thread")
        if thread is None:
            return body
        if not isinstance(thread, dict) or thread.get("type") not in ("create", "continue"):
            raise ApiError(400, "thread: Input tag found using 'type' does not match any of the expected tags: 'create', 'continue'")
        if thread["type"] == "create":
            return body
        previous = thread.get("previous_message_id")
        if not isinstance(previous, str):
            raise ApiError(400, "thread.continue.previous_message_id: Field required")
        for field in CREATE_ONLY:
            if field in body:
                raise ApiError(400, f"{field}: Extra inputs are not permitted when `thread.type` is `continue`: the thread keeps the {field} it was created with")
        with self._lock:
            if previous in self._held and self._held[previous] is CONTINUED:
                raise ApiError(
                    400,
                    f"The response {previous} has already been continued, and each response can be continued only once. Continue from the Thread's most recent response `id`.",
                    "thread_already_continued",
                )
            held = self._held.get(previous)
        if held is None and not self._any_id:
            raise ApiError(
                404,
                f"No usable Thread state was found for `previous_message_id` {previous}. Replay the full conversation with `thread: {{\"type\": \"create\"}}` to start a new Thread.",
                "thread_not_found",
            )
        state = held or {"fields": {}, "messages": []}
        if not isinstance(body.get("messages"), list):
            return body  # the messages check says what is wrong
        return {**body, **state["fields"], "messages": [*state["messages"], *body["messages"]]}

    def keep(self, body: dict[str, Any], reply: dict[str, Any]) -> None:
        """Hold the conversation a threaded `body` (as resolved) and its reply make, under the
        reply's id; the reply a `continue` went on from is continued from now on."""
        thread = body.get("thread")
        if not isinstance(thread, dict):
            return
        state = {
            "fields": {field: body[field] for field in CREATE_ONLY if field in body},
            "messages": [*body["messages"], {"role": "assistant", "content": reply["content"]}],
        }
        with self._lock:
            if thread["type"] == "continue":
                self._held[thread["previous_message_id"]] = CONTINUED
            self._held[reply["id"]] = state
            while len(self._held) > self._limit:
                self._held.popitem(last=False)

