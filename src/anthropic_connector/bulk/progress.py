"""A progress bar for a bulk run on a terminal, and nothing at all anywhere else.

tqdm draws it on stderr (stdout carries only JSON). It is imported only when a bar is drawn,
so a one-shot ``run``, a run-many in a pipeline or a workflow step never loads it.
"""

from __future__ import annotations

import sys
from typing import Protocol


class Bar(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def bar(total: int, label: str, show: bool | None = None) -> Bar:
    """A bar counting ``total`` lines; ``show`` None: only when stderr is a terminal."""
    if not (sys.stderr.isatty() if show is None else show):
        return _Silent()
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=" lines", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
