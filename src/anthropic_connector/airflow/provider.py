"""What Airflow's providers manager reads (``get_provider_info()``, from the entry point), and
the connection form it describes, both ways.

The form is made from ``schemas/connection.json``, the connector's one description of a
connection: the key is Airflow's password field, the base URL its host, and every other setting
(version, betas, timeouts, retries, ...) an extra field with the schema's title, description,
bounds and default. ``settings`` turns a filled form back into the connector's connection
settings, typed by the same schema, since a form hands every extra over as text. Imports no
Airflow, so that listing providers is cheap.
"""

from __future__ import annotations

from typing import Any

from ..version import __version__

PACKAGE = "anthropic-connector"  # the distribution's canonical name: Airflow 3 refuses any other
CONN_TYPE = "anthropic_connector"
HOOK = "anthropic_connector.airflow.hooks.AnthropicConnectorHook"
AS_FIELDS = {"api_key": "password", "base_url": "host"}
"""Connection settings that live in Airflow's own fields; all others are extras."""
_KEYWORDS = ("enum", "pattern", "default", "minimum", "maximum", "exclusiveMinimum")


def extra_fields(connection_schema: dict[str, Any]) -> dict[str, Any]:
    """Airflow's ``conn-fields`` for every setting that is not the key or the base URL."""
    fields = {}
    for name, spec in connection_schema["properties"].items():
        if name in AS_FIELDS:
            continue
        types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        listed = "array" in types  # a form has no list input: a list is typed comma-separated
        schema = {"type": ["string" if listed else types[0], "null"], **{k: spec[k] for k in _KEYWORDS if k in spec}}
        if "format" in spec:
            schema["format"] = spec["format"]
        description = spec.get("description", "") + (" Comma-separated." if listed else "")
        fields[name] = {"label": spec.get("title", name), "schema": schema, "description": description}
    return fields


_TRUE = ("true", "1", "yes", "on")


def _typed(value: Any, spec: dict[str, Any] | None) -> Any:
    """A form's text as the type the connection schema asks for (left as it is if it is not one)."""
    if not isinstance(value, str) or spec is None:
        return value
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    try:
        if "array" in types:
            return [item.strip() for item in value.split(",") if item.strip()]
        if "integer" in types:
            return int(value)
        if "number" in types:
            return float(value)
    except ValueError:
        return value
    if "boolean" in types:
        return value.strip().lower() in _TRUE
    return value


def _base_url(host: str, port: int | None) -> str:
    url = host if "://" in host else f"https://{host}"
    if port and url.count(":") < 2:
        url = f"{url.rstrip('/')}:{port}"
    return url


def settings(conn: Any, extra: dict[str, Any], connection_schema: dict[str, Any]) -> dict[str, Any]:
    """The connector's connection settings for an Airflow connection and its extras; empty
    fields left out."""
    values: dict[str, Any] = {}
    if conn.password:
        values["api_key"] = conn.password
    if conn.host:
        values["base_url"] = _base_url(conn.host, conn.port)
    properties = connection_schema["properties"]
    for name, value in extra.items():
        if value not in (None, ""):
            values[name] = _typed(value, properties.get(name))
    return values


UI_FIELD_BEHAVIOUR = {
    "hidden-fields": ["schema", "login", "port"],
    "relabeling": {"password": "API key", "host": "Base URL"},
    "placeholders": {"host": "https://api.anthropic.com", "password": "sk-ant-api03-..."},
}


def get_provider_info() -> dict[str, Any]:
    from ..manifest import load

    return {
        "package-name": PACKAGE,
        "name": "Anthropic (connector)",
        "description": "Every operation of the Anthropic connector as an Airflow task, and Message Batches that wait without a worker slot.",
        "versions": [__version__],
        "integrations": [{"integration-name": "Anthropic (connector)", "external-doc-url": "https://docs.anthropic.com/", "tags": ["ai"]}],
        "hooks": [{"integration-name": "Anthropic (connector)", "python-modules": ["anthropic_connector.airflow.hooks"]}],
        "operators": [
            {"integration-name": "Anthropic (connector)", "python-modules": ["anthropic_connector.airflow.operators", "anthropic_connector.airflow.batch"]}
        ],
        "triggers": [{"integration-name": "Anthropic (connector)", "python-modules": ["anthropic_connector.airflow.triggers"]}],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": HOOK,
                "hook-name": "Anthropic (connector)",
                "conn-fields": extra_fields(load().connection_schema),
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }
