"""What the gates read from a run: metrics by name, computed once, and the hints behind them.

:class:`Facts` wraps a :class:`~testgate.model.Run` (and optionally the changed lines of a diff)
and answers "what is metric X" for the gates, recomputing the few metrics that quarantine,
path globs or a diff change (``tests.*``, ``coverage.component.*``, ``coverage.new_code``), and
"what should a person look at first" when X fails. Pure: no I/O, no clock.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from heapq import nsmallest
from itertools import compress
from operator import attrgetter

from testgate.gates.spec import QuarantineEntry
from testgate.model import Run, TestCase
from testgate.verdict import compress_lines, format_value

__all__ = [
    "ChangedLines",
    "Facts",
    "NewCode",
    "compress_lines",
    "format_value",
    "glob_to_regex",
    "missing_hint",
    "new_code_coverage",
]


@dataclass(frozen=True, slots=True)
class ChangedLines:
    """Lines added or changed against a base, by path relative to the coverage root."""

    base_ref: str
    base_commit: str
    files: dict[str, frozenset[int]] = field(default_factory=dict)
    #: what was compared, for the output ("merge-base abc123 of HEAD and main + working tree")
    description: str = ""


@dataclass(frozen=True, slots=True)
class NewCode:
    covered: int
    total: int
    #: path -> uncovered changed lines, sorted
    uncovered: dict[str, list[int]]

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 100.0


def new_code_coverage(changes: ChangedLines, run: Run) -> NewCode:
    """Changed lines intersected with coverable lines, as diff-cover counts them.

    A changed file that the coverage report does not list is left out (diff-cover does the same:
    it has no coverable lines), and so are changed lines that are not coverable (blank, comments).
    """
    files = run.coverage.files
    covered = total = 0
    uncovered: dict[str, list[int]] = {}
    for path, lines in sorted(changes.files.items()):
        fc = files.get(path)
        if fc is None:
            continue
        missed: list[int] = []
        for n in sorted(lines):
            hits = fc.lines.get(n)
            if hits is None:
                continue
            total += 1
            if hits > 0:
                covered += 1
            else:
                missed.append(n)
        if missed:
            uncovered[path] = missed
    return NewCode(covered, total, uncovered)


@lru_cache(maxsize=512)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """A path glob where ``**`` spans folders, ``*`` and ``?`` stay within one."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


#: for a metric no report provided: (metric prefix, what is missing, the --format names of the
#: adapters that provide it, how to get it). Every name is a registered adapter that gives the
#: metric (tests/gates/test_missing_hints.py checks both), so a hint never sends a user to a
#: tool testgate cannot read or that does not measure what the gate asks.
MISSING_REPORTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("coverage.new_code", "new-code coverage needs a coverage report and a git diff", (), ""),
    (
        "coverage.",
        "no coverage report was read",
        ("cobertura", "lcov", "jacoco", "coveragepy-json", "istanbul-json", "clover", "gocover"),
        "",
    ),
    ("tests", "no test report was read", ("junit", "nunit", "trx", "xunit", "tap", "gotest"), ""),
    (
        "perf.",
        "no performance report was read",
        ("jmeter", "locust", "k6", "gatling", "wrk", "autocannon", "pytest-benchmark"),
        "",
    ),
    (
        "security.",
        "no vulnerability scan was read",
        ("trivy", "npm-audit", "pip-audit", "safety", "bandit", "semgrep", "sarif"),
        "",
    ),
    ("secrets.", "no secret scan was read", ("gitleaks", "detect-secrets", "trivy", "sarif"), ""),
    (
        "licenses.",
        "no licence report was read",
        ("trivy",),
        " (trivy fs --scanners license --format json)",
    ),
    (
        "lint.",
        "no lint report was read",
        ("ruff", "eslint", "checkstyle", "pmd", "rubocop", "hadolint", "cfn-lint", "sarif"),
        "",
    ),
    (
        "complexity.cognitive.",
        "no cognitive complexity report was read",
        ("complexipy", "eslint"),
        " (complexipy for Python; eslint with eslint-plugin-sonarjs's cognitive-complexity rule"
        " for JavaScript)",
    ),
    (
        "complexity.",
        "no complexity report was read",
        ("radon-cc", "lizard-csv", "lizard-xml"),
        "",
    ),
    ("duplication.", "no duplication report was read", ("jscpd", "pmd-cpd"), ""),
    ("docs.", "no documentation coverage report was read", ("interrogate", "docstr-coverage"), ""),
    (
        "mutation.",
        "no mutation report was read",
        ("mutation-elements", "mutmut-stats", "pitest", "stryker-net-legacy"),
        " (mutation-elements is Stryker's JSON)",
    ),
    ("steps.", "this summary has no pipeline steps; the metric comes from 'testgate run'", (), ""),
    (
        "pipeline.",
        "this summary has no start and end time; the metric comes from 'testgate run'",
        (),
        "",
    ),
)


def missing_hint(metric: str) -> str:
    for prefix, what, formats, how in MISSING_REPORTS:
        if metric.startswith(prefix):
            if not formats:
                return f"{metric}: {what}"
            names = ", ".join(formats[:-1]) + (" or " if len(formats) > 1 else "") + formats[-1]
            return f"{metric}: {what}; add a {names} report{how} to a step's reports"
    return f"{metric}: no report read into this run provides it"


def _first_line(text: str | None, limit: int = 160) -> str:
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


_STATUS = attrgetter("status")
_STEP = attrgetter("step")
_FLAKY = attrgetter("flaky")
_DURATION = attrgetter("duration_s")
_FAILING = frozenset({"failed", "error"})


@dataclass(slots=True)
class _TestStats:
    counts: dict[str, float]
    failures: list[TestCase]
    quarantined: list[TestCase]
    #: the steps of a scoped count (None: the whole run)
    steps: set[str | None] | None = None


class Facts:
    """Metrics of one run, computed on demand and cached (a run may hold a million tests)."""

    def __init__(
        self,
        run: Run,
        *,
        quarantine: Iterable[QuarantineEntry] = (),
        changes: ChangedLines | None = None,
    ) -> None:
        self.run = run
        self.quarantine = tuple(quarantine)
        self.changes = changes
        self._tests: dict[str, _TestStats] = {}
        self._file_totals: dict[str, tuple[int, int]] | None = None
        self._newcode: NewCode | None = None
        self._sets: dict[tuple[str, ...], tuple[int, int, list[str]]] = {}
        self._branches: tuple[int, int] | None = None
        self._by_step: Counter[tuple[str | None, str]] | None = None
        self._failing_tests: list[TestCase] | None = None
        self._least: dict[tuple[str, ...], list[str]] = {}

    # -- tests -------------------------------------------------------------------------------
    def _is_quarantined(self, tc: TestCase) -> bool:
        tid = tc.id
        return any(tid == q.test or fnmatch.fnmatchcase(tid, q.test) for q in self.quarantine)

    def _steps_matching(self, scope: str) -> set[str | None]:
        stage_of = {s.name: s.stage for s in self.run.steps}
        word = scope.lower()
        return {
            n
            for n, _ in self._table()
            if n and (word in n.lower() or word in stage_of.get(n, "").lower())
        }

    def _table(self) -> Counter[tuple[str | None, str]]:
        """(step, status) -> number of tests: one pass in C over a million tests."""
        if self._by_step is None:
            tests = self.run.tests
            self._by_step = Counter(zip(map(_STEP, tests), map(_STATUS, tests), strict=True))
        return self._by_step

    def _failing(self) -> list[TestCase]:
        if self._failing_tests is None:
            tests = self.run.tests
            self._failing_tests = list(
                compress(tests, map(_FAILING.__contains__, map(_STATUS, tests)))
            )
        return self._failing_tests

    def test_stats(self, scope: str = "") -> _TestStats:
        """Counts over the run's tests (or those of steps/stages whose name holds *scope*).

        Written for a million tests: counting runs in C (``Counter`` over ``attrgetter``) once
        for all scopes, and only failing tests are looked at one by one (quarantine, hints).
        """
        cached = self._tests.get(scope)
        if cached is not None:
            return cached
        steps = self._steps_matching(scope) if scope else None
        by_status: Counter[str] = Counter()
        for (step, status), n in self._table().items():
            if steps is None or step in steps:
                by_status[status] += n
        bad = by_status["failed"] + by_status["error"]
        failing = self._failing() if bad else []
        if steps is not None:
            failing = [t for t in failing if t.step in steps]
        quarantined: list[TestCase] = []
        failures: list[TestCase] = []
        if self.quarantine:
            for t in failing:
                (quarantined if self._is_quarantined(t) else failures).append(t)
        else:
            failures = failing
        q_failed = sum(1 for t in quarantined if t.status == "failed")
        failed = by_status["failed"] - q_failed
        errors = by_status["error"] - (len(quarantined) - q_failed)
        passed = by_status["passed"]
        # quarantined failures neither fail nor pass: they leave the pass-rate denominator
        executed = passed + failed + errors
        counts: dict[str, float] = {
            "total": sum(by_status.values()),
            "passed": passed,
            # as in the summary: tests.failed is failures and errors, so "tests.failed == 0"
            # cannot pass a run in which every test errored
            "failed": failed + errors,
            "failures": failed,
            "errors": errors,
            "skipped": by_status["skipped"],
            "quarantined": len(quarantined),
            "pass_rate": 100.0 * passed / executed if executed else 100.0,
        }
        stats = _TestStats(counts, failures, quarantined, steps)
        self._tests[scope] = stats
        return stats

    def _test_sum(self, scope: str, key: str) -> float:
        """tests.flaky and tests.duration_s, computed only when a criterion asks."""
        stats = self.test_stats(scope)
        if key not in stats.counts:
            tests: Iterable[TestCase] = self.run.tests
            if stats.steps is not None:
                steps = stats.steps
                tests = compress(tests, map(steps.__contains__, map(_STEP, self.run.tests)))
            getter = _FLAKY if key == "flaky" else _DURATION
            stats.counts[key] = sum(map(getter, tests))
        return stats.counts[key]

    def has_tests(self, scope: str = "") -> bool:
        if scope:
            return self.test_stats(scope).counts["total"] > 0
        return bool(self.run.tests) or any(r.kind == "tests" for r in self.run.reports)

    # -- coverage ----------------------------------------------------------------------------
    def file_totals(self) -> dict[str, tuple[int, int]]:
        if self._file_totals is None:
            out: dict[str, tuple[int, int]] = {}
            for path, fc in self.run.coverage.files.items():
                lines = fc.lines
                out[path] = (sum(map(bool, lines.values())), len(lines))
            self._file_totals = out
        return self._file_totals

    def coverage_of(self, globs: tuple[str, ...]) -> tuple[int, int, list[str]]:
        """(covered, coverable, matching paths) over the files that match any of *globs*."""
        cached = self._sets.get(globs)
        if cached is not None:
            return cached
        # one alternation, so each file costs one regex match however many globs there are
        combined = re.compile(
            "|".join(
                f"(?:{glob_to_regex(g[2:] if g.startswith('./') else g).pattern})" for g in globs
            )
        )
        match = combined.match
        covered = total = 0
        paths: list[str] = []
        for path, (c, t) in self.file_totals().items():
            if match(path):
                covered += c
                total += t
                paths.append(path)
        result = (covered, total, paths)
        self._sets[globs] = result
        return result

    def new_code(self) -> NewCode | None:
        if self.changes is None or not self.run.coverage:
            return None
        if self._newcode is None:
            self._newcode = new_code_coverage(self.changes, self.run)
        return self._newcode

    # -- metrics -----------------------------------------------------------------------------
    def metric(self, name: str, paths: tuple[str, ...] = ()) -> float | None:
        """The value of one concrete metric, or None when nothing measured it."""
        if name.startswith("tests@"):
            scope, _, key = name[len("tests@") :].partition(".")
            if not self.has_tests(scope):
                return None
            if key in ("flaky", "duration_s"):
                return self._test_sum(scope, key)
            return self.test_stats(scope).counts.get(key)
        if name.startswith("tests.") and self.run.tests:
            key = name[len("tests.") :]
            if key in ("flaky", "duration_s"):
                return self._test_sum("", key)
            value = self.test_stats().counts.get(key)
            if value is not None:
                return value
        if paths and name.startswith(("coverage.component.", "coverage.paths.")):
            if not self.run.coverage:
                return None
            covered, total, _ = self.coverage_of(paths)
            return 100.0 * covered / total if total else None
        if name == "coverage.new_code":
            nc = self.new_code()
            return None if nc is None else nc.percent
        if name == "coverage.line" and self.run.coverage:
            # exact, from the lines, not the summary's rounded value
            cl = tl = 0
            for c, t in self.file_totals().values():
                cl += c
                tl += t
            return 100.0 * cl / tl if tl else 100.0
        if name == "coverage.branch" and self.run.coverage:
            if self._branches is None:
                cb = tb = 0
                for fc in self.run.coverage.files.values():
                    for c, t in fc.branches.values():
                        cb += c
                        tb += t
                self._branches = (cb, tb)
            cb, tb = self._branches
            return 100.0 * cb / tb if tb else None
        return self.run.metrics.get(name)

    def resolve(self, pattern: str, paths: tuple[str, ...] = ()) -> list[tuple[str, float]]:
        """Concrete (metric, value) pairs for *pattern*; ``*`` matches one name segment."""
        if "*" not in pattern:
            v = self.metric(pattern, paths)
            return [] if v is None else [(pattern, v)]
        rx = re.compile(re.escape(pattern).replace(r"\*", r"[^.]+") + r"\Z")
        return sorted((k, v) for k, v in self.run.metrics.items() if rx.match(k))

    # -- hints -------------------------------------------------------------------------------
    def failing_tests(self, scope: str = "", limit: int = 20) -> list[str]:
        out = []
        for t in self.test_stats(scope).failures[:limit]:
            msg = _first_line(t.message)
            out.append(f"{t.id}: {msg}" if msg else t.id)
        return out

    def least_covered(self, globs: tuple[str, ...] = (), limit: int = 10) -> list[str]:
        """Files with the most uncovered lines first, with their uncovered lines."""
        cached = self._least.get(globs)
        if cached is not None:
            return cached[:limit]
        totals = self.file_totals()
        if globs:
            candidates = self.coverage_of(globs)[2]
        else:
            candidates = list(totals)
        worst = nsmallest(
            limit,
            (p for p in candidates if totals[p][1] > totals[p][0]),
            key=lambda p: (totals[p][0] - totals[p][1], p),
        )
        out = []
        for p in worst:
            c, t = totals[p]
            missed = self.run.coverage.files[p].missed()
            out.append(
                f"{p} {format_value(100.0 * c / t, '%')} (missing lines {compress_lines(missed)})"
            )
        return out

    def new_code_misses(self, limit: int = 20) -> list[str]:
        nc = self.new_code()
        if nc is None:
            return []
        return [f"{p}: uncovered new lines {compress_lines(ls)}" for p, ls in nc.uncovered.items()][
            :limit
        ]

    def findings(
        self, category: str, severity: str | tuple[str, ...] | None = None, limit: int = 20
    ) -> list[str]:
        wanted = (severity,) if isinstance(severity, str) else severity
        out = []
        for f in self.run.findings:
            if f.category != category or (wanted and f.severity not in wanted):
                continue
            where = f"{f.path}:{f.line}" if f.path and f.line else (f.path or "")
            pkg = f"{f.package}@{f.version}" if f.package and f.version else (f.package or "")
            fix = f" (fixed in {f.fixed_in})" if f.fixed_in else ""
            head = " ".join(x for x in (pkg, where) if x)
            msg = _first_line(f.message, 120)
            out.append(f"{head + ': ' if head else ''}{f.rule}{fix}{' - ' + msg if msg else ''}")
            if len(out) >= limit:
                break
        return out

    def perf_ranking(self, suffix: str, limit: int = 5) -> list[str]:
        rx = re.compile(r"perf\.([^.]+)\." + re.escape(suffix) + r"\Z")
        rows = [(v, m.group(1)) for k, v in self.run.metrics.items() if (m := rx.match(k))]
        unit = "ms" if suffix.endswith("_ms") else ("rps" if suffix == "rps" else "%")
        rows.sort(reverse=suffix != "rps")
        return [
            f"{name} {suffix.replace('_ms', '')} {format_value(v, unit)}"
            for v, name in rows[:limit]
        ]
