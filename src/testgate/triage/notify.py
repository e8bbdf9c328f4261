"""Tell people about a red run's clusters: webhooks with Slack-compatible or generic JSON.

Delivery (retries with backoff, a timeout, 429 and 5xx retried) is the history's
(:func:`testgate.history.notify.deliver`); a webhook that fails never fails the run.
"""

from __future__ import annotations

from typing import Any

from testgate.history.notify import Delivery, deliver
from testgate.triage.clusters import Cluster, Triage
from testgate.triage.escalation import TriageWebhook, severity_rank

__all__ = ["NOTIFICATION_SCHEMA", "json_payload", "notify_triage", "slack_payload"]

NOTIFICATION_SCHEMA = "testgate.triage-notification/1"
_COLORS = {
    "critical": "#8b0000",
    "high": "#d00000",
    "medium": "#f2a900",
    "low": "#2f7ed8",
    "info": "#999999",
}


def _where(t: Triage, project: str) -> str:
    parts = [
        project,
        f"on {t.branch}" if t.branch else "",
        f"at {t.commit[:12]}" if t.commit else "",
    ]
    return " ".join(p for p in parts if p)


def slack_payload(t: Triage, clusters: list[Cluster], *, project: str = "") -> dict[str, Any]:
    """A message Slack's incoming webhooks (and Mattermost, Teams' Slack mode) accept."""
    where = _where(t, project)
    n = sum(c.size for c in clusters)
    title = f"testgate: {n} failure{'s' if n != 1 else ''} in {len(clusters)} cluster" + (
        "s" if len(clusters) != 1 else ""
    )
    title += f" ({where})" if where else ""
    lines = [f"• [{c.severity}] {c.signature} — {c.size} failing" for c in clusters]
    return {
        "text": title + "\n" + "\n".join(lines),
        "attachments": [
            {
                "color": _COLORS.get(c.severity, "#999999"),
                "title": f"{c.signature} ({c.category}, {c.severity})",
                "text": "\n".join(c.first_lines()),
                "fields": [
                    {"title": "failing", "value": str(c.size), "short": True},
                    {"title": "SLA", "value": c.sla or "none", "short": True},
                    {"title": "owners", "value": ", ".join(c.owners) or "unknown", "short": True},
                    {
                        "title": "first seen",
                        "value": c.first_seen.describe() if c.first_seen else "unknown",
                        "short": True,
                    },
                ],
                "footer": f"run {t.run} · fingerprint {c.fingerprint}",
            }
            for c in clusters
        ],
    }


def json_payload(t: Triage, clusters: list[Cluster], *, project: str = "") -> dict[str, Any]:
    """The generic payload: the triage's own JSON, for the clusters that are sent."""
    doc = t.to_dict()
    sent = {c.fingerprint for c in clusters}
    doc["schema"] = NOTIFICATION_SCHEMA
    doc["project"] = project
    doc["clusters"] = [c for c in doc["clusters"] if c["fingerprint"] in sent]
    for c in doc["clusters"]:
        c.pop("trace", None)  # a webhook is no place for a 16 kB trace
    return doc


def notify_triage(t: Triage, hooks: list[TriageWebhook], *, project: str = "") -> list[Delivery]:
    """Send each webhook the clusters that ask to be notified at or above its severity."""
    out: list[Delivery] = []
    for hook in hooks:
        floor = severity_rank(hook.spec.min_severity)
        mine = [
            c for c in t.clusters if "notify" in c.actions and severity_rank(c.severity) <= floor
        ]
        if not mine:
            continue
        payload = (
            slack_payload(t, mine, project=project)
            if hook.format == "slack"
            else json_payload(t, mine, project=project)
        )
        out.append(deliver(hook.spec, payload))
    return out
