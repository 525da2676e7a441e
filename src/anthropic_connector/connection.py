"""The connection: credential, base URL, API version and transport settings, from env or a file.

Validated against the manifest's connection schema (the schema is the single source of field
names and defaults). Credentials are wrapped in ``Secret`` so that no repr, log or error
message can show them; they are unwrapped only to be sent (``Connection.api_headers``, which
auth.py lets go to the connection's own origin and nowhere else) or masked in logs.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigurationError, mask
from .spec import Manifest
from .validate import describe


def _credential_problem(value: str) -> str | None:
    """What makes a credential unusable in an HTTP header, said without showing it. Caught
    here, when the connection is read: httpx2 would otherwise print the whole header value."""
    for index, char in enumerate(value):
        if "\x21" <= char <= "\x7e":
            continue
        where = "at its start" if index == 0 else "at its end" if index == len(value) - 1 else f"at character {index + 1}"
        if char in "\r\n":
            kind = "a line break"
        elif char in " \t":
            kind = "a space"
        elif not char.isascii():
            kind = "a non-ASCII character"
        else:
            kind = "a control character"
        return f"has {kind} {where} (a copy-paste slip?): keys are printable ASCII with no spaces"
    return None


class Secret:
    """A credential that prints as asterisks; ``get_secret_value()`` is the one way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Connection:
    """A checked connection. Build it with ``from_mapping``, ``from_env`` or ``from_file``."""

    base_url: str
    anthropic_version: str
    timeout: float
    max_retries: int
    max_response_bytes: int
    deadline: float = 600.0
    stream_idle_timeout: float = 120.0
    allow_http_proxy: bool = False
    api_key: Secret | None = None
    auth_token: Secret | None = None
    anthropic_beta: tuple[str, ...] = ()
    completion_model: str | None = None  # create_completion goes to the Messages API on this model
    completion_prefill: bool = True  # whether that model continues a prompt's final assistant text
    source: str = field(default="the connection", compare=False)  # where it was read: for messages

    def missing_credential(self) -> str:
        """What to do when there is no credential, in terms of where the connection came from."""
        if self.source == "environment":
            where = "set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN)"
        else:  # a file or a mapping replaces the environment: its variables are not read
            where = f"add api_key (or auth_token) to {self.source}"
        return f"no API key: {where}, or use the sandbox (--sandbox, or Connector(sandbox=True))"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], manifest: Manifest, source: str = "the connection") -> Connection:
        """Check ``data`` against the connection schema and fill in the schema's defaults."""
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"{source}: must be an object with api_key, base_url, ...")
        problems = manifest.connection_validator.errors(dict(data))
        if problems:
            raise ConfigurationError(f"{source}: {describe(problems)}", details=problems)
        values = {k: p["default"] for k, p in manifest.connection_schema["properties"].items() if "default" in p}
        values.update(data)
        for name in ("api_key", "auth_token"):
            if values.get(name) is not None:
                problem = _credential_problem(values[name])
                if problem:
                    message = f"{name} {problem}"
                    raise ConfigurationError(f"{source}: {message} ({mask(values[name].strip())})", details=[{"path": f"/{name}", "message": message}])
                values[name] = Secret(values[name])
        beta = values.get("anthropic_beta") or ()
        values["anthropic_beta"] = (beta,) if isinstance(beta, str) else tuple(beta)
        values["base_url"] = values["base_url"].rstrip("/")
        known = {f.name for f in fields(cls)} - {"source"}
        return cls(**{k: v for k, v in values.items() if k in known}, source=source)

    @classmethod
    def from_env(cls, manifest: Manifest, env: Mapping[str, str] | None = None) -> Connection:
        """ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN / ANTHROPIC_BASE_URL, as the official SDK reads them."""
        env = os.environ if env is None else env
        names = {"api_key": "ANTHROPIC_API_KEY", "auth_token": "ANTHROPIC_AUTH_TOKEN", "base_url": "ANTHROPIC_BASE_URL"}
        data = {field: env[var] for field, var in names.items() if env.get(var)}
        return cls.from_mapping(data, manifest, source="environment")

    @classmethod
    def from_file(cls, path: str | Path, manifest: Manifest) -> Connection:
        """A JSON or YAML file holding the connection's fields."""
        from .inputs import MAX_CONFIG_BYTES, read_bounded

        path = Path(path)
        raw = read_bounded(path, MAX_CONFIG_BYTES, f"{path}: the connection file", ConfigurationError, "16 MiB for a connection file")
        try:
            text = raw.decode("utf-8-sig")  # -sig: a BOM (some editors write one) is not content
        except UnicodeDecodeError as exc:
            raise ConfigurationError(f"{path}: cannot read the connection file ({exc})") from None
        try:
            data = json.loads(text)
        except ValueError as json_error:
            import yaml

            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as yaml_error:
                # Say where it broke, in the terms of the format the file evidently meant to be.
                if text.lstrip().startswith(("{", "[")):
                    reason = f"as JSON: {json_error}"
                else:
                    mark = getattr(yaml_error, "problem_mark", None)
                    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
                    reason = f"as YAML: {getattr(yaml_error, 'problem', None) or 'unreadable'}{where}"
                raise ConfigurationError(f"{path}: the connection file is neither JSON nor YAML ({reason})") from None
        return cls.from_mapping(data, manifest, source=str(path))

    def with_overrides(self, **overrides: Any) -> Connection:
        """A copy with per-run settings (timeout, max_retries, ...) replaced where given."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @functools.cached_property
    def api_headers(self) -> dict[str, str]:
        """The headers the connection adds to a request bound for its own origin (auth.py says
        which requests those are), worked out once: every request of a run carries them.
        Read it, never change it."""
        headers = {"anthropic-version": self.anthropic_version}
        if self.api_key is not None:
            headers["x-api-key"] = self.api_key.get_secret_value()
        if self.auth_token is not None:
            headers["authorization"] = f"Bearer {self.auth_token.get_secret_value()}"
        if self.anthropic_beta:
            headers["anthropic-beta"] = ",".join(self.anthropic_beta)
        return headers

    @property
    def has_credential(self) -> bool:
        return self.api_key is not None or self.auth_token is not None
