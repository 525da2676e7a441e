"""``AnthropicConnectorOperator``: any operation of the manifest as an Airflow task.

``input`` is templated (Jinja renders every string inside it, so a prompt can quote an upstream
task's XCom) and checked against the operation's schema when the task starts: a bad input fails
the task at once, every violation in the task log, and nothing is sent; such a failure, like a
configuration problem, is not retried, since a retry would fail the same way. API and transport
errors are ordinary task failures (retried as the task says), after the connector's own
retries. The output is the task's return value, so it goes to XCom; an operation that answers
JSON Lines or a file can write it to ``output_file`` instead, and XCom gets where and how much.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from ..errors import ConfigurationError, ConnectorError, ValidationError
from ..runtime import Connector
from .hooks import AnthropicConnectorHook


def checked(connector: Connector, operation: str, payload: Any, log: Any) -> None:
    """Fail the task, every violation logged, when ``payload`` breaks the operation's schema
    or rules (a refusal on the model table confirmed first, as ``run`` would)."""
    try:
        problems = connector.validate(operation, payload, confirm=True)
    except ConfigurationError as exc:  # an operation the manifest does not have
        raise AirflowFailException(exc.message) from None
    if problems:
        for problem in problems:
            log.error("invalid input: %s %s", problem["path"] or "(root)", problem["message"])
        raise AirflowFailException(f"the input of {operation} breaks its schema ({len(problems)} violations, listed above); nothing was sent")


def failure(exc: ConnectorError) -> AirflowException:
    """The Airflow exception for a connector error: one a retry cannot mend is not retried."""
    text = f"{exc.type}: {exc.message}" + (f" (request-id {exc.request_id})" if exc.request_id else "")
    return AirflowFailException(text) if isinstance(exc, (ValidationError, ConfigurationError)) else AirflowException(text)


class AnthropicConnectorOperator(BaseOperator):  # type: ignore[misc]  # Any where Airflow is not installed
    """Run ``operation`` on ``input`` with the connection ``conn_id``; return its output.

    :param operation: a manifest operation: create_message, count_tokens, list_models, ...
    :param input: the operation's input (templated).
    :param output_file: for get_message_batch_results and download_file: write the answer there
        as it arrives; XCom then gets ``{"path", ...}`` instead of the content (templated).
    """

    template_fields: Sequence[str] = ("operation", "input", "output_file")
    template_fields_renderers = {"input": "json"}
    ui_color = "#d4a27f"

    def __init__(self, *, operation: str, input: Any, conn_id: str = AnthropicConnectorHook.default_conn_name, output_file: str | None = None, **kwargs: Any) -> None:  # noqa: A002 - the connector's word for it
        super().__init__(**kwargs)
        self.operation = operation
        self.input = input
        self.conn_id = conn_id
        self.output_file = output_file

    @cached_property
    def hook(self) -> AnthropicConnectorHook:
        return AnthropicConnectorHook(self.conn_id)

    def execute(self, context: Any) -> Any:
        connector = self.hook.get_conn()
        checked(connector, self.operation, self.input, self.log)
        try:
            result = connector.run(self.operation, self.input, output_file=Path(self.output_file) if self.output_file else None)
        except ConnectorError as exc:
            raise failure(exc) from None
        self.log.info("%s answered HTTP %s (request-id %s)", self.operation, result.status, result.request_id)
        return result.output
