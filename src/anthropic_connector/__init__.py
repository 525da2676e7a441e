"""A workflow connector for the Anthropic API: manifest → validate → auth → dispatch → output.

Hosts use ``Connector`` (list operations, read schemas, validate, ``run`` / ``arun``) and catch
``ConnectorError``; every error class carries ``type`` and ``exit_code``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__

__all__ = [
    "APIError",
    "APITimeoutError",
    "ConfigurationError",
    "Connection",
    "Connector",
    "ConnectorError",
    "ResponseTooLargeError",
    "Result",
    "StructuredOutputError",
    "TransportError",
    "UnexpectedResponseError",
    "ValidationError",
    "__version__",
    "load",
]

_HOME = {
    "APIError": "errors",
    "APITimeoutError": "errors",
    "ConfigurationError": "errors",
    "ConnectorError": "errors",
    "ResponseTooLargeError": "errors",
    "StructuredOutputError": "errors",
    "TransportError": "errors",
    "UnexpectedResponseError": "errors",
    "ValidationError": "errors",
    "Connection": "connection",
    "Connector": "runtime",
    "Result": "output",
}

if TYPE_CHECKING:
    from .connection import Connection
    from .errors import (
        APIError,
        APITimeoutError,
        ConfigurationError,
        ConnectorError,
        ResponseTooLargeError,
        StructuredOutputError,
        TransportError,
        UnexpectedResponseError,
        ValidationError,
    )
    from .output import Result
    from .runtime import Connector


def __getattr__(name: str) -> Any:
    """Import on first use: the CLI's start-up pays only for what it runs."""
    if name in _HOME:
        import importlib

        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(path: Any = None, **kwargs: Any) -> "Connector":
    """Load a connector (the packaged manifest unless ``path``); kwargs go to ``Connector``."""
    from .runtime import Connector

    return Connector.load(path, **kwargs)
