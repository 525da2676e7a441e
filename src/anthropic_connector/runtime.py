"""The connector as a library: list operations, read schemas, validate and run, sync or async.

``run`` is the whole pipeline, one step per line: manifest → validate → auth/connection →
build → dispatch → output. Nothing is sent unless the input is valid and a credential (or the
sandbox) is there.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, Generator, Iterator, Mapping

import httpx2

from . import manifest as manifest_module
from . import models
from .call import Call
from .clock import Clock
from .connection import Connection
from .dispatch import MAX_IN_FLIGHT, Dispatcher
from .errors import ConfigurationError, ValidationError
from .operations import build
from .output import Result
from .spec import Manifest, Operation
from .inputs import vet
from .rules import Facts, ModelRuleError, check, problems
from .validate import describe

if TYPE_CHECKING:
    from .bulk.batches import Limits
    from .output_model import OutputModel


class Connector:
    """One loaded manifest and one connection; reuse it for many runs (it pools connections).

    ``max_in_flight`` caps the async runs sending at once (None: no cap); the others wait their
    turn, first come first served. ``clock`` is what retries read and wait with (a test's
    clock records the waits instead of sleeping). ``guard`` sees every request, redirects
    included, before it is sent and may refuse it with a ConnectorError: a door serving other
    people's calls keeps them to the origins it allows (doors/policy.py).
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
        clock: Clock | None = None,
        guard: Callable[[httpx2.Request], None] | None = None,
    ) -> None:
        self.manifest = manifest or manifest_module.load()
        self._guard = guard
        if connection is None:
            connection = Connection.from_env(self.manifest)
        elif not isinstance(connection, Connection):
            connection = Connection.from_mapping(connection, self.manifest)
        if sandbox:
            from . import sandbox as sandbox_module

            # In-process and keyless, so a flow can be designed before anyone has a key; any id
            # is answered (a one-shot `run --sandbox get_file ...` has no earlier upload to find).
            transport = async_transport = sandbox_module.transport(sandbox_module.SandboxOptions(check_key=False, any_id=True))
        if not (sandbox or connection.has_credential):
            raise ConfigurationError(connection.missing_credential())
        self.connection = connection
        label = "in-process sandbox: nothing leaves this process" if sandbox else None
        self._dispatcher = Dispatcher(connection, transport, async_transport, max_in_flight, clock, label)
        self._sandbox = sandbox
        self._models = models.ModelSource(connection.base_url, self._dispatcher.clock.now, can_fetch=not sandbox)
        self._known: Facts | None = None

    @classmethod
    def load(cls, path: str | Path | None = None, **kwargs: Any) -> Connector:
        """A connector for the manifest at ``path`` (default: the packaged connector.yaml)."""
        return cls(manifest_module.load(path), **kwargs)

    @classmethod
    def catalog(cls, path: str | Path | None = None) -> dict[str, Any]:
        """The connector as a host's catalogue shows it, before any connection exists: identity,
        the connection it asks for (schema, how the credential travels) and every operation
        with its category, annotations, schemas and samples (spec.Manifest.describe)."""
        return manifest_module.load(path).describe()

    def operations(self) -> list[dict[str, Any]]:
        """Each operation's name, title, description, category and annotations."""
        return [op.summary() for op in self.manifest.operations.values()]

    def describe(self, name: str) -> dict[str, Any]:
        """One operation with its schemas and samples, as a host renders it."""
        return self.manifest.operation(name).describe()

    def input_schema(self, name: str) -> dict[str, Any]:
        return self.manifest.operation(name).input_schema

    def output_schema(self, name: str) -> dict[str, Any]:
        return self.manifest.operation(name).output_schema

    def validate(self, name: str, payload: Any, *, confirm: bool = False) -> list[dict[str, str]]:
        """Every violation of the operation's input schema, else of its rules (empty when valid).
        It sends nothing: the rules read the model table at hand (models.py). ``confirm``: a
        refusal that rests on that table is first confirmed by a fresh one when a fetch is due
        (GET /v1/models), as ``run`` does before refusing."""
        op = self.manifest.operation(name)
        found, on_model = problems(op, payload, self._facts())
        if on_model and confirm and self._models.due():
            self._refresh_models()
            found = problems(op, payload, self._facts())[0]
        return found

    def _facts(self) -> Facts:
        """What the rules know beyond the input, made again only when the model table changed."""
        table = self._models.table()
        if self._known is None or self._known.models is not table:
            self._known = Facts(self.connection.anthropic_version, table, self._sandbox, self.connection.completion_model)
        return self._known

    def _overridden(self, timeout: float | None, max_retries: int | None) -> Connection:
        """The connection with this run's overrides, held to the connection schema's bounds."""
        if timeout is None and max_retries is None:
            return self.connection
        overrides = {k: v for k, v in (("timeout", timeout), ("max_retries", max_retries)) if v is not None}
        found = vet(overrides) or self.manifest.connection_validator.errors(overrides)
        if found:
            raise ConfigurationError(f"a run override is invalid: {describe(found)}", details=found)
        return self.connection.with_overrides(**overrides)

    def _call(self, name: str, payload: Any, timeout: float | None, max_retries: int | None, output_file: str | Path | None = None) -> Call:
        """Validate, then build: nothing is sent for an input that breaks its schema or rules."""
        op = self.manifest.operation(name)
        check(op, payload, self._facts())
        call = build(op, payload, self._overridden(timeout, max_retries), _sink(op, output_file))
        return call if self._guard is None else replace(call, guard=self._guard)

    def _confirmable(self, name: str, payload: Any, timeout: float | None, max_retries: int | None, output_file: str | Path | None = None) -> Call | None:
        """``_call``, or None when its refusal rests on a model table that a fetch is due to
        confirm first (models.py says when): then ``_confirmed`` or ``_aconfirmed`` makes it."""
        try:
            return self._call(name, payload, timeout, max_retries, output_file)
        except ModelRuleError:
            if not self._models.due():
                raise
            return None

    def _confirmed(self, name: str, payload: Any, timeout: float | None, max_retries: int | None, output_file: str | Path | None = None) -> Call:
        """``_call`` once the model table is fresh: what every sync entry point sends."""
        call = self._confirmable(name, payload, timeout, max_retries, output_file)
        if call is None:
            self._refresh_models()
            call = self._call(name, payload, timeout, max_retries, output_file)
        return call

    async def _aconfirmed(self, name: str, payload: Any, timeout: float | None, max_retries: int | None, output_file: str | Path | None = None) -> Call:
        """``_confirmed`` for the async entry points: a fetch runs in a worker thread."""
        call = self._confirmable(name, payload, timeout, max_retries, output_file)
        if call is None:
            import asyncio  # here, not at the top: a sync run never needs it

            await asyncio.to_thread(self._refresh_models)
            call = self._call(name, payload, timeout, max_retries, output_file)
        return call

    def _refresh_models(self) -> None:
        self._models.refresh(lambda: models.fetch(self.run))

    def run(
        self, name: str, payload: Any, *, timeout: float | None = None, max_retries: int | None = None,
        output_file: str | Path | None = None, output_model: Any = None,
    ) -> Result:
        """Validate, send and return the operation's output; raises a ConnectorError otherwise.

        ``output_file``: for an operation that answers JSON Lines or a file, write the answer
        there as it arrives (complete, or not at all); the output then says where and how much.
        ``output_model``: a pydantic model (or any type pydantic's TypeAdapter takes) whose JSON
        schema the reply must follow, as the SDK's ``messages.parse(output_format=...)`` sends
        it; ``Result.parsed`` is then the validated instance, and ``output["parsed_output"]``
        the same data as JSON. A refusal that rests on a model table older than a day is first
        checked against GET /v1/models (models.py).
        """
        model = _output_model(output_model)
        payload = model.ask(payload) if model else payload
        result = self._dispatcher.send(self._confirmed(name, payload, timeout, max_retries, output_file))
        return model.read(result) if model else result

    async def arun(
        self, name: str, payload: Any, *, timeout: float | None = None, max_retries: int | None = None,
        output_file: str | Path | None = None, output_model: Any = None,
    ) -> Result:
        """``run`` for asyncio hosts: same checks, same output, on the async client (a model
        table fetch, when one is due, runs in a worker thread)."""
        model = _output_model(output_model)
        payload = model.ask(payload) if model else payload
        result = await self._dispatcher.asend(await self._aconfirmed(name, payload, timeout, max_retries, output_file))
        return model.read(result) if model else result

    @property
    def clock(self) -> Clock:
        """What retries and a bulk run's polling read the time from and wait with."""
        return self._dispatcher.clock

    def run_many(self, name: str, inputs: str | Path, output: str | Path, *, via_batches: bool = False, batch_limits: Limits | None = None, **options: Any) -> dict[str, Any]:
        """Run ``name`` on every line of the JSON Lines file ``inputs``; results to ``output``.

        Every line is checked first (a ValidationError lists the violations by line, and nothing
        is sent, unless ``skip_invalid=True``); then the lines are sent ``concurrency`` (default 8)
        at once with this connector's retries, and each result is written in input order as
        ``{"line", "custom_id", "output"}`` or ``{"line", "custom_id", "error"}``. Running again
        with the same output keeps the lines that have an output and sends the rest. Options:
        ``concurrency``, ``skip_invalid``, ``max_line_bytes``, ``progress`` (None: a bar when
        stderr is a terminal), ``timeout`` and ``max_retries``. ``via_batches`` (create_message): through Message Batches, split
        at ``batch_limits`` (``bulk.Limits``; default the API's). Returns the summary
        ``{"path", "lines", "succeeded", "failed", "kept"}``. From async code use ``arun_many``.
        """
        from .bulk import many

        settings = many.Options(**options)
        if via_batches:
            return many.run_batches(many.Job(self, name, inputs, output, settings), batch_limits or many.Limits())
        own = self._dispatcher.sibling()  # this call's event loop is its own, and so is its client

        async def send(op: str, payload: Any, timeout: float | None = None, max_retries: int | None = None) -> Result:
            return await own.asend(self._call(op, payload, timeout, max_retries))

        async def main() -> dict[str, Any]:
            try:
                return await many.arun_many(self, name, inputs, output, settings, send)
            finally:
                await own.aclose()

        import asyncio

        return asyncio.run(main())

    async def arun_many(self, name: str, inputs: str | Path, output: str | Path, *, via_batches: bool = False, batch_limits: Limits | None = None, **options: Any) -> dict[str, Any]:
        """``run_many`` for asyncio hosts, on this connector's async client (``via_batches``,
        which mostly waits, runs in a thread)."""
        from .bulk import many

        if via_batches:
            import asyncio

            return await asyncio.to_thread(self.run_many, name, inputs, output, via_batches=True, batch_limits=batch_limits, **options)
        return await many.arun_many(self, name, inputs, output, many.Options(**options))

    def test_connection(self, *, timeout: float | None = None) -> Result:
        """A host's "Test" button: ``{"ok": true}``, or the error saying what is wrong (a key the
        API refuses, no permission, unreachable, too slow). Names no model, spends no tokens."""
        return self.run("test_connection", {}, timeout=timeout)

    def lines(self, name: str, payload: Any, *, timeout: float | None = None, max_retries: int | None = None) -> Generator[Any, None, None]:
        """Each item of a JSON Lines output (get_message_batch_results) as it arrives, none kept,
        so that 100,000 results never sit in memory at once. The input is checked here; a caller
        that stops early closes it (``contextlib.closing``) to let the answer go at once."""
        op = self.manifest.operation(name)
        if op.request is None or op.request.response != "jsonl":
            raise ConfigurationError(f"operation {name!r} does not answer JSON Lines")
        return self._dispatcher.lines(self._confirmed(name, payload, timeout, max_retries))

    def events(self, name: str, payload: Any, *, timeout: float | None = None, max_retries: int | None = None) -> AsyncGenerator[dict[str, Any], None]:
        """The operation's server-sent events as they arrive (each event's JSON data).

        Only for operations that stream (create_message, create_completion); the request is
        sent with stream: true whatever the input says. The input is checked here, before
        anything is sent; only a refusal that a fresh model table must confirm first waits for
        iteration to start (the fetch runs in a worker thread). The stream holds one of the
        ``max_in_flight`` turns until it ends or the generator is closed (``contextlib.aclosing``).
        """
        op = self.manifest.operation(name)
        if not op.stream:
            raise ConfigurationError(f"operation {name!r} does not stream events")
        payload = {**payload, "stream": True} if isinstance(payload, dict) else payload
        call = self._confirmable(name, payload, timeout, max_retries)
        return self._dispatcher.aevents(call) if call is not None else self._confirmed_events(name, payload, timeout, max_retries)

    async def _confirmed_events(self, name: str, payload: Any, timeout: float | None, max_retries: int | None) -> AsyncGenerator[dict[str, Any], None]:
        """``events`` for an input refused on a model table a fetch is due to confirm: the fetch
        runs off the event loop once iteration starts, then the input is checked again."""
        import contextlib

        call = await self._aconfirmed(name, payload, timeout, max_retries)
        async with contextlib.aclosing(self._dispatcher.aevents(call)) as events:
            async for event in events:
                yield event

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


def _output_model(model: Any) -> OutputModel | None:
    """A run's output model, if it has one; pydantic is imported only then."""
    if model is None:
        return None
    from .output_model import OutputModel

    return OutputModel(model)


def _sink(op: Operation, output_file: str | Path | None) -> Path | None:
    """Where a JSON Lines or file answer goes, checked before anything is sent."""
    if output_file is None:
        return None
    if op.request is None or op.request.response not in ("jsonl", "bytes"):
        raise ConfigurationError(f"operation {op.name!r} answers JSON, not a file: an output file is for JSON Lines or file downloads")
    path = Path(output_file).expanduser()
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK) or path.is_dir():
        message = f"{path} cannot be written (its folder must exist and be writable)"
        raise ValidationError(f"the output file is invalid: {message}", details=[{"path": "", "message": message}])
    return path
