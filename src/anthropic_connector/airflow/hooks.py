"""The hook: a ``Connector`` for an Airflow connection of type ``anthropic_connector``.

The Airflow connection becomes the connector's own connection settings (provider.settings) and
is checked by ``Connection.from_mapping`` like any other: a bad setting is a ConfigurationError
naming it. The "Test" button runs the manifest's test_connection operation (GET
/v1/models?limit=1: names no model, spends no tokens).
"""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson
from airflow.sdk import BaseHook

from ..errors import ConnectorError
from ..manifest import load
from ..runtime import Connector
from .provider import CONN_TYPE, UI_FIELD_BEHAVIOUR, settings


def connector_for(conn: Any, extra: dict[str, Any]) -> Connector:
    manifest = load()
    return Connector(manifest, settings(conn, extra, manifest.connection_schema))


class AnthropicConnectorHook(BaseHook):  # type: ignore[misc]  # Any where Airflow is not installed
    """Holds a Connector for the connection ``conn_id``: ``get_conn()`` in tasks, ``aget_conn()``
    in triggers (a new one each time, to be closed in the trigger's event loop)."""

    conn_name_attr = "conn_id"
    default_conn_name = "anthropic_connector_default"
    conn_type = CONN_TYPE
    hook_name = "Anthropic (connector)"

    def __init__(self, conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self._connector: Connector | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return UI_FIELD_BEHAVIOUR

    def get_conn(self) -> Connector:
        if self._connector is None:
            conn = self.get_connection(self.conn_id)
            self._connector = connector_for(conn, conn.extra_dejson)
        return self._connector

    async def aget_conn(self) -> Connector:
        """For an event loop shared with other triggers: the connection and its extras are read
        without a blocking call to the supervisor (which could deadlock the loop)."""
        conn = await get_async_connection(self.conn_id, hook=self)
        return connector_for(conn, await get_async_extra_dejson(conn))

    def test_connection(self) -> tuple[bool, str]:
        """Airflow's "Test" button: the test_connection operation's answer, in words."""
        try:
            self.get_conn().test_connection()
        except ConnectorError as exc:
            return False, f"{exc.type}: {exc.message}"
        return True, "Connection OK: the API accepted the key (GET /v1/models?limit=1, no tokens spent)"
