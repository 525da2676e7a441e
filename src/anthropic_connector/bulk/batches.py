"""--via-batches: a create_message bulk run sent through Message Batches, at half the price.

The lines still to send go out as batches, split at the API's per-batch limits (100,000
requests or 256 MB, whichever comes first; ``Limits`` for smaller ones), each request's
``custom_id`` being ``line-<N>``, its place in the input, so that results (which the API
returns in any order) map back to their lines with no table of ids. Each batch is polled with
growing waits on the connector's clock until it has ended; its results are read a line at a
time (``Connector.lines``) into a spill file, remembering only where each one starts (8 bytes a
line), and then written in input order with the rest of the results file (job.py, ledger.py).

Every batch id is written to ``RESULTS.batches.json`` beside the output the moment the API
answers, so a run that crashes resumes those batches instead of paying for the lines twice;
the file goes once the results are written. Ctrl-C cancels the run's batches that have not
ended (the requests already processed keep their results) and keeps the file, so that a
re-run collects what was done. All of this is sync code: each step waits on the one before,
and KeyboardInterrupt arrives where the run is.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import os
import re
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import APIError, APITimeoutError, ConfigurationError, ConnectorError
from . import ledger
from .inputs import Line
from .job import Job

log = logging.getLogger("anthropic_connector")


@dataclass(frozen=True)
class Limits:
    """The most one batch may hold: the API's limits by default."""

    requests: int = 100_000
    bytes: int = 256 * 1024 * 1024


POLL_FIRST, POLL_GROWTH, POLL_MOST = 1.0, 1.5, 60.0  # seconds between polls: 1, 1.5, 2.25, ... 60
WAIT_AT_MOST = 25 * 3600.0  # the API ends every batch within 24 hours (the rest expire)
MAX_POLLS = 10_000  # and a clock that never moves cannot keep a run polling for ever
_SENT = re.compile(r"line-([1-9][0-9]*)")
_ENVELOPE = len(b'{"requests":[]}')


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


class State:
    """The batches of a run that has not finished: ``RESULTS.batches.json``, rewritten whole
    (atomically) after each batch is created. Their line ranges are ascending and disjoint."""

    def __init__(self, job: Job) -> None:
        self.path = job.output.with_name(job.output.name + ".batches.json")
        self.input = {"operation": job.operation, "path": str(job.inputs.resolve()), "sha256": _digest(job.inputs)}
        self.batches: list[dict[str, Any]] = []
        if self.path.exists():
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            if saved.get("input") != self.input:
                raise ConfigurationError(
                    f"{self.path} names batches made from another input ({saved.get('input', {}).get('path')}, or it has changed since); "
                    "collect their results by hand (get_message_batch_results) or delete the file to start over"
                )
            self.batches = saved["batches"]

    def add(self, batch_id: str, first: int, last: int, requests: int) -> None:
        self.batches.append({"id": batch_id, "first": first, "last": last, "requests": requests})
        fresh = self.path.with_name(self.path.name + ".new")
        fresh.write_text(json.dumps({"input": self.input, "batches": self.batches}, indent=1), encoding="utf-8")
        os.replace(fresh, self.path)

    def covering(self, number: int) -> dict[str, Any] | None:
        at = bisect.bisect_right([b["first"] for b in self.batches], number) - 1
        return self.batches[at] if at >= 0 and number <= self.batches[at]["last"] else None

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def run(job: Job, limits: Limits) -> dict[str, Any]:
    """The whole --via-batches run: check, submit, wait, collect, write; the summary."""
    if job.operation != "create_message":
        raise ConfigurationError(f"--via-batches runs create_message only (Message Batches hold Messages requests), not {job.operation}")
    job.check()
    state = State(job)
    try:
        _submit(job, state, limits)
        for batch in state.batches:
            _wait(job, batch["id"])
    except KeyboardInterrupt:
        _cancel(job, state)
        raise
    with tempfile.TemporaryFile() as spill:
        found = {batch["id"]: _collect(job, batch, spill) for batch in state.batches}
        with job.writing() as write:
            for item in job.walk():
                write(item if isinstance(item, dict) else _result(item, state, found, spill))
    state.remove()
    return job.summary(batches=[batch["id"] for batch in state.batches])


def _submit(job: Job, state: State, limits: Limits) -> None:
    """A batch for each run of lines to send that no saved batch covers, within the limits."""
    chunk: list[dict[str, Any]] = []
    numbers: list[int] = []
    size = _ENVELOPE

    def flush() -> None:
        nonlocal size
        if chunk:
            batch = job.connector.run("create_message_batch", {"requests": chunk}, **job.overrides).output
            state.add(batch["id"], numbers[0], numbers[-1], len(chunk))
            log.info("batch %s: lines %d to %d (%d requests)", batch["id"], numbers[0], numbers[-1], len(chunk))
            chunk.clear()
            numbers.clear()
            size = _ENVELOPE

    for item in job.walk():
        if not isinstance(item, Line):
            continue
        if state.covering(item.number):
            flush()  # a new batch's range never spans a saved one's
            continue
        request = {"custom_id": f"line-{item.number}", "params": item.payload}
        cost = len(json.dumps(request, ensure_ascii=False).encode()) + 1
        if chunk and (len(chunk) >= limits.requests or size + cost > limits.bytes):
            flush()
        chunk.append(request)
        numbers.append(item.number)
        size += cost
    flush()


def _wait(job: Job, batch_id: str) -> None:
    """Poll until the batch has ended, waiting longer each time (on the connector's clock)."""
    clock, wait = job.connector.clock, POLL_FIRST
    start = clock.now()
    for _ in range(MAX_POLLS):
        batch = job.connector.run("get_message_batch", {"message_batch_id": batch_id}, **job.overrides).output
        if batch["processing_status"] == "ended":
            return
        if clock.now() - start > WAIT_AT_MOST:
            break
        log.info("batch %s is %s: %s; next look in %.1f s", batch_id, batch["processing_status"], batch["request_counts"], wait)
        clock.sleep(wait)
        wait = min(wait * POLL_GROWTH, POLL_MOST)
    raise APITimeoutError(f"batch {batch_id} has not ended after {WAIT_AT_MOST / 3600:g} hours; re-run to keep waiting for it")


def _cancel(job: Job, state: State) -> None:
    """Ctrl-C: cancel the run's batches that have not ended; those that have are left as they are."""
    for batch in state.batches:
        try:
            job.connector.run("cancel_message_batch", {"message_batch_id": batch["id"]}, **job.overrides)
            log.warning("canceled batch %s", batch["id"])
        except ConnectorError as exc:  # ended already (a 400), or unreachable: say so, cancel the others
            log.warning("batch %s was not canceled: %s", batch["id"], exc.message)


def _collect(job: Job, batch: dict[str, Any], spill: IO[bytes]) -> array[int]:
    """Read an ended batch's results into the spill file; where each line's result starts (-1: none)."""
    first, last = batch["first"], batch["last"]
    starts = array("q", [-1]) * (last - first + 1)
    for item in job.connector.lines("get_message_batch_results", {"message_batch_id": batch["id"]}, **job.overrides):
        sent = _SENT.fullmatch(item["custom_id"])
        if sent and first <= int(sent[1]) <= last:
            starts[int(sent[1]) - first] = spill.tell()
            spill.write(json.dumps(item["result"]).encode() + b"\n")
    return starts


def _result(line: Line, state: State, found: dict[str, array[int]], spill: IO[bytes]) -> dict[str, Any]:
    """The result line for ``line`` from its batch's result."""
    batch = state.covering(line.number)
    start = found[batch["id"]][line.number - batch["first"]] if batch else -1
    if batch is None or start < 0:
        where = f"batch {batch['id']}" if batch else "any batch of this run"
        return ledger.failed(line, APIError(f"{where} has no result for line {line.number}; a re-run sends it again"))
    spill.seek(start)
    result = json.loads(spill.readline())
    if result["type"] == "succeeded":
        return ledger.succeeded(line, result["message"])
    if result["type"] == "errored":
        body = result.get("error") or {}
        error = body.get("error") or {}
        message = f"the request errored in batch {batch['id']} ({error.get('type', 'error')}): {error.get('message', '')}"
        return ledger.failed(line, APIError(message, request_id=body.get("request_id"), details=body))
    return ledger.failed(line, APIError(f"the request was {result['type']} in batch {batch['id']} before it was processed", details=result))
