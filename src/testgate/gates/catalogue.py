"""The metric catalogue: every metric name a gate or an alert may use, what gives it, its unit.

Metrics are the gates' vocabulary (DESIGN.md). The catalogue says which adapters can give which
names, so that ``testgate validate`` refuses a name nothing can give (``coverage.lines``) with a
"did you mean" and the names the configured steps' reports can give, and ``testgate metrics``
lists them all. A plugin adapter can declare its own names with a ``metrics`` attribute, a
sequence of ``(pattern, unit, description)``; otherwise it gives its kind's names.

Patterns name one segment with ``<name>`` (``perf.<scenario>.p95_ms``); a criterion's ``*``
stands for one segment too.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testgate.adapters.registry import Adapter, AdapterRegistry

__all__ = [
    "MICRO_BENCHMARKS",
    "MetricInfo",
    "Source",
    "by_source",
    "is_known",
    "kinds_of",
    "matches",
    "suggest",
]


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """One metric name (or pattern) of the catalogue."""

    pattern: str
    #: ``%``, ``ms``, ``s``, ``rps`` or None for a count
    unit: str | None
    description: str


def _m(pattern: str, unit: str | None, description: str) -> MetricInfo:
    return MetricInfo(pattern, unit, description)


#: the names each kind of report gives (DESIGN.md's table, and what the adapters write)
KIND_METRICS: dict[str, tuple[MetricInfo, ...]] = {
    "tests": (
        _m("tests.total", None, "test cases read"),
        _m("tests.passed", None, "passed tests"),
        _m("tests.failed", None, "failed and errored tests"),
        _m("tests.failures", None, "failed tests (assertions)"),
        _m("tests.errors", None, "errored tests"),
        _m("tests.skipped", None, "skipped tests"),
        _m("tests.retried", None, "tests that failed, then passed on a retry in this run"),
        _m("tests.flaky", None, "the same as tests.retried (its older name)"),
        _m("tests.pass_rate", "%", "passed / (total - skipped); quarantined failures left out"),
        _m("tests.duration_s", "s", "sum of the tests' durations"),
        _m("quarantine.tests", None, "the run's tests an active quarantine entry matches"),
        _m("quarantine.percent", "%", "quarantine.tests / tests.total"),
    ),
    "coverage": (
        _m("coverage.line", "%", "covered / coverable lines"),
        _m("coverage.branch", "%", "covered / total branches"),
        _m("coverage.new_code", "%", "covered changed lines since the merge base"),
        _m("coverage.component.<name>", "%", "a component's files (by_component)"),
        _m("coverage.paths.<name>", "%", "a critical path's files (critical_paths)"),
    ),
    "perf": (
        _m("perf.<scenario>.p<N>_ms", "ms", "a percentile of the response time (p50, p95, p99)"),
        _m("perf.<scenario>.avg_ms", "ms", "mean response time"),
        _m("perf.<scenario>.min_ms", "ms", "fastest response"),
        _m("perf.<scenario>.max_ms", "ms", "slowest response"),
        _m("perf.<scenario>.stddev_ms", "ms", "standard deviation of the response time"),
        _m("perf.<scenario>.rps", "rps", "requests (or operations) per second"),
        _m("perf.<scenario>.error_rate", "%", "failed / all requests"),
        _m("perf.<scenario>.requests", None, "requests made"),
        _m("perf.<scenario>.failures", None, "failed requests"),
        _m("perf.<scenario>.<stat>_ms", "ms", "another time statistic the tool reports"),
        _m("perf.<scenario>.<stat>_per_s", None, "another rate the tool reports"),
        _m("perf.<scenario>.iterations", None, "benchmark iterations"),
        _m("perf.<scenario>.rounds", None, "benchmark rounds"),
        _m("perf.<scenario>.alloc_bytes", None, "bytes allocated per operation"),
    ),
    "security": (
        _m("security.critical", None, "critical vulnerabilities"),
        _m("security.high", None, "high vulnerabilities"),
        _m("security.medium", None, "medium vulnerabilities"),
        _m("security.low", None, "low vulnerabilities"),
        _m("secrets.count", None, "secrets found"),
        _m("licenses.violations", None, "licence problems"),
    ),
    "lint": (
        _m("lint.errors", None, "lint problems rated error"),
        _m("lint.warnings", None, "lint problems rated warning"),
    ),
    "complexity": (
        _m("complexity.cyclomatic.max", None, "the largest cyclomatic complexity"),
        _m("complexity.cognitive.max", None, "the largest cognitive complexity"),
    ),
    "duplication": (_m("duplication.percent", "%", "duplicated lines"),),
    "mutation": (_m("mutation.score", "%", "killed / valid mutants"),),
    "docs": (_m("docs.public_api", "%", "documented public API"),),
}

#: names no report gives: ``testgate run`` itself, the history store, plugins
OTHER_SOURCES: dict[str, tuple[MetricInfo, ...]] = {
    "testgate run": (
        _m("steps.failed", None, "steps that failed or timed out"),
        _m("pipeline.duration_s", "s", "from the run's start to its end"),
    ),
    "history": (
        _m(
            "history.flaky_rate",
            "%",
            "tests seen in the history window that flipped on one commit / tests seen",
        ),
    ),
}

#: formats whose figures are micro-benchmarks, not load tests: latency criteria never read them
MICRO_BENCHMARKS: frozenset[str] = frozenset(
    {"pytest-benchmark", "google-benchmark", "jmh", "benchmarkdotnet"}
)

#: formats that also give another kind's names (linters write SARIF too)
_ALSO: dict[str, tuple[str, ...]] = {"sarif": ("lint",)}
#: ... or one more name (ESLint with eslint-plugin-sonarjs reports cognitive complexity)
_ALSO_NAMES: dict[str, tuple[str, ...]] = {"eslint": ("complexity.cognitive.max",)}


@dataclass(frozen=True, slots=True)
class Source:
    """What gives a set of names: an adapter (format and kind) or another source."""

    name: str
    kind: str
    metrics: tuple[MetricInfo, ...]


def adapter_metrics(adapter: Adapter) -> tuple[MetricInfo, ...]:
    """The names *adapter* can give: its own ``metrics`` declaration, else its kind's."""
    declared = getattr(adapter, "metrics", None)
    if declared:
        return tuple(MetricInfo(str(p), u, str(d)) for p, u, d in declared)
    out = list(KIND_METRICS.get(adapter.kind, ()))
    for kind in _ALSO.get(adapter.name, ()):
        out.extend(KIND_METRICS[kind])
    names = _ALSO_NAMES.get(adapter.name, ())
    out.extend(m for infos in KIND_METRICS.values() for m in infos if m.pattern in names)
    return tuple(out)


def by_source(registry: AdapterRegistry) -> list[Source]:
    """Every adapter (sorted by kind, then name) and the other sources, with their names."""
    adapters = sorted(registry, key=lambda a: (a.kind, a.name))
    out = [Source(a.name, a.kind, adapter_metrics(a)) for a in adapters]
    out.extend(Source(name, "", metrics) for name, metrics in OTHER_SOURCES.items())
    return out


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    out = re.escape(pattern)
    out = out.replace(re.escape("<N>"), r"\d+(?:_\d+)?")
    out = re.sub(re.escape("<") + r"\w+" + re.escape(">"), r"[^.]+", out)
    return re.compile(out + r"\Z")


def matches(pattern: str, metric: str) -> bool:
    """Whether *metric* (``*`` for one segment) is a name *pattern* describes."""
    probe = ".".join("x" if seg == "*" else seg for seg in metric.split("."))
    return _regex(pattern).match(probe) is not None


def _all(sources: Iterable[Source]) -> list[MetricInfo]:
    seen: dict[str, MetricInfo] = {}
    for src in sources:
        for m in src.metrics:
            seen.setdefault(m.pattern, m)
    return list(seen.values())


def is_known(metric: str, sources: Sequence[Source]) -> bool:
    """Whether any source can give *metric*."""
    return any(matches(m.pattern, metric) for m in _all(sources))


def _fill(pat: str, mine: str) -> str:
    if "<" not in pat or _regex(pat).match(mine):
        return mine if "<" in pat else pat
    digits = re.match(r"p(\d+)", mine)
    if "<N>" in pat and digits:
        return pat.replace("<N>", digits.group(1))
    return pat


def _examples(info: MetricInfo, metric: str) -> str:
    """The pattern with the user's own segments where the pattern has placeholders."""
    pat = info.pattern.split(".")
    mine = metric.split(".")
    if len(pat) != len(mine):
        return info.pattern
    return ".".join(_fill(p, m) for p, m in zip(pat, mine, strict=True))


def suggest(metric: str, sources: Sequence[Source]) -> str | None:
    """The known name closest to a misspelt *metric*, if one is close."""
    candidates = {_examples(m, metric): m for m in _all(sources)}
    close = difflib.get_close_matches(metric, list(candidates), n=1, cutoff=0.75)
    return close[0] if close else None


def kinds_of(metric: str, sources: Sequence[Source]) -> set[str]:
    """The kinds of report that can give *metric* (empty for run, history and plugin names)."""
    return {
        s.kind for s in sources if s.kind and any(matches(m.pattern, metric) for m in s.metrics)
    }
