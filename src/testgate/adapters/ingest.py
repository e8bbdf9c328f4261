"""Read many report files into one :class:`~testgate.model.Run`: ``testgate ingest`` and the
pipeline's ``reports:`` share this code.

Paths may be globs (``test-results/*.xml``, ``**/TEST-*.xml``); a report that cannot be read is
one :class:`~testgate.errors.InputError` naming the file and line, and with ``keep_going`` the
other reports are still read.
"""

from __future__ import annotations

import glob
import os
import subprocess
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from testgate.adapters.registry import AdapterRegistry, ReadContext, default_registry, read_report
from testgate.errors import InputError
from testgate.model import ReportData, ReportRef, Run, VcsInfo

__all__ = [
    "IngestResult",
    "ReportSummary",
    "expand_paths",
    "git_facts",
    "ingest",
    "new_run_id",
]

_GLOB_CHARS = frozenset("*?[")


@dataclass(slots=True)
class ReportSummary:
    """What one report contributed, for the table ``testgate ingest`` prints."""

    path: str
    format: str
    kind: str
    tests: int = 0
    failed: int = 0
    skipped: int = 0
    coverage_files: int = 0
    findings: int = 0
    metrics: int = 0


@dataclass(slots=True)
class IngestResult:
    """The merged run, one summary per report read, and the errors of the reports that failed."""

    run: Run
    reports: list[ReportSummary] = field(default_factory=list)
    errors: list[tuple[str, InputError]] = field(default_factory=list)


def expand_paths(patterns: Iterable[str], *, root: Path | None = None) -> list[Path]:
    """Each pattern as a file, or a glob's matches in sorted order; duplicates are dropped.

    A pattern that is an existing path is taken literally even if it holds glob characters
    (``test[1].xml``). A glob with no match is an :class:`InputError`: a CI step that wrote no
    report is almost always a mistake worth stopping for.
    """
    out: list[Path] = []
    seen: set[str] = set()
    for pattern in patterns:
        p = Path(pattern)
        # relative patterns stay relative (to *root*, else the current directory), so the
        # summary and the table name reports as the user wrote them
        full = p if p.is_absolute() or root is None else root / p
        if full.exists() or not (_GLOB_CHARS & set(pattern)):
            matches = [full]
        else:
            found = sorted(glob.glob(str(full), recursive=True))
            matches = [Path(m) for m in found if Path(m).is_file()]
            if not matches:
                raise InputError(f"{pattern}: no report file matches this pattern")
        for m in matches:
            key = os.path.normpath(str(m))
            if key not in seen:
                seen.add(key)
                out.append(m)
    return out


def _git(cwd: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no git here: VCS facts are simply unknown
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def git_facts(cwd: Path | None = None) -> VcsInfo:
    """Commit and branch as git reports them in *cwd*; unknown (None) outside a repository."""
    where = cwd or Path.cwd()
    commit = _git(where, "rev-parse", "HEAD")
    if commit is None:
        return VcsInfo()
    branch = _git(where, "rev-parse", "--abbrev-ref", "HEAD")
    if branch == "HEAD":  # detached (the usual CI checkout): CI systems name the branch
        branch = (
            os.environ.get("GITHUB_HEAD_REF")
            or os.environ.get("GITHUB_REF_NAME")
            or os.environ.get("CI_COMMIT_REF_NAME")
            or None
        )
    return VcsInfo(commit=commit, branch=branch)


def new_run_id() -> str:
    """A unique, sortable run id: UTC time plus a random suffix."""
    now = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{uuid.uuid4().hex[:8]}"


def _summarise(data: ReportData, ref: ReportRef) -> ReportSummary:
    failed = skipped = 0
    for t in data.tests:
        if t.status == "failed" or t.status == "error":
            failed += 1
        elif t.status == "skipped":
            skipped += 1
    return ReportSummary(
        path=ref.path,
        format=ref.format,
        kind=ref.kind,
        tests=len(data.tests),
        failed=failed,
        skipped=skipped,
        coverage_files=len(data.coverage.files),
        findings=len(data.findings),
        metrics=len(data.metrics),
    )


def ingest(
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    ctx: ReadContext | None = None,
    registry: AdapterRegistry | None = None,
    keep_going: bool = False,
    run: Run | None = None,
) -> IngestResult:
    """Read every report in *paths* into *run* (a new one by default) and finalise it.

    Without *keep_going* the first unreadable report raises its :class:`InputError`; with it,
    every readable report is absorbed and the errors are returned.
    """
    reg = registry or default_registry()
    if format is not None:
        reg.get(format)  # an unknown format fails before any file is read
    ctx = ctx or ReadContext()
    result = IngestResult(run=run or Run(id=new_run_id()))
    for path in paths:
        try:
            data, ref = read_report(path, format=format, ctx=ctx, registry=reg)
        except InputError as exc:
            if not keep_going:
                raise
            result.errors.append((str(path), exc))
            continue
        result.run.absorb(data, ref)
        result.reports.append(_summarise(data, ref))
    result.run.finalize()
    return result
