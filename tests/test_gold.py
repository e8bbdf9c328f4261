"""Golden files: the text, Markdown, GitHub, JUnit and JSON renderings of one fixed run.

A rendering that changes shows up as a diff of ``tests/gold/`` in review. When a change is
meant, regenerate the files with::

    make gold        # or: TESTGATE_REGEN_GOLD=1 .venv/bin/pytest tests/test_gold.py

and read the diff before committing it. A mismatch also writes the new output next to the gold
file as ``<name>.actual`` (ignored by git) so the two can be compared.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from testgate import workflow
from testgate.gates.evaluate import evaluate
from testgate.gates.spec import parse_gates
from testgate.model import Run
from testgate.report.registry import RenderContext

from .report._runs import hostile_run

GOLD = Path(__file__).parent / "gold"

GATES = {
    "tests_gate": {
        "criteria": {
            "tests": {"pass_rate": ">= 95%", "failed": "== 0"},
        },
        "enforcement": {"blocking": True},
    },
    "coverage_gate": {
        "criteria": {"overall": {"threshold": ">= 80%"}},
        "enforcement": {"blocking": False},
    },
    "performance_gate": {
        "criteria": {"response_times": {"checkout": {"p95": "< 200ms"}}},
    },
    "security_gate": {
        "criteria": {"vulnerability_scan": {"critical": 0, "high": 0}},
    },
}

#: gold file -> renderer name
RENDERINGS = {
    "verdict.txt": "gate-text",
    "verdict.md": "gate-markdown",
    "verdict.github": "gate-github",
    "verdict.junit.xml": "gate-junit",
    "verdict.json": "gate-json",
    "run.md": "markdown",
    "run.junit.xml": "junit",
}


def fixed_run() -> Run:
    """One run with hostile names, failures, coverage, perf and a finding; gated."""
    run = hostile_run(n_passing=5)
    spec = parse_gates(GATES, {}, [])
    run.verdict = evaluate(spec, run, today=_dt.date(2026, 1, 2))
    return run


def _render(run: Run, fmt: str) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        workflow.render(run, [(fmt, None)], RenderContext(color=False))
    return buf.getvalue()


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_rendering_matches_its_gold_file(name: str) -> None:
    actual = _render(fixed_run(), RENDERINGS[name])
    gold = GOLD / name
    if os.environ.get("TESTGATE_REGEN_GOLD"):
        gold.write_text(actual, encoding="utf-8")
    expected = gold.read_text(encoding="utf-8") if gold.exists() else None
    if actual != expected:
        gold.with_name(name + ".actual").write_text(actual, encoding="utf-8")
        pytest.fail(
            f"{name} differs from tests/gold/{name}; the new output is in tests/gold/{name}"
            ".actual. If the change is meant: make gold (TESTGATE_REGEN_GOLD=1), then review "
            "the diff of tests/gold/"
        )
