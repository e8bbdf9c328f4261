"""The seed's improvement plan: slow tests to optimise or parallelise, flaky tests to fix or
quarantine, coverage gaps to fill (critical paths first), each with its evidence.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from testgate.history.flaky import FlakyParams, FlakyReport, find_flaky
from testgate.history.slow import SlowParams, SlowReport, find_slow

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig
    from testgate.history.store import HistoryStore

__all__ = ["build_insights", "critical_paths", "render_insights"]


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield str(k), v
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def critical_paths(gates: dict[str, Any]) -> dict[str, list[str]]:
    """Named path patterns from any ``critical_paths`` block in the gates.

    ``paths`` may list globs (``src/auth/**``), phrases as in the seed (``authentication
    flow``, matched against path words), or mappings of a name to globs.
    """
    out: dict[str, list[str]] = {}
    for key, value in _walk(gates):
        if key != "critical_paths" or not isinstance(value, dict):
            continue
        paths = value.get("paths") or []
        if isinstance(paths, dict):
            paths = [paths]
        for entry in paths if isinstance(paths, list) else []:
            if isinstance(entry, str):
                out[entry] = [entry]
            elif isinstance(entry, dict):
                if "name" in entry:
                    globs = entry.get("paths") or entry.get("globs") or entry.get("path") or []
                    out[str(entry["name"])] = [globs] if isinstance(globs, str) else list(globs)
                else:
                    for name, globs in entry.items():
                        out[str(name)] = [globs] if isinstance(globs, str) else list(globs)
    return out


def _matches(path: str, pattern: str) -> bool:
    if any(ch in pattern for ch in "*?[/") or "." in pattern:
        return fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.rstrip("/") + "/*")
    # a phrase: its words in order, separated by anything that is not a letter
    words = [re.escape(w) for w in re.findall(r"[A-Za-z0-9]+", pattern)]
    return bool(words) and re.search(r"[\W_]*".join(words), path, re.IGNORECASE) is not None


def _pct(covered: int, total: int) -> float:
    return round(100.0 * covered / total, 2) if total else 100.0


def build_insights(
    store: HistoryStore,
    loaded: LoadedConfig | None,
    *,
    branch: str | None = None,
    window: int | None = None,
    top: int = 5,
    reports: tuple[FlakyReport, SlowReport] | None = None,
) -> dict[str, Any]:
    """The improvement plan as a JSON-ready document; *reports* are the flaky and slow
    analyses of the same window when the caller has them already (the HTML report does)."""
    hist = loaded.config.history if loaded is not None else None
    w = window or (hist.window if hist else 50)
    fparams = FlakyParams(window=w, min_runs=hist.min_runs if hist else 5)
    if reports is not None:
        flaky, slow = reports
    else:
        flaky = find_flaky(store, fparams, branch=branch)
        slow = find_slow(store, SlowParams(window=w, top=top), branch=branch)
    runs = store.runs(branch, limit=1)
    latest = runs[0] if runs else None
    improvements: list[dict[str, Any]] = []

    perf: list[dict[str, Any]] = []
    for t in slow.rising[:top]:  # slowing tests first: something changed
        perf.append(
            {
                "test": t.test,
                "problem": "slowing",
                "evidence": t.to_dict(),
                "recommendation": (
                    f"got {t.ratio:.1f}x slower (median {t.earlier_p50_s:.3f}s -> "
                    f"{t.recent_p50_s:.3f}s): find the change that slowed it and optimise it"
                ),
            }
        )
    seen = {p["test"] for p in perf}
    for t in slow.top:
        if len(perf) >= top:
            break
        if t.test in seen:
            continue
        perf.append(
            {
                "test": t.test,
                "problem": "slow",
                "evidence": t.to_dict(),
                "recommendation": (
                    f"takes {t.share:.0%} of all test time (p50 {t.p50_s:.3f}s, p95 "
                    f"{t.p95_s:.3f}s over {t.runs} runs): optimise it, or split it so that its "
                    "parts run in parallel"
                ),
            }
        )
    if perf:
        improvements.append(
            {"type": "performance", "recommendation": "optimize or parallelize", "tests": perf}
        )

    rel: list[dict[str, Any]] = []
    for v in flaky.broken[:top]:  # broken first: they fail every run
        rel.append(
            {
                "test": v.test,
                "problem": "broken",
                "evidence": v.to_dict(),
                "recommendation": (
                    f"failing in every run since commit {v.since_commit} ({v.streak} runs): "
                    "fix it or revert that change; it is not flaky"
                    if v.passed_before
                    # no change broke it: it has failed since it was first recorded
                    else f"has failed in all {v.streak} runs since it was first recorded "
                    f"(commit {v.since_commit}) and never passed: fix it, or remove it if "
                    "what it tests is gone; it is not flaky"
                ),
            }
        )
    for v in flaky.flaky[: max(0, top - len(rel))]:
        rel.append(
            {
                "test": v.test,
                "problem": "flaky",
                "evidence": v.to_dict(),
                "recommendation": (
                    f"flaky (score {v.score:.2f}; {', '.join(v.signals)}; {v.failures} failures "
                    f"in {v.runs} runs): fix it, or quarantine it meanwhile "
                    "(testgate flaky --suggest)"
                ),
            }
        )
    if rel:
        improvements.append(
            {"type": "reliability", "recommendation": "fix or quarantine", "tests": rel}
        )

    areas: list[dict[str, Any]] = []
    if latest is not None:
        crit = critical_paths(loaded.config.section("gates")) if loaded is not None else {}
        files = store.run_coverage(latest)
        scored = []
        for path, cl, tl, cb, tb in files:
            if tl == 0 or cl >= tl:
                continue
            names = [n for n, globs in crit.items() if any(_matches(path, g) for g in globs)]
            scored.append(
                (0 if names else 1, _pct(cl, tl), -(tl - cl), path, cl, tl, cb, tb, names)
            )
        scored.sort()
        for _, pct, _neg, path, cl, tl, cb, tb, names in scored[:top]:
            where = f" on the critical path {', '.join(names)}" if names else ""
            area: dict[str, Any] = {
                "path": path,
                "critical_paths": names,
                "evidence": {
                    "coverage": pct,
                    "covered_lines": cl,
                    "lines": tl,
                    "missed_lines": tl - cl,
                    "branch_coverage": _pct(cb, tb) if tb else None,
                    "run": latest.id,
                },
                "recommendation": f"{pct:.1f}% of {tl} lines covered{where}: add tests for the "
                f"{tl - cl} missed lines",
            }
            areas.append(area)
        if areas:
            improvements.append({"type": "coverage", "recommendation": "add tests", "areas": areas})
    return {
        "schema": "testgate.insights/1",
        "branch": branch,
        "window": w,
        "runs_analysed": flaky.runs_analysed,
        "latest_run": latest.id if latest else None,
        "improvements": improvements,
    }


def render_insights(doc: dict[str, Any]) -> str:
    """The plan as plain text, one numbered section per kind of improvement."""
    lines = [
        f"Improvement plan: {doc['runs_analysed']} runs analysed"
        + (f" on {doc['branch']}" if doc.get("branch") else "")
        + (f", latest run {doc['latest_run']}" if doc.get("latest_run") else "")
    ]
    if not doc["improvements"]:
        lines.append("Nothing to improve: no slow, flaky or uncovered code found in the history.")
    titles = {"performance": "Performance", "reliability": "Reliability", "coverage": "Coverage"}
    for i, imp in enumerate(doc["improvements"], 1):
        lines.append("")
        lines.append(f"{i}. {titles.get(imp['type'], imp['type'])}: {imp['recommendation']}")
        for item in imp.get("tests", []) + imp.get("areas", []):
            what = item.get("test") or item.get("path")
            lines.append(f"   - {what}")
            lines.append(f"     {item['recommendation']}")
    return "\n".join(lines) + "\n"
