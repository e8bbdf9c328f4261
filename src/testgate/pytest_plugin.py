"""The pytest plugin testgate ships: run only a plan's tests, in the plan's order.

Registered through the ``pytest11`` entry point, so every pytest in an environment where
testgate is installed loads it; it is inert unless testgate asks for it by setting
``TESTGATE_PYTEST_PLAN`` to a plan file (``testgate run --affected`` and ``--shard`` do)::

    {"schema": "testgate.pytest-plan/1",
     "deselect": ["tests/test_a.py::test_x", ...],           # never run these (selection)
     "order": ["tests/test_b.py::test_y[1]", ...],           # run these first, in this order
     "shard": {"index": 1, "total": 4,                       # 1-based
               "tests": ["..."], "others": ["..."]}}         # this shard's / other shards'

Every key is optional. A collected test that the plan does not name is never dropped by
selection (a new test always runs), nor is a test marked ``@pytest.mark.unskippable``; under
sharding it goes to one shard chosen by a stable
hash of its node id, so the shards together still run every test exactly once.

It imports nothing from testgate: loading it costs a pytest run nothing.
"""

from __future__ import annotations

import json
import os
import zlib
from typing import Any

import pytest

__all__ = ["PLAN_ENV", "PLAN_SCHEMA", "shard_of"]

PLAN_ENV = "TESTGATE_PYTEST_PLAN"
PLAN_SCHEMA = "testgate.pytest-plan/1"


def shard_of(nodeid: str, total: int) -> int:
    """The 1-based shard of a test that no plan assigned: stable across runs and machines."""
    return zlib.crc32(nodeid.encode("utf-8")) % total + 1


def _load(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            plan = json.load(fh)
    except (OSError, ValueError) as exc:
        raise pytest.UsageError(
            f"testgate: cannot read the test plan {path} ({PLAN_ENV}): {exc}"
        ) from None
    if not isinstance(plan, dict) or plan.get("schema") != PLAN_SCHEMA:
        raise pytest.UsageError(
            f"testgate: {path} ({PLAN_ENV}) is not a testgate test plan "
            f"(expected schema {PLAN_SCHEMA!r})"
        )
    shard = plan.get("shard")
    if shard is not None:
        index, total = shard.get("index"), shard.get("total")
        if not (isinstance(index, int) and isinstance(total, int) and 1 <= index <= total):
            raise pytest.UsageError(
                f"testgate: {path}: shard must have 1 <= index <= total, got {index}/{total}"
            )
    return plan


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "unskippable: testgate's test selection always runs this test"
    )
    path = os.environ.get(PLAN_ENV)
    if path:
        config.stash[_PLAN] = _load(path)
        config.stash[_PATH] = path


_PLAN = pytest.StashKey[dict[str, Any]]()
_PATH = pytest.StashKey[str]()
_COUNTS = pytest.StashKey[tuple[int, int]]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    plan = config.stash.get(_PLAN, None)
    if plan is None:
        return
    deselect = set(plan.get("deselect") or ())
    shard = plan.get("shard")
    mine = set(shard.get("tests") or ()) if shard else set()
    others = set(shard.get("others") or ()) if shard else set()
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        nodeid = item.nodeid
        if nodeid in deselect and item.get_closest_marker("unskippable") is None:
            dropped.append(item)
        elif shard is None or nodeid in mine:
            keep.append(item)
        elif nodeid in others:
            dropped.append(item)
        elif shard_of(nodeid, int(shard["total"])) == int(shard["index"]):
            keep.append(item)
        else:
            dropped.append(item)
    order = {nodeid: i for i, nodeid in enumerate(plan.get("order") or ())}
    if order:
        last = len(order)
        # a stable sort: tests the order does not name keep their collection order, after it
        keep.sort(key=lambda it: order.get(it.nodeid, last))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep
    config.stash[_COUNTS] = (len(keep), len(dropped))


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    counts = config.stash.get(_COUNTS, None)
    if counts is None:
        return None
    kept, dropped = counts
    return f"testgate: running {kept} of {kept + dropped} tests (plan {config.stash[_PATH]})"
