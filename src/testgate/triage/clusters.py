"""A run's failures grouped by cause: the clusters ``testgate triage`` shows, biggest first.

A failure is a failed or errored test, a failed step that no failing test explains (a runner
that crashed before writing its report, a timeout), or a failed blocking gate criterion.
Failures with one fingerprint form one cluster; the escalation matrix gives each cluster its
severity, owners and SLA, and ``CODEOWNERS`` adds the owners of the files involved.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testgate.model import Run, StepResult, TestCase
from testgate.triage.categories import CategoryRule, categorize, categorize_text
from testgate.triage.codeowners import CodeOwners
from testgate.triage.escalation import EscalationSpec, FailureFacts, severity_rank
from testgate.triage.fingerprint import scrub, signature
from testgate.triage.repro import reproduce
from testgate.triage.stack import app_frame

__all__ = [
    "TRIAGE_SCHEMA",
    "Cluster",
    "FailureItem",
    "FirstSeen",
    "Triage",
    "apply",
    "build_triage",
    "compact_trace",
    "shortest_trace",
    "step_category",
]

#: the shape of ``Triage.to_dict()`` (``testgate triage --json``)
TRIAGE_SCHEMA = "testgate.triage/1"
_LOG_TAIL = 64 * 1024
_TRACE_LINES = 40
_END = re.compile(r"^[^\s:][^:]*?\.pyx?:\d+:")


def apply(run: Run, rules: Sequence[CategoryRule] = ()) -> int:
    """Set ``category`` and ``fingerprint`` on every failed or errored test of *run* that has
    none yet; returns how many were set. Passed and skipped tests are left alone."""
    n = 0
    for t in run.tests:
        if t.status not in ("failed", "error"):
            continue
        if t.category is None:
            t.category = categorize(t, rules)
        if t.fingerprint is None:
            t.fingerprint = signature(t, rules).fingerprint
            n += 1
    return n


@dataclass(slots=True)
class FirstSeen:
    """When a cause was first recorded in the history."""

    run: str
    commit: str | None
    started_at: str | None
    #: runs recorded since then (0: it is new in this run)
    runs_ago: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "commit": self.commit,
            "started_at": self.started_at,
            "runs_ago": self.runs_ago,
        }

    def describe(self) -> str:
        if self.runs_ago <= 0:
            return "new in this run"
        commit = f" in {self.commit[:10]}" if self.commit else f" in run {self.run}"
        return f"first seen {self.runs_ago} run{'s' if self.runs_ago != 1 else ''} ago{commit}"


@dataclass(slots=True)
class FailureItem:
    """One failure: a test, a step or a gate criterion."""

    kind: str  # test | step | gate
    id: str
    category: str
    fingerprint: str
    first_line: str
    trace: str = ""
    step: str | None = None
    file: str | None = None
    #: the innermost file of the project's own code in the trace
    app_file: str | None = None
    reproduce: str | None = None
    metric: str | None = None


@dataclass(slots=True)
class Cluster:
    """Failures with one cause."""

    fingerprint: str
    category: str
    #: what the fingerprint was made from, for people
    signature: str
    items: list[FailureItem] = field(default_factory=list)
    severity: str = "medium"
    failure_type: str = ""
    sla: str | None = None
    sla_s: float | None = None
    owners: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    first_seen: FirstSeen | None = None

    @property
    def tests(self) -> list[str]:
        return [i.id for i in self.items if i.kind == "test"]

    @property
    def size(self) -> int:
        return len(self.items)

    def first_lines(self, limit: int = 3) -> list[str]:
        """The distinct first lines of the failures, at most *limit*."""
        return list(dict.fromkeys(i.first_line for i in self.items if i.first_line))[:limit]

    def trace(self) -> str:
        """The shortest useful trace among the cluster's failures."""
        return shortest_trace([i.trace for i in self.items])

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "category": self.category,
            "signature": self.signature,
            "count": self.size,
            "tests": self.tests,
            "steps": sorted({i.step for i in self.items if i.step}),
            "gates": [i.id for i in self.items if i.kind == "gate"],
            "first_lines": self.first_lines(),
            "owners": list(self.owners),
            "severity": self.severity,
            "failure_type": self.failure_type,
            "sla": self.sla,
            "sla_s": self.sla_s,
            "actions": list(self.actions),
            "first_seen": self.first_seen.to_dict() if self.first_seen else None,
            "trace": self.trace(),
            "reproduce": {i.id: i.reproduce for i in self.items if i.reproduce},
        }


@dataclass(slots=True)
class Triage:
    """The triage of one run."""

    run: str
    commit: str | None
    branch: str | None
    clusters: list[Cluster] = field(default_factory=list)
    #: things the reader should know (no history store, no CODEOWNERS...)
    notes: list[str] = field(default_factory=list)
    #: files changed since the last green run (None: unknown)
    changed_files: list[str] | None = None
    #: the last green run: {"run", "commit"}
    last_green: dict[str, str | None] | None = None

    @property
    def failures(self) -> int:
        return sum(c.size for c in self.clusters)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": TRIAGE_SCHEMA,
            "run": self.run,
            "commit": self.commit,
            "branch": self.branch,
            "failures": self.failures,
            "clusters": [c.to_dict() for c in self.clusters],
            "changed_since_green": self.changed_files,
            "last_green": self.last_green,
            "notes": list(self.notes),
        }


def shortest_trace(traces: Sequence[str], max_lines: int = _TRACE_LINES) -> str:
    """The shortest non-empty trace of *traces*, cut to its last *max_lines* lines (where the
    error is), saying how much was cut."""
    useful = [compact_trace(t).strip("\n") for t in traces if t and t.strip()]
    if not useful:
        return ""
    best = min(useful, key=len)
    lines = best.splitlines()
    if len(lines) <= max_lines:
        return best
    cut = len(lines) - max_lines
    return f"… [{cut} earlier lines cut]\n" + "\n".join(lines[-max_lines:])


def compact_trace(trace: str) -> str:
    """pytest's long format without the source around each frame: per frame its ``def`` line,
    the failing ``>`` line and the ``E`` lines, then where it was. Other traces unchanged."""
    lines = trace.splitlines()
    if not any(line.startswith("E ") for line in lines):
        return trace
    keep: list[str] = []
    for line in lines:
        s = line.strip()
        if (
            line.startswith((">", "E "))
            or s.startswith(("def ", "async def "))
            or (s and _END.match(s))
        ):
            keep.append(line)
    return "\n".join(keep)


def _first_line(text: str | None) -> str:
    if not text or not text.strip():
        return ""
    return text.strip().splitlines()[0][:300]


def step_category(step: StepResult, tail: str) -> str:
    """The category of a failed step that no failing test explains, from its exit code (a
    signal: crash; killed: infrastructure), its status (timed out) and its log's tail."""
    code = step.exit_code
    if step.status == "timed_out":
        return "timeout"
    if code is not None and code in (-4, -6, -7, -8, -11, 132, 134, 135, 136, 139):
        return "crash"
    if code is not None and code in (-9, 137):
        return "infrastructure"  # killed: out of memory, or the runner was
    if tail:
        cat = categorize_text(tail, "", "error")
        if cat in ("crash", "infrastructure", "collection", "timeout"):
            return cat
    return "exception"


def _log_tail(run_dir: Path | None, step: StepResult) -> str:
    if run_dir is None or not step.log:
        return ""
    try:
        with open(run_dir / step.log, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - _LOG_TAIL))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _relative(path: str, root: Path | None) -> str | None:
    p = path.replace("file://", "")
    if root is None:
        return None if p.startswith("/") else p
    try:
        rel = Path(p).resolve().relative_to(root.resolve()) if Path(p).is_absolute() else Path(p)
    except ValueError:
        return None
    return rel.as_posix()


def _test_file(t: TestCase, root: Path | None) -> str | None:
    if t.file:
        return _relative(t.file, root) or t.file
    head = t.id.split("::", 1)[0]
    looks_like_path = "/" in head or "." in head.rsplit("/", 1)[-1][-5:]
    if looks_like_path and (root is None or (root / head).exists()):
        return head
    if t.classname and root is not None:
        pieces = t.classname.split(".")
        for cut in range(len(pieces), 0, -1):
            cand = "/".join(pieces[:cut]) + ".py"
            if (root / cand).is_file():
                return cand
    return None


def _test_items(run: Run, rules: Sequence[CategoryRule], root: Path | None) -> list[FailureItem]:
    commands = {f"{s.stage}/{s.name}": s.command for s in run.steps}
    items: list[FailureItem] = []
    for t in run.tests:
        if t.status not in ("failed", "error"):
            continue
        sig = signature(t, rules)
        category = t.category or sig.category
        fp = t.fingerprint or sig.fingerprint
        frame = app_frame(t.trace)
        items.append(
            FailureItem(
                kind="test",
                id=t.id,
                category=category,
                fingerprint=fp,
                first_line=_first_line(t.message) or _first_line(t.trace),
                trace=t.trace or t.message or "",
                step=t.step,
                file=_test_file(t, root),
                app_file=_relative(frame.path, root) if frame is not None else None,
                reproduce=reproduce(t, commands.get(t.step or ""), root),
            )
        )
    return items


def _step_items(run: Run, explained: set[str], run_dir: Path | None) -> list[FailureItem]:
    items: list[FailureItem] = []
    for s in run.steps:
        key = f"{s.stage}/{s.name}"
        if s.status not in ("failed", "timed_out") or key in explained:
            continue
        tail = _log_tail(run_dir, s)
        category = step_category(s, tail)
        why = s.reason or (f"exited with {s.exit_code}" if s.exit_code is not None else s.status)
        digest = hashlib.sha256(f"step|{key}|{category}|{scrub(why)}".encode()).hexdigest()[:16]
        last = [ln for ln in tail.strip().splitlines() if ln.strip()][-_TRACE_LINES:]
        items.append(
            FailureItem(
                kind="step",
                id=key,
                category=category,
                fingerprint=digest,
                first_line=f"step {key} {why}",
                trace="\n".join(last),
                step=key,
                reproduce=s.command,
            )
        )
    return items


def _gate_items(run: Run) -> list[FailureItem]:
    v = run.verdict
    if v is None or v.bypassed:
        return []
    items: list[FailureItem] = []
    for r in v.results:
        if r.status != "fail" or not r.blocking:
            continue
        key = f"{r.gate}/{r.criterion}"
        digest = hashlib.sha256(f"gate|{key}".encode()).hexdigest()[:16]
        line = f"gate {r.gate}: {r.criterion} is {r.actual_text}, expected {r.expected}"
        items.append(
            FailureItem(
                kind="gate",
                id=key,
                category="gate",
                fingerprint=digest,
                first_line=line,
                trace="\n".join([r.hint or "", *r.details]).strip(),
                metric=r.metric,
            )
        )
    return items


def build_triage(
    run: Run,
    *,
    rules: Sequence[CategoryRule] = (),
    escalation: EscalationSpec | None = None,
    codeowners: CodeOwners | None = None,
    root: Path | None = None,
    run_dir: Path | None = None,
    first_seen: dict[str, FirstSeen] | None = None,
) -> Triage:
    """Group *run*'s failures by fingerprint, biggest cluster first, each escalated."""
    escalation = escalation or EscalationSpec()
    tests = _test_items(run, rules, root)
    explained = {i.step for i in tests if i.step}
    items = [*tests, *_step_items(run, explained, run_dir), *_gate_items(run)]
    by_fp: dict[str, Cluster] = {}
    order: list[str] = []
    test_by_id = {t.id: t for t in run.tests}
    for item in items:
        c = by_fp.get(item.fingerprint)
        if c is None:
            t = test_by_id.get(item.id) if item.kind == "test" else None
            sig = signature(t, rules).describe() if t is not None else item.first_line
            c = by_fp[item.fingerprint] = Cluster(item.fingerprint, item.category, sig)
            order.append(item.fingerprint)
        c.items.append(item)
    for c in by_fp.values():
        best = None
        owners: list[str] = []
        for item in c.items:
            facts = FailureFacts(
                kind=item.kind,
                category=item.category,
                step=item.step,
                test=item.id if item.kind == "test" else None,
                file=item.file,
                metric=item.metric,
            )
            entry = escalation.entry_for(facts)
            if best is None or severity_rank(entry.severity) < severity_rank(best.severity):
                best = entry
            owners.extend(entry.owners)
            if codeowners is not None:
                for path in (item.file, item.app_file):
                    if path:
                        owners.extend(codeowners.owners(path))
        assert best is not None
        c.severity = best.severity
        c.failure_type = best.name
        c.sla, c.sla_s = best.sla, best.sla_s
        c.actions = list(best.actions)
        c.owners = list(dict.fromkeys(owners))
        if first_seen is not None:
            c.first_seen = first_seen.get(c.fingerprint)
    rank = {fp: i for i, fp in enumerate(order)}
    clusters = sorted(
        by_fp.values(),
        key=lambda c: (-c.size, severity_rank(c.severity), rank[c.fingerprint]),
    )
    return Triage(run=run.id, commit=run.vcs.commit, branch=run.vcs.branch, clusters=clusters)
