"""Message Batches: created at once, processed inside the sandbox, results as JSON Lines.

Each request's result is what `POST /v1/messages` answers for its params (`Inference.message`);
it depends on nothing else, so it is worked out at creation and the clock only decides when it
is out. The requests end one after another over `batch_seconds`. A cancel lets the request in
flight finish, as the API says it may ("complete any in-progress, non-interruptible requests
before finalizing cancellation"), and the rest end `canceled`; a batch still running 24 hours
after creation ends with the rest `expired`. Results stay available for 29 days.
"""

from __future__ import annotations

import json
import re
import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import pages, replies
from .call import ApiError, Call, Route, content, json_reply, not_found, stamp
from .models import ORDERED
from .options import SandboxOptions
from .stream import Reply

EXPIRES_AFTER = 24 * 3600.0
ARCHIVED_AFTER = 29 * 24 * 3600.0
MAX_REQUESTS = 100_000
MAX_BODY_BYTES = 256 * 1024 * 1024
"""The Message Batches API takes up to 100,000 requests or 256 MB, whichever comes first."""
CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
OUTCOMES = ("succeeded", "errored", "canceled", "expired")

Process = Callable[[dict[str, Any], str], dict[str, Any]]
"""`(params, anthropic-version)` to the `Message` the Messages endpoint answers, or `ApiError`."""


@dataclass
class Batch:
    id: str
    created: float
    outcomes: list[tuple[str, dict[str, Any]]]  # (custom_id, result) for each request, in order
    finishes: list[float]  # when each request is done, ascending
    cancel_at: float | None = None

    @property
    def end(self) -> float:
        """When processing ends: the last request, the one in flight at a cancel, or expiry."""
        stop = self.finishes[-1]
        if self.cancel_at is not None:
            stop = self.finishes[bisect_right(self.finishes, self.cancel_at)]
        return min(stop, self.created + EXPIRES_AFTER)

    def lines(self) -> list[dict[str, Any]]:
        """The `MessageBatchIndividualResponse` of each request once processing has ended."""
        done = bisect_right(self.finishes, self.end)
        fate = {"type": "canceled" if self.cancel_at is not None else "expired"}
        return [{"custom_id": cid, "result": result if i < done else fate} for i, (cid, result) in enumerate(self.outcomes)]

    def view(self, now: float, origin: str) -> dict[str, Any]:
        """The `MessageBatch` object as of `now`; request counts move only once processing ends."""
        ended = now >= self.end
        counts = dict.fromkeys(("processing", *OUTCOMES), 0)
        for line in self.lines() if ended else ():
            counts[line["result"]["type"]] += 1
        counts["processing"] = 0 if ended else len(self.outcomes)
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress" if self.cancel_at is None else "canceling",
            "request_counts": counts,
            "created_at": stamp(self.created),
            "expires_at": stamp(self.created + EXPIRES_AFTER),
            "ended_at": stamp(self.end) if ended else None,
            "cancel_initiated_at": None if self.cancel_at is None else stamp(self.cancel_at),
            "archived_at": stamp(self.created + ARCHIVED_AFTER) if now >= self.created + ARCHIVED_AFTER else None,
            "results_url": f"{origin}/v1/messages/batches/{self.id}/results" if ended else None,
        }


class Batches:
    """The batches of one sandbox, newest first, safe to share between server threads."""

    def __init__(self, options: SandboxOptions, process: Process) -> None:
        self.options = options
        self._process = process
        self._batches: dict[str, Batch] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/v1/messages/batches", self.create, MAX_BODY_BYTES),
            Route("GET", "/v1/messages/batches", self.list_batches),
            Route("GET", "/v1/messages/batches/{id}", self.retrieve),
            Route("DELETE", "/v1/messages/batches/{id}", self.delete),
            Route("POST", "/v1/messages/batches/{id}/cancel", self.cancel),
            Route("GET", "/v1/messages/batches/{id}/results", self.results),
        ]

    def create(self, call: Call) -> Reply:
        requests = _requests(call.json())
        batch_id = "msgbatch_" + replies.digest("batch", call.rid)[:24]
        outcomes = [(r["custom_id"], self._outcome(batch_id, r["custom_id"], r["params"], call.version)) for r in requests]
        batch = self._new(batch_id, call.now, outcomes)
        with self._lock:
            self._batches[batch.id] = batch
        return json_reply(call, batch.view(call.now, call.origin))

    def list_batches(self, call: Call) -> Reply:
        with self._lock:
            newest_first = list(reversed(self._batches.values()))
        render = lambda b: b.view(call.now, call.origin)  # noqa: E731
        return json_reply(call, pages.by_id(call, newest_first, render, any_id=self.options.any_id))

    def retrieve(self, call: Call, batch_id: str) -> Reply:
        return json_reply(call, self._find(call, batch_id).view(call.now, call.origin))

    def cancel(self, call: Call, batch_id: str) -> Reply:
        with self._lock:
            batch = self._find(call, batch_id, running=True)
            if call.now >= batch.end:
                raise ApiError(400, f"message_batch: {batch_id} has already ended and cannot be canceled")
            if batch.cancel_at is None:
                batch.cancel_at = call.now
        return json_reply(call, batch.view(call.now, call.origin))

    def delete(self, call: Call, batch_id: str) -> Reply:
        with self._lock:
            batch = self._find(call, batch_id)
            if call.now < batch.end:
                raise ApiError(400, f"message_batch: {batch_id} is still processing; cancel it and let it end before deleting it")
            self._batches.pop(batch_id, None)
        return json_reply(call, {"id": batch_id, "type": "message_batch_deleted"})

    def results(self, call: Call, batch_id: str) -> Reply:
        batch = self._find(call, batch_id)
        if call.now < batch.end:
            raise ApiError(400, f"message_batch: {batch_id} has not ended yet; its results are available once processing_status is 'ended'")
        if call.now >= batch.created + ARCHIVED_AFTER:
            raise ApiError(404, f"message_batch: {batch_id} has been archived; its results are no longer available")
        data = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in batch.lines()).encode()
        return content(call, data, "application/x-jsonl")

    # -- helpers ---------------------------------------------------------------------------

    def _new(self, batch_id: str, now: float, outcomes: list[tuple[str, dict[str, Any]]]) -> Batch:
        step = self.options.batch_seconds / len(outcomes)
        return Batch(batch_id, now, outcomes, [now + step * (i + 1) for i in range(len(outcomes))])

    def _outcome(self, batch_id: str, custom_id: str, params: dict[str, Any], version: str) -> dict[str, Any]:
        """What processing gives this request: the Messages endpoint's answer, or its error."""
        try:
            if params.get("stream"):
                raise ApiError(400, "stream: batch requests cannot be streamed")
            return {"type": "succeeded", "message": self._process(params, version)}
        except ApiError as error:
            return {"type": "errored", "error": error.body("req_" + replies.digest(batch_id, custom_id)[:24])}

    def _find(self, call: Call, batch_id: str, *, running: bool = False) -> Batch:
        """The batch, or with `--any-id` a generated one (ended, or still running for a cancel)."""
        found = self._batches.get(batch_id)
        if found is not None:
            return found
        if not self.options.any_id:
            raise not_found("message_batch", batch_id)
        params = {"model": ORDERED[0].id, "max_tokens": 256, "messages": [{"role": "user", "content": "Hello"}]}
        outcomes = [("request-1", self._outcome(batch_id, "request-1", params, call.version))]
        return Batch(batch_id, call.now, outcomes, [call.now + 1.0 if running else call.now])


def _requests(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The `requests` list, checked as a whole (each one's params are checked when it is processed)."""
    items = body.get("requests")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_REQUESTS:
        raise ApiError(400, f"requests: Input should be a list of 1 to {MAX_REQUESTS} requests")
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("params"), dict):
            raise ApiError(400, f"requests.{i}: Input should be an object with custom_id and params")
        custom_id = item.get("custom_id")
        if not isinstance(custom_id, str) or not CUSTOM_ID.fullmatch(custom_id):
            raise ApiError(400, f"requests.{i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
        if custom_id in seen:
            raise ApiError(400, f"requests.{i}.custom_id: {custom_id!r} is not unique within the batch")
        seen.add(custom_id)
    return items
