"""``AnthropicConnectorBatchTrigger``: waits in the triggerer, not a worker, for a Message Batch to end.

It polls ``get_message_batch`` with the connector's async client (``arun``: its validation,
retries and deadlines), so hundreds of waiting batches share one event loop. It yields one
event: ``ended`` with the request counts, ``timeout`` once ``end_time`` (wall-clock epoch
seconds, which survives being serialized into another triggerer) has passed, or ``error``
after five polls in a row have failed even with the connector's retries. A killed task's
batch is canceled (``on_kill``, called by Airflow 3.3 and later).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from ..errors import ConnectorError
from .hooks import AnthropicConnectorHook

MAX_FAILED_POLLS = 5


class AnthropicConnectorBatchTrigger(BaseTrigger):  # type: ignore[misc]  # Any where Airflow is not installed
    def __init__(self, conn_id: str, batch_id: str, poll_interval: float, end_time: float) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.batch_id = batch_id
        self.poll_interval = poll_interval
        self.end_time = end_time

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs = {"conn_id": self.conn_id, "batch_id": self.batch_id, "poll_interval": self.poll_interval, "end_time": self.end_time}
        return f"{type(self).__module__}.{type(self).__qualname__}", kwargs

    def _event(self, status: str, message: str, **extra: Any) -> TriggerEvent:
        return TriggerEvent({"status": status, "batch_id": self.batch_id, "message": message, **extra})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        connector = await AnthropicConnectorHook(self.conn_id).aget_conn()
        failed = 0
        async with connector:
            while True:  # bounded: by end_time, and by MAX_FAILED_POLLS failures in a row
                try:
                    batch = (await connector.arun("get_message_batch", {"message_batch_id": self.batch_id})).output
                    failed = 0
                except ConnectorError as exc:
                    failed += 1
                    self.log.warning("polling batch %s failed (%d in a row): %s", self.batch_id, failed, exc.message)
                    if failed >= MAX_FAILED_POLLS:
                        yield self._event("error", f"polling batch {self.batch_id} failed {failed} times in a row: {exc.message}")
                        return
                    batch = None
                if batch is not None and batch["processing_status"] == "ended":
                    yield self._event("ended", f"batch {self.batch_id} has ended", request_counts=batch["request_counts"])
                    return
                if time.time() > self.end_time:
                    yield self._event("timeout", f"batch {self.batch_id} had not ended by the task's timeout")
                    return
                await asyncio.sleep(self.poll_interval)

    async def on_kill(self) -> None:
        """The deferred task was killed: cancel its batch, which would otherwise run on, and be paid for."""
        async with await AnthropicConnectorHook(self.conn_id).aget_conn() as connector:
            try:
                await connector.arun("cancel_message_batch", {"message_batch_id": self.batch_id})
            except ConnectorError as exc:
                self.log.warning("batch %s was not canceled: %s", self.batch_id, exc.message)
