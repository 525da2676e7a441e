"""The pointers rules.json is written with, compiled once into functions that walk an input.

An ``at`` pattern is a JSON pointer whose segments may also be ``*`` (every item, or value),
``-1`` (the last item) and ``:-1`` (all but the last); its ``when`` conditions are relative JSON
pointers (``2/role``: up two, then ``role``) or absolute ones. A pattern is compiled into a chain
of small functions, one a segment, each handing what it reaches to the next, with each condition
checked on the node it is anchored to as soon as the walk reaches it: a third of the time of a
loop that reads the pattern on every call, which matters on a path every request takes. What is
reached is (chain, value); the path is a linked chain ((parent chain, key)) made into a tuple
only when a violation needs it.
"""

from __future__ import annotations

from typing import Any, Callable

Where = tuple[Any, ...]  # keys and indexes from the input's root
Found = list[tuple[Any, Any]]  # (chain, value) for each place reached
Step = Callable[[Any, Any, Found], None]
Select = Callable[[Any], Found]


def segments(text: str) -> tuple[str, ...]:
    """A pointer's segments, ~1 and ~0 read as / and ~ (RFC 6901)."""
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in text.split("/")[1:])


def _step(segment: str, then: Step) -> Step:
    """One segment: a key, ``*`` every item (or value), ``-1`` the last item, ``:-1`` all but it."""
    if segment == "*":

        def step(node: Any, chain: Any, found: Found) -> None:
            for key, value in enumerate(node) if isinstance(node, list) else node.items() if isinstance(node, dict) else ():
                then(value, (chain, key), found)

    elif segment in ("-1", ":-1"):
        last = segment == "-1"

        def step(node: Any, chain: Any, found: Found) -> None:
            if isinstance(node, list):
                for i in range(len(node) - 1, len(node)) if last else range(len(node) - 1):
                    then(node[i], (chain, i), found)

    else:
        index = int(segment) if segment.isdigit() else None

        def step(node: Any, chain: Any, found: Found) -> None:
            if isinstance(node, dict):
                if segment in node:
                    then(node[segment], (chain, segment), found)
            elif index is not None and isinstance(node, list) and index < len(node):
                then(node[index], (chain, index), found)

    return step


def _matcher(matcher: Any) -> Callable[[Any], bool]:
    if isinstance(matcher, dict) and "in" in matcher:
        return lambda value: value in matcher["in"]
    if isinstance(matcher, dict) and "not_in" in matcher:
        return lambda value: value not in matcher["not_in"]
    return lambda value: bool(value == matcher)


def _filter(tests: list[tuple[tuple[str, ...], Any]], then: Step) -> Step:
    """Pass on only a node that meets every ``when`` condition anchored on it."""
    checks = [(keys, _matcher(matcher)) for keys, matcher in tests]

    def step(node: Any, chain: Any, found: Found) -> None:
        for keys, holds in checks:
            present, value = dig(node, keys)
            if not (present and holds(value)):
                return
        then(node, chain, found)

    return step


def _keep(node: Any, chain: Any, found: Found) -> None:
    found.append((chain, node))


def selector(at: str, when: dict[str, Any] | None = None) -> Select:
    """The (chain, value) pairs an ``at`` pattern reaches from a root, where ``when`` holds:
    ``2/role`` of a place three segments deep is a condition on the node one segment deep,
    pruning the walk as soon as it is reached; ``/model`` is one on the root."""
    parts = segments(at)
    anchored: list[list[tuple[tuple[str, ...], Any]]] = [[] for _ in range(len(parts) + 1)]
    for ref, matcher in (when or {}).items():
        up, _, tail = ref.partition("/")
        depth = 0 if ref.startswith("/") else len(parts) - int(up)
        anchored[depth].append((segments("/" + tail) if tail else (), matcher))
    step: Step = _keep
    for depth in range(len(parts), -1, -1):
        if anchored[depth]:
            step = _filter(anchored[depth], step)
        if depth:
            step = _step(parts[depth - 1], step)
    if step is _keep:
        return lambda root: [((), root)]  # the root itself, as most operations' Messages request is

    def select(root: Any) -> Found:
        found: Found = []
        step(root, (), found)
        return found

    return select


def path(chain: Any) -> Where:
    """A reached place's path from its chain."""
    keys = []
    while chain:
        chain, key = chain
        keys.append(key)
    return tuple(reversed(keys))


def dig(node: Any, keys: tuple[str, ...]) -> tuple[bool, Any]:
    """(found, value) at ``keys`` below ``node``."""
    for key in keys:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return False, None
    return True, node
