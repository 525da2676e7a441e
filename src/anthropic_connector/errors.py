"""Every failure the connector reports, as one tree.

    ConnectorError                   type                 exit code
    ├── ValidationError              validation_error     2   the input breaks its schema (every violation in details)
    ├── ConfigurationError           configuration_error  3   no key, a bad connection file, a broken manifest
    ├── APIError                     api_error            4   the API answered non-2xx, or sent an error event
    ├── UnexpectedResponseError      unexpected_response  4   a 2xx answer that is not the operation's declared output
    ├── ResponseTooLargeError        response_too_large   4   the body passed the connection's size limit (a local limit)
    ├── StructuredOutputError        structured_output_error 4 a reply to output_config.format that is not data of that schema (or a refusal)
    └── TransportError               connection_error     5   no answer: refused, dropped, or a stream cut short
        └── APITimeoutError          timeout_error        5   an attempt outlived the timeout

Each class carries ``type`` and ``exit_code``; the CLI returns ``exc.exit_code`` and prints
``exc.envelope()``. Messages never contain credentials: nothing here is handed a secret on
purpose, and whatever only looks like one (an ``sk-ant-`` key typed into the wrong field, the
password of a URL's userinfo) is masked by ``redact`` as the error is made.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

_KEY = re.compile(r"sk-ant-(?!\.\.\.)[^\s\"',;]+")  # not one already masked
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/?#@\s]*):[^@/?#\s]*@")


def mask(secret: str) -> str:
    """The most of a secret a message may show: its kind and last four characters."""
    return f"sk-ant-...{secret[-4:]}" if secret.startswith("sk-ant-") and len(secret) > 14 else "****"


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential masked: Anthropic keys, URL passwords."""
    if "sk-ant-" in text:
        text = _KEY.sub(lambda m: mask(m.group()), text)
    if "@" in text:
        text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:****@", text)
    return text


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if isinstance(value, dict):
        return {redact(k) if isinstance(k, str) else k: _redacted(v) for k, v in value.items()}
    return value


class ConnectorError(Exception):
    """Base of every error the connector raises on purpose."""

    type = "connector_error"
    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        details: Any = None,
    ) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.details = details if details is None or isinstance(details, (int, float, bool)) else _redacted(details)

    def envelope(self) -> dict[str, Any]:
        """The JSON error envelope printed by the CLI and returned to hosts."""
        return {
            "error": {
                "type": self.type,
                "message": self.message,
                "status": self.status,
                "request_id": self.request_id,
                "details": self.details,
            }
        }


class ValidationError(ConnectorError):
    """The input does not match the operation's schema; ``details`` lists every violation."""

    type = "validation_error"
    exit_code = 2


class ConfigurationError(ConnectorError):
    """The connector cannot run as configured: no credential, a bad connection or manifest."""

    type = "configuration_error"
    exit_code = 3


class APIError(ConnectorError):
    """The API refused the request; ``details`` is the API's error body as it came.

    ``headers`` keeps the answer's headers for the retry policy (retry-after, x-should-retry).
    """

    type = "api_error"
    exit_code = 4

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers = headers


class UnexpectedResponseError(ConnectorError):
    """A 2xx answer that is not what the operation declares (not JSON, or against its output
    schema): a stray proxy or a base_url that points somewhere else; ``details`` says what broke."""

    type = "unexpected_response"
    exit_code = 4


class ResponseTooLargeError(ConnectorError):
    """The response body passed ``max_response_bytes``; it was not read to the end."""

    type = "response_too_large"
    exit_code = 4


class StructuredOutputError(ConnectorError):
    """A reply to a request for structured output (``output_config.format``) that is not data
    of the requested schema: a refusal, text that is not JSON (a reply cut at max_tokens), or
    JSON that breaks the schema. The API answered 2xx and the request was valid, so neither
    an API error nor an unexpected response; a workflow's next step must not get it as data.
    ``details``: ``{"stop_reason", "text", "violations"}``; ``output`` keeps the whole message.
    """

    type = "structured_output_error"
    exit_code = 4

    def __init__(self, message: str, *, output: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.output = output


class TransportError(ConnectorError):
    """No complete answer arrived: the connection was refused, dropped or cut short."""

    type = "connection_error"
    exit_code = 5


class APITimeoutError(TransportError):
    """An attempt took longer than the connection's timeout (the official SDK's name for it)."""

    type = "timeout_error"


def api_error(status: int, body: Any, request_id: str | None, headers: Mapping[str, str] | None = None) -> APIError:
    """Turn a non-2xx answer into an APIError whose message is the API's own."""
    message = f"the API answered HTTP {status}"
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        message = f"{message} ({error.get('type', 'error')}): {error.get('message', '')}".rstrip(": ")
    return APIError(message, status=status, request_id=request_id, details=body, headers=headers)
