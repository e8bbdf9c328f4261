"""Why a run failed: categories, THE fingerprint, clusters, escalation, the failure digest.

The small API other parts of testgate (and users) call::

    from testgate.triage import categorize, fingerprint

    fingerprint(test)          # '3f2a9c0d1e4b5a67': equal for two failures with one cause
    categorize(test, rules)    # 'assertion', 'infrastructure', ... or a user's category

:func:`analyse` gives a run's whole triage (:class:`Triage`: clusters biggest first, each with
category, tests, owners, severity, SLA and first_seen); :func:`render` shows it as text, JSON
or Markdown (the failure digest). See ``docs/triage.md``.
"""

from __future__ import annotations

from testgate.triage.analysis import TriageSettings, analyse, changed_since, settings_from
from testgate.triage.categories import (
    BUILTIN_CATEGORIES,
    CategoryRule,
    categorize,
    categorize_text,
    parse_rules,
)
from testgate.triage.clusters import TRIAGE_SCHEMA, Cluster, FirstSeen, Triage, apply, build_triage
from testgate.triage.codeowners import CodeOwners, find_codeowners, parse_codeowners
from testgate.triage.escalation import EscalationSpec, parse_escalation
from testgate.triage.fingerprint import Signature, fingerprint, scrub, signature
from testgate.triage.render import FORMATS, render

__all__ = [
    "BUILTIN_CATEGORIES",
    "FORMATS",
    "TRIAGE_SCHEMA",
    "CategoryRule",
    "Cluster",
    "CodeOwners",
    "EscalationSpec",
    "FirstSeen",
    "Signature",
    "Triage",
    "TriageSettings",
    "analyse",
    "apply",
    "build_triage",
    "categorize",
    "categorize_text",
    "changed_since",
    "find_codeowners",
    "fingerprint",
    "parse_codeowners",
    "parse_escalation",
    "parse_rules",
    "render",
    "scrub",
    "settings_from",
    "signature",
]
