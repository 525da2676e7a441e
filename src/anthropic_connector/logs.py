"""--verbose: the connector's and httpx2's log lines on stderr, credentials masked; for every
command that offers it (run, run-many)."""

from __future__ import annotations

import logging
import sys
from typing import Callable

from .auth import RedactingFilter
from .connection import Connection


def log_to_stderr(connection: Connection) -> Callable[[], None]:
    """--verbose: the connector's and httpx2's log lines on stderr, credentials masked.

    Returns the undo, so that an in-process host's later runs are as quiet as before.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(connection))
    loggers = [logging.getLogger(name) for name in ("anthropic_connector", "httpx2")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)

    def undo() -> None:
        for logger, level in zip(loggers, levels):
            logger.removeHandler(handler)
            logger.setLevel(level)

    return undo
