"""``AnthropicConnectorBatchOperator``: a Message Batch as a deferrable Airflow task.

The task checks every request against the create_message_batch schema (a bad one fails the
task with each violation logged and nothing sent), submits the batch, pushes its id to XCom at
once (``batch_id``), and defers: the trigger waits for the batch to end in the triggerer, so no
worker slot is held for the hours a batch may take. When the task resumes it collects the
results, streamed a line at a time: returned to XCom when they come to at most
``max_xcom_bytes`` of JSON, otherwise written to ``results_path`` as JSON Lines (or, with
none given, to a file named after the batch in the temp folder) and XCom gets ``{"path",
"lines"}``. A batch that timed out or whose polling failed is canceled; so is a killed task's.
A batch whose every request was canceled skips the task; ``fail_on_partial_error`` fails it
when any request errored or expired, once the results are kept.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowSkipException

from ..errors import ConnectorError
from ..runtime import Connector
from .hooks import AnthropicConnectorHook
from .operators import checked, failure
from .triggers import AnthropicConnectorBatchTrigger

DAY = 24 * 3600.0


class AnthropicConnectorBatchOperator(BaseOperator):  # type: ignore[misc]  # Any where Airflow is not installed
    """Submit ``requests`` (``[{"custom_id", "params"}]``, templated) as one Message Batch; defer
    until it ends; return its results (or where they were written).

    :param poll_interval: seconds between the trigger's looks at the batch.
    :param timeout: seconds to wait for the batch before canceling it (default 24 h, the API's own).
    :param results_path: write the results here as JSON Lines (templated); default: XCom when small.
    :param max_xcom_bytes: the most JSON of results XCom gets before they go to a file instead.
    :param fail_on_partial_error: fail the task when any request errored or expired.
    """

    template_fields: Sequence[str] = ("requests", "results_path")
    template_fields_renderers = {"requests": "json"}
    ui_color = "#d4a27f"

    def __init__(
        self,
        *,
        requests: Any,
        conn_id: str = AnthropicConnectorHook.default_conn_name,
        poll_interval: float = 60.0,
        timeout: float = DAY,
        results_path: str | None = None,
        max_xcom_bytes: int = 1024 * 1024,
        fail_on_partial_error: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.requests = requests
        self.conn_id = conn_id
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.results_path = results_path
        self.max_xcom_bytes = max_xcom_bytes
        self.fail_on_partial_error = fail_on_partial_error

    @cached_property
    def hook(self) -> AnthropicConnectorHook:
        return AnthropicConnectorHook(self.conn_id)

    def execute(self, context: Any) -> None:
        connector = self.hook.get_conn()
        payload = {"requests": self.requests}
        checked(connector, "create_message_batch", payload, self.log)
        try:
            batch = connector.run("create_message_batch", payload).output
        except ConnectorError as exc:
            raise failure(exc) from None
        context["ti"].xcom_push(key="batch_id", value=batch["id"])  # before anything else can fail
        self.log.info("submitted batch %s (%d requests); waiting in the triggerer", batch["id"], len(self.requests))
        self.defer(
            trigger=AnthropicConnectorBatchTrigger(self.conn_id, batch["id"], self.poll_interval, time.time() + self.timeout),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout + self.poll_interval + 60),  # the trigger's own timeout event comes first
        )

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        if not event or event.get("status") not in ("ended", "timeout", "error"):
            raise AirflowException(f"unexpected trigger event: {event!r}")
        batch_id = event["batch_id"]
        connector = self.hook.get_conn()
        if event["status"] != "ended":
            self._cancel(connector, batch_id)
            raise AirflowException(event["message"])
        counts = event["request_counts"]
        self.log.info("batch %s ended: %s", batch_id, counts)
        kept = self._results(connector, batch_id)
        total = sum(counts[k] for k in ("succeeded", "errored", "canceled", "expired"))
        if total and counts["canceled"] == total:
            raise AirflowSkipException(f"batch {batch_id} was canceled before any request was processed")
        if self.fail_on_partial_error and counts["errored"] + counts["expired"]:
            raise AirflowException(f"batch {batch_id}: {counts['errored']} requests errored and {counts['expired']} expired")
        return kept

    def _results(self, connector: Connector, batch_id: str) -> Any:
        """The results for XCom when small enough (and no path was asked for), else written to a file."""
        query = {"message_batch_id": batch_id}
        try:
            if self.results_path is None:
                held: list[Any] = []
                size = 0
                with contextlib.closing(connector.lines("get_message_batch_results", query)) as results:
                    for item in results:
                        size += len(json.dumps(item))
                        if size > self.max_xcom_bytes:
                            break  # too much for XCom: to a file instead, read again from the start
                        held.append(item)
                    else:
                        return held
            path = Path(self.results_path or Path(tempfile.gettempdir()) / f"{batch_id}.results.jsonl")
            self.log.info("batch %s: results written to %s", batch_id, path)
            return connector.run("get_message_batch_results", query, output_file=path).output
        except ConnectorError as exc:
            raise failure(exc) from None

    def _cancel(self, connector: Connector, batch_id: str) -> None:
        try:
            connector.run("cancel_message_batch", {"message_batch_id": batch_id})
            self.log.warning("canceled batch %s", batch_id)
        except ConnectorError as exc:
            self.log.warning("batch %s was not canceled: %s", batch_id, exc.message)
