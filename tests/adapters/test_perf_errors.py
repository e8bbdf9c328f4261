"""Every performance adapter: an empty or cut-short file is one error naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from testgate.adapters.registry import default_registry, read_report
from testgate.errors import InputError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "perf"
PERF_FORMATS = sorted(a.name for a in default_registry() if a.kind == "perf")
#: a real sample of each format, by format name
SAMPLES = {
    "k6": "k6__summary-export-legacy.json",
    "pytest-benchmark": "pytest-benchmark__v3.2-several-units.json",
    "locust": "locust__stats-odoo.csv",
    "jmeter": "jmeter__jtl-xml-assertions.jtl",
    "gatling": "gatling-3.1__stats.json",
    "wrk": "wrk__latency-distribution.txt",
    "google-benchmark": "google-benchmark__json.json",
    "jmh": "jmh__json.json",
    "autocannon": "autocannon__json-bom-all-403.json",
    "benchmarkdotnet": "benchmarkdotnet__json.json",
}


def test_every_perf_format_has_a_sample() -> None:
    assert sorted(SAMPLES) == PERF_FORMATS


@pytest.mark.parametrize("fmt", PERF_FORMATS)
def test_every_sample_is_detected_by_content(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / "report.dat"  # no telling extension
    target.write_bytes((FIXTURES / SAMPLES[fmt]).read_bytes())
    data, ref = read_report(target)
    assert ref.format == fmt
    assert ref.kind == "perf"
    assert data.metrics
    assert all(k.startswith("perf.") for k in data.metrics)
    assert all(v == v for v in data.metrics.values())  # no NaN


@pytest.mark.parametrize("fmt", PERF_FORMATS)
def test_empty_file(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / "empty.out"
    path.write_text("")
    with pytest.raises(InputError, match=r"empty\.out:1: report is empty"):
        read_report(path, format=fmt)


@pytest.mark.parametrize("fmt", [f for f in PERF_FORMATS if SAMPLES[f].endswith(".json")])
def test_json_cut_in_half(fmt: str, tmp_path: Path) -> None:
    text = (FIXTURES / SAMPLES[fmt]).read_text(encoding="utf-8-sig")
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(InputError, match=r"cut\.json:\d+: not valid JSON \(truncated\?\)"):
        read_report(path, format=fmt)


@pytest.mark.parametrize("fmt", [f for f in PERF_FORMATS if SAMPLES[f].endswith(".json")])
def test_json_in_a_wrong_encoding(fmt: str, tmp_path: Path) -> None:
    text = (FIXTURES / SAMPLES[fmt]).read_text(encoding="utf-8-sig")
    path = tmp_path / "latin1.json"
    path.write_bytes(text.replace('"', '"\xe9', 1).encode("latin-1", errors="replace"))
    with pytest.raises(InputError, match=r"latin1\.json:\d+: not UTF-8"):
        read_report(path, format=fmt)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    for fmt in PERF_FORMATS:
        with pytest.raises(InputError, match="no such report file"):
            read_report(tmp_path / "nope.json", format=fmt)
