"""Record the request bodies of the SDK's own "with_all_params" tests into tests/sdk_examples.json.

    .venv/bin/python scripts/sdk_examples.py /path/to/anthropic-X.Y.Z   # an unpacked sdist

The official SDK's tests (tests/api_resources/test_messages.py and beta/test_messages.py, in
the sdist, not the wheel) call ``messages.create`` with every parameter. Each such test
function is run here against a fake client that records its keyword arguments, so the
examples are the SDK authors' own values, not ours; tests/test_messages_schema.py holds the
create_message input schema to them.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

FILES = ("tests/api_resources/test_messages.py", "tests/api_resources/beta/test_messages.py")
OUT = Path(__file__).resolve().parents[1] / "tests" / "sdk_examples.json"


class Recorder:
    """Stands for the client: any attribute or call is another Recorder; each call is recorded."""

    def __init__(self, calls: list[tuple[str, dict[str, Any]]], path: str = "client") -> None:
        self._calls, self._path = calls, path

    def __getattr__(self, name: str) -> Recorder:
        return Recorder(self._calls, f"{self._path}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Recorder:
        self._calls.append((self._path, kwargs))
        return Recorder(self._calls, f"{self._path}()")


def recorded(source: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(test name, method called, keyword arguments) for each sync with_all_params test of create."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_method_create_with_all_params")):
            continue
        node.returns, node.decorator_list = None, []
        for arg in node.args.args:
            arg.annotation = None
        calls: list[tuple[str, dict[str, Any]]] = []
        namespace: dict[str, Any] = {"assert_matches_type": lambda *a, **k: None, "Message": None, "BetaMessage": None}
        exec(compile(ast.Module(body=[node], type_ignores=[]), "<sdk test>", "exec"), namespace)
        namespace[node.name](None, Recorder(calls))
        out += [(node.name, path.removeprefix("client."), kwargs) for path, kwargs in calls if path.endswith("messages.create")]
    return out


def main(sdist: str) -> int:
    root = Path(sdist)
    version = next((line.split(":", 1)[1].strip() for line in (root / "PKG-INFO").read_text().splitlines() if line.startswith("Version:")), "?")
    bodies = []
    for name in FILES:
        for test, method, kwargs in recorded((root / name).read_text(encoding="utf-8")):
            bodies.append({"from": f"{name}::{test}", "method": method, "kwargs": kwargs})
    OUT.write_text(json.dumps({"sdk": f"anthropic {version}", "bodies": bodies}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(bodies)} request bodies from anthropic {version} → {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
