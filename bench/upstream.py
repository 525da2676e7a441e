"""A fast fake Anthropic API for benchmarks: POST /v1/messages → a fixed Message, or SSE.

A raw asyncio protocol speaking just enough HTTP/1.1 (keep-alive, content-length bodies), so
that the clients measured against it, not the server, are the bottleneck. Every answer is
prepared once at start-up; a request costs a header scan and one ``write``.

    python bench/upstream.py [--port 0] [--deltas 200]

prints ``PORT <n>`` on stdout once it listens on 127.0.0.1 (loopback only), then serves until
it is terminated. A body containing ``"stream": true`` gets the SSE answer: message_start,
content_block_start, ping, ``--deltas`` text deltas, content_block_stop, message_delta,
message_stop, sent chunked, one chunk per event (as the real API's events arrive).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

MODEL = "claude-sonnet-4-6"

MESSAGE = {
    "id": "msg_bench0000000000000000000001",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": [{"type": "text", "text": "Python is dynamically typed and runs on CPython; JavaScript runs in browsers and Node."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 25, "output_tokens": 24},
}


def sse_events(deltas: int) -> list[tuple[str, dict]]:
    """The events of one streamed Message with ``deltas`` text deltas (as the API orders them)."""
    start = {**MESSAGE, "content": [], "stop_reason": None, "usage": {"input_tokens": 25, "output_tokens": 1}}
    events: list[tuple[str, dict]] = [
        ("message_start", {"type": "message_start", "message": start}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
    ]
    delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "word "}}
    events += [("content_block_delta", delta)] * deltas
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": deltas}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


def _head(status: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def json_answer(body: object, status: str = "200 OK") -> bytes:
    data = json.dumps(body).encode()
    headers = [("content-type", "application/json"), ("request-id", "req_bench"), ("content-length", str(len(data)))]
    return _head(status, headers) + data


def sse_answer(deltas: int) -> bytes:
    chunks = []
    for name, data in sse_events(deltas):
        event = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
        chunks.append(b"%x\r\n%s\r\n" % (len(event), event))
    headers = [
        ("content-type", "text/event-stream; charset=utf-8"),
        ("cache-control", "no-cache"),
        ("request-id", "req_bench"),
        ("transfer-encoding", "chunked"),
    ]
    return _head("200 OK", headers) + b"".join(chunks) + b"0\r\n\r\n"


class Answers:
    def __init__(self, deltas: int) -> None:
        self.message = json_answer(MESSAGE)
        self.stream = sse_answer(deltas)
        self.not_found = json_answer({"type": "error", "error": {"type": "not_found_error", "message": "not found"}}, "404 Not Found")
        self.bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class _Protocol(asyncio.Protocol):
    """One keep-alive connection; pipelined requests are answered in order."""

    __slots__ = ("answers", "transport", "buffer")

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end].lower()
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                if b"\r\ntransfer-encoding:" in head:  # chunked uploads: not something the clients send here
                    self.transport.write(self.answers.bad)
                    self.transport.close()
                    return
                length = 0
            else:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else len(head)])
            total = end + 4 + length
            if len(buffer) < total:
                break
            body = buffer[end + 4 : total]
            buffer = buffer[total:]
            if not head.startswith(b"post /v1/messages"):
                self.transport.write(self.answers.not_found)
            elif b'"stream": true' in body or b'"stream":true' in body:
                self.transport.write(self.answers.stream)
            else:
                self.transport.write(self.answers.message)
        self.buffer = buffer


async def serve(port: int, deltas: int) -> None:
    loop = asyncio.get_running_loop()
    answers = Answers(deltas)
    server = await loop.create_server(lambda: _Protocol(answers), "127.0.0.1", port, backlog=2048, reuse_address=True)
    sys.stdout.write(f"PORT {server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--deltas", type=int, default=200, help="text deltas per streamed answer")
    args = parser.parse_args()
    try:
        import uvloop  # optional: a faster event loop for the server only

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(args.port, args.deltas))


if __name__ == "__main__":
    main()
