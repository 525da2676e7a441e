"""The connector as a library: list operations, read schemas, validate and run, sync or async.

``run`` is the whole pipeline, one step per line: manifest → validate → auth/connection →
build → dispatch → output. Nothing is sent unless the input is valid and a credential (or the
sandbox) is there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncGenerator, Mapping

import httpx2

from . import manifest as manifest_module
from .connection import Connection
from .dispatch import MAX_IN_FLIGHT, Dispatcher
from .errors import ConfigurationError
from .manifest import Manifest
from .operations import build
from .output import Result
from .validate import describe, non_finite_paths


class Connector:
    """One loaded manifest and one connection; reuse it for many runs (it pools connections).

    ``max_in_flight`` caps the async runs sending at once (None: no cap); the others wait their
    turn, first come first served.
    """

    def __init__(
        self,
        manifest: Manifest | None = None,
        connection: Connection | Mapping[str, Any] | None = None,
        *,
        transport: httpx2.BaseTransport | None = None,
        async_transport: httpx2.AsyncBaseTransport | None = None,
        sandbox: bool = False,
        max_in_flight: int | None = MAX_IN_FLIGHT,
    ) -> None:
        self.manifest = manifest or manifest_module.load()
        if connection is None:
            connection = Connection.from_env(self.manifest)
        elif not isinstance(connection, Connection):
            connection = Connection.from_mapping(connection, self.manifest)
        if sandbox:
            from . import sandbox as sandbox_module

            # In-process, keyless: a flow can be designed and tested before anyone has a key.
            transport = async_transport = sandbox_module.transport(sandbox_module.SandboxOptions(check_key=False))
        if not (sandbox or connection.has_credential):
            raise ConfigurationError(connection.missing_credential())
        self.connection = connection
        self._dispatcher = Dispatcher(connection, transport, async_transport, max_in_flight)

    @classmethod
    def load(cls, path: str | Path | None = None, **kwargs: Any) -> Connector:
        """A connector for the manifest at ``path`` (default: the packaged connector.yaml)."""
        return cls(manifest_module.load(path), **kwargs)

    def operations(self) -> list[dict[str, str]]:
        return [op.summary() for op in self.manifest.operations.values()]

    def input_schema(self, name: str) -> dict[str, Any]:
        return self.manifest.operation(name).input_schema

    def output_schema(self, name: str) -> dict[str, Any]:
        return self.manifest.operation(name).output_schema

    def validate(self, name: str, payload: Any) -> list[dict[str, str]]:
        """Every violation of the operation's input schema (empty when valid)."""
        return self.manifest.operation(name).validator.errors(payload)

    def _overridden(self, timeout: float | None, max_retries: int | None) -> Connection:
        """The connection with this run's overrides, held to the connection schema's bounds."""
        overrides = {k: v for k, v in (("timeout", timeout), ("max_retries", max_retries)) if v is not None}
        if not overrides:
            return self.connection
        problems = self.manifest.connection_validator.errors(overrides)
        problems += [{"path": path, "message": "must be a finite number"} for path in non_finite_paths(overrides)]
        if problems:
            raise ConfigurationError(f"a run override is invalid: {describe(problems)}", details=problems)
        return self.connection.with_overrides(**overrides)

    def run(self, name: str, payload: Any, *, timeout: float | None = None, max_retries: int | None = None) -> Result:
        """Validate, send and return the operation's output; raises a ConnectorError otherwise."""
        op = self.manifest.operation(name)
        op.validator.check(payload)
        return self._dispatcher.send(build(op, payload, self._overridden(timeout, max_retries)))

    async def arun(self, name: str, payload: Any, *, timeout: float | None = None, max_retries: int | None = None) -> Result:
        """``run`` for asyncio hosts: same checks, same output, on the async client."""
        op = self.manifest.operation(name)
        op.validator.check(payload)
        return await self._dispatcher.asend(build(op, payload, self._overridden(timeout, max_retries)))

    def events(self, name: str, payload: Any, *, timeout: float | None = None, max_retries: int | None = None) -> AsyncGenerator[dict[str, Any], None]:
        """The operation's server-sent events as they arrive (each event's JSON data).

        Only for operations that stream (create_message, create_completion); the request is
        sent with stream: true whatever the input says. The input is checked here, before
        anything is sent. The stream holds one of the ``max_in_flight`` turns until it ends
        or the generator is closed (``contextlib.aclosing``).
        """
        op = self.manifest.operation(name)
        if not op.stream:
            raise ConfigurationError(f"operation {name!r} does not stream events")
        op.validator.check(payload)
        return self._dispatcher.aevents(build(op, {**payload, "stream": True}, self._overridden(timeout, max_retries)))

    def close(self) -> None:
        self._dispatcher.close()

    async def aclose(self) -> None:
        await self._dispatcher.aclose()

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Connector:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
