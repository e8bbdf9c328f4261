"""A run's whole triage: categories and fingerprints, clusters, escalation, and what the
history and git know (when a cause was first seen, the files changed since the last green run).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.errors import ConfigError, TestgateError
from testgate.model import Run
from testgate.triage.categories import CategoryRule, parse_rules
from testgate.triage.clusters import FirstSeen, Triage, apply, build_triage
from testgate.triage.codeowners import CodeOwners, find_codeowners
from testgate.triage.escalation import EscalationSpec, parse_escalation

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore

__all__ = ["TriageSettings", "analyse", "changed_since", "first_seen_of", "settings_from"]


@dataclass(slots=True)
class TriageSettings:
    """``triage:`` and ``escalation:`` of a configuration, parsed."""

    rules: list[CategoryRule] = field(default_factory=list)
    escalation: EscalationSpec = field(default_factory=EscalationSpec)
    digest: bool = True


def settings_from(triage: Any = None, escalation: Any = None) -> TriageSettings:
    """Parse the ``triage:`` section (a mapping or its pydantic model) and ``escalation:``;
    every problem at once, each naming its key."""
    problems: list[str] = []
    categories: Any = None
    digest = True
    if triage is not None:
        if isinstance(triage, Mapping):
            categories = triage.get("categories")
            digest = bool(triage.get("digest", True))
        else:
            categories = getattr(triage, "categories", None)
            digest = bool(getattr(triage, "digest", True))
    rules: list[CategoryRule] = []
    spec = EscalationSpec()
    try:
        rules = parse_rules(categories)
    except ConfigError as exc:
        problems += exc.problems
    try:
        spec = parse_escalation(escalation)
    except ConfigError as exc:
        problems += exc.problems
    if problems:
        raise ConfigError(problems[0], problems=problems, slug="config-invalid")
    return TriageSettings(rules, spec, digest)


def changed_since(root: Path, commit: str) -> list[str] | None:
    """Files changed between *commit* and the working tree (None when git cannot tell)."""
    if not commit or commit.startswith("-"):
        return None
    try:
        proc = subprocess.run(
            ["git", "diff", "--name-only", "--no-renames", commit, "--"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return sorted({line.strip() for line in proc.stdout.splitlines() if line.strip()})


def first_seen_of(store: HistoryStore, run: Run, fingerprints: list[str]) -> dict[str, FirstSeen]:
    """fingerprint -> when it was first recorded (a fingerprint the store does not know is new
    in *run*)."""
    recorded = store.has_run(run.id)
    found = store.first_seen(fingerprints)
    out: dict[str, FirstSeen] = {}
    for fp in fingerprints:
        info = found.get(fp)
        if info is None or info.id == run.id:
            out[fp] = FirstSeen(run.id, run.vcs.commit, run.started_at, 0)
            continue
        ago = store.runs_after(info) + (0 if recorded else 1)
        started = info.started_at.isoformat() if info.started_at else None
        out[fp] = FirstSeen(info.id, info.commit, started, ago)
    return out


def analyse(
    run: Run,
    settings: TriageSettings | None = None,
    *,
    root: Path | None = None,
    run_dir: Path | None = None,
    store: HistoryStore | None = None,
    codeowners: CodeOwners | None = None,
) -> Triage:
    """The triage of *run*: its failed tests categorised and fingerprinted (in place), grouped
    into clusters with severity, owners and SLA, with the history's and git's facts."""
    settings = settings or TriageSettings()
    apply(run, settings.rules)
    notes: list[str] = []
    if codeowners is None and root is not None:
        codeowners = find_codeowners(root)
    first: dict[str, FirstSeen] | None = None
    t = build_triage(
        run,
        rules=settings.rules,
        escalation=settings.escalation,
        codeowners=codeowners,
        root=root,
        run_dir=run_dir,
    )
    if store is not None and t.clusters:
        try:
            first = first_seen_of(store, run, [c.fingerprint for c in t.clusters])
            for c in t.clusters:
                c.first_seen = first.get(c.fingerprint)
            green = store.last_green(run.vcs.branch, before=run.id)
            if green is None and run.vcs.branch is not None:
                green = store.last_green(None, before=run.id)
            if green is not None:
                t.last_green = {"run": green.id, "commit": green.commit}
                if green.commit and root is not None:
                    t.changed_files = changed_since(root, green.commit)
        except TestgateError as exc:
            notes.append(f"history not read: {exc}")
    elif store is None and t.clusters:
        notes.append("no history store was read: first_seen is unknown")
    if t.clusters and codeowners is None:
        notes.append(
            "no CODEOWNERS file (.github/, the root or docs/): owners come only from "
            "the escalation matrix"
        )
    t.notes.extend(notes)
    return t
