"""The plan file testgate's pytest plugin reads (``TESTGATE_PYTEST_PLAN``).

One small function writes it, for selection (``deselect`` and ``order``) and for shards
(``shard``) alike, so that both can fill one plan::

    path = write_pytest_plan(run_dir / "plans" / "unit.json",
                             deselect=[...], order=[...],
                             shard={"index": 1, "total": 4, "tests": [...], "others": [...]})
    env["TESTGATE_PYTEST_PLAN"] = str(path)

Node ids are relative to the step's pytest rootdir, as pytest prints them. See
:mod:`testgate.pytest_plugin` for what the plugin does with each key (a test the plan does not
name is never dropped by selection).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["PLAN_ENV", "PLAN_SCHEMA", "read_pytest_plan", "write_pytest_plan"]

#: the environment variable the plugin reads (the same constant as the plugin's)
PLAN_ENV = "TESTGATE_PYTEST_PLAN"
PLAN_SCHEMA = "testgate.pytest-plan/1"


def write_pytest_plan(
    path: Path,
    *,
    deselect: Sequence[str] = (),
    order: Sequence[str] = (),
    shard: Mapping[str, Any] | None = None,
) -> Path:
    """Write a plan (atomically) and return its path. Every key is optional; an existing plan
    at *path* is replaced."""
    doc: dict[str, Any] = {"schema": PLAN_SCHEMA}
    if deselect:
        doc["deselect"] = list(deselect)
    if order:
        doc["order"] = list(order)
    if shard is not None:
        doc["shard"] = dict(shard)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=0), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_pytest_plan(path: Path) -> dict[str, Any]:
    """A plan written by :func:`write_pytest_plan` (to add a key to it)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("schema") != PLAN_SCHEMA:
        raise ValueError(f"{path}: not a testgate pytest plan")
    return doc
