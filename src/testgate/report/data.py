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
    "MARK_CODES",
    "STATUS_CODES",
    "components",
    "coverage_rows",
    "failure_groups",
    "history_marks",
    "line_ranges",
    "log_tails",
    "perf_table",
    "recommendations",
    "report_data",
]

#: compact status codes for the embedded test rows (keeps 100k rows small)
STATUS_CODES: dict[str, int] = {"passed": 0, "failed": 1, "error": 2, "skipped": 3}

LOG_TAIL_LINES = 40

#: history marks in the embedded test rows (their 9th item): index into this tuple
MARK_CODES: tuple[str, ...] = ("", "new", "broken", "flaky", "quarantined", "fixed", "recurring")


def history_marks(run: Run, history: HistoryView | None) -> dict[str, dict[str, Any]]:
    """test id -> its history mark: the history's (new, broken, flaky, recurring), quarantined
    from the run's quarantine (it wins: it decides whether the failure counts), fixed for the
    tests that failed in the base run and pass now."""
    marks: dict[str, dict[str, Any]] = dict(history.marks) if history is not None else {}
    for f in history.fixed if history is not None else []:
        marks[f["test"]] = {
            "kind": "fixed",
            "run": f.get("run"),
            "text": f"fixed: failed in run {f.get('run')}",
        }
    for test, q in run.quarantined().items():
        marks[test] = {
            "kind": "quarantined",
            "owner": q.get("owner"),
            "expires": q.get("expires"),
            "text": f"quarantined (owner {q.get('owner') or '?'}, until {q.get('expires') or '?'})",
            "history": marks.get(test),
        }
    return marks


def components(run: Run) -> list[dict[str, Any]]:
    """Results by component (seed 004): per step, its tests (total, failed, time) and its
    status; per ``coverage.component.<name>`` metric its coverage (the gates' ``by_component``
    paths), and per performance scenario its p95; matched by name where they agree."""
    out: dict[str, dict[str, Any]] = {}
    for step in run.steps:
        name = f"{step.stage}/{step.name}"
        out[name] = {"name": name, "status": step.status, "tests": 0, "failed": 0, "time": 0.0}
    for t in run.tests:
        c = out.setdefault(
            t.step or "(no step)",
            {"name": t.step or "(no step)", "status": None, "tests": 0, "failed": 0, "time": 0.0},
        )
        c["tests"] += 1
        c["failed"] += t.status in ("failed", "error")
        c["time"] += t.duration_s
    for key, value in run.metrics.items():
        if key.startswith("coverage.component."):
            name = key[len("coverage.component.") :]
            match = next((c for c in out.values() if c["name"].split("/")[-1] == name), None)
            if match is None:
                match = out.setdefault(name, {"name": name, "status": None, "tests": None})
            match["coverage"] = round(value, 2)
    for scenario, stats in perf_table(run.metrics).items():
        c = out.setdefault(
            f"perf {scenario}", {"name": f"perf {scenario}", "status": None, "tests": None}
        )
        c["p95_ms"] = stats.get("p95_ms")
        c["error_rate"] = stats.get("error_rate")
    for c in out.values():
        if isinstance(c.get("time"), float):
            c["time"] = round(c["time"], 3)
    return list(out.values())


#: a slow test is worth optimising when one run of it takes at least this long ...
SLOW_WORTH_S = 0.5
#: ... or it takes at least this share of all test time
SLOW_WORTH_SHARE = 0.05


def recommendations(insights: dict[str, Any] | None) -> list[dict[str, str]]:
    """The insights' improvement plan as report recommendations, each one actionable: a
    "slow" or "slowing" test only when optimising it would save time worth having (p50 >= 0.5
    s, or >= 0.1 s and 5 % of all test time), and a broken test that never passed in the window
    gets "fix it or remove it", never "revert" (there is nothing green to revert to)."""
    out: list[dict[str, str]] = []
    for imp in (insights or {}).get("improvements", []):
        for item in imp.get("tests", []):
            ev = item.get("evidence") or {}
            problem = item.get("problem")
            text = str(item.get("recommendation") or "")
            p50 = float(ev.get("p50_s") or 0)
            if problem == "slow" and int(ev.get("runs") or 0) < 3:
                continue  # one or two runs are no evidence of a slow test
            if problem == "slow" and not (
                p50 >= SLOW_WORTH_S
                or (float(ev.get("share") or 0) >= SLOW_WORTH_SHARE and p50 >= SLOW_WORTH_S / 5)
            ):
                continue
            if problem == "slowing" and float(ev.get("recent_p50_s") or 0) < SLOW_WORTH_S / 5:
                continue
            out.append({"kind": str(problem), "what": str(item.get("test")), "text": text})
        for area in imp.get("areas", []):
            out.append(
                {
                    "kind": "coverage",
                    "what": str(area.get("path")),
                    "text": str(area.get("recommendation")),
                }
            )
    return out


def failure_groups(run: Run, failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failures with one fingerprint (normalised message + top frames, see
    :mod:`testgate.triage.fingerprint`) as one group, biggest first: ``{"fingerprint",
    "count", "failures" (indexes), "message", "category", "outage"}``. ``outage`` names an
    outage (most of the run failed) or a partial outage (one cause, many tests)."""
    from testgate.history.outage import PARTIAL_OUTAGE_MIN_TESTS, outage_reason

    groups: dict[str, dict[str, Any]] = {}
    for i, f in enumerate(failures):
        g = groups.get(f["fingerprint"])
        if g is None:
            first = (f["message"] or f["trace"]).strip().splitlines()
            g = groups[f["fingerprint"]] = {
                "fingerprint": f["fingerprint"],
                "count": 0,
                "failures": [],
                "message": first[0][:300] if first else "",
                "category": f.get("category") or "",
                "outage": None,
            }
        g["count"] += 1
        g["failures"].append(i)
    out = sorted(groups.values(), key=lambda g: (-g["count"], g["failures"][0]))
    whole = outage_reason(len(run.tests), len(failures))
    for g in out:
        if whole is not None and g is out[0]:
            g["outage"] = f"outage: {whole}"
        elif g["count"] >= PARTIAL_OUTAGE_MIN_TESTS:
            g["outage"] = f"partial outage: {g['count']} tests failed with one cause"
    return out


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


def _failure(t: TestCase, quarantine: dict[str, Any] | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {
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
    else:
        from testgate.triage.fingerprint import fingerprint

        d["fingerprint"] = fingerprint(t)
    if quarantine is not None:
        d["quarantine"] = {k: quarantine.get(k) for k in ("owner", "reason", "expires")}
    return d


def report_data(
    run: Run,
    *,
    history: HistoryView | None = None,
    logs: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the HTML report embeds, once, as JSON.

    Test rows are columnar and index into string tables, so 100,000 tests stay a few MB:
    ``[suite index, class index, name, status code, duration, failure index, retried]``, and an
    eighth item, true for a test of the history's flaky table, and a ninth, its history mark
    (an index into :data:`MARK_CODES`), when the history has one.
    """
    suites: dict[str, int] = {}
    classes: dict[str, int] = {}
    steps: dict[str, int] = {}
    files: dict[str, int] = {}
    step_of: list[int] = []
    file_of: list[int] = []
    rows: list[list[Any]] = []
    failures: list[dict[str, Any]] = []
    # the hot loop of a 100,000-test report: local names, no per-row function calls
    add_row = rows.append
    codes = STATUS_CODES
    quarantined = run.quarantined()
    excused_tests, excused_steps = run.quarantine_failures()
    flaky_ids = {f["test"] for f in (history.flaky if history else []) if f.get("kind") == "flaky"}
    marks = history_marks(run, history)
    mark_code = {k: i for i, k in enumerate(MARK_CODES)}
    for t in run.tests:
        si = suites.get(t.suite)
        if si is None:
            si = suites[t.suite] = len(suites)
        ci = classes.get(t.classname)
        if ci is None:
            ci = classes[t.classname] = len(classes)
        key = t.step or ""
        pi = steps.get(key)
        if pi is None:
            pi = steps[key] = len(steps)
        step_of.append(pi)
        key = t.file or ""
        xi = files.get(key)
        if xi is None:
            xi = files[key] = len(files)
        file_of.append(xi)
        st = t.status
        fi = -1
        if st == "failed" or st == "error":
            fi = len(failures)
            fd = _failure(t, quarantined.get(t.id))
            if t.id in marks:
                fd["mark"] = marks[t.id]
            failures.append(fd)
        row = [si, ci, t.name, codes.get(st, 0), round(t.duration_s, 4), fi, t.flaky]
        mk = marks.get(t.id) if marks else None
        if (flaky_ids and t.id in flaky_ids) or mk is not None:
            row.append(bool(flaky_ids) and t.id in flaky_ids)
        if mk is not None:
            row.append(mark_code[mk["kind"]])
        add_row(row)
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
        "tests": {
            "suites": list(suites),
            "classes": list(classes),
            "rows": rows,
            # per row: its step (the component it belongs to) and its file, as string indexes
            "steps": list(steps),
            "step": step_of,
            "files": list(files),
            "file": file_of,
        },
        "components": components(run),
        "recommendations": recommendations(history.insights if history else None),
        "failures": failures,
        "groups": failure_groups(run, failures),
        "marks": list(MARK_CODES),
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
        "quarantine": {
            "entries": [
                {k: v for k, v in q.items() if k != "tests"} | {"matched": len(q["tests"])}
                for q in run.quarantine
            ],
            "failures": len(excused_tests),
            "steps": sorted(excused_steps),
        },
        "perf": perf_table(run.metrics),
        "logs": logs or {},
        "history": {
            "flaky": history.flaky if history else [],
            "slow": history.slow if history else [],
            "flaky_rate": history.flaky_rate if history else None,
            "series": history.series if history else {},
            "alerts": history.alerts if history else [],
            "fixed": history.fixed if history else [],
            "base": history.base if history else None,
            "new_tests": history.new_tests if history else [],
        },
    }
