"""Flaky and broken tests, from the outcomes of the last runs.

The classification is a pure function (:func:`classify`) of a
:class:`~testgate.history.store.ResultsWindow`; :func:`find_flaky` fetches the window and
fills in what lies before it. The signals, strongest first:

* **retry**: the test failed and then passed on a retry in the same run;
* **same commit**: the test both passed and failed on one commit;
* **flips**: its outcome flipped between runs. The flip rate is the number of pass/fail
  changes over the number of consecutive pairs in the window, as in Kowalczyk et al.,
  "Modeling and Ranking Flaky Tests at Apple" (ICSE-SEIP 2020); the score is its
  exponentially weighted variant, where the flip between the last two runs weighs 1, the one
  before ``alpha``, then ``alpha**2`` and so on, so that a test that was fixed fades out.

A test is **broken**, not flaky, when it has failed in every run since some commit, long
enough that chance cannot explain it: a streak of ``L`` failures after a history with a
failure rate ``p`` is broken when ``p**L`` is below ``broken_confidence`` (and ``L`` is at
least ``broken_min_streak``). A test with a failure rate of 30 % needs a streak of six; a test
that never failed before needs three. One block of several failures followed by passes is a
regression that was fixed, not a flaky test.

Runs where most tests failed at once (an outage: a database down, a runner out of disk) say
nothing about any single test and are left out of every score.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from testgate.history.outage import OUTAGE_FRACTION, OUTAGE_MIN_TESTS
from testgate.history.rows import ResultsWindow, RunInfo

if TYPE_CHECKING:
    from testgate.history.reads import ReadQueries

__all__ = [
    "FlakyParams",
    "FlakyRate",
    "FlakyReport",
    "TestVerdict",
    "classify",
    "ew_flip_rate",
    "find_flaky",
    "flaky_rate",
    "flip_count",
    "outage_runs",
    "suggest",
]


@dataclass(frozen=True, slots=True)
class FlakyParams:
    """The knobs of the classification (``history.window`` and ``history.min_runs`` in config)."""

    #: runs to look back over
    window: int = 50
    #: results a test needs in the window before the flip rate can call it flaky
    min_runs: int = 5
    #: a run where more than this fraction of its tests failed is an outage
    outage_fraction: float = OUTAGE_FRACTION
    #: ... when it ran at least this many tests (three failures of five is not an outage)
    outage_min_tests: int = OUTAGE_MIN_TESTS
    #: decay of the exponentially weighted flip rate (weight of the previous flip)
    alpha: float = 0.9
    #: a broken test has failed at least this many times in a row
    broken_min_streak: int = 3
    #: ... and chance (its earlier failure rate to the streak's power) is below this
    broken_confidence: float = 0.001

    def __post_init__(self) -> None:
        if self.window < 2 or self.min_runs < 1:
            raise ValueError("window must be at least 2 and min_runs at least 1")
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"alpha must lie in (0, 1], got {self.alpha}")
        if not 0.0 < self.outage_fraction <= 1.0:
            raise ValueError(f"outage_fraction must lie in (0, 1], got {self.outage_fraction}")


@dataclass(slots=True)
class TestVerdict:
    """One flaky or broken test and the evidence for it."""

    __test__ = False

    test: str
    kind: str  # "flaky" or "broken"
    score: float
    runs: int
    flips: int
    failures: int
    flip_rate: float
    ew_flip_rate: float = 0.0
    retried_passes: int = 0
    same_commit: list[str] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    last_seen: str | None = None
    last_commit: str | None = None
    # broken only
    since_commit: str | None = None
    since_run: str | None = None
    since_started_at: str | None = None
    streak: int = 0
    passed_before: bool = True

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "test": self.test,
            "score": round(self.score, 4),
            "runs": self.runs,
            "flips": self.flips,
            "failures": self.failures,
            "flip_rate": round(self.flip_rate, 4),
            "ew_flip_rate": round(self.ew_flip_rate, 4),
            "retried_passes": self.retried_passes,
            "same_commit": self.same_commit,
            "signals": self.signals,
            "last_seen": self.last_seen,
            "last_commit": self.last_commit,
        }
        if self.kind == "broken":
            d.update(
                since_commit=self.since_commit,
                since_run=self.since_run,
                since_started_at=self.since_started_at,
                streak=self.streak,
                passed_before=self.passed_before,
            )
        return d


@dataclass(slots=True)
class FlakyReport:
    flaky: list[TestVerdict]
    broken: list[TestVerdict]
    runs_analysed: int
    outage_runs: list[str]
    params: FlakyParams
    branch: str | None = None
    #: failures left out as partial outages: {"run", "fingerprint", "tests"}
    partial_outages: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "flaky": [v.to_dict() for v in self.flaky],
            "broken": [v.to_dict() for v in self.broken],
            "runs_analysed": self.runs_analysed,
            "outage_runs": self.outage_runs,
            "partial_outages": self.partial_outages,
            "branch": self.branch,
            "window": self.params.window,
            "min_runs": self.params.min_runs,
        }


def outage_runs(runs: Sequence[RunInfo], params: FlakyParams) -> set[int]:
    """The keys of outage runs: most tests failed at once, or marked as an outage."""
    from testgate.history.outage import is_outage

    return {
        r.pk
        for r in runs
        if is_outage(
            r.tests_total,
            r.tests_failed,
            r.meta,
            fraction=params.outage_fraction,
            min_tests=params.outage_min_tests,
        )
    }


def flip_count(fails: Sequence[bool]) -> int:
    """How often consecutive outcomes differ."""
    return sum(1 for a, b in itertools.pairwise(fails) if a != b)


def ew_flip_rate(fails: Sequence[bool], alpha: float) -> float:
    """The exponentially weighted flip rate: the newest flip weighs 1, older ones less."""
    n = len(fails) - 1
    if n <= 0:
        return 0.0
    num = den = 0.0
    w = 1.0
    for i in range(n, 0, -1):
        if fails[i] != fails[i - 1]:
            num += w
        den += w
        w *= alpha
    return num / den


def _iso(run: RunInfo) -> str:
    return run.started_at.isoformat() + "Z"


def _failure_blocks(fails: Sequence[bool]) -> list[int]:
    """Lengths of the blocks of consecutive failures that ended with a pass."""
    blocks: list[int] = []
    n = 0
    for f in fails:
        if f:
            n += 1
        elif n:
            blocks.append(n)
            n = 0
    return blocks


def _broken_streak_needed(pre: Sequence[bool], params: FlakyParams) -> int:
    # Laplace-smoothed failure rate before the streak: a test that never failed in 40 runs
    # still gets p = 1/42, so a streak of three is enough, while a 30 % flaky test needs six
    p = (sum(pre) + 1) / (len(pre) + 2)
    need = math.ceil(math.log(params.broken_confidence) / math.log(p)) if p < 1 else 10**9
    return max(params.broken_min_streak, need)


def classify(
    window: ResultsWindow, params: FlakyParams, *, branch: str | None = None
) -> FlakyReport:
    """Flaky and broken tests of *window* (pure: no I/O, no clock)."""
    runs = window.runs
    skip = outage_runs(runs, params)
    flaky: list[TestVerdict] = []
    broken: list[TestVerdict] = []
    for test, obs in window.outcomes.items():
        seq = [o for o in obs if runs[o[0]].pk not in skip and o[1] != 3]
        if not seq:
            continue
        fails = [o[1] in (1, 2) for o in seq]
        retried = sum(1 for o in seq if o[1] == 0 and (o[2] or o[3] > 1))
        n = len(seq)
        flips = flip_count(fails)
        failures = sum(fails)
        last_bad = next((o for o in reversed(seq) if o[1] in (1, 2) or o[2] or o[3] > 1), None)
        last_run = runs[last_bad[0]] if last_bad else None
        by_commit: dict[str, set[bool]] = {}
        for o, f in zip(seq, fails, strict=False):
            c = runs[o[0]].commit
            if c:
                by_commit.setdefault(c, set()).add(f)
        same_commit = sorted(c for c, s in by_commit.items() if len(s) == 2)
        verdict = TestVerdict(
            test=test,
            kind="flaky",
            score=0.0,
            runs=n,
            flips=flips,
            failures=failures,
            flip_rate=flips / (n - 1) if n > 1 else 0.0,
            retried_passes=retried,
            same_commit=same_commit,
            last_seen=_iso(last_run) if last_run else None,
            last_commit=last_run.commit if last_run else None,
        )
        # broken: a trailing streak of failures that chance cannot explain
        streak = 0
        for f in reversed(fails):
            if not f:
                break
            streak += 1
        if streak and not any(c in same_commit for c in _commits(runs, seq[n - streak :])):
            pre = fails[: n - streak]
            if streak >= _broken_streak_needed(pre, params):
                start = obs.index(seq[n - streak])
                # an outage run right before the streak that the test also failed in is where
                # the streak really began (it was left out of the scores, not out of history)
                while (
                    start > 0 and runs[obs[start - 1][0]].pk in skip and obs[start - 1][1] in (1, 2)
                ):
                    start -= 1
                first = runs[obs[start][0]]
                verdict.kind = "broken"
                verdict.ew_flip_rate = ew_flip_rate(fails, params.alpha)
                verdict.streak = streak
                verdict.score = streak / n
                verdict.since_commit = first.commit
                verdict.since_run = first.id
                verdict.since_started_at = _iso(first)
                verdict.passed_before = bool(pre)
                verdict.signals = ["failing-since"]
                broken.append(verdict)
                continue
        signals: list[str] = []
        if retried:
            signals.append("retry")
        if same_commit:
            signals.append("same-commit")
        blocks = _failure_blocks(fails)
        # isolated failures, or several separate episodes; one long block that ended is a
        # regression that was fixed
        if n >= params.min_runs and flips >= 2 and (len(blocks) >= 2 or 1 in blocks):
            signals.append("flips")
        if not signals:
            continue
        verdict.signals = signals
        verdict.ew_flip_rate = ew_flip_rate(fails, params.alpha)
        # the score ranks by recent flakiness; a test that only ever passed on retries ranks
        # by how often it needed one
        verdict.score = max(verdict.ew_flip_rate, retried / n)
        flaky.append(verdict)
    flaky.sort(key=lambda v: (-v.score, v.test))
    broken.sort(key=lambda v: (-v.streak, v.test))
    return FlakyReport(
        flaky=flaky,
        broken=broken,
        runs_analysed=len(runs) - len(skip),
        outage_runs=[r.id for r in runs if r.pk in skip],
        params=params,
        branch=branch,
    )


def _commits(runs: Sequence[RunInfo], obs: Sequence[tuple[int, int, bool, int]]) -> set[str]:
    return {c for o in obs if (c := runs[o[0]].commit)}


def find_flaky(
    store: ReadQueries, params: FlakyParams | None = None, *, branch: str | None = None
) -> FlakyReport:
    """Fetch the window from *store* and classify it; name the commit a test broke at even
    when that lies before the window."""
    params = params or FlakyParams()
    runs = store.window_runs(branch, params.window)
    skip = outage_runs(runs, params)
    window = store.results_window(
        branch, params.window, runs=runs, unhealthy_only=True, exclude_runs=skip
    )
    partial = _drop_partial_outages(store, window, skip)
    report = classify(window, params, branch=branch)
    report.partial_outages = partial
    for v in report.broken:
        if v.passed_before:
            continue
        # failing through the whole window: look further back for its last pass
        first = next((r for r in runs if r.id == v.since_run), None)
        if first is None:
            continue
        last_pass, first_fail = store.last_pass_before(v.test, first, branch)
        if last_pass is not None:
            v.passed_before = True
            if first_fail is not None:
                v.since_commit = first_fail.commit
                v.since_run = first_fail.id
                v.since_started_at = _iso(first_fail)
        elif first_fail is not None:  # never passed: failing since it was first recorded
            v.since_commit = first_fail.commit
            v.since_run = first_fail.id
            v.since_started_at = _iso(first_fail)
    return report


def _drop_partial_outages(
    store: ReadQueries, window: ResultsWindow, skip: set[int]
) -> list[dict[str, Any]]:
    """Leave out of *window* the failures of partial outages (many tests of one run failing
    with one fingerprint): one infrastructure cause is not a flaky test each."""
    from testgate.history.outage import PARTIAL_OUTAGE_MIN_TESTS

    pks = [r.pk for r in window.runs if r.pk not in skip]
    clusters = store.failure_clusters(pks, PARTIAL_OUTAGE_MIN_TESTS)
    if not clusters:
        return []
    index = {r.pk: i for i, r in enumerate(window.runs)}
    hidden: dict[str, set[int]] = {}
    found: list[dict[str, Any]] = []
    for run_pk, by_fp in clusters.items():
        for fp, tests in by_fp.items():
            found.append(
                {"run": window.runs[index[run_pk]].id, "fingerprint": fp, "tests": len(tests)}
            )
            for t in tests:
                hidden.setdefault(t, set()).add(index[run_pk])
    for test, runs_of in hidden.items():
        obs = window.outcomes.get(test)
        if obs is not None:
            window.outcomes[test] = [o for o in obs if not (o[0] in runs_of and o[1] in (1, 2))]
    return found


def _pytest_nodeid(test: str, info: tuple[str, str, str, str | None] | None) -> str:
    """A best guess at the pytest node id of a JUnit-named test."""
    if info is None:
        return test
    _suite, classname, name, file = info
    if "::" in test and (test.split("::", 1)[0].endswith(".py")):
        return test
    parts = [p for p in classname.split(".") if p]
    cls: list[str] = []
    while parts and parts[-1][:1].isupper():  # TestX, or nested classes
        cls.insert(0, parts.pop())
    path = file or ("/".join(parts) + ".py" if parts else "")
    return "::".join([p for p in (path, *cls, name) if p])


def suggest(
    report: FlakyReport,
    infos: dict[str, tuple[str, str, str, str | None]],
    *,
    today: date,
    days: int = 14,
) -> str:
    """Ready-to-paste quarantine entries and deselect arguments for the flaky tests."""
    import json
    import re

    if not report.flaky:
        return "# no flaky tests to quarantine\n"
    expires = (today + timedelta(days=days)).isoformat()
    lines = ["# paste under the top level of testgate.yaml", "quarantine:"]
    for v in report.flaky:
        lines.append(f"  - test: {json.dumps(v.test)}")
        lines.append("    owner: TODO")
        lines.append(f"    expires: {expires}")
        reason = (
            f"flaky: {v.flips} flips in {v.runs} runs, score {v.score:.2f} ({', '.join(v.signals)})"
        )
        lines.append(f"    reason: {json.dumps(reason)}")
    nodeids = [_pytest_nodeid(v.test, infos.get(v.test)) for v in report.flaky]
    lines += [
        "",
        "# pytest: skip them for now",
        "pytest " + " ".join(f"--deselect {_shq(n)}" for n in nodeids),
    ]
    names = [
        infos[v.test][2] if v.test in infos else v.test.rsplit("::", 1)[-1] for v in report.flaky
    ]
    pattern = "^(?!.*(?:" + "|".join(re.escape(n) for n in names) + ")$)"
    lines += ["", "# jest: run everything but them", f"jest --testNamePattern {_shq(pattern)}", ""]
    return "\n".join(lines)


def _shq(text: str) -> str:
    import shlex

    return shlex.quote(text)


@dataclass(frozen=True, slots=True)
class FlakyRate:
    """``history.flaky_rate``: the share of the tests seen in the window that flipped (passed
    and failed) on one commit, in percent; outage runs are left out."""

    rate: float
    #: tests that both passed and failed on one commit in the window
    flipped: list[str]
    #: tests with a result in the window
    seen: int
    runs: int
    branch: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rate": round(self.rate, 4),
            "flipped": self.flipped,
            "seen": self.seen,
            "runs": self.runs,
            "branch": self.branch,
        }

    def describe(self) -> str:
        where = f" on {self.branch}" if self.branch else ""
        return (
            f"history.flaky_rate {self.rate:.2f}%: {len(self.flipped)} of the {self.seen} tests "
            f"seen in the last {self.runs} runs{where} flipped on one commit"
        )


def flipped_on_one_commit(window: ResultsWindow, skip: set[int]) -> list[str]:
    """The tests of *window* that both passed and failed on one commit (pure)."""
    runs = window.runs
    out: list[str] = []
    for test, obs in window.outcomes.items():
        by_commit: dict[str, set[bool]] = {}
        for i, status, _flaky, _attempts in obs:
            run = runs[i]
            if run.pk in skip or status == 3 or not run.commit:
                continue
            by_commit.setdefault(run.commit, set()).add(status in (1, 2))
        if any(len(v) == 2 for v in by_commit.values()):
            out.append(test)
    return sorted(out)


def flaky_rate(
    store: ReadQueries, *, branch: str | None, window: int = 50, params: FlakyParams | None = None
) -> FlakyRate | None:
    """``history.flaky_rate`` over the last *window* recorded runs of *branch* (None: no run)."""
    params = params or FlakyParams(window=max(window, 2))
    runs = store.window_runs(branch, window)
    skip = outage_runs(runs, params)
    healthy = [r for r in runs if r.pk not in skip]
    if not healthy:
        return None
    results = store.results_window(
        branch, window, runs=runs, unhealthy_only=True, exclude_runs=skip
    )
    flipped = flipped_on_one_commit(results, skip)
    seen = store.distinct_tests(healthy)
    rate = 100.0 * len(flipped) / seen if seen else 0.0
    return FlakyRate(rate, flipped, seen, len(healthy), branch)
