"""Send fired alerts to webhooks: Slack-compatible JSON, retries with backoff, a timeout.

.. code-block:: yaml

    notify:
      webhooks:
        - url: https://hooks.slack.com/services/T000/B000/XXXX
          min_severity: high      # critical > high > medium > low > info
          timeout: 5s             # per attempt
          retries: 2              # after the first attempt
          backoff: 0.5s           # doubled after each failed attempt
      dashboard_url: https://testgate.example.com   # links to the run and the dashboard

A webhook that fails (after its retries) never fails the run: its delivery says what went
wrong and the command prints it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from testgate.config.webhooks import WebhookSpec, parse_webhook
from testgate.errors import ConfigError
from testgate.history.alerts import AlertFired

__all__ = [
    "Delivery",
    "WebhookSpec",
    "dashboard_url",
    "deliver",
    "notify",
    "parse_webhooks",
    "run_links",
    "slack_payload",
]

_COLORS = {
    "critical": "#8b0000",
    "high": "#d00000",
    "medium": "#f2a900",
    "low": "#2f7ed8",
    "info": "#999999",
}


@dataclass(slots=True)
class Delivery:
    url: str
    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ok": self.ok,
            "attempts": self.attempts,
            "status": self.status,
            "error": self.error,
        }


def parse_webhooks(
    notify_cfg: dict[str, Any], *, source: str = "testgate.yaml"
) -> list[WebhookSpec]:
    """Validate ``notify.webhooks``; every problem is reported at once."""
    hooks = notify_cfg.get("webhooks") or []
    if not isinstance(hooks, list):
        raise ConfigError(
            f"{source}: notify.webhooks: expected a list of {{url, min_severity}}",
            slug="config-invalid",
        )
    problems: list[str] = []
    parsed = [
        parse_webhook(h, f"{source}: notify.webhooks[{i}]", problems) for i, h in enumerate(hooks)
    ]
    if problems:
        raise ConfigError(problems[0], problems=problems, slug="config-invalid")
    return [p[0] for p in parsed if p is not None]


def dashboard_url(notify_cfg: dict[str, Any]) -> str | None:
    """Where ``testgate serve`` is reached: ``TESTGATE_DASHBOARD_URL``, else
    ``notify.dashboard_url``; None when neither is set (webhooks then carry no links)."""
    import os

    url = os.environ.get("TESTGATE_DASHBOARD_URL") or notify_cfg.get("dashboard_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    return url.rstrip("/")


def run_links(base: str | None, run: str | None, branch: str | None) -> dict[str, str]:
    """The dashboard pages of a run: its page and the branch's overview."""
    if not base:
        return {}
    from urllib.parse import quote

    links = {"dashboard": f"{base}/" + (f"?branch={quote(branch, safe='')}" if branch else "")}
    if run:
        links["run"] = f"{base}/runs/{quote(run, safe='')}"
    links["alerts"] = f"{base}/alerts" + (f"?branch={quote(branch, safe='')}" if branch else "")
    return links


def slack_payload(
    fired: list[AlertFired],
    *,
    project: str = "",
    run: str | None = None,
    commit: str | None = None,
    branch: str | None = None,
    dashboard_url: str | None = None,
) -> dict[str, Any]:
    """A message Slack's incoming webhooks (and Mattermost, Teams' Slack mode...) accept; with
    *dashboard_url*, links to the run's page and the dashboard (``links``, and in the text)."""
    where = " ".join(
        x
        for x in (project, f"on {branch}" if branch else "", f"at {commit[:12]}" if commit else "")
        if x
    )
    title = f"testgate: {len(fired)} alert{'s' if len(fired) != 1 else ''} fired" + (
        f" ({where})" if where else ""
    )
    from testgate.history.alerts import alert_line

    links = run_links(dashboard_url, run, branch)
    text = title + "\n" + "\n".join(alert_line(a.name, a.severity, a.message) for a in fired)
    if links:
        text += "\n" + " · ".join(f"<{url}|{what}>" for what, url in links.items())
    return {
        "text": text,
        "links": links,
        "attachments": [
            {
                "color": _COLORS.get(a.severity, "#999999"),
                "title": f"{a.name} ({a.severity})",
                "text": a.message,
                "fields": [
                    {"title": k, "value": f"{v:g}", "short": True} for k, v in a.values.items()
                ],
                "footer": f"run {run}" if run else "testgate",
                **({"title_link": links["run"]} if "run" in links else {}),
            }
            for a in fired
        ],
    }


def deliver(spec: WebhookSpec, payload: dict[str, Any], *, sleep: Any = time.sleep) -> Delivery:
    """POST *payload*; retry on a connection error, a timeout, 429 or 5xx, with backoff."""
    import httpx

    attempts = 0
    last_status: int | None = None
    last_error: str | None = None
    with httpx.Client(timeout=spec.timeout, follow_redirects=True) as client:
        for attempt in range(spec.retries + 1):
            attempts += 1
            try:
                resp = client.post(spec.url, json=payload, headers=spec.headers)
            except httpx.TimeoutException:
                last_status, last_error = None, f"no answer within {spec.timeout:g}s"
            except httpx.HTTPError as exc:
                last_status, last_error = None, f"{type(exc).__name__}: {exc}"
            else:
                last_status = resp.status_code
                if resp.status_code < 300:
                    return Delivery(spec.url, True, attempts, resp.status_code)
                last_error = f"HTTP {resp.status_code}"
                if resp.status_code < 500 and resp.status_code != 429:
                    break  # the request itself is wrong: retrying will not help
            if attempt < spec.retries:
                sleep(spec.backoff * (2**attempt))
    return Delivery(spec.url, False, attempts, last_status, last_error)


def notify(
    fired: list[AlertFired],
    webhooks: list[WebhookSpec],
    *,
    project: str = "",
    run: str | None = None,
    commit: str | None = None,
    branch: str | None = None,
    dashboard_url: str | None = None,
) -> list[Delivery]:
    """Send each webhook the alerts at or above its ``min_severity``."""
    out: list[Delivery] = []
    for spec in webhooks:
        mine = [a for a in fired if spec.wants(a.severity)]
        if not mine:
            continue
        d = deliver(
            spec,
            slack_payload(
                mine,
                project=project,
                run=run,
                commit=commit,
                branch=branch,
                dashboard_url=dashboard_url,
            ),
        )
        for a in mine:
            a.deliveries.append(d)
        out.append(d)
    return out
