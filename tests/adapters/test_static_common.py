"""What every security and quality adapter shares: bounded, hostile-proof reading, paths,
and metrics that agree with the run-level recount of derive_metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testgate.adapters._static import load_json, rel_path
from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError
from testgate.model import Run

FIX = Path(__file__).parent.parent / "fixtures"
COUNTED = ("security.", "secrets.count", "lint.")


def _reports() -> list[Path]:
    out = []
    for family in ("security", "lint"):
        for p in sorted((FIX / family).iterdir()):
            if (
                p.suffix in (".json", ".sarif", ".xml")
                and "invalid" not in p.name
                and ("ENOAUDIT" not in p.name)
            ):
                out.append(p)
    return out


@pytest.mark.parametrize("path", _reports(), ids=lambda p: p.name)
def test_adapter_counts_agree_with_the_run_recount(path: Path) -> None:
    fmt = "trivy" if path.name == "trivy__legacy-null.json" else None
    data, ref = read_report(path, format=fmt)
    run = Run(id="x")
    run.absorb(data, ref)
    run.finalize()
    own = {k: v for k, v in data.metrics.items() if k.startswith(COUNTED)}
    derived = {k: v for k, v in run.metrics.items() if k.startswith(COUNTED)}
    assert own == derived


def test_two_scans_add_up_in_a_run() -> None:
    run = Run(id="x")
    for name in ("bandit__json-one.json", "npm-audit-v7__many.json", "gitleaks-v8__many.json"):
        data, ref = read_report(FIX / "security" / name)
        run.absorb(data, ref)
    run.finalize()
    assert run.metrics["security.low"] == 1 + 12
    assert run.metrics["security.high"] == 1
    assert run.metrics["secrets.count"] == 4
    assert "lint.errors" not in run.metrics


def test_clean_scan_measures_zero_and_no_scan_measures_nothing() -> None:
    run = Run(id="x")
    data, ref = read_report(FIX / "security" / "bandit__json-empty.json")
    run.absorb(data, ref)
    run.finalize()
    assert run.metrics["security.critical"] == 0
    assert "secrets.count" not in run.metrics
    empty = Run(id="y")
    empty.finalize()
    assert not any(k.startswith(COUNTED) for k in empty.metrics)


def test_empty_file_is_one_error(tmp_path: Path) -> None:
    p = tmp_path / "report.json"
    p.write_text("  \n")
    with pytest.raises(InputError, match=r"report\.json:1: report is empty"):
        read_report(p)
    with pytest.raises(InputError, match=r"report\.json:1: report is empty"):
        read_report(p, format="bandit")


def test_truncated_json_names_the_line(tmp_path: Path) -> None:
    text = (FIX / "security" / "npm-audit-v7__many.json").read_text(encoding="utf-8")
    p = tmp_path / "audit.json"
    p.write_text(text[:3000], encoding="utf-8")
    line = text[:3000].count("\n") + 1
    with pytest.raises(InputError, match=rf"audit\.json:{line}: truncated JSON"):
        read_report(p)


def test_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "gitleaks.json"
    p.write_bytes(b'[\n {"RuleID": "x",\n  "File": "caf\xe9.py", "StartLine": 1}\n]\n')
    with pytest.raises(InputError, match=r"gitleaks\.json:3: not valid UTF-8"):
        read_report(p, format="gitleaks")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "deep.json"
    p.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(InputError, match=r"deep\.json: JSON nested too deeply"):
        read_report(p, format="ruff")


def test_oversized_report_is_refused_before_reading(tmp_path: Path) -> None:
    p = tmp_path / "big.json"
    p.write_text(json.dumps([{"x": "y" * 100}] * 50))
    with pytest.raises(InputError, match=r"big\.json: report is \d+ MiB, more than testgate reads"):
        load_json(p, limit=1024)


def test_wrong_shape_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    p.write_text('{"runs": 3}')
    with pytest.raises(InputError, match="'runs' must be a list"):
        read_report(p, format="sarif")
    p.write_text("[1, 2]")
    for fmt in ("gitleaks", "ruff", "eslint", "bandit", "trivy", "safety", "pip-audit"):
        with pytest.raises(InputError, match=r"x\.json"):
            read_report(p, format=fmt)


def test_external_entities_are_refused_in_xml_reports(tmp_path: Path) -> None:
    p = tmp_path / "checkstyle.xml"
    p.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        '<checkstyle><file name="a"><error line="1" message="&xxe;"/></file></checkstyle>\n'
    )
    with pytest.raises(InputError, match="refused"):
        read_report(p)


def test_cyclic_sarif_base_ids_terminate(tmp_path: Path) -> None:
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "x"}},
                "originalUriBaseIds": {
                    "A": {"uri": "a/", "uriBaseId": "B"},
                    "B": {"uri": "b/", "uriBaseId": "A"},
                },
                "results": [
                    {
                        "message": {"text": "m"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "f.c", "uriBaseId": "A"}
                                }
                            }
                        ],
                    }
                ],
            }
        ],
    }
    p = tmp_path / "c.sarif"
    p.write_text(json.dumps(doc))
    data, _ = read_report(p, ctx=ReadContext(root=tmp_path))
    assert data.findings[0].path is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/repo/src/a.py", "src/a.py"),
        ("file:///repo/src/a%20b.py", "src/a b.py"),
        ("file:////repo/x.py", "x.py"),
        ("./src/../lib/c.py", "lib/c.py"),
        ("src\\win\\d.py", "src/win/d.py"),
        ("/elsewhere/e.py", "/elsewhere/e.py"),
        ("c:\\repo2\\f.py", "C:/repo2/f.py"),
        ("", None),
        (None, None),
    ],
)
def test_rel_path(raw: object, expected: str | None) -> None:
    assert rel_path(raw, Path("/repo")) == expected


def test_rel_path_decodes_percent_only_in_uris() -> None:
    assert rel_path("a%20b.py", Path("/repo")) == "a%20b.py"
    assert rel_path("a%20b.py", Path("/repo"), uri=True) == "a b.py"
