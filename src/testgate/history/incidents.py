"""Production incidents recorded against a commit, and what they say about the tests.

An incident (a bug found in production: ``testgate history incident --commit SHA --id BUG-1``, or
``POST /api/incidents`` on the dashboard) is kept in the ``meta`` of the first recorded run of the
commit it escaped from. From them:

* **defect escape rate** = incidents / (incidents + runs whose tests or gates stopped a change,
  outages left out), over the same runs: the share of defects that got past the tests (seed 004's
  ``defect_escape_rate``; lower is better);
* **mean time to detection** = the mean time from the commit's first run to the incident's report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from testgate.errors import HistoryError, UsageError
from testgate.history.rows import _iso

if TYPE_CHECKING:
    from testgate.history.rows import RunInfo
    from testgate.history.store import HistoryStore

__all__ = ["Effectiveness", "Incident", "effectiveness", "incidents_of", "record_incident"]

META_KEY = "incidents"
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:#/-]{0,99}")


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    commit: str
    run: str
    reported_at: datetime
    component: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "commit": self.commit,
            "run": self.run,
            "reported_at": self.reported_at.isoformat(),
            "component": self.component,
        }


def _parse_time(value: str | None, where: str) -> datetime:
    if value is None:
        return datetime.now(timezone.utc)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{where}: {value!r} is not a time; expected ISO 8601 such as 2026-01-31T09:30:00Z"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def record_incident(
    store: HistoryStore,
    *,
    commit: str,
    incident_id: str,
    component: str | None = None,
    reported_at: str | None = None,
) -> Incident:
    """Record the incident *incident_id* against *commit*; the same id twice is one incident
    (recording it again updates its component and time). Raises UsageError on bad input and
    HistoryError when no run of the commit is recorded."""
    if not _SHA.fullmatch(commit):
        raise UsageError(
            f"--commit {commit!r}: expected a commit SHA (7 to 64 hexadecimal characters)"
        )
    if not _ID.fullmatch(incident_id):
        raise UsageError(
            f"--id {incident_id!r}: expected an incident id such as BUG-1 (letters, digits and "
            "._:#/- , at most 100 characters)"
        )
    if component is not None and not (0 < len(component) <= 200):
        raise UsageError("--component: expected a name of 1 to 200 characters")
    at = _parse_time(reported_at, "--at")
    runs = store.runs_of_commit(commit.lower())
    if not runs:
        raise HistoryError(
            f"no recorded run of commit {commit!r} in {store.safe_url}: an incident is recorded "
            "against a commit the tests saw ('testgate history list' shows the runs)",
            slug="history-run",
        )
    first = runs[0]
    if len({r.commit for r in runs}) > 1:
        raise UsageError(f"--commit {commit!r} is ambiguous: it starts more than one commit")
    kept = [i for i in first.meta.get(META_KEY) or [] if isinstance(i, dict)]
    kept = [i for i in kept if i.get("id") != incident_id]
    incident = Incident(incident_id, str(first.commit), first.id, at, component)
    entry = incident.to_dict()
    del entry["run"]
    store.mark_run(first.id, META_KEY, [*kept, entry])
    return incident


def incidents_of(runs: list[RunInfo]) -> list[Incident]:
    """The incidents recorded on *runs*, oldest report first."""
    out: list[Incident] = []
    for r in runs:
        for i in r.meta.get(META_KEY) or []:
            if not isinstance(i, dict) or not isinstance(i.get("id"), str):
                continue
            try:
                at = datetime.fromisoformat(str(i.get("reported_at")))
            except ValueError:
                continue
            comp = i.get("component")
            out.append(
                Incident(
                    i["id"],
                    str(r.commit),
                    r.id,
                    at if at.tzinfo else at.replace(tzinfo=timezone.utc),
                    comp if isinstance(comp, str) else None,
                )
            )
    out.sort(key=lambda x: x.reported_at)
    return out


@dataclass(slots=True)
class Effectiveness:
    runs: int
    #: runs whose tests failed or whose gates said no: a defect stopped before shipping
    caught: int
    incidents: list[Incident]
    #: incidents / (incidents + caught), None without either
    escape_rate: float | None
    #: mean hours from the commit's first run to the incident's report, None without incidents
    mttd_hours: float | None
    #: run id -> cumulative escape rate up to that run (oldest first): the chart's series
    series: list[tuple[RunInfo, float]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "caught": self.caught,
            "escaped": len(self.incidents),
            "escape_rate": self.escape_rate,
            "mttd_hours": self.mttd_hours,
            "incidents": [i.to_dict() for i in self.incidents],
            "series": [
                {"run": r.id, "started_at": _iso(r.started_at), "escape_rate": v}
                for r, v in self.series
            ],
        }


def _caught(r: RunInfo) -> bool:
    """A run that stopped a change: its tests failed or its gates said no (an outage is the
    infrastructure failing, not a defect caught)."""
    from testgate.history.outage import outage_reason

    if outage_reason(r.tests_total, r.tests_failed, r.meta) is not None:
        return False
    return r.status in ("failed", "error") or r.verdict == "fail"


def effectiveness(runs_newest_first: list[RunInfo]) -> Effectiveness:
    """Escape rate and mean time to detection over *runs* (as ``store.runs()`` returns them)."""
    runs = list(reversed(runs_newest_first))
    incidents = incidents_of(runs)
    started = {r.id: r.started_at for r in runs}
    by_run: dict[str, int] = {}
    for i in incidents:
        by_run[i.run] = by_run.get(i.run, 0) + 1
    series: list[tuple[RunInfo, float]] = []
    caught = escaped = 0
    for r in runs:
        caught += _caught(r)
        escaped += by_run.get(r.id, 0)
        if caught + escaped:
            series.append((r, round(100.0 * escaped / (caught + escaped), 2)))
    rate = round(escaped / (caught + escaped), 4) if caught + escaped else None
    delays = []
    for i in incidents:
        t0 = started[i.run]
        t0 = t0 if t0.tzinfo else t0.replace(tzinfo=timezone.utc)
        delays.append((i.reported_at - t0).total_seconds() / 3600)
    mttd = round(sum(delays) / len(delays), 2) if delays else None
    return Effectiveness(len(runs), caught, incidents, rate, mttd, series)
