"""Security helpers (seed 000's security suite, seed 004's security gate): secrets in the
repository, licences of the installed distributions, bounded SQL-injection and XSS probes of a
local service. Each gives :class:`~testgate.model.Finding` objects in a run summary, which the
gates read as ``secrets.count``, ``licenses.violations`` and ``security.*``."""

from __future__ import annotations

from pathlib import Path

from testgate.model import Finding, Run
from testgate.security.licenses import DEFAULT_ALLOW, scan_licenses
from testgate.security.probe import probe
from testgate.security.secrets import scan_secrets

__all__ = ["DEFAULT_ALLOW", "findings_run", "probe", "scan_licenses", "scan_secrets"]


def findings_run(findings: list[Finding], metrics: dict[str, float], *, project: str = "") -> Run:
    """A run summary holding *findings* (and the metrics that say the scan ran)."""
    import datetime as _dt

    from testgate.adapters.ingest import git_facts, new_run_id

    run = Run(
        id=new_run_id(),
        project=project,
        started_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        vcs=git_facts(Path.cwd()),
    )
    run.findings = list(findings)
    run.metrics.update(metrics)
    run.finalize()
    return run
