"""Mutation testing: mutation-testing-elements JSON (StrykerJS, Stryker.NET, Stryker4s, Infection,
cargo-mutants...), PIT ``mutations.xml``, mutmut 3 ``export-cicd-stats`` and Stryker.NET's legacy
JSON. Every format's statuses are mapped onto the elements statuses, then scored alike.

``mutation.score`` uses the elements definition exactly: detected / valid * 100, where detected
= Killed + Timeout, undetected = Survived + NoCoverage and valid = detected + undetected
(CompileError, RuntimeError, BuildError, Ignored, Skipped and Pending are not valid mutants).
A report with no valid mutant has no score (absent, never 0). Every undetected mutant is a
``mutation`` finding.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from testgate.adapters import _xml
from testgate.adapters._static import (
    JsonAdapter,
    as_int,
    has_keys,
    json_start,
    load_json,
    rel_path,
)
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Finding, ReportData

__all__ = [
    "ADAPTERS",
    "DETECTED",
    "STATUSES",
    "UNDETECTED",
    "MutationElementsAdapter",
    "MutmutStatsAdapter",
    "PitestAdapter",
    "StrykerNetLegacyAdapter",
    "score",
]

DETECTED = ("Killed", "Timeout")
UNDETECTED = ("Survived", "NoCoverage")
#: every status of the schema (1.x and 2); anything else makes the report invalid
STATUSES = frozenset(
    {
        *DETECTED,
        *UNDETECTED,
        "CompileError",
        "RuntimeError",
        "BuildError",
        "Ignored",
        "Pending",
        "Skipped",
    }
)


def score(counts: Counter[str]) -> float | None:
    """The mutation score in percent, or None when there is no valid mutant."""
    detected = sum(counts[s] for s in DETECTED)
    valid = detected + sum(counts[s] for s in UNDETECTED)
    return round(100.0 * detected / valid, 4) if valid else None


class MutationElementsAdapter(JsonAdapter):
    name = "mutation-elements"
    kind = "mutation"
    description = "mutation-testing-elements JSON (Stryker, Infection, cargo-mutants, ...)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) != "{":
            return 0
        if has_keys(head, "files", "mutants"):
            return 90 if has_keys(head, "schemaVersion") else 80
        if has_keys(head, "schemaVersion", "thresholds"):
            return 70
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
            raise self.shape_error(
                path, "not a mutation-testing-elements report (expected a 'files' object)"
            )
        version = doc.get("schemaVersion")
        # schemaVersion is a number or a string ("1", "1.5", "2"); missing is tolerated, as
        # the elements viewer does, since the rest of the report is complete without it
        if version is not None and str(version).split(".")[0] not in ("1", "2"):
            raise self.shape_error(
                path,
                f"mutation-testing-elements schemaVersion {version!r} is not supported "
                "(testgate reads 1.x and 2)",
            )
        counts: Counter[str] = Counter()
        findings: list[Finding] = []
        for file, body in doc["files"].items():
            mutants = body.get("mutants") if isinstance(body, dict) else None
            if not isinstance(mutants, list):
                raise self.shape_error(path, f"files[{file!r}] has no 'mutants' list")
            rel = rel_path(file, ctx.root)
            for i, m in enumerate(mutants):
                status = m.get("status") if isinstance(m, dict) else None
                if status not in STATUSES:
                    raise self.shape_error(
                        path,
                        f"files[{file!r}].mutants[{i}]: status {status!r} is not one of "
                        f"{', '.join(sorted(STATUSES))}",
                    )
                assert isinstance(m, dict)
                counts[status] += 1
                if status in UNDETECTED:
                    findings.append(_finding(m, status, rel))
        data = ReportData(findings=findings)
        s = score(counts)
        if s is not None:
            data.metrics["mutation.score"] = s
        return data


def _finding(m: dict[str, Any], status: str, path: str | None) -> Finding:
    loc = m.get("location") if isinstance(m.get("location"), dict) else {}
    start = loc.get("start") if isinstance(loc, dict) else None
    mutator = str(m.get("mutatorName") or "mutant")
    repl = m.get("replacement")
    what = "survived the tests" if status == "Survived" else "is not covered by any test"
    return Finding(
        tool="mutation",
        rule=mutator,
        severity="low",
        message=f"{mutator} mutant{f' ({repl!s:.80})' if repl else ''} {what}",
        category="mutation",
        path=path,
        line=as_int(start.get("line")) if isinstance(start, dict) else None,
    )


#: PIT statuses as the mutation-testing-elements PIT plugin maps them
PIT_STATUS = {
    "KILLED": "Killed",
    "TIMED_OUT": "Timeout",
    "SURVIVED": "Survived",
    "NO_COVERAGE": "NoCoverage",
    "MEMORY_ERROR": "RuntimeError",
    "RUN_ERROR": "RuntimeError",
    "NON_VIABLE": "CompileError",
    "STARTED": "Pending",
    "NOT_STARTED": "Pending",
}


class PitestAdapter:
    """PIT (pitest) ``mutations.xml``. Paths are the class's package path plus its source
    file (``org/example/Foo.java``): PIT does not say which source root holds them."""

    name = "pitest"
    kind = "mutation"
    description = "PIT mutations.xml (pitest)"

    def sniff(self, head: str, path: Path) -> int:
        if re.search(r"<mutations[\s>]", head) and re.search(r"<mutation[\s>]", head):
            return 90
        if re.search(r"<mutations\s*/>|<mutations>\s*</mutations>", head):
            return 60
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        counts: Counter[str] = Counter()
        findings: list[Finding] = []
        for _event, el in _xml.iterparse(path, ("end",), tag="{*}mutation"):
            raw = (el.get("status") or "").strip()
            status = PIT_STATUS.get(raw)
            if status is None:
                raise InputError(
                    f"{path}:{el.sourceline}: PIT status {raw!r} is not one of "
                    f"{', '.join(PIT_STATUS)}",
                    slug="malformed-report",
                )
            counts[status] += 1
            if status in UNDETECTED:
                # PIT pretty-prints long texts across lines: fold the whitespace
                fields = {_xml.local(c.tag): " ".join((c.text or "").split()) for c in el}
                cls = fields.get("mutatedClass", "")
                src = fields.get("sourceFile") or None
                pkg = cls.rsplit(".", 1)[0].replace(".", "/") if "." in cls else ""
                mutator = fields.get("mutator", "mutator").rsplit(".", 1)[-1]
                what = (
                    "survived the tests" if status == "Survived" else "is not covered by any test"
                )
                findings.append(
                    Finding(
                        tool="pitest",
                        rule=mutator,
                        severity="low",
                        message=f"{fields.get('description') or mutator} in "
                        f"{cls}.{fields.get('mutatedMethod', '?')} {what}",
                        category="mutation",
                        path=f"{pkg}/{src}" if pkg and src else src,
                        line=as_int(fields.get("lineNumber")),
                    )
                )
            el.clear()
        data = ReportData(findings=findings)
        s = score(counts)
        if s is not None:
            data.metrics["mutation.score"] = s
        return data


#: mutmut 3 counters as elements statuses; no_tests is a mutant no test covers
MUTMUT_STATUS = {
    "killed": "Killed",
    "timeout": "Timeout",
    "survived": "Survived",
    "no_tests": "NoCoverage",
    "segfault": "RuntimeError",
    "suspicious": "RuntimeError",
    "skipped": "Ignored",
    "check_was_interrupted_by_user": "Pending",
}


class MutmutStatsAdapter(JsonAdapter):
    """mutmut 3 ``mutmut export-cicd-stats`` counters. ``no_tests`` counts as NoCoverage
    (undetected), so the score is killed / (killed + survived + no_tests), as for every other
    tool; ``suspicious`` and ``segfault`` mutants are not valid."""

    name = "mutmut-stats"
    kind = "mutation"
    description = "mutmut 3 export-cicd-stats JSON"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) == "{" and has_keys(head, "killed", "survived", "no_tests"):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, dict):
            raise self.shape_error(path, "not mutmut stats (expected an object of counters)")
        counts: Counter[str] = Counter()
        for key, status in MUTMUT_STATUS.items():
            v = doc.get(key, 0)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise self.shape_error(path, f"'{key}' must be a count, got {v!r}")
            counts[status] += v
        data = ReportData()
        s = score(counts)
        if s is not None:
            data.metrics["mutation.score"] = s
        return data


class StrykerNetLegacyAdapter(JsonAdapter):
    """Stryker.NET's JSON from before the elements schema (``health``, ``totals``,
    ``childResults``): score = DetectedMutants / TotalMutants, the same definition (its total
    leaves out skipped mutants and compile errors)."""

    name = "stryker-net-legacy"
    kind = "mutation"
    description = "Stryker.NET legacy JSON (before mutation-testing-elements)"

    def sniff(self, head: str, path: Path) -> int:
        if (
            json_start(head) == "{"
            and has_keys(head, "totals", "childResults")
            and (has_keys(head, "DetectedMutants"))
        ):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        totals = doc.get("totals") if isinstance(doc, dict) else None
        if not isinstance(totals, dict):
            raise self.shape_error(path, "not a Stryker.NET report (no 'totals' object)")
        detected, total = totals.get("DetectedMutants"), totals.get("TotalMutants")
        if not isinstance(detected, (int, float)) or not isinstance(total, (int, float)):
            raise self.shape_error(path, "'totals' has no DetectedMutants/TotalMutants counts")
        data = ReportData()
        if total > 0:
            data.metrics["mutation.score"] = round(100.0 * detected / total, 4)
        return data


ADAPTERS = [
    MutationElementsAdapter(),
    PitestAdapter(),
    MutmutStatsAdapter(),
    StrykerNetLegacyAdapter(),
]
