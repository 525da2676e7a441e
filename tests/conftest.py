"""Shared fixtures: the manifest, a recording HTTP server on 127.0.0.1, a fake key, CLI runners.

The recording server is a real socket (stdlib ``ThreadingHTTPServer`` on a thread): the
connector's own HTTP client talks to it, nothing is patched. Each request is recorded as it
arrived on the wire; each answer comes from the script the test sets.

Every CLI run, in-process or as a subprocess, goes through ``_checked``: it fails the test at
once if stderr holds a traceback or if any registered secret (every ``fake_key``) appears in
stdout or stderr.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import pytest

import anthropic_connector.manifest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
SEED = Path(__file__).resolve().parent / "seed"

# Loaded once at import so that tests can be parametrized over the operations it declares.
MANIFEST = anthropic_connector.manifest.load()
OPERATIONS = list(MANIFEST.operations.values())
OPERATION_IDS = [op.name for op in OPERATIONS]

# Every fake key handed out this session: none may ever show up in a CLI's stdout or stderr.
SECRETS: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C reaches the processes the tests start, however the suite was started: a shell
    starts a background job (``make test &``) with SIGINT ignored, every child inherits that,
    and the tests of an interrupted run would wait for a signal that never comes."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a handler: its children start with the default


def unbundled(schema: Any, file: Any) -> Any:
    """A loaded schema turned back into its file's form: the definitions the loader bundled in
    dropped and their pointers spelled as the file spells them ("x.json#/..."), so a test can
    say "the schema is the file" without trusting the loader it tests."""
    if isinstance(schema, list):
        return [unbundled(item, None) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "$ref" and value.startswith("#/definitions/") and "." in value.split("/")[2]:
            stem, _, rest = value.removeprefix("#/definitions/").partition("/")
            out[key] = f"{stem}.json" + (f"#/{rest}" if rest else "")
        elif key == "definitions" and isinstance(file, dict):
            kept = {k: unbundled(v, None) for k, v in value.items() if k in file.get("definitions", {})}
            if kept or "definitions" in file:
                out[key] = kept
        else:
            out[key] = unbundled(value, None)
    return out


def missing_paths(op: Any) -> set[str]:
    """Where an empty input's violations are: each required field, and the root when the input
    must take one of several forms (upload_file: a path, or base64 with a name)."""
    schema = op.input_schema
    return {"/" + f for f in schema.get("required", [])} | ({""} if "oneOf" in schema or "anyOf" in schema else set())


def by_operation(argname: str = "op") -> pytest.MarkDecorator:
    """Parametrize a test over every operation of the manifest (ids = operation names)."""
    return pytest.mark.parametrize(argname, OPERATIONS, ids=OPERATION_IDS)


# -- the recording server --------------------------------------------------------------------


class Headers(dict):
    """Request headers by lower-cased name (repeats joined with ', '); lookups ignore case."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        for name, value in pairs:
            key = name.lower()
            self[key] = f"{self[key]}, {value}" if key in self else value

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    target: str  # path and query, as on the request line
    headers: Headers
    raw_headers: list[tuple[str, str]]  # names as the client spelled them, in order
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.target).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    """A canned answer. A dict or list body is sent as JSON (content-type added if absent).

    With ``chunk=N`` the body is sent chunked, N bytes a chunk and no content-length, as the
    API streams: the client learns the size only by reading.
    """

    status: int = 200
    body: Any = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    chunk: int = 0

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        body = self.body
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            if not any(k.lower() == "content-type" for k in headers):
                headers["content-type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode()
        return body, headers


Script = Callable[[Recorded], Answer]


class Recorder:
    """The test's view of the server: ``url``, ``requests`` and ``script(...)``."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.requests: list[Recorded] = []
        self._answers: deque[Answer] = deque()
        self._function: Script | None = None
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._answers = deque([Answer(200, {"ok": True})])
            self._function = None

    def script(self, *answers: Answer | Script) -> None:
        """Answers consumed in order (the last one repeats), or one function of the request."""
        with self._lock:
            if len(answers) == 1 and callable(answers[0]) and not isinstance(answers[0], Answer):
                self._function, self._answers = answers[0], deque()
            else:
                assert answers and all(isinstance(a, Answer) for a in answers)
                self._function, self._answers = None, deque(answers)  # type: ignore[arg-type]

    def _answer(self, request: Recorded) -> Answer:
        with self._lock:
            self.requests.append(request)
            if self._function is not None:
                function = self._function
            else:
                return self._answers.popleft() if len(self._answers) > 1 else self._answers[0]
        return function(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the connector's pooled client expects
    timeout = 10  # an idle kept-alive connection does not hold its thread for ever

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _handle(self) -> None:
        pairs = [(k, v) for k, v in self.headers.items()]
        request = Recorded(self.command, self.path, Headers(pairs), pairs, self._read_body())
        recorder: Recorder = self.server.recorder  # type: ignore[attr-defined]
        answer = recorder._answer(request)
        body, headers = answer.encoded()
        self.send_response_only(answer.status)
        for name, value in headers.items():
            self.send_header(name, value)
        if answer.chunk:
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            try:
                for i in range(0, len(body), answer.chunk):
                    piece = body[i : i + answer.chunk]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client stopped reading, as a size limit does
            return
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_CONNECT = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class _QuietServer(ThreadingHTTPServer):
    """A client that hung up before its answer was written (a cancelled bulk run, a timeout
    test) is no error of the server's: socketserver would print its traceback to whatever
    sys.stderr is then, inside another test's captured output."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def _recording_server() -> Iterator[Recorder]:
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.recorder = Recorder(server)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.recorder  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def recorder(_recording_server: Recorder) -> Recorder:
    """The recording server, emptied: no requests, and the default answer 200 {"ok": true}."""
    _recording_server.reset()
    return _recording_server


def wire_answer(op: Any, request_id: str = "req_sample", extra: dict[str, Any] | None = None) -> Answer:
    """The answer the API would send for which ``op``'s output is its sample output: JSON,
    JSON Lines, a file's bytes, a models page (test_connection), or a raw request's answer.
    ``extra``: fields the API added, merged into a JSON object answer."""
    headers = {"request-id": request_id}
    output = op.sample_output
    response = op.request.response if op.request else "raw"
    if response == "raw":
        return Answer(output["status"], output["body"], headers)
    if response == "jsonl":
        return Answer(200, "".join(json.dumps(line) + "\n" for line in output), {**headers, "content-type": "application/x-jsonl"})
    if response == "bytes":
        disposition = f'attachment; filename="{output["filename"]}"'
        return Answer(200, base64.b64decode(output["content_base64"]), {**headers, "content-type": output["media_type"], "content-disposition": disposition})
    if response == "ok":
        return Answer(200, MANIFEST.operation("list_models").sample_output, headers)
    return Answer(200, {**output, **(extra or {})}, headers)


class Hostile:
    """A raw TCP server on 127.0.0.1 that answers each connection with ``behave(sock, data)``,
    where ``data`` is what the client sent until the end of its request headers: endless
    bodies, a byte a second, 102 Processing for ever. ``url``; ``connections`` counts them.
    Every connection's thread is bounded by ``limit`` seconds, then closed."""

    def __init__(self, behave: Callable[[socket.socket, bytes], None], limit: float = 20.0) -> None:
        self._behave, self._limit = behave, limit
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self.connections = 0
        self._open = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while self._open:
            try:
                sock, _ = self._server.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(self._limit)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
            self._behave(sock, data)
        except OSError:
            pass
        finally:
            sock.close()

    def close(self) -> None:
        self._open = False
        self._server.close()
        self._thread.join(timeout=2)


def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- manifest, key, connection ---------------------------------------------------------------


@pytest.fixture(scope="session")
def manifest() -> anthropic_connector.manifest.Manifest:
    return MANIFEST


@pytest.fixture
def fake_key() -> str:
    key = "sk-ant-test-" + secrets.token_hex(16)
    SECRETS.add(key)
    return key


@pytest.fixture
def connection_env(recorder: Recorder, fake_key: str) -> dict[str, str]:
    """The environment a CLI run reads: the fake key and the recorder as base URL."""
    return {"ANTHROPIC_API_KEY": fake_key, "ANTHROPIC_BASE_URL": recorder.url}


@pytest.fixture
def connection(recorder: Recorder, fake_key: str) -> dict[str, Any]:
    """A library connection mapping to the recorder; no retries, so failures come back at once."""
    return {"api_key": fake_key, "base_url": recorder.url, "max_retries": 0}


def sendable(op: Any, payload: Any = None) -> Any:
    """``op``'s sample input (or ``payload``) as the API itself takes it: the seed's claude-2.1
    and claude-2, which were retired and which only the sandbox serves (the connector refuses
    them elsewhere), give way to the model the connector's table names in their place."""
    from anthropic_connector.models import shipped
    from anthropic_connector.rules import checks

    def current(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (shipped().get(v).use or v) if k == "model" and shipped().get(v) else current(v) for k, v in node.items()}
        return [current(v) for v in node] if isinstance(node, list) else node

    payload = op.sample_input if payload is None else payload
    return current(payload) if checks(op).places else payload  # a raw request is not checked


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def seed(name: str, kind: str) -> Any:
    """The seed original tests/seed/<name>.<kind>.json."""
    return load_json(SEED / f"{name}.{kind}.json")


# -- CLI runners -----------------------------------------------------------------------------


class CliRun(NamedTuple):
    code: int
    out: Any  # stdout as JSON when it parses, else the text
    err: str


def _checked(code: int, stdout: str, stderr: str, env: Mapping[str, str]) -> CliRun:
    """The run's result; fails the test at once on a traceback or a secret in stdout/stderr."""
    assert "Traceback (most recent call last)" not in stderr, stderr
    hidden = SECRETS | {v for k, v in env.items() if ("KEY" in k or "TOKEN" in k) and v}
    for secret in hidden:
        assert secret not in stdout and secret not in stderr, "a secret reached the CLI's output"
    try:
        out: Any = json.loads(stdout)
    except ValueError:
        out = stdout
    return CliRun(code, out, stderr)


def run_cli(args: list[str], env: Mapping[str, str] | None = None, stdin: str | None = None, timeout: float = 60) -> CliRun:
    """``python -m anthropic_connector ARGS`` as a subprocess with a clean environment."""
    env = dict(env or {})
    full = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "PYTHONPATH": str(SRC), **env}
    done = subprocess.run(
        [sys.executable, "-m", "anthropic_connector", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=full,
        cwd=REPO,
        timeout=timeout,
    )
    return _checked(done.returncode, done.stdout, done.stderr, env)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., CliRun]]:
    """``cli(*args, env=..., stdin=...)``: ``cli.main(argv)`` in-process, ANTHROPIC_* env set to ``env`` only."""
    from anthropic_connector.cli import main

    def run(*args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> CliRun:
        env = dict(env or {})
        for name in [n for n in os.environ if n.startswith("ANTHROPIC_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # --help
            code = exc.code if isinstance(exc.code, int) else 1
        stdout, stderr = capsys.readouterr()
        return _checked(code, stdout, stderr, env)

    yield run


@pytest.fixture(autouse=True)
def _no_secret_in_any_log_line(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with the connector's and httpx2's logs at DEBUG; no line may hold a key."""
    caplog.set_level(logging.DEBUG, logger="anthropic_connector")
    caplog.set_level(logging.DEBUG, logger="httpx2")
    yield
    for record in caplog.records:
        line = record.getMessage()
        assert not any(secret in line for secret in SECRETS), f"a secret reached a log line: {record.name}"


class RecordingClock:
    """A clock whose sleeps only record how long they would have waited, and move its time on."""

    def __init__(self) -> None:
        import time

        self.time = time.time()
        self.waits: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.time += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


def outcome(mode: str, connection: Mapping[str, Any], name: str, payload: Any) -> Any:
    """The output, or the error's type, from ``run`` (mode "sync") or ``arun`` ("async"), so
    that a test states once what both clients must do."""
    import asyncio

    from anthropic_connector import Connector, ConnectorError

    async def arun() -> Any:
        async with Connector(MANIFEST, dict(connection)) as connector:
            return (await connector.arun(name, payload)).output

    try:
        if mode == "sync":
            with Connector(MANIFEST, dict(connection)) as connector:
                return connector.run(name, payload).output
        return asyncio.run(arun())
    except ConnectorError as exc:
        return exc.type


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


def places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value, as a path of keys and indexes, the root first."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from places(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from places(item, (*path, i))


def at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of ``value`` with ``path`` set to ``new``."""
    value = copy.deepcopy(value)
    if not path:
        return new
    at(value, path[:-1])[path[-1]] = new
    return value


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def but_id(message: Any) -> Any:
    """A message or completion (a dict, a JSON body or an SDK model) without its `id`: the sandbox
    names every answer anew, as the API does, and two answers to one request agree on the rest."""
    data = json.loads(message) if isinstance(message, (bytes, str)) else message
    data = data.model_dump() if hasattr(data, "model_dump") else dict(data)
    data.pop("id", None)
    return data
