"""The async admission gate: at most max_in_flight runs send at once, first come first served,
and a run waits for its turn no longer than its timeout."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from conftest import MANIFEST, Recorder
from test_transport_aiohttp import InFlight

from anthropic_connector import Connector, ConnectorError


def raw(path: str) -> dict[str, Any]:
    return {"method": "GET", "url": {"endpoint": path}}


def test_at_most_max_in_flight_requests_reach_the_server(recorder: Recorder, connection: dict[str, Any]) -> None:
    script = InFlight(0.05)
    recorder.script(script)

    async def main() -> None:
        async with Connector(MANIFEST, connection, max_in_flight=3) as connector:
            await asyncio.gather(*(connector.arun("raw_http_request", raw(f"/r{i}")) for i in range(10)))

    asyncio.run(main())
    assert script.most == 3 and len(recorder.requests) == 10


def test_waiting_runs_are_served_first_come_first_served(recorder: Recorder, connection: dict[str, Any]) -> None:
    """Three workers each run three requests in a row with one place: a worker that just got its
    answer queues behind the others instead of taking the place again (aiohttp's own pool
    limit would give aaabbbccc)."""
    recorder.script(InFlight(0.02))

    async def worker(connector: Connector, name: str) -> None:
        for n in range(3):
            await connector.arun("raw_http_request", raw(f"/{name}-{n}"))

    async def main() -> None:
        async with Connector(MANIFEST, connection, max_in_flight=1) as connector:
            await asyncio.gather(*(worker(connector, name) for name in "abc"))

    asyncio.run(main())
    assert [r.path[1] for r in recorder.requests] == list("abcabcabc")


def test_no_turn_within_the_timeout_is_a_timeout_error(recorder: Recorder, connection: dict[str, Any]) -> None:
    recorder.script(InFlight(0.5))

    async def main() -> list[Any]:
        async with Connector(MANIFEST, connection, max_in_flight=1) as connector:

            async def second() -> Any:
                await asyncio.sleep(0.05)
                return await connector.arun("raw_http_request", raw("/b"), timeout=0.1)

            outcomes = await asyncio.gather(connector.arun("raw_http_request", raw("/a")), second(), return_exceptions=True)
            return [o.output["status"] if not isinstance(o, BaseException) else o for o in outcomes]

    first, second = asyncio.run(main())
    assert first == 200
    assert isinstance(second, ConnectorError) and second.type == "timeout_error" and "no turn" in second.message
    assert [r.path for r in recorder.requests] == ["/a"]


def test_events_hold_their_turn_for_the_whole_stream(recorder: Recorder, connection: dict[str, Any]) -> None:
    from test_streaming import REQUEST, sse_answer

    recorder.script(sse_answer())

    async def main() -> list[str]:
        order: list[str] = []
        async with Connector(MANIFEST, connection, max_in_flight=1) as connector:

            async def stream(name: str) -> None:
                async for event in connector.events("create_message", REQUEST):
                    order.append(f"{name}:{event['type']}")

            await asyncio.gather(stream("x"), stream("y"))
        return order

    order = asyncio.run(main())
    assert order.index("x:message_stop") < order.index("y:message_start")


def test_a_run_cancelled_while_it_waits_never_takes_its_turn(connection: dict[str, Any]) -> None:
    from test_streaming import REQUEST

    connector = Connector(MANIFEST, connection, max_in_flight=1)
    call = connector._call("create_message", REQUEST, None, None)
    dispatcher = connector._dispatcher

    async def main() -> bool:
        gate, deadlines = dispatcher._here()
        assert gate is not None
        await gate.acquire()
        waiter = asyncio.ensure_future(dispatcher._wait_turn(call, gate, deadlines))
        await asyncio.sleep(0)
        gate.release()
        waiter.cancel()  # in the same loop iteration as the release
        try:
            await waiter
        except asyncio.CancelledError:
            pass
        return gate.locked()

    assert asyncio.run(main()) is False  # the place went back, not to a cancelled task


def test_waiting_for_a_turn_is_not_retried(recorder: Recorder, connection: dict[str, Any]) -> None:
    """A run nested inside a stream that holds the only turn fails after one timeout, not after
    each retry's timeout again."""
    from test_streaming import REQUEST, sse_answer

    recorder.script(sse_answer())

    async def main() -> tuple[str, float]:
        async with Connector(MANIFEST, {**connection, "max_retries": 2}, max_in_flight=1) as connector:
            async with contextlib.aclosing(connector.events("create_message", REQUEST)) as events:
                async for _ in events:
                    started = asyncio.get_running_loop().time()
                    try:
                        await connector.arun("raw_http_request", raw("/inner"), timeout=0.3)
                    except ConnectorError as exc:
                        return exc.type, asyncio.get_running_loop().time() - started
        return "no error", 0.0

    kind, waited = asyncio.run(main())
    assert kind == "timeout_error" and 0.3 <= waited < 1.0


def test_closing_an_events_stream_early_gives_its_turn_back_at_once(recorder: Recorder, connection: dict[str, Any]) -> None:
    """A host that stops reading (``aclosing``) must not hold the turn until garbage collection."""
    from test_streaming import REQUEST, sse_answer

    recorder.script(sse_answer())

    async def main() -> bool:
        async with Connector(MANIFEST, connection, max_in_flight=1) as connector:
            async with contextlib.aclosing(connector.events("create_message", REQUEST)) as events:
                async for _ in events:
                    break
            turns = connector._dispatcher._turns
            return turns is not None and not turns[1].locked()

    assert asyncio.run(main()) is True
