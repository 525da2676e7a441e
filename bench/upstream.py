"""A fast fake Anthropic API for benchmarks: POST /v1/messages → a fixed Message, or SSE; and
the data plane: batch results, file upload and download, of any size.

A raw asyncio protocol speaking just enough HTTP/1.1 (keep-alive, content-length bodies), so
that the clients measured against it, not the server, are the bottleneck. Every answer is
prepared once at start-up; a request costs a header scan and one ``write``.

    python bench/upstream.py [--port 0] [--deltas 200]

prints ``PORT <n>`` on stdout once it listens on 127.0.0.1 (loopback only), then serves until
it is terminated. A body containing ``"stream": true`` gets the SSE answer: message_start,
content_block_start, ping, ``--deltas`` text deltas, content_block_stop, message_delta,
message_stop, sent chunked, one chunk per event (as the real API's events arrive).

The data plane (bench/dataplane.py), sizes taken from the id's last ``_<digits>``:

- ``GET /v1/messages/batches/{id}``: an ended MessageBatch whose results_url points back here
  (the SDK reads it before it asks for the results).
- ``GET /v1/messages/batches/{id}/results``: N succeeded MessageBatchIndividualResponse lines
  (~500 bytes each, as samples/get_message_batch_results.output.json), generated as they are
  sent, chunked, ~64 KB a chunk, with the socket's flow control: never all in memory.
- ``POST /v1/files``: a multipart body of any size, content-length or chunked, read as it
  arrives and discarded, the ``file`` part hashed; answers a FileMetadata with the part's
  size_bytes and, beyond the API's fields, its ``sha256`` and the ``body_bytes`` received.
- ``GET /v1/files/{id}/content``: N bytes of ``content_block()`` repeated (``content_sha256``
  says what they hash to), with content-length, content-type and content-disposition.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import signal
import sys
import time
from typing import Iterator

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


# -- the data plane --------------------------------------------------------------------------

RESULT_LINE = {  # the sample's succeeded line, numbered: %(n)s in custom_id and the message id
    "custom_id": "ticket-%(n)s",
    "result": {
        "type": "succeeded",
        "message": {
            "id": "msg_bench%(n)s",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-5-5",
            "content": [{"type": "text", "text": "Damaged item: the customer's order #88213 arrived with a torn cover and they ask for a replacement."}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 58, "output_tokens": 24, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "service_tier": "batch"},
        },
    },
}
LINE_TEMPLATE = (json.dumps(RESULT_LINE).replace("%(n)s", "%010d") + "\n").encode()  # 513 bytes: % (n, n)
LINES_PER_CHUNK = 120  # ~64 KB chunks
BLOCK = 256 * 1024  # download chunk size


def size_of(ident: bytes, default: int) -> int:
    """N from an id's last ``_<digits>`` (msgbatch_lines_100000, file_bytes_209715200)."""
    tail = ident.rpartition(b"_")[2]
    return int(tail) if tail.isdigit() else default


def result_lines(start: int, count: int) -> bytes:
    return b"".join(LINE_TEMPLATE % (n, n) for n in range(start, start + count))


def content_block() -> bytes:
    """What downloads are made of: 256 KiB of seeded pseudo-random bytes (not compressible)."""
    return random.Random(20261127).randbytes(BLOCK)


def content_sha256(size: int) -> str:
    """The SHA-256 of a ``size``-byte download, computed as the server sends it."""
    digest = hashlib.sha256()
    for chunk in content_chunks(content_block(), size):
        digest.update(chunk)
    return digest.hexdigest()


def content_chunks(block: bytes, size: int) -> Iterator[bytes]:
    full, rest = divmod(size, len(block))
    for _ in range(full):
        yield block
    if rest:
        yield block[:rest]


def _timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def batch_answer(batch_id: str, host: str) -> bytes:
    lines = size_of(batch_id.encode(), 3)
    now = _timestamp()
    return json_answer({
        "id": batch_id,
        "type": "message_batch",
        "processing_status": "ended",
        "request_counts": {"processing": 0, "succeeded": lines, "errored": 0, "canceled": 0, "expired": 0},
        "ended_at": now,
        "created_at": now,
        "expires_at": now,
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": f"http://{host}/v1/messages/batches/{batch_id}/results",
    })


def results_answer(lines: int) -> Iterator[bytes]:
    """N result lines, chunked, made as they are sent."""
    yield _head("200 OK", [("content-type", "application/binary"), ("request-id", "req_bench"), ("transfer-encoding", "chunked")])
    for start in range(0, lines, LINES_PER_CHUNK):
        data = result_lines(start, min(LINES_PER_CHUNK, lines - start))
        yield b"%x\r\n%s\r\n" % (len(data), data)
    yield b"0\r\n\r\n"


def content_answer(file_id: str, size: int, block: bytes) -> Iterator[bytes]:
    yield _head("200 OK", [
        ("content-type", "application/octet-stream"),
        ("content-disposition", f'attachment; filename="{file_id}.bin"'),
        ("request-id", "req_bench"),
        ("content-length", str(size)),
    ])
    yield from content_chunks(block, size)


class Upload:
    """One POST /v1/files body, read as it arrives (content-length or chunked) and discarded;
    the multipart part named ``file`` is hashed and counted, never kept."""

    def __init__(self, head: bytes, length: int | None) -> None:
        boundary = b""
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-type" and b"boundary=" in value:
                boundary = value.split(b"boundary=", 1)[1].split(b";")[0].strip().strip(b'"')
        self.delimiter = b"\r\n--" + boundary
        self.left = length  # content-length bytes still to come; None: chunked
        self.chunk_left = 0  # chunked: bytes of the current chunk still to come
        self.framing = b""  # chunked: a chunk-size line not yet ended
        self.body_bytes = 0
        self.parts = b"\r\n"  # multipart bytes not yet parsed (the CRLF lets the first delimiter match)
        self.state = "preamble"
        self.headers = b""
        self.is_file = False
        self.file_digest = hashlib.sha256()
        self.file_size = 0
        self.filename = "upload"
        self.mime_type = "application/octet-stream"
        self.done = False

    def feed(self, data: bytes) -> bytes | None:
        """Take body bytes; returns what follows the body once it ended (None: not yet)."""
        if self.left is not None:
            take = data[: self.left]
            self.left -= len(take)
            self._multipart(take)
            if self.left == 0:
                self.done = True
                return data[len(take):]
            return None
        return self._dechunk(data)

    def _dechunk(self, data: bytes) -> bytes | None:
        at = 0
        while at < len(data):
            if self.chunk_left > 0:
                take = data[at : at + self.chunk_left]
                self.chunk_left -= len(take)
                at += len(take)
                self._multipart(take)
                if self.chunk_left == 0:
                    self.chunk_left = -2  # the CRLF after the chunk's data
                continue
            if self.chunk_left < 0:  # skip the CRLF that ends a chunk's data
                skip = min(-self.chunk_left, len(data) - at)
                self.chunk_left += skip
                at += skip
                continue
            end = data.find(b"\n", at)
            if end < 0:
                self.framing += data[at:]
                return None
            line, self.framing = self.framing + data[at:end], b""
            at = end + 1
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:  # the last chunk; then an empty trailer line
                end = data.find(b"\r\n", at)
                self.done = True
                return data[end + 2 :] if end >= 0 else b""
            self.chunk_left = size
        return None

    def _multipart(self, data: bytes) -> None:
        self.body_bytes += len(data)
        keep = len(self.delimiter) - 1
        if self.state == "data" and len(data) > keep and self.delimiter not in data and self.delimiter not in self.parts + data[:keep]:
            # inside a part, no delimiter in sight (nearly every chunk of a large upload): hash
            # all but a possible delimiter's start, without copying the chunk
            self._part_data(self.parts)
            self._part_data(memoryview(data)[: len(data) - keep])
            self.parts = data[len(data) - keep :]
            return
        parts = self.parts + data if self.parts else data
        while True:
            if self.state in ("preamble", "data"):
                at = parts.find(self.delimiter)
                if at < 0:
                    if self.state == "data" and len(parts) > keep:  # all but a possible delimiter's start
                        self._part_data(parts[: len(parts) - keep])
                        parts = parts[len(parts) - keep :]
                    break
                if self.state == "data":
                    self._part_data(parts[:at])
                    self.is_file = False
                parts = parts[at + len(self.delimiter) :]
                self.state = "delimiter"
            elif self.state == "delimiter":
                if len(parts) < 2:
                    break
                if parts[:2] == b"--":
                    self.state, parts = "epilogue", b""
                    break
                parts = parts[parts.find(b"\n") + 1 :] if b"\n" in parts else parts
                self.state = "headers"
            elif self.state == "headers":
                at = parts.find(b"\r\n\r\n")
                if at < 0:
                    break
                self._part_headers(parts[:at])
                parts = parts[at + 4 :]
                self.state = "data"
            else:  # the epilogue: nothing to keep
                parts = b""
                break
        self.parts = parts

    def _part_headers(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace")
        self.is_file = False
        for line in text.split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                params = dict(
                    (k.strip().lower(), v.strip().strip('"')) for k, _, v in (p.partition("=") for p in value.split(";")[1:])
                )
                self.is_file = params.get("name") == "file"
                if self.is_file and params.get("filename"):
                    self.filename = params["filename"]
            elif name.strip().lower() == "content-type":
                self.mime_type = value.strip()

    def _part_data(self, data: bytes | memoryview) -> None:
        if self.is_file and data:
            self.file_digest.update(data)
            self.file_size += len(data)

    def answer(self) -> bytes:
        now = _timestamp()
        return json_answer({
            "id": f"file_bench_{self.file_size}",
            "type": "file",
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size_bytes": self.file_size,
            "created_at": now,
            "downloadable": False,
            "sha256": self.file_digest.hexdigest(),  # beyond the API's fields: what the bench checks
            "body_bytes": self.body_bytes,
        })


class Answers:
    def __init__(self, deltas: int) -> None:
        self.message = json_answer(MESSAGE)
        self.stream = sse_answer(deltas)
        self.not_found = json_answer({"type": "error", "error": {"type": "not_found_error", "message": "not found"}}, "404 Not Found")
        self.bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        self.block = content_block()

    def data_plane(self, head: bytes) -> bytes | Iterator[bytes]:
        """A GET of the data plane (``head`` lower-cased): bytes, or chunks made as they are sent."""
        path = head[: head.find(b"\r\n")].split(b" ")[1].split(b"?")[0]
        if path.startswith(b"/v1/messages/batches/"):
            rest = path[len(b"/v1/messages/batches/") :]
            if rest.endswith(b"/results"):
                return results_answer(size_of(rest[: -len(b"/results")], 3))
            at = head.find(b"\r\nhost:")
            host = head[at + 7 : head.find(b"\r\n", at + 2)].strip().decode() if at >= 0 else "127.0.0.1"
            return batch_answer(rest.decode(), host)
        if path.startswith(b"/v1/files/") and path.endswith(b"/content"):
            file_id = path[len(b"/v1/files/") : -len(b"/content")]
            return content_answer(file_id.decode(), size_of(file_id, 1024), self.block)
        return self.not_found


class _Protocol(asyncio.Protocol):
    """One keep-alive connection; pipelined requests are answered in order. A streamed answer
    (batch results, a download) is written as the socket takes it (pause_writing /
    resume_writing); an upload body is read as it arrives. Requests that come meanwhile wait."""

    __slots__ = ("answers", "transport", "buffer", "upload", "producer", "paused")

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.buffer = b""
        self.upload: Upload | None = None
        self.producer: Iterator[bytes] | None = None
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.producer = self.upload = None

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.producer is not None:
            self._pump()

    def data_received(self, data: bytes) -> None:
        if self.upload is not None:
            rest = self.upload.feed(data)
            if rest is None:
                return
            self.transport.write(self.upload.answer())
            self.upload, data = None, rest
        if self.producer is not None:
            self.buffer += data
            return
        buffer = self.buffer + data if self.buffer else data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end].lower()
            at = head.find(b"\r\ncontent-length:")
            if head.startswith(b"post /v1/files"):  # an upload of any size: read as it arrives
                stop = head.find(b"\r\n", at + 2)
                self.upload = Upload(buffer[:end], None if at < 0 else int(head[at + 17 : stop if stop >= 0 else len(head)]))
                self.buffer = b""
                rest = self.upload.feed(buffer[end + 4 :])
                if rest is None:
                    return
                self.transport.write(self.upload.answer())
                self.upload, buffer = None, rest
                continue
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
                answer = self.answers.data_plane(head) if head.startswith(b"get /v1/") else self.answers.not_found
                if not isinstance(answer, bytes):
                    self.buffer, self.producer = buffer, answer
                    self._pump()
                    return
                self.transport.write(answer)
            elif b'"stream": true' in body or b'"stream":true' in body:
                self.transport.write(self.answers.stream)
            else:
                self.transport.write(self.answers.message)
        self.buffer = buffer

    def _pump(self) -> None:
        """Write the streamed answer until the socket's buffer is full (or the answer ends)."""
        while not self.paused and self.producer is not None:
            if self.transport.is_closing():
                self.producer = None
                return
            chunk = next(self.producer, None)
            if chunk is None:
                self.producer = None
                waiting, self.buffer = self.buffer, b""
                if waiting:
                    self.data_received(waiting)
                return
            self.transport.write(chunk)


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
