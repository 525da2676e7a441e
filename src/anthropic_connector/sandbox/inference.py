"""The inference endpoints: Messages (plain and SSE), Token Counting and legacy Text Completions.

`Inference.message` is the one place a Messages body becomes a reply: `POST /v1/messages` wraps
it, and a message batch runs each request's params through it, so a batch result is exactly what
the endpoint would have answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import replies, structured, thinking, tools, validate
from .call import ApiError, Call, Route, events_reply, json_reply, not_found
from .models import Model, lookup
from .options import SandboxOptions
from .stream import Reply
from .threads import Threads

FileCheck = Callable[[str, str, str], None]
"""`(file_id, block type, where)`: raises the API's error when a content block names a file it cannot read."""


class Inference:
    """The three inference routes, sharing the options, the file store's check and the message
    threads the Messages API holds."""

    def __init__(self, options: SandboxOptions, check_file: FileCheck) -> None:
        self.options = options
        self._check_file = check_file
        self._threads = Threads(any_id=options.any_id)

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/v1/messages", self.messages),
            Route("POST", "/v1/messages/count_tokens", self.count_tokens),
            Route("POST", "/v1/complete", self.complete),
        ]

    def messages(self, call: Call) -> Reply:
        body = call.json()
        message = self.message(body, call.version)
        if body.get("stream"):
            return events_reply(call, replies.message_events(message), content_start=3)
        return json_reply(call, message)

    def message(self, body: dict[str, Any], version: str) -> dict[str, Any]:
        """The `Message` the sandbox answers for a Messages body; raises the API's error otherwise.
        Its thinking comes first and spends its tokens out of `max_tokens`; the answer gets the rest.
        A threaded body is read as the whole conversation its thread holds, and extends it."""
        body = self._threads.resolve(body)
        model = self._checked(body, validate.messages(body, version), legacy_api=False)
        msgs = body["messages"]
        user_turns = [m for m in msgs if m["role"] == "user"]
        prompt = replies.block_text(user_turns[-1]["content"]) if user_turns else ""
        seed = replies.digest(body["model"], body.get("system"), msgs)
        thought, spent = thinking.blocks(body, seed, prompt, body["max_tokens"])
        answer = self._answer(body, model, seed, prompt, body["max_tokens"] - spent)
        usage = {
            "input_tokens": replies.input_tokens(body.get("system"), msgs, body.get("tools")),
            "output_tokens": spent + answer.output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "service_tier": "standard",
        }
        if answer.server_tool_use:
            usage["server_tool_use"] = answer.server_tool_use
        if thought:
            usage["output_tokens_details"] = {"thinking_tokens": spent}
        message = {
            "id": replies.fresh_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": thought + answer.content,
            "stop_reason": answer.stop_reason,
            "stop_sequence": answer.stop_sequence,
            "usage": usage,
        }
        self._threads.keep(body, message)
        return message

    def _answer(self, body: dict[str, Any], model: Model, seed: str, prompt: str, room: int) -> replies.Answer:
        """What follows the thinking, within `room` output tokens: a call to the tool the caller
        runs, when one is due (`tools.due`), else text (the JSON a json_schema format asks for, a
        canned reply, or invented prose), after a server tool's call and result if one ran. The
        text after a server tool is a second call to the model, with `room` of its own: "the limit
        applies to each call", so such a reply may spend more than `max_tokens` (the SDK's docs)."""
        if room <= 0:
            return replies.Answer([], "max_tokens", None, 0)
        tool = tools.due(body, prompt)
        if tool is not None and not tools.is_server(tool):
            block, spent = tools.client_call(tool, seed)
            return replies.Answer([block], "tool_use", None, spent)
        searched, spent, counts = tools.server_call(tool, seed, prompt) if tool is not None else ([], 0, None)
        canned, schema = self._canned(prompt, body["model"], model), structured.output_schema(body)
        text = structured.structured_text(schema, canned) if schema else canned or replies.invent_text(seed)
        gen = replies.generate(text, room, body.get("stop_sequences", []))
        return replies.Answer([*searched, {"type": "text", "text": gen.text}], gen.stop_reason, gen.stop_sequence, spent + gen.output_tokens, counts)

    def count_tokens(self, call: Call) -> Reply:
        body = call.json()
        self._checked(body, validate.messages(body, call.version, count_only=True), legacy_api=False)
        count = replies.input_tokens(body.get("system"), body["messages"], body.get("tools"))
        return json_reply(call, {"input_tokens": count})

    def complete(self, call: Call) -> Reply:
        body = call.json()
        model = self._checked(body, validate.completion(body), legacy_api=True)
        prompt: str = body["prompt"]
        turn = prompt[prompt.rfind("\n\nHuman:") + 8 : prompt.rfind("\n\nAssistant:")]
        seed = replies.digest("complete", body["model"], prompt)
        text = self._canned(turn.strip(), body["model"], model) or " " + replies.invent_text(seed)
        stops = ["\n\nHuman:", *body.get("stop_sequences", [])]
        gen = replies.generate(text, body["max_tokens_to_sample"], stops)
        completion = {
            "type": "completion",
            "id": replies.fresh_id("compl_"),
            "completion": gen.text,
            "stop_reason": "max_tokens" if gen.stop_reason == "max_tokens" else "stop_sequence",
            "model": model.id,
        }
        if body.get("stream"):
            return events_reply(call, replies.completion_events(completion, gen), content_start=0)
        return json_reply(call, completion)

    # -- helpers ---------------------------------------------------------------------------

    def _checked(self, body: dict[str, Any], problem: str | None, *, legacy_api: bool) -> Model:
        """The body's model once the body is acceptable; raises the error the real API would give."""
        if problem:
            raise ApiError(400, problem)
        if not legacy_api:
            self._check_file_sources(body["messages"])
        name = body["model"]
        model = lookup(name, any_id=self.options.any_id)
        if model is None or (model.retired and self.options.retired_models == "reject"):
            raise not_found("model", name)
        if legacy_api and not model.completions:
            raise ApiError(400, f'"{name}" is not supported on this API. Please use the Messages API instead.')
        problem = thinking.unsupported(body, model.capabilities(beta=False))
        if problem:
            raise ApiError(400, problem)
        return model

    def _check_file_sources(self, msgs: list[dict[str, Any]]) -> None:
        """A document or image block may name an uploaded file: `{"type": "file", "file_id": ...}`."""
        for i, message in enumerate(msgs):
            blocks = message["content"] if isinstance(message["content"], list) else []
            for j, block in enumerate(blocks):
                source = block.get("source")
                if block["type"] in ("document", "image") and isinstance(source, dict) and source.get("type") == "file":
                    where = f"messages.{i}.content.{j}.source.file_id"
                    if not isinstance(source.get("file_id"), str):
                        raise ApiError(400, f"{where}: Field required")
                    self._check_file(source["file_id"], block["type"], where)

    def _canned(self, prompt: str, name: str, model: Model) -> str | None:
        canned = self.options.canned
        return next((canned[k] for k in (prompt, prompt.strip(), name, model.id) if k in canned), None)
