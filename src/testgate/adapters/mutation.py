"""mutation-testing-elements JSON: StrykerJS, Stryker.NET, Stryker4s, Infection, cargo-mutants...

``mutation.score`` uses the elements definition exactly: detected / valid * 100, where detected
= Killed + Timeout, undetected = Survived + NoCoverage and valid = detected + undetected
(CompileError, RuntimeError, BuildError, Ignored, Skipped and Pending are not valid mutants).
A report with no valid mutant has no score (absent, never 0). Every undetected mutant is a
``mutation`` finding.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from testgate.adapters._static import (
    JsonAdapter,
    as_int,
    has_keys,
    json_start,
    load_json,
    rel_path,
)
from testgate.adapters.registry import ReadContext
from testgate.model import Finding, ReportData

__all__ = ["ADAPTERS", "DETECTED", "STATUSES", "UNDETECTED", "MutationElementsAdapter", "score"]

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


ADAPTERS = [MutationElementsAdapter()]
