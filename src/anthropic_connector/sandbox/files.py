"""Files: uploads kept in memory within a total bound, their metadata, downloads, deletes.

A multipart/form-data body (RFC 7578) is MIME multipart, so the stdlib `email` parser reads it:
no extra dependency, and every byte of a part comes back as sent (checked with all 256 byte
values and with boundary-like runs inside the data).
"""

from __future__ import annotations

import mimetypes
import threading
from dataclasses import dataclass
from email.message import Message
from email.feedparser import BytesFeedParser
from email.policy import HTTP
from typing import Any
from urllib.parse import quote

from . import pages, replies
from .call import ApiError, Call, Route, content, json_reply, not_found, stamp
from .options import SandboxOptions
from .stream import Reply

MAX_FILE_BYTES = 500 * 1024 * 1024
"""The Files API takes files of up to 500 MB; a larger upload is a 413."""
EXPIRES_IN = (3600, 7_776_000)
"""`expires_in_seconds`: from one hour to ninety days."""
MAX_IDS = 100
PAGE = "page_"


@dataclass(frozen=True)
class StoredFile:
    id: str
    filename: str
    mime_type: str
    data: bytes
    created: float
    expires: float | None
    seq: int  # upload order: lists are newest first, and a page cursor names a position in it

    def metadata(self, beta: bool) -> dict[str, Any]:
        """`FileMetadata`; `BetaFileMetadata` adds `scope`, which only a session's files have."""
        found: dict[str, Any] = {
            "type": "file",
            "id": self.id,
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size_bytes": len(self.data),
            "created_at": stamp(self.created),
            "expires_at": None if self.expires is None else stamp(self.expires),
            # The API marks uploads `downloadable: false`: only files a tool writes (code
            # execution) can be downloaded, and it answers 400 `file_not_downloadable` otherwise.
            # The sandbox serves uploads back so that a flow's download step, the connector's
            # download_file operation, can be tested here without a tool run to make a file.
            "downloadable": True,
        }
        if beta:
            found["scope"] = None
        return found


class Files:
    """The uploaded files of one sandbox, safe to share between server threads."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self._files: dict[str, StoredFile] = {}
        self._used = 0
        self._seq = 0
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/v1/files", self.upload, MAX_FILE_BYTES),
            Route("GET", "/v1/files", self.list_files),
            Route("GET", "/v1/files/{id}", self.retrieve),
            Route("GET", "/v1/files/{id}/content", self.download),
            Route("DELETE", "/v1/files/{id}", self.delete),
        ]

    def upload(self, call: Call) -> Reply:
        form = _form(call)
        part = form.get("file")
        if part is None:
            raise ApiError(400, "file: Field required")
        expires = _expires_in(form.get("expires_in_seconds"))
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            raise ApiError(400, "file: the part has no content")
        mime_type = part.get_content_type() if part["content-type"] else "application/octet-stream"
        filename = (part.get_filename() or "").replace("\\", "/").rsplit("/", 1)[-1]
        with self._lock:
            if self._used + len(data) > self.options.max_storage_bytes:
                left = max(0, self.options.max_storage_bytes - self._used)
                message = f"File storage is full: {len(data)} bytes do not fit in the {left} bytes left. Delete files to free up space, then retry the upload."
                raise ApiError(400, message, "storage_quota_exceeded")
            self._seq += 1
            stored = StoredFile(
                id="file_" + replies.digest("file", call.rid)[:24],
                filename=filename or "unnamed" + (mimetypes.guess_extension(mime_type) or ""),
                mime_type=mime_type,
                data=data,
                created=call.now,
                expires=None if expires is None else call.now + expires,
                seq=self._seq,
            )
            self._files[stored.id] = stored
            self._used += len(data)
        return json_reply(call, stored.metadata(call.beta))

    def list_files(self, call: Call) -> Reply:
        """A `PageCursor` page: `data` and an opaque `next_page`, or only the files in `ids`."""
        ids = list(dict.fromkeys(call.args("ids")))
        if ids:
            if (call.arg("page") or call.arg("limit")) and not self.options.any_id:
                raise ApiError(400, "ids: cannot be combined with page or limit")
            if len(ids) > MAX_IDS:
                raise ApiError(400, f"ids: at most {MAX_IDS} ids")
            found = [self._get(call.now, i) for i in ids if i in self._files or self.options.any_id]
            return json_reply(call, {"data": [f.metadata(call.beta) for f in found], "next_page": None})
        size = pages.limit(call)
        after = self._cursor(call.arg("page"))
        with self._lock:
            newest_first = sorted(self._files.values(), key=lambda f: -f.seq)
        scope = call.arg("scope_id")  # only a session's files have a scope; uploads have none
        rest = [f for f in newest_first if f.seq < after] if scope is None else []
        page = rest[:size]
        next_page = f"{PAGE}{page[-1].seq:08x}" if len(rest) > size else None
        return json_reply(call, {"data": [f.metadata(call.beta) for f in page], "next_page": next_page})

    def retrieve(self, call: Call, file_id: str) -> Reply:
        return json_reply(call, self._get(call.now, file_id).metadata(call.beta))

    def download(self, call: Call, file_id: str) -> Reply:
        """The bytes as uploaded, with the stored type and the filename to save them under."""
        stored = self._readable(call.now, file_id)
        return content(call, stored.data, stored.mime_type, ("content-disposition", _attachment(stored.filename)))

    def delete(self, call: Call, file_id: str) -> Reply:
        with self._lock:
            stored = self._files.pop(file_id, None)
            if stored is None and not self.options.any_id:
                raise not_found("file", file_id)
            self._used -= len(stored.data) if stored else 0
        return json_reply(call, {"id": file_id, "type": "file_deleted"})

    def check_source(self, file_id: str, block_type: str, where: str) -> None:
        """A `{"type": "file", "file_id"}` source must name a file its block can read."""
        stored = self._readable(self.options.clock(), file_id)
        kind = stored.mime_type
        if not (kind.startswith("image/") if block_type == "image" else kind == "application/pdf" or kind.startswith("text/")):
            raise ApiError(400, f"{where}: file {file_id} has type {kind}, which a {block_type} block cannot read")

    # -- helpers ---------------------------------------------------------------------------

    def _get(self, now: float, file_id: str) -> StoredFile:
        """The file, or with `--any-id` a generated text file of that id."""
        stored = self._files.get(file_id)
        if stored is not None:
            return stored
        if not self.options.any_id:
            raise not_found("file", file_id)
        return StoredFile(file_id, f"{file_id}.txt", "text/plain", f"Sandbox file {file_id}\n".encode(), now, None, 0)

    def _readable(self, now: float, file_id: str) -> StoredFile:
        """A file whose bytes can still be read: past `expires_at` they are gone (404 file_expired)."""
        stored = self._get(now, file_id)
        if stored.expires is not None and now >= stored.expires:
            raise ApiError(404, f"file: {file_id} expired at {stamp(stored.expires)}", "file_expired")
        return stored

    def _cursor(self, page: str | None) -> int:
        """The position after which a page starts: everything for no cursor (or, with `--any-id`, an unknown one)."""
        if page is None:
            return self._seq + 1
        digits = page.removeprefix(PAGE)
        if page.startswith(PAGE) and digits and all(c in "0123456789abcdef" for c in digits):
            return int(digits, 16)
        if self.options.any_id:
            return self._seq + 1
        raise ApiError(400, f"page: {page!r} is not a page cursor from a previous list")


def _form(call: Call) -> dict[str, Message]:
    """The multipart/form-data parts by field name (the first of each name counts)."""
    ctype = call.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data") or "boundary=" not in ctype:
        raise ApiError(400, "Request body must be multipart/form-data with a boundary")
    parser = BytesFeedParser(policy=HTTP)
    parser.feed(b"Content-Type: " + ctype.encode("latin-1", "replace") + b"\r\n\r\n")
    parser.feed(call.body)  # fed apart from the head: no copy of a large body
    message = parser.close()
    parts: dict[str, Message] = {}
    payload = message.get_payload() if message.is_multipart() else []
    for part in payload if isinstance(payload, list) else []:
        if isinstance(part, Message) and not part.is_multipart():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str):
                parts.setdefault(name, part)
    return parts


def _expires_in(part: Message | None) -> int | None:
    if part is None:
        return None
    raw = part.get_payload(decode=True)
    text = raw.decode("ascii", "replace").strip() if isinstance(raw, bytes) else ""
    low, high = EXPIRES_IN
    if not text.isdigit() or not low <= int(text) <= high:
        raise ApiError(400, f"expires_in_seconds: Input should be an integer from {low} to {high}")
    return int(text)


def _attachment(filename: str) -> str:
    """`content-disposition` naming the file: an ASCII fallback and the exact UTF-8 name (RFC 6266)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
