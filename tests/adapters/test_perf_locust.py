"""Locust --csv files: figures compared with the rows Locust wrote."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from testgate.adapters.registry import read_report
from testgate.errors import InputError


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {row["Name"]: row for row in csv.DictReader(fh) if row.get("Name")}


def test_aggregated_row_is_perf_all(fixtures: Path) -> None:
    path = fixtures / "perf" / "locust__stats-single-endpoint.csv"
    data, ref = read_report(path)
    assert ref.format == "locust"
    agg = _rows(path)["Aggregated"]
    m = data.metrics
    assert m["perf.all.p50_ms"] == float(agg["50%"])
    assert m["perf.all.p95_ms"] == float(agg["95%"])
    assert m["perf.all.p99_ms"] == float(agg["99%"])
    assert m["perf.all.avg_ms"] == float(agg["Average Response Time"])
    assert m["perf.all.rps"] == float(agg["Requests/s"])
    assert m["perf.all.error_rate"] == 0.0
    assert m["perf.api_users_page_2.requests"] == 255


def test_every_endpoint_of_a_failing_run(fixtures: Path) -> None:
    path = fixtures / "perf" / "locust__stats-odoo.csv"
    data, _ = read_report(path)
    rows = _rows(path)
    m = data.metrics
    agg = rows["Aggregated"]
    assert m["perf.all.error_rate"] == pytest.approx(
        100 * int(agg["Failure Count"]) / int(agg["Request Count"])
    )
    assert m["perf.all.p95_ms"] == 172000.0
    assert m["perf.create_partner.error_rate"] == 100.0
    assert m["perf.get_login_page.error_rate"] == 0.0
    assert m["perf.get_login_page.p95_ms"] == float(rows["Get Login Page"]["95%"])
    assert m["perf.web_dataset_call_kw_res_partner_search.requests"] == 4
    scenarios = {k.split(".")[1] for k in m}
    assert len(scenarios) == len(rows)  # 16 endpoints and the aggregate


def test_blank_lines_between_rows(fixtures: Path) -> None:
    data, _ = read_report(fixtures / "perf" / "locust__stats-blank-lines.csv")
    m = data.metrics
    assert m["perf.small.requests"] == 64219
    assert m["perf.big.error_rate"] == pytest.approx(100 * 10 / 638)
    # the producer's own (inconsistent) aggregate is reported as written
    assert m["perf.all.failures"] == 10000
    assert m["perf.all.p99_ms"] == 620.0


def test_stats_history_uses_the_last_cumulative_row(fixtures: Path) -> None:
    path = fixtures / "perf" / "locust__stats-history.csv"
    data, ref = read_report(path)
    assert ref.format == "locust"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    last = rows[-1]
    m = data.metrics
    assert m["perf.all.requests"] == int(last["Total Request Count"])
    assert m["perf.all.p50_ms"] == float(last["Total Median Response Time"])
    assert m["perf.all.avg_ms"] == float(last["Total Average Response Time"])
    span = int(last["Timestamp"]) - int(rows[0]["Timestamp"])
    assert m["perf.all.rps"] == pytest.approx(int(last["Total Request Count"]) / span)
    # the window percentiles of the history are not whole-run figures: absent
    assert "perf.all.p95_ms" not in m


@pytest.mark.parametrize("name", ["locust__failures-odoo.csv", "locust__exceptions-odoo.csv"])
def test_failures_and_exceptions_are_recognised(fixtures: Path, tmp_path: Path, name: str) -> None:
    target = tmp_path / "results.csv"
    shutil.copy(fixtures / "perf" / name, target)
    data, ref = read_report(target)
    assert ref.format == "locust"
    assert data.metrics == {}


def test_same_name_under_two_methods_stays_apart(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    path.write_text(
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,95%\n"
        "GET,/items,10,0,5,5.5,1,9,10,1.0,0,5,9\n"
        "POST,/items,10,5,7,7.5,2,19,10,1.0,0.5,7,N/A\n"
        ",Aggregated,20,5,6,6.5,1,19,10,2.0,0.5,6,19\n"
    )
    data, _ = read_report(path)
    m = data.metrics
    assert m["perf.get_items.p95_ms"] == 9.0
    assert m["perf.post_items.error_rate"] == 50.0
    assert "perf.post_items.p95_ms" not in m  # N/A is absent, never 0
    assert m["perf.all.error_rate"] == 25.0


def test_truncated_row_names_its_line(fixtures: Path, tmp_path: Path) -> None:
    lines = (fixtures / "perf" / "locust__stats-odoo.csv").read_text().splitlines()
    path = tmp_path / "stats.csv"
    path.write_text("\n".join(lines[:5]) + "\n" + lines[5][:30])
    with pytest.raises(InputError, match=r"stats\.csv:6: row has \d+ fields"):
        read_report(path, format="locust")


def test_not_locust_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match=r"x\.csv:1: not a Locust CSV header"):
        read_report(path, format="locust")
    empty = tmp_path / "e.csv"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match=r"e\.csv:1: report is empty"):
        read_report(empty, format="locust")
