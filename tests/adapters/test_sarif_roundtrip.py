"""Property: any set of results written as SARIF reads back as the same findings."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from testgate.adapters.registry import ReadContext, read_report

LEVEL = {"error": "high", "warning": "medium", "note": "low", "none": "info"}

segment = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters=" -_.é"),
    min_size=1,
    max_size=8,
).filter(lambda s: s.strip(". ") == s and s not in (".", ".."))

result = st.fixed_dictionaries(
    {
        "rule": st.sampled_from(["r1", "r2", "r3"]),
        "level": st.sampled_from([*LEVEL, None]),
        "parts": st.lists(segment, min_size=1, max_size=3),
        "line": st.one_of(st.none(), st.integers(1, 10**6)),
        "suppressed": st.booleans(),
        "absolute": st.booleans(),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(result, max_size=12))
def test_sarif_round_trip(results: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        sarif_results = []
        expected = []
        for r in results:
            rel = "/".join(r["parts"])  # type: ignore[arg-type]
            uri = (root / rel).as_uri() if r["absolute"] else rel.replace(" ", "%20")
            loc: dict[str, object] = {"artifactLocation": {"uri": uri}}
            if r["line"] is not None:
                loc["region"] = {"startLine": r["line"]}
            res: dict[str, object] = {
                "ruleId": r["rule"],
                "message": {"text": f"problem {r['rule']}"},
                "locations": [{"physicalLocation": loc}],
            }
            if r["level"] is not None:
                res["level"] = r["level"]
            if r["suppressed"]:
                res["suppressions"] = [{"kind": "inSource"}]
            else:
                # rules default to level "warning" (below), as SARIF itself does
                expected.append((r["rule"], LEVEL[str(r["level"] or "warning")], rel, r["line"]))
            sarif_results.append(res)
        doc = {
            "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "anytool"}}, "results": sarif_results}],
        }
        report = Path(tmp) / "r.sarif"
        report.write_text(json.dumps(doc), encoding="utf-8")
        data, ref = read_report(report, ctx=ReadContext(root=root))
        assert ref.format == "sarif"
        got = [(f.rule, f.severity, f.path, f.line) for f in data.findings]
        assert got == expected
        for sev in ("critical", "high", "medium", "low"):
            assert data.metrics[f"security.{sev}"] == sum(1 for e in expected if e[1] == sev)
