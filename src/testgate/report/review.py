"""What code review tools show of a run: failed gate criteria, findings and failed tests as
located *issues*, the one list that the SARIF, GitLab Code Quality, Checkstyle and GitHub
annotation renderers format.

Every issue carries a path relative to the repository root (the git top level), so that GitHub
code scanning, GitLab's merge request widget and Jenkins' warnings plugin can point at the line.
A failed criterion has no file of its own: it points at the line of its gate in the
configuration file, where a reviewer would change the threshold. The facts that are not in the
run (where the configuration is, where the repository root is) come in a :class:`ReviewSource`
that :func:`review_source` reads; the renderers themselves are pure functions of a run.
"""

from __future__ import annotations

import hashlib
import posixpath
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from testgate.model import Finding, Run, TestCase

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig
    from testgate.verdict import CriterionResult

__all__ = [
    "Issue",
    "ReviewSource",
    "failed_test_issues",
    "finding_issues",
    "gate_issues",
    "issues",
    "review_source",
    "unlocated_findings",
]

Level = Literal["error", "warning", "note"]

#: testgate severity -> review level (SARIF's ``level``, GitHub's annotation kind)
_LEVEL: dict[str, Level] = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}


@dataclass(frozen=True, slots=True)
class ReviewSource:
    """Where the run's files are, relative to the repository root.

    ``prefix`` is the directory of the configuration file relative to the repository root
    (``""`` when they are the same): testgate keeps report paths relative to the configuration's
    directory, review tools want them relative to the checkout.
    """

    #: the configuration file, relative to the repository root
    config_path: str | None = None
    #: ``gate`` and ``gate/criterion`` -> the line that defines it in the configuration file
    gate_lines: Mapping[str, int] = field(default_factory=dict)
    #: the configuration's directory relative to the repository root
    prefix: str = ""

    def repo_path(self, path: str) -> str:
        """*path* (relative to the configuration's directory, or absolute) as review tools
        want it: relative to the repository root when it lies under it, POSIX separators."""
        p = path.replace("\\", "/")
        if PurePosixPath(p).is_absolute() or (len(p) > 1 and p[1] == ":"):
            return p
        joined = posixpath.normpath(posixpath.join(self.prefix, p)) if self.prefix else p
        return joined.removeprefix("./")


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing a reviewer should look at."""

    kind: Literal["criterion", "finding", "test"]
    #: a stable rule id: ``testgate/gate/<gate>/<criterion>``, ``<tool>/<rule>``,
    #: ``testgate/test-failed``
    rule: str
    #: a short description of the rule
    title: str
    level: Level
    #: the testgate severity (critical, high, medium, low, info) the level came from
    severity: str
    message: str
    #: repository-relative path (or absolute when it lies outside the repository)
    path: str | None
    line: int | None
    #: the tool that reported it (testgate for criteria and tests)
    tool: str
    #: stable across runs for the same problem (not the line: code moves); unique in a run
    fingerprint: str
    #: what to look at first (a criterion's hint)
    help: str | None = None
    #: extra facts worth carrying (category, package, CVE fix version, gate)
    properties: Mapping[str, str] = field(default_factory=dict)


def review_source(loaded: LoadedConfig | None) -> ReviewSource:
    """The configuration's place in the repository and the line of every gate and criterion.

    The repository root is git's top level of the configuration's directory; without git (or
    outside a repository) the configuration's directory is taken as the root.
    """
    if loaded is None:
        return ReviewSource()
    root = loaded.root.resolve()
    top = _git_toplevel(root) or root
    try:
        prefix = root.relative_to(top).as_posix()
    except ValueError:
        prefix = ""
    prefix = "" if prefix == "." else prefix
    try:
        config = loaded.path.resolve().relative_to(top).as_posix()
    except ValueError:
        config = loaded.path.name
    lines: dict[str, int] = {}
    gates = loaded.config.gates
    for gate, body in gates.items():
        lines[gate] = loaded.line_of(f"gates.{gate}")
        criteria = body.get("criteria") if isinstance(body, dict) else None
        if isinstance(criteria, dict):
            for name in _criterion_names(criteria):
                lines[f"{gate}/{name}"] = loaded.line_of(f"gates.{gate}.criteria.{name}")
        elif isinstance(criteria, list):
            for i, item in enumerate(criteria):
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    lines[f"{gate}/{item['name']}"] = loaded.line_of(f"gates.{gate}.criteria.{i}")
    for env in loaded.config.deployment_gates:
        lines.setdefault(env, loaded.line_of(f"deployment_gates.{env}"))
    return ReviewSource(config_path=config, gate_lines=lines, prefix=prefix)


def _criterion_names(criteria: Mapping[str, object], prefix: str = "") -> Iterator[str]:
    """Dotted names of nested criteria (the seed writes ``vulnerability_scan: {critical: 0}``)."""
    for key, value in criteria.items():
        name = f"{prefix}{key}"
        yield name
        if isinstance(value, dict):
            yield from _criterion_names(value, f"{name}.")


def _git_toplevel(path: Path) -> Path | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = proc.stdout.strip()
    return Path(out).resolve() if proc.returncode == 0 and out else None


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:32]


class _Fingerprints:
    """Fingerprints from the stable facts of an issue, made unique by an occurrence counter
    (the same rule and message twice in one file are two issues; GitLab shows one per print)."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, *parts: object) -> str:
        base = _digest(*parts)
        n = self._seen.get(base, 0)
        self._seen[base] = n + 1
        return base if n == 0 else _digest(base, n)


def _criterion_level(r: CriterionResult, strict: bool) -> Level:
    if r.status == "fail" and r.blocking:
        return "error"
    return "error" if strict else "warning"


def gate_issues(run: Run, source: ReviewSource | None = None) -> list[Issue]:
    """One issue per failing or warning criterion of the run's verdict (none without one)."""
    v = run.verdict
    if v is None:
        return []
    src = source or ReviewSource()
    prints = _Fingerprints()
    out: list[Issue] = []
    for r in v.results:
        if r.status not in ("fail", "warn"):
            continue
        line = src.gate_lines.get(f"{r.gate}/{r.criterion}") or src.gate_lines.get(r.gate)
        level = _criterion_level(r, v.strict)
        word = "failed" if r.status == "fail" else "warns"
        blocking = "" if r.blocking else " (non-blocking)"
        message = (
            f"gate {r.gate}{blocking} {word}: {r.criterion} is {r.actual_text}, "
            f"expected {r.expected}"
        )
        if r.hint:
            message += f". {r.hint}"
        props = {"gate": r.gate, "criterion": r.criterion, "status": r.status}
        if r.metric:
            props["metric"] = r.metric
        out.append(
            Issue(
                kind="criterion",
                rule=f"testgate/gate/{r.gate}/{r.criterion}",
                title=f"quality gate {r.gate}: {r.criterion} {r.expected}",
                level=level,
                severity="high" if level == "error" else "medium",
                message=message,
                path=src.config_path,
                line=line if src.config_path else None,
                tool="testgate",
                fingerprint=prints("criterion", r.gate, r.criterion),
                help="\n".join(r.details) if r.details else r.hint,
                properties=props,
            )
        )
    return out


def _finding_message(f: Finding) -> str:
    msg = f.message or f.rule
    if f.package:
        pkg = f"{f.package}@{f.version}" if f.version else f.package
        msg = f"{pkg}: {msg}"
        if f.fixed_in:
            msg += f" (fixed in {f.fixed_in})"
    return msg


def finding_issues(run: Run, source: ReviewSource | None = None) -> list[Issue]:
    """One issue per finding that has a file (see :func:`unlocated_findings` for the rest)."""
    src = source or ReviewSource()
    prints = _Fingerprints()
    out: list[Issue] = []
    for f in run.findings:
        if not f.path:
            continue
        path = src.repo_path(f.path)
        props = {"category": f.category, "severity": f.severity}
        for key in ("package", "version", "fixed_in"):
            value = getattr(f, key)
            if value:
                props[key] = str(value)
        out.append(
            Issue(
                kind="finding",
                rule=f"{f.tool}/{f.rule}" if f.rule else f.tool,
                title=f"{f.tool} {f.rule}".strip(),
                level=_LEVEL.get(f.severity, "warning"),
                severity=f.severity,
                message=_finding_message(f),
                path=path,
                line=f.line if f.line and f.line > 0 else None,
                tool=f.tool,
                fingerprint=prints("finding", f.tool, f.rule, path, f.message),
                properties=props,
            )
        )
    return out


def unlocated_findings(run: Run) -> list[Finding]:
    """Findings with no file (a vulnerable package, a licence): review formats cannot place
    them on a line, so the renderers count them instead of guessing a location."""
    return [f for f in run.findings if not f.path]


def _test_message(t: TestCase) -> str:
    word = "errored" if t.status == "error" else "failed"
    msg = f"test {t.id} {word}"
    if t.message:
        first = t.message.strip().splitlines()[0] if t.message.strip() else ""
        if first:
            msg += f": {first[:500]}"
    return msg


def failed_test_issues(run: Run, source: ReviewSource | None = None) -> list[Issue]:
    """One issue per failed or errored test (its file and line when the report gave them)."""
    src = source or ReviewSource()
    prints = _Fingerprints()
    out: list[Issue] = []
    for t in run.tests:
        if t.status not in ("failed", "error"):
            continue
        path = src.repo_path(t.file) if t.file else None
        out.append(
            Issue(
                kind="test",
                rule="testgate/test-failed",
                title="a test failed",
                level="error",
                severity="high",
                message=_test_message(t),
                path=path,
                line=t.line if path and t.line and t.line > 0 else None,
                tool="testgate",
                fingerprint=prints("test", t.id),
                help=t.trace,
                properties={"test": t.id, "status": t.status},
            )
        )
    return out


def issues(run: Run, source: ReviewSource | None = None) -> list[Issue]:
    """Failed criteria first, then located findings, in the run's order."""
    return gate_issues(run, source) + finding_issues(run, source)
