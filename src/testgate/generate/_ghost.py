"""Run Hypothesis's ghostwriter on the user's functions, in a child process.

``testgate generate`` never imports the user's code itself (the scan is :mod:`ast`); the
ghostwriter needs the live functions, so this module runs as ``python -m
testgate.generate._ghost`` with the package's root on ``sys.path``, reads the plan as JSON on
standard input and writes ``{id: {"code": ...} | {"error": ...}}`` on standard output.
"""

from __future__ import annotations

import builtins
import importlib
import json
import sys
from typing import Any


def _resolve(module: Any, name: str) -> Any:
    obj: Any = module
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _exceptions(module: Any, names: list[str]) -> tuple[type[Exception], ...]:
    out: list[type[Exception]] = []
    for n in names:
        obj = getattr(builtins, n, None)
        if obj is None:
            try:
                obj = _resolve(module, n)
            except AttributeError:
                continue
        if isinstance(obj, type) and issubclass(obj, Exception):
            out.append(obj)
    return tuple(out)


def main() -> int:
    from hypothesis.extra import ghostwriter

    plan = json.load(sys.stdin)
    sys.path.insert(0, plan["root"])
    out: dict[str, Any] = {}
    for item in plan["items"]:
        try:
            module = importlib.import_module(item["module"])
            funcs = [_resolve(module, n) for n in item["names"]]
            if item["kind"] == "roundtrip":
                code = ghostwriter.roundtrip(*funcs)
            elif item["kind"] == "idempotent":
                code = ghostwriter.idempotent(funcs[0])
            else:
                code = ghostwriter.fuzz(funcs[0], except_=_exceptions(module, item["except"]))
            if "st.nothing()" in code:
                raise ValueError("no strategy can be inferred for some argument")
            out[item["id"]] = {"code": code}
        except Exception as exc:  # one function the ghostwriter cannot handle: a stub instead
            out[item["id"]] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
