"""The one model: a :class:`Run` and its parts, and ``summary.json`` read and write.

Everything lowers into :class:`Run`; everything downstream (gates, history, reports) reads only it.
The classes are plain slotted dataclasses rather than pydantic models: a run can hold a million
test cases, and building them must cost no more than a tuple each.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import countOf, itemgetter
from pathlib import Path
from typing import Any, Literal

from testgate._faults import point as fault_point
from testgate.errors import InputError
from testgate.verdict import Verdict

__all__ = [
    "FINDING_CATEGORIES",
    "MAX_ID_CHARS",
    "MAX_MESSAGE_CHARS",
    "MAX_NAME_CHARS",
    "MAX_PATH_CHARS",
    "MAX_PROPERTIES",
    "MAX_PROPERTY_CHARS",
    "MAX_TRACE_CHARS",
    "SCHEMA",
    "SEVERITIES",
    "STEP_STATUSES",
    "TEST_STATUSES",
    "CiInfo",
    "Coverage",
    "FileCoverage",
    "Finding",
    "ReportData",
    "ReportRef",
    "Run",
    "StepResult",
    "TestCase",
    "VcsInfo",
    "bounded",
    "cap_fields",
    "derive_metrics",
    "distinct_vulnerabilities",
    "make_test_id",
    "read_summary",
    "write_summary",
]

#: The summary format. Bump the major version only for a change old readers cannot ignore.
SCHEMA = "testgate.summary/1"
SCHEMA_MAJOR = 1

StepStatus = Literal["passed", "failed", "timed_out", "skipped", "cancelled"]
TestStatus = Literal["passed", "failed", "error", "skipped"]
STEP_STATUSES: tuple[str, ...] = ("passed", "failed", "timed_out", "skipped", "cancelled")
TEST_STATUSES: tuple[str, ...] = ("passed", "failed", "error", "skipped")
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
FINDING_CATEGORIES: tuple[str, ...] = (
    "vulnerability",
    "secret",
    "lint",
    "license",
    "complexity",
    "duplication",
    "mutation",
)

# Messages and traces are bounded so that one runaway test cannot blow up a summary.
MAX_MESSAGE_CHARS = 4_000
MAX_TRACE_CHARS = 16_000


# Names, ids, class names, file paths and properties are bounded too (issue 12.3): one 200 MB
# attribute would otherwise become a 400 MB summary and a 600 MB history. A cut field says
# so in itself, and is cut the same way in every run (the test keeps one identity).
MAX_NAME_CHARS = 1_000
MAX_PATH_CHARS = 1_000
MAX_ID_CHARS = 4_000
MAX_PROPERTIES = 100
MAX_PROPERTY_CHARS = 1_000


def _cut(text: str, limit: int) -> str:
    return f"{text[:limit]} … [{len(text) - limit} more characters cut by testgate]"


def cap_fields(tests: Iterable[TestCase], findings: Iterable[Finding] = ()) -> int:
    """Cut over-long names, ids, class names, suites, file paths and properties of *tests*
    and *findings* in place, each saying how much was cut; returns how many fields were cut."""
    n = 0
    name_max, path_max, id_max = MAX_NAME_CHARS, MAX_PATH_CHARS, MAX_ID_CHARS
    for t in tests:
        if len(t.name) > name_max:
            t.name = _cut(t.name, name_max)
            n += 1
        if len(t.classname) > name_max:
            t.classname = _cut(t.classname, name_max)
            n += 1
        if len(t.suite) > name_max:
            t.suite = _cut(t.suite, name_max)
            n += 1
        if t.file is not None and len(t.file) > path_max:
            t.file = _cut(t.file, path_max)
            n += 1
        if t.test_id is not None and len(t.test_id) > id_max:
            t.test_id = _cut(t.test_id, id_max)
            n += 1
        # each field named, not getattr in a loop: this runs for every one of a million tests
        if (v := t.step) is not None and len(v) > name_max:
            t.step = _cut(v, name_max)
            n += 1
        if (v := t.report) is not None and len(v) > name_max:
            t.report = _cut(v, name_max)
            n += 1
        if (v := t.category) is not None and len(v) > name_max:
            t.category = _cut(v, name_max)
            n += 1
        if (v := t.fingerprint) is not None and len(v) > name_max:
            t.fingerprint = _cut(v, name_max)
            n += 1
        if t.properties:
            n += _cap_properties(t)
    for f in findings:
        for key, limit in (("rule", name_max), ("path", path_max), ("package", name_max)):
            value = getattr(f, key)
            if isinstance(value, str) and len(value) > limit:
                setattr(f, key, _cut(value, limit))
                n += 1
        if len(f.message) > MAX_MESSAGE_CHARS:
            f.message = _cut(f.message, MAX_MESSAGE_CHARS)
            n += 1
    return n


def _cap_properties(t: TestCase) -> int:
    props = t.properties
    big = len(props) > MAX_PROPERTIES or any(
        len(str(k)) > MAX_PROPERTY_CHARS or (isinstance(v, str) and len(v) > MAX_PROPERTY_CHARS)
        for k, v in props.items()
    )
    if not big:
        return 0
    out: dict[str, Any] = {}
    items: Iterable[tuple[object, object]] = props.items()  # a summary may hold any JSON
    for i, (k, v) in enumerate(items):
        if i == MAX_PROPERTIES:
            out["testgate.cut"] = f"{len(props) - MAX_PROPERTIES} more properties cut by testgate"
            break
        key = str(k)
        key = _cut(key, MAX_PROPERTY_CHARS) if len(key) > MAX_PROPERTY_CHARS else key
        if isinstance(v, str) and len(v) > MAX_PROPERTY_CHARS:
            v = _cut(v, MAX_PROPERTY_CHARS)
        elif not isinstance(v, (str, int, float, bool, type(None))):
            text = str(v)
            v = _cut(text, MAX_PROPERTY_CHARS) if len(text) > MAX_PROPERTY_CHARS else text
        out[key] = v
    t.properties = out
    return 1


def bounded(text: str | None, limit: int) -> str | None:
    """Cut *text* to at most *limit* characters, saying how much was cut."""
    if text is None or len(text) <= limit:
        return text
    cut = len(text) - limit
    return f"{text[:limit]}\n… [{cut} more characters cut by testgate]"


def make_test_id(suite: str, classname: str, name: str, file: str | None = None) -> str:
    """The stable identity of a test across runs, shards and retries.

    ``classname::name`` where a class name is known (it already says the module or file);
    otherwise ``file::name`` or ``suite::name``. Parameters are part of *name* (``test_x[1-2]``).
    The suite is left out when a class name exists because producers name suites by shard,
    host or timestamp, which would split one test's history.
    """
    scope = classname or (file or "") or suite
    return f"{scope}::{name}" if scope else name


@dataclass(slots=True)
class TestCase:
    """One test's outcome in one run."""

    __test__ = False  # not a pytest test class

    suite: str
    classname: str
    name: str
    status: TestStatus = "passed"
    duration_s: float = 0.0
    file: str | None = None
    line: int | None = None
    message: str | None = None
    trace: str | None = None
    #: how many times it ran in this run; >1 means retries happened
    attempts: int = 1
    #: failed at least once and then passed in this run
    flaky: bool = False
    properties: dict[str, str] = field(default_factory=dict)
    #: the pipeline step whose report held it, when known
    step: str | None = None
    #: the report file it was read from, when known
    report: str | None = None
    #: set to override the derived identity (rarely needed)
    test_id: str | None = None
    #: why a failed or errored test failed: assertion, exception, timeout, infrastructure,
    #: collection, crash, or a user's own category (set by triage)
    category: str | None = None
    #: the cause of a failure: exception type + normalised location; failures with one cause
    #: share it (set by triage; outage detection and the reports' grouping use it)
    fingerprint: str | None = None
    #: an error in the test's teardown reported beside its failure (pytest writes a failed
    #: test whose teardown also failed as two entries): its message and trace, bounded
    teardown_error: str | None = None

    @property
    def id(self) -> str:
        return self.test_id or make_test_id(self.suite, self.classname, self.name, self.file)

    def to_dict(self) -> dict[str, Any]:
        # a million of these make a big summary: each field is read once, the identity is
        # derived in place (what ``id`` does), optional keys only when set keep it small
        tid = self.test_id or make_test_id(self.suite, self.classname, self.name, self.file)
        d: dict[str, Any] = {
            "id": tid,
            "suite": self.suite,
            "classname": self.classname,
            "name": self.name,
            "status": self.status,
            "duration_s": self.duration_s,
        }
        if (v := self.file) is not None:
            d["file"] = v
        if (line := self.line) is not None:
            d["line"] = line
        if (v := self.message) is not None:
            d["message"] = v
        if (v := self.trace) is not None:
            d["trace"] = v
        if self.attempts != 1:
            d["attempts"] = self.attempts
        if self.flaky:
            d["flaky"] = True
        if self.properties:
            d["properties"] = self.properties
        if (v := self.step) is not None:
            d["step"] = v
        if (v := self.report) is not None:
            d["report"] = v
        if (v := self.category) is not None:
            d["category"] = v
        if (v := self.fingerprint) is not None:
            d["fingerprint"] = v
        if (v := self.teardown_error) is not None:
            d["teardown_error"] = v
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TestCase:
        # positional and without recomputing the identity: a summary of a million tests is
        # read in one pass, and the id it carries is the one history already knows
        get = d.get
        props = get("properties")
        return cls(
            get("suite", ""),
            get("classname", ""),
            d["name"],
            get("status", "passed"),
            float(get("duration_s", 0.0)),
            get("file"),
            get("line"),
            get("message"),
            get("trace"),
            int(get("attempts", 1)),
            bool(get("flaky", False)),
            dict(props) if props else {},
            get("step"),
            get("report"),
            get("id"),
            get("category"),
            get("fingerprint"),
            get("teardown_error"),
        )


@dataclass(slots=True)
class FileCoverage:
    """Line-level coverage of one source file, its path relative to the repository root."""

    path: str
    #: coverable line number -> hit count (0 = not covered)
    lines: dict[int, int] = field(default_factory=dict)
    #: line number -> (covered branches, total branches)
    branches: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: for partly covered branch lines whose report names its branches (coverage.py arcs,
    #: Cobertura ``missing-branches``, lcov ``BRDA`` block/branch ids): the ids of the branches
    #: not taken. Merging shards intersects them, as ``coverage combine`` unites the arcs.
    missing_branches: dict[int, frozenset[str]] = field(default_factory=dict)

    @property
    def covered_lines(self) -> int:
        return sum(1 for h in self.lines.values() if h > 0)

    @property
    def total_lines(self) -> int:
        return len(self.lines)

    @property
    def covered_branches(self) -> int:
        return sum(c for c, _ in self.branches.values())

    @property
    def total_branches(self) -> int:
        return sum(t for _, t in self.branches.values())

    def missed(self) -> list[int]:
        return sorted(n for n, h in self.lines.items() if h <= 0)

    def merge(self, other: FileCoverage) -> None:
        """Merge another report of the same file (another shard): hits add up, and a branch
        is covered when either report covered it.

        Where both reports name a line's missed branches, the branches missed by both are
        the ones still missed (exact, as ``coverage combine``); a line fully covered in either
        is fully covered; otherwise the better of the two counts is kept (a lower bound: the
        report does not say which branches it took).
        """
        for n, h in other.lines.items():
            self.lines[n] = self.lines.get(n, 0) + h
        mine = self.missing_branches
        theirs = other.missing_branches
        for n, (c, t) in other.branches.items():
            old = self.branches.get(n)
            if old is None:
                self.branches[n] = (c, t)
                if n in theirs:
                    mine[n] = theirs[n]
                continue
            oc, ot = old
            total = max(ot, t)
            if oc >= ot or c >= t:
                merged: tuple[int, int] = (total, total)
                mine.pop(n, None)
            elif oc == 0:
                merged = (c, t)
                if n in theirs:
                    mine[n] = theirs[n]
            elif c == 0:
                merged = old
            elif n in mine and n in theirs:
                missed = mine[n] & theirs[n]
                merged = (total - len(missed), total)
                if 0 < merged[0] < total:
                    mine[n] = missed
                else:
                    del mine[n]
            else:
                merged = (min(total, max(oc, c)), total)
                mine.pop(n, None)
            self.branches[n] = merged

    def to_dict(self) -> dict[str, Any]:
        covered = sorted(n for n, h in self.lines.items() if h > 0)
        d: dict[str, Any] = {"covered": covered, "missed": self.missed()}
        if self.branches:
            d["branches"] = [[n, c, t] for n, (c, t) in sorted(self.branches.items())]
        if self.missing_branches:
            d["missing_branches"] = [
                [n, sorted(ids)] for n, ids in sorted(self.missing_branches.items())
            ]
        return d

    @classmethod
    def from_dict(cls, path: str, d: dict[str, Any]) -> FileCoverage:
        lines = dict.fromkeys(d.get("missed", []), 0)
        lines.update(dict.fromkeys(d.get("covered", []), 1))
        branches = {int(n): (int(c), int(t)) for n, c, t in d.get("branches", [])}
        missing = {int(n): frozenset(map(str, ids)) for n, ids in d.get("missing_branches", [])}
        return cls(path=path, lines=lines, branches=branches, missing_branches=missing)


_POSITIVE = (0).__lt__
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


@dataclass(slots=True)
class Coverage:
    """Coverage of a run: per file, keyed by repository-relative path."""

    files: dict[str, FileCoverage] = field(default_factory=dict)

    def add(self, fc: FileCoverage) -> None:
        old = self.files.get(fc.path)
        if old is None:
            self.files[fc.path] = fc
        else:
            old.merge(fc)

    def merge(self, other: Coverage) -> None:
        for fc in other.files.values():
            self.add(fc)

    def totals(self) -> tuple[int, int, int, int]:
        """(covered lines, coverable lines, covered branches, total branches)."""
        cl = tl = cb = tb = 0
        # C-level passes per file (a report can hold a million lines): hit counts are almost
        # never negative, so "covered" is "not zero" once min() has ruled negatives out
        for fc in self.files.values():
            vals = fc.lines.values()
            n = len(vals)
            tl += n
            if n:
                cl += n - countOf(vals, 0) if min(vals) >= 0 else sum(map(_POSITIVE, vals))
            if fc.branches:
                bv = fc.branches.values()
                cb += sum(map(_FIRST, bv))
                tb += sum(map(_SECOND, bv))
        return cl, tl, cb, tb

    def __bool__(self) -> bool:
        return bool(self.files)

    def to_dict(self) -> dict[str, Any]:
        cl, tl, cb, tb = self.totals()
        return {
            "totals": {
                "covered_lines": cl,
                "lines": tl,
                "covered_branches": cb,
                "branches": tb,
            },
            "files": {p: fc.to_dict() for p, fc in sorted(self.files.items())},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Coverage:
        return cls({p: FileCoverage.from_dict(p, fd) for p, fd in (d.get("files") or {}).items()})


@dataclass(slots=True)
class Finding:
    """A vulnerability, secret, lint problem, licence problem or other static finding."""

    tool: str
    rule: str
    severity: str  # one of SEVERITIES
    message: str
    category: str = "lint"  # one of FINDING_CATEGORIES
    path: str | None = None
    line: int | None = None
    package: str | None = None
    version: str | None = None
    fixed_in: str | None = None
    #: other ids of the same advisory (CVE, GHSA, PYSEC...): two scanners' findings of one
    #: package version that share an id are one vulnerability (see distinct_vulnerabilities)
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "tool": self.tool,
            "rule": self.rule,
            "severity": self.severity,
            "category": self.category,
            "message": self.message,
        }
        for k in ("path", "line", "package", "version", "fixed_in"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        if self.aliases:
            d["aliases"] = list(self.aliases)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(
            tool=d["tool"],
            rule=d.get("rule", ""),
            severity=d.get("severity", "info"),
            message=d.get("message", ""),
            category=d.get("category", "lint"),
            path=d.get("path"),
            line=d.get("line"),
            package=d.get("package"),
            version=d.get("version"),
            fixed_in=d.get("fixed_in"),
            aliases=tuple(d.get("aliases") or ()),
        )


@dataclass(slots=True)
class ReportRef:
    """A report file that was read into the run."""

    path: str
    format: str
    kind: str  # tests, coverage, perf, security, lint, complexity, duplication, mutation, docs
    step: str | None = None
    #: a performance report's own ``perf.*`` figures: several reports may name the same
    #: scenario (two load tests, a load test and a benchmark), and none overwrites another
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path, "format": self.format, "kind": self.kind}
        if self.step is not None:
            d["step"] = self.step
        if self.metrics:
            d["metrics"] = dict(sorted(self.metrics.items()))
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReportRef:
        return cls(
            path=d["path"],
            format=d["format"],
            kind=d["kind"],
            step=d.get("step"),
            metrics={k: float(v) for k, v in (d.get("metrics") or {}).items()},
        )


@dataclass(slots=True)
class ReportData:
    """What one adapter read from one report: a fragment of a run."""

    tests: list[TestCase] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    findings: list[Finding] = field(default_factory=list)
    #: metrics the report provides directly (perf.*, lint.*, mutation.score, ...)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class StepResult:
    """The outcome of one pipeline step."""

    stage: str
    name: str
    status: StepStatus
    exit_code: int | None = None
    attempts: int = 0
    duration_s: float = 0.0
    log: str | None = None  # path relative to the run directory
    reports: list[str] = field(default_factory=list)
    reason: str | None = None  # why skipped, cancelled or timed out
    command: str | None = None
    started_at: str | None = None
    #: not run: its reports were replayed from a green run with the same cache key
    cached: bool = False
    #: why the step ran once more (``retry_on:``): its first attempt failed only for these
    #: triage categories; such a retry is noise, not flakiness
    retried_on: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "stage": self.stage,
            "name": self.name,
            "status": self.status,
            "exit_code": self.exit_code,
            "attempts": self.attempts,
            "duration_s": self.duration_s,
            "log": self.log,
            "reports": list(self.reports),
            "reason": self.reason,
            "command": self.command,
            "started_at": self.started_at,
        }
        if self.cached:  # only when set: summaries of runs without the cache stay as they were
            d["cached"] = True
        if self.retried_on is not None:
            d["retried_on"] = self.retried_on
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepResult:
        return cls(
            stage=d.get("stage", ""),
            name=d["name"],
            status=d["status"],
            exit_code=d.get("exit_code"),
            attempts=int(d.get("attempts", 0)),
            duration_s=float(d.get("duration_s", 0.0)),
            log=d.get("log"),
            reports=list(d.get("reports") or []),
            reason=d.get("reason"),
            command=d.get("command"),
            started_at=d.get("started_at"),
            cached=bool(d.get("cached", False)),
            retried_on=d.get("retried_on"),
        )


@dataclass(slots=True)
class VcsInfo:
    commit: str | None = None
    branch: str | None = None
    base_ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"commit": self.commit, "branch": self.branch, "base_ref": self.base_ref}


@dataclass(slots=True)
class CiInfo:
    provider: str | None = None
    job: str | None = None
    shard_index: int | None = None
    shard_total: int | None = None
    #: a fingerprint of the split this shard ran (equal in every shard of one run)
    shard_plan: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "provider": self.provider,
            "job": self.job,
            "shard_index": self.shard_index,
            "shard_total": self.shard_total,
        }
        if self.shard_plan is not None:
            d["shard_plan"] = self.shard_plan
        return d


@dataclass(slots=True)
class Run:
    """One run of the pipeline (or one ingest of reports made elsewhere)."""

    id: str
    project: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    vcs: VcsInfo = field(default_factory=VcsInfo)
    ci: CiInfo = field(default_factory=CiInfo)
    steps: list[StepResult] = field(default_factory=list)
    tests: list[TestCase] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    reports: list[ReportRef] = field(default_factory=list)
    #: set by ``testgate run`` when the run was interrupted
    interrupted: bool = False
    #: the gate verdict, when gates were evaluated
    verdict: Verdict | None = None
    #: the configuration's quarantine entries applied to this run, each with the ids of the
    #: tests it matched: ``{"test", "owner", "reason", "expires", "expired", "tests": [ids]}``
    #: (testgate.gates.quarantine fills it; an expired entry quarantines nothing)
    quarantine: list[dict[str, Any]] = field(default_factory=list)

    def quarantined(self) -> dict[str, dict[str, Any]]:
        """Test id -> the active quarantine entry that matched it."""
        out: dict[str, dict[str, Any]] = {}
        for entry in self.quarantine:
            if not entry.get("expired"):
                for tid in entry.get("tests") or ():
                    out.setdefault(tid, entry)
        return out

    def quarantine_failures(self) -> tuple[list[TestCase], set[str]]:
        """The failed tests an active quarantine entry matched, and the keys (``stage/name``)
        of the failed steps whose failing tests are all quarantined: such a step failed only
        because of them, as a pytest run whose failures are ``xfail`` would not have."""
        quarantined = self.quarantined()
        if not quarantined:
            return [], set()
        tests: list[TestCase] = []
        counted: dict[str | None, list[bool]] = {}
        for t in self.tests:
            if t.status in ("failed", "error"):
                q = t.id in quarantined
                counted.setdefault(t.step, []).append(q)
                if q:
                    tests.append(t)
        steps = {
            f"{s.stage}/{s.name}"
            for s in self.steps
            if s.status == "failed" and all(counted.get(f"{s.stage}/{s.name}") or [False])
        }
        return tests, steps

    def absorb(self, data: ReportData, ref: ReportRef | None = None) -> None:
        """Add what one report held to this run."""
        if ref is not None:
            self.reports.append(ref)
            if ref.kind == "perf":
                ref.metrics.update((k, v) for k, v in data.metrics.items() if k.startswith("perf."))
            if ref.step is not None:
                for tc in data.tests:
                    if tc.step is None:
                        tc.step = ref.step
        self.tests.extend(data.tests)
        self.coverage.merge(data.coverage)
        self.findings.extend(data.findings)
        for k, v in data.metrics.items():
            old = self.metrics.get(k)
            # the maximum over several reports is the largest (complexity.cyclomatic.max)
            self.metrics[k] = max(old, v) if old is not None and k.endswith(".max") else v

    def finalize(self) -> None:
        """Recompute the derived metrics; call after the last report was absorbed."""
        self.metrics.update(derive_metrics(self))
        # a perf.* name that several reports give has no one value: it stays with each report
        # (ReportRef.metrics), and perf.all.* exists only when one report gives it
        seen: dict[str, int] = {}
        for r in self.reports:
            for k in r.metrics:
                seen[k] = seen.get(k, 0) + 1
        for k, n in seen.items():
            if n > 1:
                self.metrics.pop(k, None)

    def to_dict(self, *, tests: bool = True) -> dict[str, Any]:
        """The summary document (``testgate.summary/1``); without the tests when *tests* is
        false (:func:`write_summary` streams them)."""
        run: dict[str, Any] = {
            "id": self.id,
            "project": self.project,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "vcs": self.vcs.to_dict(),
            "ci": self.ci.to_dict(),
            "interrupted": self.interrupted,
            "reports": [r.to_dict() for r in self.reports],
        }
        d: dict[str, Any] = {
            "schema": SCHEMA,
            "run": run,
            "metrics": dict(sorted(self.metrics.items())),
            "steps": [s.to_dict() for s in self.steps],
            "coverage": self.coverage.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.verdict is not None:
            d["verdict"] = self.verdict.to_dict()
        if self.quarantine:
            d["quarantine"] = self.quarantine
        if tests:
            d["tests"] = [t.to_dict() for t in self.tests]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, source: str = "summary") -> Run:
        schema = d.get("schema") if isinstance(d, dict) else None
        if not isinstance(schema, str) or not schema.startswith("testgate.summary/"):
            raise InputError(
                f"{source}: not a testgate summary (expected a 'schema' key of "
                f"'{SCHEMA}', got {schema!r})",
                slug="summary-schema",
            )
        try:
            major = int(schema.rsplit("/", 1)[1].split(".")[0])
        except ValueError:
            major = -1
        if major != SCHEMA_MAJOR:
            raise InputError(
                f"{source}: summary schema {schema!r} is not supported; this testgate reads "
                f"'{SCHEMA}' (upgrade testgate to read newer summaries)",
                slug="summary-schema",
            )
        _check_head_shape(d, source)
        try:
            r = d["run"]
            vcs = r.get("vcs") or {}
            ci = r.get("ci") or {}
            run = cls(
                id=r["id"],
                project=r.get("project", ""),
                started_at=r.get("started_at"),
                finished_at=r.get("finished_at"),
                vcs=VcsInfo(vcs.get("commit"), vcs.get("branch"), vcs.get("base_ref")),
                ci=CiInfo(
                    ci.get("provider"),
                    ci.get("job"),
                    ci.get("shard_index"),
                    ci.get("shard_total"),
                    ci.get("shard_plan"),
                ),
                steps=[StepResult.from_dict(s) for s in d.get("steps") or []],
                tests=[TestCase.from_dict(t) for t in d.get("tests") or []],
                coverage=Coverage.from_dict(d.get("coverage") or {}),
                findings=[Finding.from_dict(f) for f in d.get("findings") or []],
                metrics={k: float(v) for k, v in (d.get("metrics") or {}).items()},
                reports=[ReportRef.from_dict(x) for x in r.get("reports") or []],
                interrupted=bool(r.get("interrupted", False)),
                verdict=Verdict.from_dict(d["verdict"]) if d.get("verdict") else None,
                quarantine=[dict(q) for q in d.get("quarantine") or []],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                f"{source}: malformed testgate summary ({type(exc).__name__}: {exc}); "
                "expected the shape described by testgate's summary JSON Schema",
                slug="summary-schema",
            ) from exc
        _check_tests_shape(run.tests, source)
        cap_fields(run.tests, run.findings)
        return run


_NONE = type(None)
_OPT_STR = (str, _NONE)
_OPT_INT = (int, _NONE)


def _shape_error(source: str, key: str, value: object, expected: str) -> InputError:
    shown = type(value).__name__
    return InputError(
        f"{source}: {key}: expected {expected}, got {shown}; expected the shape described by "
        "testgate's summary JSON Schema",
        slug="summary-schema",
    )


def _check_head_shape(d: dict[str, Any], source: str) -> None:
    """Refuse a summary whose head has a value of the wrong type (``run.id`` a list), naming
    the key, before any of it reaches the history store or a renderer."""
    r = d.get("run")
    if not isinstance(r, dict):
        raise _shape_error(source, "run", r, "an object")
    if not isinstance(r.get("id"), str) or not r["id"]:
        raise _shape_error(source, "run.id", r.get("id"), "a non-empty string")
    for key, types, what in (
        ("project", (str, _NONE), "a string"),
        ("started_at", _OPT_STR, "a string or null"),
        ("finished_at", _OPT_STR, "a string or null"),
        ("vcs", (dict, _NONE), "an object"),
        ("ci", (dict, _NONE), "an object"),
        ("reports", (list, _NONE), "a list"),
    ):
        if not isinstance(r.get(key), types):
            raise _shape_error(source, f"run.{key}", r.get(key), what)
    for section in ("vcs", "ci"):
        for key, value in (r.get(section) or {}).items():
            if not isinstance(value, (str, int, float, dict, list, _NONE)) or isinstance(
                value, bool
            ):
                raise _shape_error(source, f"run.{section}.{key}", value, "a string or null")
    for key in ("commit", "branch", "base_ref"):
        value = (r.get("vcs") or {}).get(key)
        if not isinstance(value, _OPT_STR):
            raise _shape_error(source, f"run.vcs.{key}", value, "a string or null")
    for key, types, what in (
        ("steps", (list, _NONE), "a list"),
        ("tests", (list, _NONE), "a list"),
        ("findings", (list, _NONE), "a list"),
        ("metrics", (dict, _NONE), "an object of numbers"),
        ("coverage", (dict, _NONE), "an object"),
    ):
        if not isinstance(d.get(key), types):
            raise _shape_error(source, key, d.get(key), what)
    for name, value in (d.get("metrics") or {}).items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _shape_error(source, f"metrics.{name}", value, "a number")
    for i, step in enumerate(d.get("steps") or []):
        if not isinstance(step, dict):
            raise _shape_error(source, f"steps.{i}", step, "an object")
        for key in ("stage", "name", "status"):
            if not isinstance(step.get(key), str):
                raise _shape_error(source, f"steps.{i}.{key}", step.get(key), "a string")


def _check_tests_shape(tests: list[TestCase], source: str, start: int = 0) -> None:
    """Refuse a test whose identity or status has the wrong type, naming ``tests.N.key``."""
    opt_str = _OPT_STR
    for i in range(start, len(tests)):
        t = tests[i]
        if (
            t.name.__class__ is str
            and t.suite.__class__ is str
            and t.classname.__class__ is str
            and t.status in TEST_STATUSES
            and isinstance(t.test_id, opt_str)
            and isinstance(t.file, opt_str)
            and isinstance(t.line, _OPT_INT)
            and isinstance(t.message, opt_str)
            and isinstance(t.trace, opt_str)
        ):
            continue
        for key in ("name", "suite", "classname", "test_id", "file", "message", "trace"):
            value = getattr(t, key)
            if not isinstance(value, str if key in ("name", "suite", "classname") else opt_str):
                raise _shape_error(
                    source, f"tests.{i}.{key.replace('test_', '')}", value, "a string"
                )
        if not isinstance(t.line, _OPT_INT):
            raise _shape_error(source, f"tests.{i}.line", t.line, "an integer or null")
        raise InputError(
            f"{source}: tests.{i}.status: expected one of {', '.join(TEST_STATUSES)}, "
            f"got {t.status!r}",
            slug="summary-schema",
        )


def _pct(num: float, den: float) -> float:
    return round(100.0 * num / den, 4) if den else 0.0


_SECURITY_KEYS = ("security.critical", "security.high", "security.medium", "security.low")


def _norm_package(name: str) -> str:
    # PEP 503's normal form (Django, django, django_x and django.x name one package); harmless
    # for npm, Go, Maven and OS package names
    return "-".join(name.lower().replace("_", "-").replace(".", "-").split())


def distinct_vulnerabilities(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per vulnerability: findings of different scanners on one package version
    whose advisory ids (``rule`` and ``aliases``) meet are one vulnerability, at the highest
    severity any of them gives (that finding stands for the group). One scanner's repeats stay
    as it counts them; findings without a package (code findings, misconfigurations) are each
    their own.

    Two scanners (pip-audit and trivy, npm audit and grype) often report the same advisory
    for the same installed package; counting it twice would double ``security.*``. Every
    finding stays in the run (both sources are kept); only the counts use this.
    """
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out: list[Finding] = []
    # (package, version) -> groups of [ids, tools, best finding]
    groups: dict[tuple[str, str], list[list[Any]]] = {}
    for f in findings:
        if not f.package:
            out.append(f)
            continue
        ids = {i.strip().upper() for i in (f.rule, *f.aliases) if i and i.strip()}
        bucket = groups.setdefault((_norm_package(f.package), (f.version or "").strip()), [])
        # a scanner's own repeats (one package in two images or lock files) count as it
        # counts them: a finding joins only a group that has no finding of its tool yet
        group = next((g for g in bucket if g[0] & ids and f.tool not in g[1]), None)
        if group is None:
            bucket.append([ids, {f.tool}, f])
            continue
        group[0] |= ids
        group[1].add(f.tool)
        if rank.get(f.severity, 99) < rank.get(group[2].severity, 99):
            group[2] = f
    for bucket in groups.values():
        out.extend(g[2] for g in bucket)
    return out


def derive_metrics(run: Run) -> dict[str, float]:
    """The metrics that follow from the run's tests, coverage, findings and steps.

    A family with no data is absent, never zero: no test report means no ``tests.*``.
    """
    m: dict[str, float] = {}
    if run.tests or any(r.kind == "tests" for r in run.reports):
        counts = dict.fromkeys(TEST_STATUSES, 0)
        flaky = 0
        duration = 0.0
        for t in run.tests:
            counts[t.status] = counts.get(t.status, 0) + 1
            if t.flaky:
                flaky += 1
            duration += t.duration_s
        total = len(run.tests)
        m["tests.total"] = total
        m["tests.passed"] = counts["passed"]
        # tests.failed counts every test that did not pass for a reason: failures and errors
        # (a gate "tests.failed == 0" must not pass a run in which every test errored);
        # tests.failures and tests.errors give the split
        m["tests.failed"] = counts["failed"] + counts["error"]
        m["tests.failures"] = counts["failed"]
        m["tests.errors"] = counts["error"]
        m["tests.skipped"] = counts["skipped"]
        m["tests.flaky"] = flaky
        # the same count under its plain name: tests that failed and then passed on a retry
        # in this run; flakiness over runs is history.flaky_rate
        m["tests.retried"] = flaky
        executed = total - counts["skipped"]
        m["tests.pass_rate"] = _pct(counts["passed"], executed) if executed else 100.0
        m["tests.duration_s"] = round(duration, 6)
    if run.coverage:
        cl, tl, cb, tb = run.coverage.totals()
        m["coverage.line"] = _pct(cl, tl) if tl else 100.0
        if tb:
            m["coverage.branch"] = _pct(cb, tb)
    # A finding family is measured when it has findings or when an adapter reported its counts
    # (a clean scan reports zeros: a bandit run with no results gives security.* = 0, a ruff
    # SARIF gives no security.* at all). Recounting over all findings keeps several reports'
    # totals right, since Run.absorb lets the last report's per-report count win.
    vulns = distinct_vulnerabilities(f for f in run.findings if f.category == "vulnerability")
    if vulns or any(k in run.metrics for k in _SECURITY_KEYS):
        for sev in ("critical", "high", "medium", "low"):
            m[f"security.{sev}"] = sum(1 for f in vulns if f.severity == sev)
    secrets = [f for f in run.findings if f.category == "secret"]
    if secrets or "secrets.count" in run.metrics:
        m["secrets.count"] = len(secrets)
    lint = [f for f in run.findings if f.category == "lint"]
    if lint or "lint.errors" in run.metrics or "lint.warnings" in run.metrics:
        # errors are rated critical/high, warnings medium/low (see docs/formats-security.md)
        m["lint.errors"] = sum(1 for f in lint if f.severity in ("critical", "high"))
        m["lint.warnings"] = sum(1 for f in lint if f.severity in ("medium", "low"))
    if run.steps:
        m["steps.failed"] = sum(1 for s in run.steps if s.status in ("failed", "timed_out"))
    if run.started_at and run.finished_at:
        from datetime import datetime

        try:
            start = datetime.fromisoformat(run.started_at)
            end = datetime.fromisoformat(run.finished_at)
            m["pipeline.duration_s"] = round((end - start).total_seconds(), 3)
        except ValueError:
            pass
    return {k: v for k, v in m.items() if not (isinstance(v, float) and math.isnan(v))}


#: the tests are written last, one per line, after this marker ending the first line: readers
#: stream them, and a reader that needs only the head stops at the marker
_TESTS_MARKER = b',"tests":[\n'
#: tests encoded per write: small enough that the dicts of one chunk fit in the arenas the
#: previous chunk freed (10,000 a chunk made CPython return and re-map its arenas every chunk:
#: 4 s of system time for a million tests, against 0.3 s at 200)
_CHUNK = 256


def _head(run: Run) -> dict[str, Any]:
    """The summary without its tests (which :func:`write_summary` streams)."""
    d = run.to_dict(tests=False)
    d.pop("tests", None)
    return d


def write_summary(run: Run, path: str | os.PathLike[str]) -> Path:
    """Write *run* as ``summary.json`` atomically (a temporary file, then a rename).

    The head (schema, run, metrics, steps, coverage, findings, verdict) is the first line; the
    tests follow, one JSON object per line, encoded in chunks, so that neither writing nor
    reading a million tests builds the whole document in memory. It is one JSON document.
    """
    import orjson

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{id(run):x}.tmp")
    dumps = orjson.dumps
    try:
        with open(tmp, "wb") as fh:
            head = dumps(_head(run), option=orjson.OPT_NON_STR_KEYS)
            fh.write(head[:-1])
            fh.write(_TESTS_MARKER)
            fault_point("summary")
            tests = run.tests
            for start in range(0, len(tests), _CHUNK):
                chunk = tests[start : start + _CHUNK]
                if start:
                    fh.write(b",\n")
                fh.write(b",\n".join([dumps(t.to_dict()) for t in chunk]))
            fh.write(b"\n]}\n" if tests else b"]}\n")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def _read_streamed(fh: Any, first: bytes, source: str) -> Run | None:
    """The fast path of :func:`read_summary` for the layout :func:`write_summary` writes;
    None when the file has another layout (the caller parses it whole)."""
    import orjson

    loads = orjson.loads
    try:
        head = loads(first[: -len(_TESTS_MARKER)] + b"}")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(head, dict):
        return None
    run = Run.from_dict(head, source=source)
    tests = run.tests
    from_dict = TestCase.from_dict
    line = b""
    for n, line in enumerate(fh, start=2):
        if line.startswith(b"]"):
            break
        try:
            d = loads(line[:-2] if line.endswith(b",\n") else line)
            tests.append(from_dict(d))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                f"{source}:{n}: malformed test in the summary ({type(exc).__name__}: {exc})",
                slug="summary-schema",
            ) from None
    _check_tests_shape(tests, source)
    cap_fields(tests)
    if line.rstrip() != b"]}" or fh.read().strip():
        raise InputError(
            f"{source}: the summary ends early or has text after its end (was it cut off "
            "while being written?)",
            slug="summary-schema",
        )
    return run


def read_summary(path: str | os.PathLike[str]) -> Run:
    """Read a ``summary.json``; a missing, malformed or newer file is an :class:`InputError`."""
    from testgate._gc import paused

    # a test case per line, a million of them, and no reference cycle among them
    with paused(age=True):
        return _read_summary(Path(path))


def _read_summary(p: Path) -> Run:
    import orjson

    try:
        with open(p, "rb") as fh:
            first = fh.readline()
            if first.endswith(_TESTS_MARKER):
                run = _read_streamed(fh, first, str(p))
                if run is not None:
                    return run
            data = first + fh.read()
    except FileNotFoundError:
        raise InputError(f"{p}: no such summary file", slug="missing-file") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read summary ({exc})", slug="missing-file") from exc
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        doc = _legacy_json(data, exc, p)
    return Run.from_dict(doc, source=str(p))


def _legacy_json(data: bytes, exc: Exception, p: Path) -> Any:
    """Summaries written by Python's json module may hold NaN or Infinity, which strict JSON
    (and orjson) refuse; anything else that orjson refuses is an error naming the line."""
    import json

    if b"NaN" in data or b"Infinity" in data:
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            pass
    pos = getattr(exc, "pos", None)
    line = data.count(b"\n", 0, pos) + 1 if isinstance(pos, int) else 1
    raise InputError(
        f"{p}:{line}: not valid JSON ({getattr(exc, 'msg', exc)})", slug="summary-schema"
    ) from None


def iter_failures(tests: Iterable[TestCase]) -> Iterator[TestCase]:
    """The tests that failed or errored, in order."""
    return (t for t in tests if t.status in ("failed", "error"))
