"""The escalation matrix: severity, owner and SLA per failure type, and what to do about it.

The seed's matrix works as it is written, pasted under ``escalation:`` (with or without its
``escalation_matrix:`` line)::

    escalation:
      escalation_matrix:
        unit_test_failure:        {severity: medium,   owner: component_developer, sla: 2 hours}
        integration_test_failure: {severity: high,     owner: service_owner,       sla: 1 hour}
        e2e_test_failure:         {severity: critical, owner: platform_team,       sla: 30 minutes}
        performance_regression:   {severity: high,     owner: performance_team,    sla: 1 hour}
        security_gate_failure:    {severity: critical, owner: security_team,       sla: immediate}
      webhooks:
        - {url: "https://hooks.slack.com/services/T0/B0/X", format: slack, min_severity: high}

The seed's five names know which failures they cover (a ``unit`` stage, step or test path; a
failing ``perf.*`` gate...); any other name says so with ``match:``. The seed's automated
responses are the ``actions`` (by default, as the seed's handler does: ``block_deployment`` and
``notify`` for critical failures, ``notify`` for the rest).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from testgate.config.webhooks import WebhookSpec, parse_webhook
from testgate.errors import ConfigError
from testgate.model import SEVERITIES

__all__ = [
    "ACTIONS",
    "SEED_TYPES",
    "EscalationEntry",
    "EscalationSpec",
    "FailureFacts",
    "Match",
    "TriageWebhook",
    "parse_escalation",
    "parse_sla",
    "severity_rank",
]

#: what an entry can make testgate do
ACTIONS: tuple[str, ...] = ("block_deployment", "notify")
_WRAPPERS = ("escalation_matrix", "test_failure_escalation", "matrix")
_RESERVED = ("webhooks", "default")
_ENTRY_KEYS = ("severity", "owner", "owners", "sla", "match", "actions")
_MATCH_KEYS = ("stage", "step", "test", "file", "category", "metric", "words")
_FORMATS = ("slack", "json")


def severity_rank(severity: str) -> int:
    """0 for critical ... 4 for info; unknown severities rank last."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        return len(SEVERITIES)


@dataclass(frozen=True, slots=True)
class FailureFacts:
    """What escalation matches a failure on (a test, a failed step or a failed gate)."""

    kind: str  # test | step | gate
    category: str
    step: str | None = None  # stage/name
    test: str | None = None
    file: str | None = None
    metric: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """Which failures an entry covers: every given field must match (globs, ``|`` none)."""

    stage: tuple[str, ...] = ()
    step: tuple[str, ...] = ()
    test: tuple[str, ...] = ()
    file: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    metric: tuple[str, ...] = ()
    #: a word in the step, test id or file path (the seed's names: ``unit``, ``e2e``...)
    words: tuple[str, ...] = ()

    def matches(self, f: FailureFacts) -> bool:
        stage, _, name = (f.step or "").partition("/")
        checks: list[bool] = []
        if self.stage:
            checks.append(bool(f.step) and _any(self.stage, stage))
        if self.step:
            checks.append(bool(f.step) and (_any(self.step, f.step or "") or _any(self.step, name)))
        if self.test:
            checks.append(f.test is not None and _any(self.test, f.test))
        if self.file:
            checks.append(f.file is not None and _any(self.file, f.file))
        if self.category:
            checks.append(f.category in self.category)
        if self.metric:
            checks.append(f.metric is not None and _any(self.metric, f.metric))
        if self.words:
            checks.append(_has_word(self.words, f))
        return bool(checks) and all(checks)


def _any(globs: Sequence[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, g) for g in globs)


_TOKEN = re.compile(r"[A-Za-z0-9]+")


def _has_word(words: Sequence[str], f: FailureFacts) -> bool:
    text = " ".join(x for x in (f.step, f.test, f.file, f.metric) if x).lower()
    tokens = set(_TOKEN.findall(text))
    joined = text.replace("_", "-")
    return any(
        (w in tokens or any(t.startswith(w) for t in tokens)) if "-" not in w else w in joined
        for w in words
    )


#: the seed's failure types and the failures they cover when no ``match:`` is given
SEED_TYPES: dict[str, Match] = {
    "unit_test_failure": Match(words=("unit",)),
    "integration_test_failure": Match(words=("integration",)),
    "e2e_test_failure": Match(words=("e2e", "end-to-end", "endtoend")),
    "performance_regression": Match(words=("perf", "performance", "benchmark", "load")),
    "security_gate_failure": Match(words=("security", "secrets", "sast", "licenses", "audit")),
}


@dataclass(frozen=True, slots=True)
class EscalationEntry:
    """One failure type of the matrix."""

    name: str
    severity: str
    owners: tuple[str, ...] = ()
    #: the SLA as written ("2 hours", "immediate") and in seconds (0 for immediate)
    sla: str | None = None
    sla_s: float | None = None
    match: Match = field(default_factory=Match)
    actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TriageWebhook:
    """A webhook the triage of a red run is sent to: where and when (``spec``, the same entry
    as ``notify.webhooks``) and the payload's ``format``."""

    spec: WebhookSpec
    format: str = "slack"  # slack | json


@dataclass(slots=True)
class EscalationSpec:
    """The whole ``escalation:`` section."""

    entries: list[EscalationEntry] = field(default_factory=list)
    default: EscalationEntry = field(
        default_factory=lambda: EscalationEntry(
            "unclassified_failure", "medium", actions=("notify",)
        )
    )
    webhooks: list[TriageWebhook] = field(default_factory=list)

    def entry_for(self, facts: FailureFacts) -> EscalationEntry:
        """The most severe entry that covers *facts* (ties: the first written), else default."""
        best: EscalationEntry | None = None
        for e in self.entries:
            if e.match.matches(facts) and (
                best is None or severity_rank(e.severity) < severity_rank(best.severity)
            ):
                best = e
        return best or self.default


_SLA_WORDS = {
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
}  # fmt: skip
_SLA_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)")


def parse_sla(value: Any) -> float:
    """Seconds from ``immediate``, ``30 minutes``, ``2 hours``, ``1h30m``, ``1 day`` or a number
    of seconds. Raises :class:`ValueError` saying what would be right."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("immediate", "immediately", "now", "asap"):
            return 0.0
        parts = _SLA_PART.findall(text)
        rest = _SLA_PART.sub("", text).replace(",", "").replace("and", "").strip()
        if parts and not rest and all(u in _SLA_WORDS for _, u in parts):
            return sum(float(n) * _SLA_WORDS[u] for n, u in parts)
    raise ValueError(
        f"got {value!r}; expected an SLA such as immediate, 30 minutes, 2 hours, 1h30m or 1 day"
    )


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _parse_match(raw: Any, at: str, problems: list[str]) -> Match | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{at}: expected a mapping of {', '.join(_MATCH_KEYS)} to globs")
        return None
    unknown = sorted(str(k) for k in raw if k not in _MATCH_KEYS)
    if unknown:
        problems.append(
            f"{at}: unknown key(s) {', '.join(unknown)}; expected {', '.join(_MATCH_KEYS)}"
        )
        return None
    values: dict[str, tuple[str, ...]] = {}
    for k, v in raw.items():
        got = _strings(v)
        if got is None:
            problems.append(f"{at}.{k}: expected a glob or a list of globs, got {v!r}")
            return None
        values[str(k)] = tuple(x.lower() for x in got) if k == "words" else got
    if not values:
        problems.append(f"{at}: give at least one of {', '.join(_MATCH_KEYS)}")
        return None
    return Match(**values)


def _parse_entry(name: str, raw: Any, at: str, problems: list[str]) -> EscalationEntry | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{at}: expected a mapping with severity, owner and sla")
        return None
    unknown = sorted(str(k) for k in raw if k not in _ENTRY_KEYS)
    if unknown:
        problems.append(
            f"{at}: unknown key(s) {', '.join(unknown)}; expected {', '.join(_ENTRY_KEYS)}"
        )
        return None
    sev = str(raw.get("severity", "medium")).lower()
    if sev not in SEVERITIES:
        problems.append(
            f"{at}.severity: {raw.get('severity')!r} is not one of {', '.join(SEVERITIES)}"
        )
        return None
    owners: tuple[str, ...] = ()
    for key in ("owner", "owners"):
        if key in raw and raw[key] is not None:
            got = _strings(raw[key])
            if got is None:
                problems.append(f"{at}.{key}: expected a name or a list of names, got {raw[key]!r}")
                return None
            owners += got
    sla = raw.get("sla")
    sla_s = None
    if sla is not None:
        try:
            sla_s = parse_sla(sla)
        except ValueError as exc:
            problems.append(f"{at}.sla: {exc}")
            return None
    if "match" in raw:
        match = _parse_match(raw["match"], f"{at}.match", problems)
        if match is None:
            return None
    elif name in SEED_TYPES:
        match = SEED_TYPES[name]
    elif name == "default":
        match = Match()
    else:
        problems.append(
            f"{at}: say which failures '{name}' covers with match: (stage, step, test, file, "
            f"category, metric or words); only the seed's names ({', '.join(SEED_TYPES)}) "
            "know theirs"
        )
        return None
    if "actions" in raw:
        acts = _strings(raw["actions"]) if raw["actions"] is not None else ()
        if acts is None or any(a not in ACTIONS for a in acts):
            problems.append(
                f"{at}.actions: expected a list of {', '.join(ACTIONS)}, got {raw['actions']!r}"
            )
            return None
    else:
        acts = ("block_deployment", "notify") if sev == "critical" else ("notify",)
    return EscalationEntry(
        name, sev, owners, None if sla is None else str(sla), sla_s, match, tuple(acts)
    )


def _parse_webhooks(raw: Any, at: str, problems: list[str]) -> list[TriageWebhook]:
    if not isinstance(raw, list):
        problems.append(f"{at}: expected a list of {{url, format, min_severity}}")
        return []
    out: list[TriageWebhook] = []
    for i, h in enumerate(raw):
        where = f"{at}[{i}]"
        parsed = parse_webhook(h, where, problems, extra=("format",))
        if parsed is None:
            continue
        spec, entry = parsed
        fmt = str(entry.get("format", "slack")).lower()
        if fmt not in _FORMATS:
            problems.append(f"{where}.format: {fmt!r} is not one of {', '.join(_FORMATS)}")
            continue
        out.append(TriageWebhook(spec, fmt))
    return out


def parse_escalation(raw: Any, *, where: str = "escalation") -> EscalationSpec:
    """The ``escalation:`` section; every problem at once, each naming its key."""
    spec = EscalationSpec()
    if raw is None or raw == {}:
        return spec
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{where}: expected a mapping of failure types (the seed's escalation_matrix)",
            slug="config-invalid",
        )
    problems: list[str] = []
    items: list[tuple[str, Any, str]] = []
    for key, value in raw.items():
        k = str(key)
        if k in _WRAPPERS:
            if not isinstance(value, Mapping):
                problems.append(f"{where}.{k}: expected a mapping of failure types")
                continue
            items.extend((str(n), v, f"{where}.{k}.{n}") for n, v in value.items())
        elif k == "webhooks":
            spec.webhooks = _parse_webhooks(value, f"{where}.webhooks", problems)
        else:
            items.append((k, value, f"{where}.{k}"))
    for name, value, at in items:
        entry = _parse_entry(name, value, at, problems)
        if entry is None:
            continue
        if name == "default":
            spec.default = entry
        else:
            spec.entries.append(entry)
    if problems:
        raise ConfigError(problems[0], problems=problems, slug="config-invalid")
    return spec
