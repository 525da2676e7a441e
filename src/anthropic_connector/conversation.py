"""What a Messages conversation means where rules.json cannot say it: code, and only this.

- A message's content is text in three spellings (a string, the platform's ``{"string": ...}``
  wrapper, a list of blocks): whether it holds text, and whether it ends in white space, are
  the two named tests (``TESTS``) a rule's ``must`` can ask for.
- Tool calls and their results pair across two messages by id, in turns, not messages
  (consecutive messages of one role are one turn, as the API combines them): a join between
  neighbouring turns that rules.json's pointers and tests cannot express.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

Path = tuple[Any, ...]  # keys and indexes from the request's root


def unwrap(value: Any) -> Any:
    """The platform's ``{"string": text}`` as the API's plain text; anything else as it is."""
    return value["string"] if isinstance(value, dict) and set(value) == {"string"} else value


def has_text(content: Any) -> bool:
    """Text that is not only white space, or at least one block."""
    content = unwrap(content)
    return bool(content.strip()) if isinstance(content, str) else bool(content)


def ends_trimmed(content: Any) -> bool:
    """No white space at the end of the text, or of a final text block (empty is fine)."""
    content = unwrap(content)
    if isinstance(content, list):
        last = content[-1] if content else None
        content = last.get("text", "") if isinstance(last, dict) and last.get("type") == "text" else ""
    return not isinstance(content, str) or content == content.rstrip()


TESTS: dict[str, Callable[[Any], bool]] = {"text": has_text, "trimmed": ends_trimmed}


def _blocks(message: Any, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        for j, block in enumerate(content):
            if isinstance(block, dict) and block.get("type") == kind:
                yield j, block


def _turns(messages: list[Any]) -> list[tuple[str, list[int]]]:
    """(role, message indexes) per turn: a run of user or assistant messages; a system message
    between them is neither and is passed over."""
    turns: list[tuple[str, list[int]]] = []
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant"):
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1].append(i)
        else:
            turns.append((role, [i]))
    return turns


def _any_blocks(messages: list[Any]) -> bool:
    """Whether a message holds blocks (a loop, not any() of a generator: this runs on every request)."""
    for m in messages:
        if isinstance(m, dict) and isinstance(m.get("content"), list):
            return True
    return False


def tool_results_answer_tool_uses(params: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """Every tool_use of an assistant turn answered by a tool_result in the next turn, a user's;
    every tool_result answering a tool_use of the turn before it."""
    messages = params.get("messages")
    if not isinstance(messages, list) or not _any_blocks(messages):
        return
    turns = _turns(messages)
    for t, (role, indexes) in enumerate(turns):
        before = turns[t - 1] if t else None
        after = turns[t + 1] if t + 1 < len(turns) else None
        if role == "assistant":
            answered = {b.get("tool_use_id") for i in (after[1] if after else []) for _, b in _blocks(messages[i], "tool_result")}
            for i in indexes:
                for j, block in _blocks(messages[i], "tool_use"):
                    if block.get("id") not in answered:
                        yield ("messages", i, "content", j), f"is a tool_use ({block.get('id')}) that no tool_result answers in the next message, a user's"
        else:
            asked = {b.get("id") for i in (before[1] if before and before[0] == "assistant" else []) for _, b in _blocks(messages[i], "tool_use")}
            for i in indexes:
                for j, block in _blocks(messages[i], "tool_result"):
                    if block.get("tool_use_id") not in asked:
                        yield ("messages", i, "content", j, "tool_use_id"), "answers no tool_use of the assistant message before it"


CHECKS: dict[str, Callable[[dict[str, Any]], Iterator[tuple[Path, str]]]] = {"tool_results_answer_tool_uses": tool_results_answer_tool_uses}
