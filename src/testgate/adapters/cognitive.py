"""Cognitive complexity (``complexity.cognitive.max``) and documented public API
(``docs.public_api``).

- **complexipy** (Python): ``complexipy . --output-format json --output complexipy.json`` writes
  one object per function (``complexity``, ``function_name``, ``path``). The metric is the
  largest complexity; a function over :data:`COGNITIVE_THRESHOLD` (complexipy's and SonarQube's
  default, 15) is a ``complexity`` finding.
- **eslint-plugin-sonarjs** (JavaScript): its ``sonarjs/cognitive-complexity`` rule reports, in
  ESLint's JSON, "... Cognitive Complexity from N to the M allowed". The ESLint adapter reads
  these messages as complexity (not lint) and gives the largest N; configure the rule with a
  threshold of 0 so that every function with any complexity is reported (ESLint's JSON does not
  say which rules ran: a report without such a message gives no metric, never a 0).
- **interrogate**: its text report (``interrogate -v -o interrogate.txt``); the ``TOTAL`` row's
  counts give the exact percentage (without ``-v`` the ``actual: N%`` of the RESULT line).
- **docstr-coverage**: its report (written to stderr: ``docstr-coverage src 2> docstr.txt``);
  the ``Overall statistics`` counts give the percentage (``-p`` output, a bare number, is read
  with ``--format docstr-coverage``).

Both documentation tools count what their options select (interrogate's ``--ignore-private``,
docstr-coverage's ``--skip-private``): pass those to measure the public API only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from testgate.adapters._static import (
    JsonAdapter,
    decode_text,
    has_keys,
    json_start,
    load_json,
    read_bounded,
    rel_path,
)
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Finding, ReportData

__all__ = [
    "ADAPTERS",
    "COGNITIVE_THRESHOLD",
    "ComplexipyAdapter",
    "DocstrCoverageAdapter",
    "InterrogateAdapter",
    "cognitive_finding",
    "sonarjs_complexity",
]

#: complexipy's and SonarQube's default: a function above it is a finding
COGNITIVE_THRESHOLD = 15
#: above this a function is rated high rather than medium
COGNITIVE_HIGH = 30

_SONAR = re.compile(r"Cognitive Complexity from (\d+) to the (\d+) allowed")


def cognitive_finding(
    tool: str, value: int, name: str, path: str | None, line: int | None
) -> Finding:
    return Finding(
        tool=tool,
        rule="cognitive-complexity",
        severity="high" if value > COGNITIVE_HIGH else "medium",
        message=f"{name} has a cognitive complexity of {value} (threshold {COGNITIVE_THRESHOLD})",
        category="complexity",
        path=path,
        line=line,
    )


def sonarjs_complexity(rule: object, message: object) -> int | None:
    """The complexity an eslint-plugin-sonarjs ``cognitive-complexity`` message reports."""
    if not isinstance(rule, str) or not rule.endswith("cognitive-complexity"):
        return None
    m = _SONAR.search(str(message or ""))
    return int(m.group(1)) if m else None


class ComplexipyAdapter(JsonAdapter):
    name = "complexipy"
    kind = "complexity"
    description = "complexipy JSON (complexipy --output-format json): Python cognitive complexity"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) == "[" and has_keys(head, "complexity", "function_name", "file_name"):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, list):
            raise self.shape_error(path, "not a complexipy report (expected a JSON list)")
        data = ReportData()
        best: int | None = None
        for i, fn in enumerate(doc):
            value = fn.get("complexity") if isinstance(fn, dict) else None
            if type(value) is not int or value < 0:
                raise self.shape_error(
                    path, f"[{i}].complexity must be a whole number >= 0, got {value!r}"
                )
            best = value if best is None else max(best, value)
            if value > COGNITIVE_THRESHOLD:
                data.findings.append(
                    cognitive_finding(
                        "complexipy",
                        value,
                        str(fn.get("function_name") or "?"),
                        rel_path(fn.get("path") or fn.get("file_name"), ctx.root),
                        None,
                    )
                )
        if best is not None:
            data.metrics["complexity.cognitive.max"] = float(best)
        return data


def _text(path: Path) -> str:
    return decode_text(path, read_bounded(path, 64 * 1024 * 1024))


def _pct(found: int, needed: int) -> float:
    return round(100.0 * found / needed, 4) if needed else 100.0


# | TOTAL | 6 | 4 | 2 | 33.3% |
_INTERROGATE_TOTAL = re.compile(
    r"^\|\s*TOTAL\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*[\d.]+%\s*\|", re.MULTILINE
)
_INTERROGATE_RESULT = re.compile(r"RESULT: (?:PASSED|FAILED) \([^)]*actual: ([\d.]+)%\)")


class InterrogateAdapter:
    name = "interrogate"
    kind = "docs"
    description = "interrogate's report (interrogate -v -o FILE): docstring coverage"

    def sniff(self, head: str, path: Path) -> int:
        result = "RESULT: PASSED" in head or "RESULT: FAILED" in head
        own = "Coverage for" in head or head.lstrip().startswith("RESULT")
        return 85 if result and "actual:" in head and own else 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        text = _text(path)
        data = ReportData()
        m = _INTERROGATE_TOTAL.search(text)
        if m is not None:
            total, _miss, cover = (int(x) for x in m.groups())
            data.metrics["docs.public_api"] = _pct(cover, total)
            return data
        r = _INTERROGATE_RESULT.search(text)
        if r is None:
            raise InputError(
                f"{path}:1: not an interrogate report (expected its 'RESULT: ... actual: N%' "
                "line; write it with interrogate -v -o FILE)",
                slug="malformed-report",
            )
        data.metrics["docs.public_api"] = float(r.group(1))
        return data


_DOCSTR_OVERALL = re.compile(
    r"Overall statistics[^\n]*\n(?:[^\n]*\n)*?\s*Needed:\s*(\d+)\s*-\s*Found:\s*(\d+)"
)
_BARE_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")


class DocstrCoverageAdapter:
    name = "docstr-coverage"
    kind = "docs"
    description = "docstr-coverage's report (docstr-coverage PATH 2> FILE, or -p)"

    def sniff(self, head: str, path: Path) -> int:
        if "Overall statistics" in head and "Needed:" in head and "Found:" in head:
            return 85
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        text = _text(path)
        data = ReportData()
        m = _DOCSTR_OVERALL.search(text)
        if m is not None:
            needed, found = int(m.group(1)), int(m.group(2))
            data.metrics["docs.public_api"] = _pct(found, needed)
            return data
        bare = _BARE_NUMBER.match(text)
        if bare is not None and 0.0 <= float(bare.group(1)) <= 100.0:
            data.metrics["docs.public_api"] = round(float(bare.group(1)), 4)
            return data
        raise InputError(
            f"{path}:1: not a docstr-coverage report (expected 'Overall statistics' with "
            "'Needed: N - Found: M', or the bare percentage of -p)",
            slug="malformed-report",
        )


ADAPTERS: list[Any] = [ComplexipyAdapter(), InterrogateAdapter(), DocstrCoverageAdapter()]
