"""One webhook entry of the configuration, as ``notify.webhooks`` (alerts) and
``escalation.webhooks`` (triage) both write it.

.. code-block:: yaml

    - url: https://hooks.slack.com/services/T000/B000/XXXX
      min_severity: high      # critical > high > medium > low > info
      timeout: 5s             # per attempt
      retries: 2              # after the first attempt
      backoff: 0.5s           # doubled after each failed attempt
      headers: {Authorization: "Bearer ..."}

A plain string is a URL with the defaults. The sections that accept more keys (triage's
``format``) name them as *extra* and read them themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from testgate.model import SEVERITIES

__all__ = ["WEBHOOK_KEYS", "WebhookSpec", "parse_webhook"]

#: the keys every webhook entry accepts
WEBHOOK_KEYS: tuple[str, ...] = ("url", "min_severity", "timeout", "retries", "backoff", "headers")


@dataclass(frozen=True, slots=True)
class WebhookSpec:
    url: str
    min_severity: str = "info"
    timeout: float = 5.0
    retries: int = 2
    backoff: float = 0.5
    headers: dict[str, str] = field(default_factory=dict)

    def wants(self, severity: str) -> bool:
        """Whether a message of *severity* reaches this webhook (unknown severities do not)."""
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        return rank.get(severity, len(SEVERITIES)) <= rank[self.min_severity]


def parse_webhook(
    raw: Any, where: str, problems: list[str], *, extra: Sequence[str] = ()
) -> tuple[WebhookSpec, Mapping[str, Any]] | None:
    """The webhook entry *raw* at *where* and its mapping (for the *extra* keys), or None with
    what is wrong appended to *problems* (every problem of the entry, each naming its key)."""
    from testgate.config.schema import parse_duration

    if isinstance(raw, str):
        raw = {"url": raw}
    keys = (*WEBHOOK_KEYS, *extra)
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: expected a mapping with {', '.join(('url', *extra))}")
        return None
    unknown = sorted(str(k) for k in raw if k not in keys)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(keys)}")
    url = raw.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        problems.append(f"{where}.url: expected an http:// or https:// URL, got {url!r}")
        return None
    sev = str(raw.get("min_severity", "info")).lower()
    if sev not in SEVERITIES:
        problems.append(f"{where}.min_severity: {sev!r} is not one of {', '.join(SEVERITIES)}")
        return None
    headers = raw.get("headers") or {}
    if not isinstance(headers, Mapping):
        problems.append(f"{where}.headers: expected a mapping of header names to values")
        return None
    try:
        timeout = parse_duration(raw.get("timeout", 5.0))
        backoff = parse_duration(raw.get("backoff", 0.5))
        retries = int(raw.get("retries", 2))
        if not 0 <= retries <= 10:
            raise ValueError(f"retries must lie between 0 and 10, got {retries}")
    except (TypeError, ValueError) as exc:
        problems.append(f"{where}: {exc}")
        return None
    spec = WebhookSpec(
        url, sev, timeout, retries, backoff, {str(k): str(v) for k, v in headers.items()}
    )
    return spec, raw
