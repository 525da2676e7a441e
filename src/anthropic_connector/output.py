"""Turn an answer into the operation's output: read it within its limits, shape it by the
operation's response kind, and hold it to the declared output.

dispatch.py hands each response's body here as it arrives; nothing here sends or retries.
Bytes are counted against ``max_response_bytes`` before they are kept, so an oversized body
is refused without being held; a JSON Lines or file answer bound for a file (``Call.sink``)
goes to disk as it arrives, never whole in memory, and becomes the file only when complete.
"""

from __future__ import annotations

import base64
import email.message
import json
import os
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

import httpx2

from . import errors
from .assemble import StreamAssembler
from .call import Call
from .sse import Event, EventStream


@dataclass(frozen=True)
class Result:
    """An operation's output, with the answer's status and request-id for logs and support.

    ``output`` is always JSON (what the CLI prints and a workflow's next step reads); ``parsed``
    is the instance of a run's ``output_model`` (None without one), kept apart so that the
    output stays JSON.
    """

    output: Any
    status: int
    request_id: str | None
    parsed: Any = None


def request_id(headers: Mapping[str, str]) -> str | None:
    return headers.get("request-id") or headers.get("x-request-id")


def _decode(body: bytes | bytearray, content_type: str) -> Any:
    """JSON when the body is JSON, text otherwise, None when empty. JSON is read as UTF-8 text,
    what it is on the wire (json.loads would first guess among five encodings; the utf-8-sig
    codec is Python code), a leading BOM let by."""
    if not body:
        return None
    if "json" in content_type:
        try:
            return json.loads(body.decode("utf-8").removeprefix("\ufeff"))
        except ValueError:  # UnicodeDecodeError too
            pass
    return body.decode("utf-8", errors="replace")


def _filename(headers: Mapping[str, str], hint: str | None) -> str:
    """The file name the answer's content-disposition gives (RFC 6266/2231), else the hint."""
    disposition = headers.get("content-disposition")
    if disposition:
        message = email.message.Message()
        message["content-disposition"] = disposition
        name = message.get_filename()
        if name:
            return os.path.basename(name)
    return hint or "download"


class _Sink:
    """A file written as the answer arrives; it takes the target's name only once complete."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._file = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False)

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def keep(self) -> None:
        self._file.close()
        umask = os.umask(0)  # a temporary file is made 0600; the output gets the mode any new file would
        os.umask(umask)
        os.chmod(self._file.name, 0o666 & ~umask)
        os.replace(self._file.name, self.target)

    def discard(self) -> None:
        self._file.close()
        try:
            os.unlink(self._file.name)
        except FileNotFoundError:
            pass


PIECE = 64 * 1024  # the most one step of decompression may produce before it is counted


class _Inflater:
    """A body's content-encoding undone a bounded piece at a time, so that a gzip bomb is
    refused by the size limit as it unfolds, not after (httpx2 would inflate each chunk whole:
    64 KB of gzip can be 64 MB). The connector asks for no encoding; a server may send one."""

    def __init__(self, encoding: str, rid: str | None) -> None:
        name = encoding.strip().lower()
        if name in ("", "identity"):
            self._inflate = None
        elif name in ("gzip", "x-gzip", "deflate"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS if name != "deflate" else zlib.MAX_WBITS)
        else:
            raise errors.UnexpectedResponseError(f"the answer is encoded as {encoding!r}, which the connector does not read", request_id=rid)
        self._rid = rid

    def pieces(self, data: bytes) -> Iterator[bytes]:
        if self._inflate is None:
            yield data
            return
        try:
            while data:
                piece = self._inflate.decompress(data, PIECE)
                if piece:
                    yield piece
                data = self._inflate.unconsumed_tail
        except zlib.error as exc:
            raise errors.TransportError(f"the answer's compressed body is broken ({exc})", request_id=self._rid) from None


class Reader:
    """Takes one response's body as it arrives and turns it into the output.

    ``feed`` yields what a caller may hand on as it arrives: each event's data for an event
    stream, each parsed line for JSON Lines; ``result`` gives the output once the body ended.
    ``collect``: keep the JSON Lines for the output (False when the caller takes them from feed).
    """

    def __init__(self, call: Call, response: httpx2.Response, collect: bool = True) -> None:
        headers = self.headers = dict(response.headers.items())  # read once: each httpx2 lookup scans them all
        self.call, self.status = call, response.status_code
        self.rid = request_id(headers)
        success = 200 <= self.status < 300
        self.sse = call.stream and success and headers.get("content-type", "").partition(";")[0].strip().lower() == "text/event-stream"
        self.lines = success and call.response == "jsonl"
        self._sink = _Sink(call.sink) if success and call.sink is not None and call.response in ("jsonl", "bytes") else None
        self._items: list[Any] | None = [] if self.lines and collect and self._sink is None else None
        self.left = call.max_response_bytes
        declared = headers.get("content-length", "")
        held_whole = self._sink is None and (self._items is not None or not self.lines)
        if held_whole and declared.isdigit() and int(declared) > self.left:
            self._take(int(declared))  # refuse now: the body would pass the limit
        self._body = bytearray()  # the body, or for JSON Lines the line not yet ended
        self._size = 0
        self._count = 0
        self._stream = EventStream() if self.sse else None
        self._assembler = StreamAssembler(call.response, self.rid) if self.sse else None
        self._last_event = time.monotonic() if self.sse else 0.0
        # A body a transport handed over already read is already decoded too.
        encoding = "" if response.is_stream_consumed else headers.get("content-encoding", "")
        self._inflater = _Inflater(encoding, self.rid) if encoding else None
        self._plain = self._inflater is None and self._stream is None and not self.lines and self._sink is None

    def _take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise errors.ResponseTooLargeError("the response body is larger than max_response_bytes; it was not read", request_id=self.rid)

    def take(self, chunk: bytes) -> None:
        """``feed`` for a caller that hands nothing on as it arrives; a plain body (no encoding,
        no events, lines or file) is kept at once, without feed's generators."""
        if self._plain:
            self._size += len(chunk)
            self._keep(chunk)
            return
        for _ in self.feed(chunk):
            pass

    def feed(self, raw: bytes) -> Iterator[Any]:
        """Take raw bytes of the body (decoded a bounded piece at a time, each counted before it
        is kept); yields what may be handed on (events, lines) as they complete."""
        for chunk in self._inflater.pieces(raw) if self._inflater is not None else (raw,):
            self._size += len(chunk)
            if self._stream is not None:
                self._take(len(chunk))
                yield from self._assembled(self._stream.feed(chunk))
            elif self.lines:
                yield from self._split(chunk)
            elif self._sink is not None:
                self._sink.write(chunk)
            else:
                self._keep(chunk)

    def _keep(self, chunk: bytes) -> None:
        """A piece of a body held whole: counted against the limit, then kept."""
        self._take(len(chunk))
        self._body += chunk

    def _assembled(self, events: list[Event]) -> Iterator[dict[str, Any]]:
        assert self._assembler is not None
        now = time.monotonic()
        if events:
            self._last_event = now
        elif self.call.stream_idle_timeout is not None and now - self._last_event > self.call.stream_idle_timeout:
            # bytes keep coming but no event completes (a byte a second): the read timeout never trips
            raise errors.APITimeoutError(f"the stream sent no event for {self.call.stream_idle_timeout:g} s", request_id=self.rid)
        reshape = self.call.reshape.event if self.call.reshape is not None else None
        for event in events:
            data = self._assembler.add(event)
            if data is not None and reshape is not None:
                data = reshape(data, self._assembler.started)
            if data is not None:
                yield data

    def _split(self, chunk: bytes) -> Iterator[Any]:
        """Each complete line in ``chunk`` (with what came before it), parsed and checked.

        Lines kept for the output count against the size limit all together; lines handed on
        (to a file, to the caller) one at a time, so that no single line can fill memory.
        """
        if self._items is not None:
            self._take(len(chunk))
        self._body += chunk
        *complete, rest = self._body.split(b"\n")
        if self._items is None and len(rest) > self.call.max_response_bytes:
            raise errors.ResponseTooLargeError("a line of the response is larger than max_response_bytes; it was not read", request_id=self.rid)
        self._body = rest
        for line in complete:
            item = self._line(bytes(line))
            if item is not None:
                yield item

    def _line(self, line: bytes) -> Any:
        line = line.strip()
        if not line:
            return None
        try:
            item = json.loads(line)
        except ValueError:
            raise errors.UnexpectedResponseError(f"line {self._count + 1} of the answer is not JSON", status=self.status, request_id=self.rid) from None
        self._hold(item, f"line {self._count + 1} of the answer", f"/{self._count}")
        self._count += 1
        if self._sink is not None:
            self._sink.write(line + b"\n")
        elif self._items is not None:
            self._items.append(item)
        return item

    def _hold(self, output: Any, what: str, prefix: str = "") -> None:
        """Refuse an output that is not the declared shape (fields the API adds are fine)."""
        problems = self.call.check.errors(output) if self.call.check is not None else []
        if problems:
            details = [{"path": prefix + p["path"], "message": p["message"]} for p in problems]
            first = details[0]
            raise errors.UnexpectedResponseError(
                f"{what} is not what the operation returns: {first['path'] or '(root)'} {first['message']}"
                + (f" (and {len(details) - 1} more)" if len(details) > 1 else ""),
                status=self.status, request_id=self.rid, details=details,
            )

    def _reshaped(self, output: Any) -> Any:
        """The checked answer in the operation's shape (Call.reshape); its errors carry this
        answer's status and request-id."""
        if self.call.reshape is None or not isinstance(output, dict):
            return output
        try:
            return self.call.reshape.output(output)
        except errors.ConnectorError as exc:
            exc.status, exc.request_id = self.status, self.rid
            raise

    def result(self) -> Result:
        """The output; an APIError for a non-2xx answer (a raw request's is its output)."""
        if self._assembler is not None:
            output = self._assembler.result()
            self._hold(output, "the streamed answer")
            return Result(self._reshaped(output), self.status, self.rid)
        if self.lines:
            for _ in self._split(b"\n"):  # a last line without its newline
                pass
            return self._done({"path": str(self.call.sink), "lines": self._count} if self._sink else self._items)
        if self._sink is not None:
            return self._done({"path": str(self.call.sink), **self._file_facts()})
        body = self._body  # not copied: read as it is, then let go with the reader
        content_type = self.headers.get("content-type", "")
        if self.call.raw:
            return Result({"status": self.status, "headers": dict(self.headers), "body": _decode(body, content_type)}, self.status, self.rid)
        if not 200 <= self.status < 300:
            raise errors.api_error(self.status, _decode(body, content_type), self.rid, self.headers)
        if self.call.response == "bytes":
            return Result({**self._file_facts(), "content_base64": base64.b64encode(body).decode()}, self.status, self.rid)
        decoded = _decode(body, content_type)
        if not isinstance(decoded, (dict, list)):
            raise errors.UnexpectedResponseError(
                f"the API answered HTTP {self.status} with a body that is not JSON", status=self.status, request_id=self.rid, details=decoded
            )
        self._hold(decoded, "the answer")
        return Result({"ok": True} if self.call.response == "ok" else self._reshaped(decoded), self.status, self.rid)

    def _file_facts(self) -> dict[str, Any]:
        media_type = self.headers.get("content-type", "application/octet-stream").partition(";")[0].strip()
        return {"filename": _filename(self.headers, self.call.name_hint), "media_type": media_type, "size_bytes": self._size}

    def _done(self, output: Any) -> Result:
        if self._sink is not None:
            self._sink.keep()
            self._sink = None
        return Result(output, self.status, self.rid)

    def close(self) -> None:
        """Remove a file that never became the output (a failed or abandoned attempt)."""
        if self._sink is not None:
            self._sink.discard()
            self._sink = None
