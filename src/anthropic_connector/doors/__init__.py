"""The doors a platform loads the connector through, each generated from connector.yaml so that
a new operation appears in all of them with no code:

    Python plugin   entry point workflow_connectors:anthropic → runtime.Connector (catalog(), run, arun, events)
    HTTP service    service.py: `anthropic-connector serve`, an ASGI app under uvicorn
    OpenAPI         openapi.py: `anthropic-connector openapi`, the service's document (dialects.py: 3.1 / 3.0 schemas)
    MCP server      mcp_server.py: `anthropic-connector mcp`, every operation a tool (stdio, Streamable HTTP)

The service and the MCP server run other people's calls, so both go through policy.py (no
file on this host and no other origin on a caller's word; an optional token for callers) and
answer errors by http.py's table. Their web dependencies (Starlette, uvicorn, mcp) are the
`serve` extra, imported only by these commands: a one-shot `run` never loads them.
"""

from __future__ import annotations

import importlib
from typing import Sequence

COMMANDS = {"serve": "service", "mcp": "mcp_server", "openapi": "openapi"}  # subcommand -> module here


def main(argv: Sequence[str]) -> int:
    """Hand `anthropic-connector <door> ...` to that door's own parser."""
    return int(importlib.import_module(f".{COMMANDS[argv[0]]}", __name__).main(list(argv[1:])))
