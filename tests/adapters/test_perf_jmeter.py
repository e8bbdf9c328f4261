"""JMeter JTL files: figures recomputed here, independently, from the samples themselves."""

from __future__ import annotations

import csv
import math
import random
import shutil
from pathlib import Path

import pytest

from testgate.adapters._quantiles import RELATIVE_ERROR
from testgate.adapters.jmeter import read_jtl
from testgate.adapters.registry import read_report
from testgate.errors import InputError


def _aggregate_report_percentile(values: list[int], p: float) -> int:
    """JMeter's StatCalculator.getPercentPoint, transcribed from its Java loop."""
    ordered = sorted(values)
    if p >= 1.0:
        return ordered[-1]
    target = math.floor(len(ordered) * p + 0.5)  # Java's Math.round
    for v in ordered:
        target -= 1
        if target <= 0:
            return v
    return 0


def _samples(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_default_csv_matches_an_independent_aggregate_report(fixtures: Path) -> None:
    path = fixtures / "perf" / "jmeter__jtl-csv-default.csv"
    data, ref = read_report(path)
    assert ref.format == "jmeter"
    rows = _samples(path)
    elapsed = [int(r["elapsed"]) for r in rows]
    starts = [int(r["timeStamp"]) for r in rows]
    ends = [s + e for s, e in zip(starts, elapsed, strict=True)]
    m = data.metrics
    assert m["perf.all.requests"] == len(rows) == 1000
    for stat, p in (("p50_ms", 0.5), ("p90_ms", 0.9), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        assert m[f"perf.all.{stat}"] == _aggregate_report_percentile(elapsed, p), stat
    assert m["perf.all.avg_ms"] == pytest.approx(sum(elapsed) / len(elapsed))
    assert m["perf.all.max_ms"] == max(elapsed)
    assert m["perf.all.rps"] == pytest.approx(len(rows) * 1000 / (max(ends) - min(starts)))
    assert m["perf.all.error_rate"] == 0.0
    assert m["perf.post_to_flask_app.p95_ms"] == m["perf.all.p95_ms"]


def test_xml_jtl_checked_by_hand(fixtures: Path) -> None:
    """Home took 14720, 15902, 598, 501 ms; Workgroup 278, 1017, 63, 58 ms."""
    data, ref = read_report(fixtures / "perf" / "jmeter__jtl-xml-simple.jtl")
    assert ref.format == "jmeter"
    m = data.metrics
    assert m["perf.home.p50_ms"] == 598  # rank round(4 * 0.5) = 2 of [501, 598, 14720, 15902]
    assert m["perf.home.p95_ms"] == 15902
    assert m["perf.workgroup.p50_ms"] == 63
    assert m["perf.workgroup.avg_ms"] == (278 + 1017 + 63 + 58) / 4
    assert m["perf.all.requests"] == 8
    # first start 1296846792004; last end 1296846969096 + 58
    assert m["perf.all.rps"] == pytest.approx(8 * 1000 / (1296846969154 - 1296846792004))


def test_xml_assertions_and_nested_samples(fixtures: Path, tmp_path: Path) -> None:
    data, _ = read_report(fixtures / "perf" / "jmeter__jtl-xml-assertions.jtl")
    assert data.metrics["perf.all.requests"] == 10
    assert data.metrics["perf.home.requests"] == 6
    assert data.metrics["perf.all.error_rate"] == 0.0
    path = tmp_path / "nested.jtl"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<testResults version="1.2">\n'
        '<httpSample t="100" ts="1000" s="true" lb="page" tn="t1">\n'
        '  <httpSample t="40" ts="1000" s="true" lb="page-0" tn="t1"/>\n'
        '  <httpSample t="60" ts="1040" s="false" lb="page-1" tn="t1"/>\n'
        "  <assertionResult><name>body</name><failure>true</failure><error>false</error>"
        "</assertionResult>\n"
        "</httpSample>\n"
        '<sample t="300" ts="2000" s="true" lb="page" tn="t1"/>\n'
        "</testResults>\n"
    )
    data, _ = read_report(path)
    m = data.metrics
    assert m["perf.all.requests"] == 2  # the nested sub-samples are not counted again
    assert m["perf.all.error_rate"] == 50.0  # the failed assertion fails its sample
    assert m["perf.all.rps"] == pytest.approx(2 * 1000 / (2300 - 1000))
    assert not any(".page_0." in k for k in m)


def test_csv_subresults_are_not_counted_twice(fixtures: Path) -> None:
    path = fixtures / "perf" / "jmeter__jtl-csv-subresults.csv"
    data, _ = read_report(path)
    parents = [int(r["elapsed"]) for r in _samples(path) if r["label"] == "HTTP Request"]
    m = data.metrics
    assert m["perf.all.requests"] == len(parents) == 100
    assert m["perf.all.avg_ms"] == pytest.approx(sum(parents) / len(parents))
    assert m["perf.all.p95_ms"] == _aggregate_report_percentile(parents, 0.95)
    assert [k for k in m if "http_request_" in k] == []


def test_quoted_multiline_label_and_failure(fixtures: Path) -> None:
    data, _ = read_report(fixtures / "perf" / "jmeter__jtl-csv-multiline-label.csv")
    m = data.metrics
    assert m["perf.all.requests"] == 2
    assert m["perf.all.error_rate"] == 50.0
    assert m["perf.preparation_login.p50_ms"] == 1898
    long = [k for k in m if k.startswith("perf.no_such_element")]
    assert long
    assert all(len(k.split(".")[1]) <= 64 for k in long)


def test_csv_without_header_uses_jmeters_default_columns(fixtures: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.jtl"
    shutil.copy(fixtures / "perf" / "jmeter__jtl-csv-no-header.csv", target)
    data, ref = read_report(target)
    assert ref.format == "jmeter"
    m = data.metrics
    assert m["perf.all.requests"] == 3
    assert m["perf.all.p50_ms"] == 1425  # of 59, 1425, 2204
    assert m["perf.get_ordermgmt_inventory.avg_ms"] == 59
    assert m["perf.all.rps"] == pytest.approx(3 * 1000 / (1393227743132 + 2204 - 1393227741256))


def test_formatted_timestamps(fixtures: Path) -> None:
    data, _ = read_report(fixtures / "perf" / "jmeter__jtl-csv-formatted-timestamp.csv")
    m = data.metrics
    assert m["perf.all.error_rate"] == pytest.approx(100 / 3)
    # 07:42:21.256 to 07:42:21.258 + 1000 ms... the 2000 ms sample ends last, at 23.257
    assert m["perf.all.rps"] == pytest.approx(3 * 1000 / 2001)
    assert m["perf.get_ordermgmt_login_login_page.error_rate"] == 100.0


def test_the_sketch_stays_within_one_percent_of_exact(fixtures: Path) -> None:
    path = fixtures / "perf" / "jmeter__jtl-csv-default.csv"
    exact = read_jtl(path).metrics
    sketched = read_jtl(path, exact_limit=0).metrics
    for key, value in exact.items():
        if key.endswith(("p50_ms", "p90_ms", "p95_ms", "p99_ms")):
            assert abs(sketched[key] - value) <= RELATIVE_ERROR * value + 1e-9, key
        else:
            assert sketched[key] == value, key  # counts, mean, min, max, rps stay exact


def test_a_large_file_spills_to_the_sketch(tmp_path: Path) -> None:
    """200,000 samples with more distinct values than the budget: percentiles within 1%."""
    rng = random.Random(7)
    path = tmp_path / "big.jtl"
    values: list[int] = []
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timeStamp", "elapsed", "label", "success", "threadName"])
        for i in range(200_000):
            v = int(rng.lognormvariate(5, 1.2))
            values.append(v)
            w.writerow([1_700_000_000_000 + i, v, f"req{i % 3}", "true", f"t{i % 50}"])
    m = read_jtl(path, exact_limit=500).metrics
    assert m["perf.all.requests"] == 200_000
    for stat, p in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        exact = _aggregate_report_percentile(values, p)
        assert abs(m[f"perf.all.{stat}"] - exact) <= RELATIVE_ERROR * exact + 1e-9, stat


def test_empty_jtl_is_a_clear_error(fixtures: Path) -> None:
    path = fixtures / "perf" / "jmeter__jtl-empty.jtl"
    with pytest.raises(InputError, match=r"jmeter__jtl-empty\.jtl:1: report is empty"):
        read_report(path)
    with pytest.raises(InputError, match=r"jmeter__jtl-empty\.jtl:1: report is empty"):
        read_report(path, format="jmeter")


def test_header_only_and_truncated_files(fixtures: Path, tmp_path: Path) -> None:
    head = tmp_path / "head.jtl"
    head.write_text("timeStamp,elapsed,label,success\n")
    with pytest.raises(InputError, match=r"head\.jtl:1: the JTL has a header but no samples"):
        read_report(head, format="jmeter")
    text = (fixtures / "perf" / "jmeter__jtl-csv-default.csv").read_text()
    cut = tmp_path / "cut.jtl"
    cut.write_text(text[:5000])
    with pytest.raises(InputError, match=r"cut\.jtl:\d+: row has \d+ fields, the header has 17"):
        read_report(cut, format="jmeter")
    xml = (fixtures / "perf" / "jmeter__jtl-xml-assertions.jtl").read_text()
    cutxml = tmp_path / "cut.xml"
    cutxml.write_text(xml[:1000])
    with pytest.raises(InputError, match=r"cut\.xml:\d+: malformed XML"):
        read_report(cutxml, format="jmeter")


def test_bad_cells_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jtl"
    path.write_text("timeStamp,elapsed,label,success\n1000,5,a,true\n1001,fast,a,true\n")
    with pytest.raises(InputError, match=r"bad\.jtl:3: 'elapsed' must be milliseconds"):
        read_report(path, format="jmeter")
    path.write_text("1393227741256,5,a,200,OK,t1,text,maybe\n")
    with pytest.raises(InputError, match=r"bad\.jtl:1: 'success' must be true or false"):
        read_report(path, format="jmeter")


def test_entities_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.jtl"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<testResults><httpSample t="1" lb="&x;" s="true"/></testResults>\n'
    )
    with pytest.raises(InputError, match="refused"):
        read_report(path, format="jmeter")


def test_without_success_or_timestamps_those_figures_are_absent(tmp_path: Path) -> None:
    path = tmp_path / "lean.jtl"
    path.write_text("elapsed,label\n5,a\n7,a\n")
    m = read_report(path)[0].metrics
    assert m["perf.all.requests"] == 2
    assert m["perf.all.p50_ms"] == 5
    assert "perf.all.error_rate" not in m  # not recorded: absent, never 0
    assert "perf.all.rps" not in m
