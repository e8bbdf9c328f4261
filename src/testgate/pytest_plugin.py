"""The pytest plugin testgate ships: run only a plan's tests, in the plan's order.

Registered through the ``pytest11`` entry point, so every pytest in an environment where
testgate is installed loads it; it is inert unless testgate asks for it by setting
``TESTGATE_PYTEST_PLAN`` to a plan file (``testgate run --affected`` and ``--shard`` do)::

    {"schema": "testgate.pytest-plan/1",
     "deselect": ["tests/test_a.py::test_x", ...],           # never run these (selection)
     "order": ["tests/test_b.py::test_y[1]", ...],           # run these first, in this order
     "shard": {"index": 1, "total": 4,                       # 1-based
               "tests": ["..."], "others": ["..."],          # this shard's / other shards'
               "loads": [12.5, 12.4, 12.6, 12.5],            # seconds the named tests take
               "estimates": {"tests/test_c.py": 0.2, "tests.test_c": 0.2},
               "default": 0.1},
     "result": "/path/to/write/what/was/done.json"}

Every key is optional. A collected test that the plan does not name is never dropped by
selection (a new test always runs), nor is a test marked ``@pytest.mark.unskippable``. Under
sharding, ``tests`` and ``others`` name tests by
pytest node id or by the id pytest's JUnit XML gives them (``classname::name``, which is what
testgate's history knows); a test they do not name goes, with ``loads``, to the shard with the
least expected time (its duration estimated from ``estimates`` by file or module, else
``default``; the longest first), else to one shard chosen by a stable hash of its node id.
Every shard collects the same tests and computes the same assignment, so the shards together
still run every test exactly once. ``result`` asks for a record of what was collected and
kept, which tells testgate that the plugin ran at all.

It imports nothing from testgate: loading it costs a pytest run nothing.
"""

from __future__ import annotations

import json
import os
import zlib
from typing import Any

import pytest

__all__ = ["PLAN_ENV", "PLAN_SCHEMA", "junit_id", "shard_of"]

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


def junit_id(nodeid: str) -> str:
    """The id pytest's JUnit XML gives a test (``classname::name``), from its node id: the
    path's ``/`` become ``.``, ``.py`` goes, classes join with ``.`` (as junitxml's
    ``mangle_test_address`` does)."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = names[0].replace("/", ".")
    if names[0].endswith(".py"):
        names[0] = names[0][:-3]
    names[-1] += bracket + params
    return ".".join(names[:-1]) + "::" + names[-1] if len(names) > 1 else names[-1]


def _estimate(nodeid: str, jid: str, estimates: dict[str, float], default: float) -> float:
    file = nodeid.partition("::")[0]
    if file in estimates:
        return float(estimates[file])
    scope = jid.partition("::")[0].split(".")
    for i in range(len(scope), 0, -1):
        key = ".".join(scope[:i])
        if key in estimates:
            return float(estimates[key])
    return default


def _place(items: list[pytest.Item], shard: dict[str, Any], jids: dict[str, str]) -> dict[str, int]:
    """nodeid -> 1-based shard for tests the plan does not name."""
    total = int(shard["total"])
    loads = shard.get("loads")
    if not (isinstance(loads, list) and len(loads) == total):
        return {it.nodeid: shard_of(it.nodeid, total) for it in items}
    estimates = shard.get("estimates") or {}
    default = float(shard.get("default") or 1.0)
    weighted = sorted(
        ((-_estimate(it.nodeid, jids[it.nodeid], estimates, default), it.nodeid) for it in items),
    )
    load = [float(x) for x in loads]
    out: dict[str, int] = {}
    for neg, nodeid in weighted:  # longest first onto the least loaded shard
        i = min(range(total), key=lambda k: (load[k], k))
        load[i] -= neg
        out[nodeid] = i + 1
    return out


def _write_result(path: str, doc: dict[str, Any]) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # testgate then says the plan was not followed; pytest itself goes on


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    plan = config.stash.get(_PLAN, None)
    if plan is None:
        return
    named = set(plan.get("deselect") or ())
    # a test marked unskippable is never deselected by selection (it may still go to another
    # shard: every shard together runs it once)
    deselect = {
        it.nodeid
        for it in items
        if it.nodeid in named and it.get_closest_marker("unskippable") is None
    }
    shard = plan.get("shard")
    mine = set(shard.get("tests") or ()) if shard else set()
    others = set(shard.get("others") or ()) if shard else set()
    jids = {it.nodeid: junit_id(it.nodeid) for it in items} if shard else {}
    placed: dict[str, int] = {}
    if shard is not None:
        unnamed = [
            it
            for it in items
            if it.nodeid not in deselect
            and not ({it.nodeid, jids[it.nodeid]} & mine)
            and not ({it.nodeid, jids[it.nodeid]} & others)
        ]
        placed = _place(unnamed, shard, jids)
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        nodeid = item.nodeid
        if nodeid in deselect:
            dropped.append(item)
        elif shard is None or nodeid in mine or jids[nodeid] in mine:
            keep.append(item)
        elif nodeid in others or jids[nodeid] in others:
            dropped.append(item)
        elif placed[nodeid] == int(shard["index"]):
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
    result = plan.get("result")
    if isinstance(result, str) and result:
        doc: dict[str, Any] = {
            "schema": "testgate.pytest-plan-result/1",
            "rootdir": str(config.rootpath),
            "collected": len(keep) + len(dropped),
            "kept": len(keep),
            "deselected": sum(1 for it in dropped if it.nodeid in deselect),
        }
        if shard is not None:
            doc["shard"] = {
                "index": int(shard["index"]),
                "total": int(shard["total"]),
                "unnamed": len(placed),
            }
        _write_result(result, doc)


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    counts = config.stash.get(_COUNTS, None)
    if counts is None:
        return None
    kept, dropped = counts
    return f"testgate: running {kept} of {kept + dropped} tests (plan {config.stash[_PATH]})"
