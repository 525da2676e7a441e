"""create_completion: the legacy /v1/complete request, or, when the connection names a
``completion_model``, the same step sent to the Messages API on that model and its reply
mapped back to the completion's shape (completion.py holds every rule of the mapping).

A builder of its own because the request spec says where fields go, not that a whole request
becomes another API's, nor what its answer must become.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any, Hashable, cast

from .. import completion
from ..call import Call, Reshape
from ..connection import Connection
from ..spec import Operation
from ..validate import Validator
from . import request_call

MESSAGES_PATH = "/v1/messages"
MESSAGE_OUTPUT = "schemas/create_message.output.json"  # what the Messages API's answer must be before it is mapped


@functools.lru_cache(maxsize=4)
def _message_check(files: Any) -> Validator:
    """The Messages answer's schema from the manifest's files (spec.SchemaSource), compiled once."""
    return files.validator(MESSAGE_OUTPUT)


def create_completion(op: Operation, payload: dict[str, Any], connection: Connection) -> Call:
    if connection.completion_model is None:
        return request_call(op, payload, connection)
    body = completion.messages_request(payload, connection.completion_model, connection.completion_prefill)
    assert op.request is not None  # the manifest gives create_completion a request spec
    on_messages = replace(op, request=replace(op.request, path=MESSAGES_PATH, response="message"))
    call = request_call(on_messages, body, connection)
    return replace(call, check=_message_check(cast(Hashable, op.files)), reshape=Reshape(completion.from_message, completion.event))
