"""The view of a run that every renderer shares: failures first, compact test rows, coverage.

Renderers (HTML, Markdown, badges) read only this and the :class:`~testgate.model.Run`; they never
reach into files themselves except through :func:`log_tails`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.model import Run, TestCase

if TYPE_CHECKING:
    from testgate.history.view import HistoryView

__all__ = [
    "STATUS_CODES",
    "coverage_rows",
    "line_ranges",
    "log_tails",
    "perf_table",
    "report_data",
]

#: compact status codes for the embedded test rows (keeps 100k rows small)
STATUS_CODES: dict[str, int] = {"passed": 0, "failed": 1, "error": 2, "skipped": 3}

LOG_TAIL_LINES = 40


def line_ranges(lines: Iterable[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` -> ``"1-3, 7, 9-10"``, every range (the gates' hints cut theirs)."""
    from testgate.verdict import compress_lines

    return compress_lines(sorted(lines), limit=sys.maxsize)


def coverage_rows(run: Run) -> list[list[Any]]:
    """``[path, covered, coverable, percent, missed ranges]`` per file, least covered first."""
    rows: list[list[Any]] = []
    for path, fc in run.coverage.files.items():
        total = fc.total_lines
        covered = fc.covered_lines
        pct = round(100.0 * covered / total, 1) if total else 100.0
        rows.append([path, covered, total, pct, line_ranges(fc.missed())])
    rows.sort(key=lambda r: (r[3], -r[2], r[0]))
    return rows


def perf_table(metrics: dict[str, float]) -> dict[str, dict[str, float]]:
    """``perf.<scenario>.<stat>`` metrics grouped by scenario."""
    table: dict[str, dict[str, float]] = {}
    for name, value in metrics.items():
        if name.startswith("perf."):
            scenario, _, stat = name[5:].rpartition(".")
            if scenario:
                table.setdefault(scenario, {})[stat] = value
    return dict(sorted(table.items()))


def log_tails(run: Run, run_dir: Path | None, lines: int = LOG_TAIL_LINES) -> dict[str, str]:
    """The last *lines* of each failed or timed-out step's log, keyed ``stage/step``."""
    tails: dict[str, str] = {}
    if run_dir is None:
        return tails
    for step in run.steps:
        if step.status not in ("failed", "timed_out") or not step.log:
            continue
        path = run_dir / step.log
        try:
            with open(path, "rb") as fh:
                fh.seek(0, 2)
                size = fh.tell()
                fh.seek(max(0, size - 64 * 1024))
                text = fh.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        tails[f"{step.stage}/{step.name}"] = "\n".join(text.splitlines()[-lines:])
    return tails


def _failure(t: TestCase) -> dict[str, Any]:
    d = {
        "id": t.id,
        "suite": t.suite,
        "classname": t.classname,
        "name": t.name,
        "status": t.status,
        "message": t.message or "",
        "trace": t.trace or "",
        "step": t.step or "",
        "file": t.file or "",
        "line": t.line,
        "duration": t.duration_s,
    }
    # set by triage (testgate.triage): why it failed, and the cause it shares with others
    if t.category:
        d["category"] = t.category
    if t.fingerprint:
        d["fingerprint"] = t.fingerprint
    return d


def report_data(
    run: Run,
    *,
    history: HistoryView | None = None,
    logs: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the HTML report embeds, once, as JSON.

    Test rows are columnar and index into string tables, so 100,000 tests stay a few MB:
    ``[suite index, class index, name, status code, duration, failure index, flaky]``.
    """
    suites: dict[str, int] = {}
    classes: dict[str, int] = {}
    rows: list[list[Any]] = []
    failures: list[dict[str, Any]] = []
    # the hot loop of a 100,000-test report: local names, no per-row function calls
    add_row = rows.append
    codes = STATUS_CODES
    for t in run.tests:
        si = suites.get(t.suite)
        if si is None:
            si = suites[t.suite] = len(suites)
        ci = classes.get(t.classname)
        if ci is None:
            ci = classes[t.classname] = len(classes)
        st = t.status
        fi = -1
        if st == "failed" or st == "error":
            fi = len(failures)
            failures.append(_failure(t))
        add_row([si, ci, t.name, codes.get(st, 0), round(t.duration_s, 4), fi, t.flaky])
    cl, tl, cb, tb = run.coverage.totals()
    return {
        "run": {
            "id": run.id,
            "project": run.project,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "commit": run.vcs.commit,
            "branch": run.vcs.branch,
            "interrupted": run.interrupted,
        },
        "metrics": run.metrics,
        "verdict": run.verdict.to_dict() if run.verdict is not None else None,
        "steps": [s.to_dict() for s in run.steps],
        "tests": {"suites": list(suites), "classes": list(classes), "rows": rows},
        "failures": failures,
        "coverage": {
            "files": coverage_rows(run),
            "totals": [cl, tl, cb, tb],
            "components": {
                k.split(".", 2)[2]: v
                for k, v in run.metrics.items()
                if k.startswith(("coverage.component.", "coverage.paths."))
            },
        },
        "findings": [f.to_dict() for f in run.findings],
        "perf": perf_table(run.metrics),
        "logs": logs or {},
        "history": {
            "flaky": history.flaky if history else [],
            "slow": history.slow if history else [],
        },
    }
