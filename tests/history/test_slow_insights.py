"""Slow-test analysis and the insight helpers, as pure functions."""

from __future__ import annotations

from datetime import datetime

import pytest

from testgate.history.insights import _matches, critical_paths
from testgate.history.slow import SlowParams, analyze, percentile
from testgate.history.store import ResultsWindow, RunInfo
from testgate.testing import Project


def _window(durations: dict[str, list[float]]) -> ResultsWindow:
    n = max(len(v) for v in durations.values())
    t0 = datetime(2026, 1, 1)
    runs = [
        RunInfo(
            i + 1, f"r{i}", "", "main", f"c{i}", None, t0, None, None, "passed", None, False, 1, 0
        )
        for i in range(n)
    ]
    return ResultsWindow(runs=runs, durations={t: list(enumerate(v)) for t, v in durations.items()})


def test_percentiles_interpolate() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_a_test_that_doubled_is_slowing_and_noise_is_not() -> None:
    w = _window(
        {
            "t::doubled": [1.0] * 12 + [2.0] * 4,
            "t::noisy": [1.0, 1.2, 0.9, 1.1] * 4,
            "t::tiny": [0.001] * 12 + [0.004] * 4,  # 4x, but only 3 ms: not news
        }
    )
    report = analyze(w, SlowParams(factor=1.5))
    assert [t.test for t in report.rising] == ["t::doubled"]
    assert report.rising[0].ratio == 2.0
    assert [t.test for t in report.top] == ["t::doubled", "t::noisy", "t::tiny"]
    assert report.top[0].share == pytest.approx(20.0 / (16.8 + 20.0 + 0.028), rel=1e-3)
    assert report.top[1].p95_s == pytest.approx(1.2)
    with pytest.raises(ValueError, match="factor"):
        SlowParams(factor=1.0)


def test_critical_paths_read_every_shape_the_gates_accept() -> None:
    gates = {
        "coverage_gate": {
            "criteria": {
                "critical_paths": {
                    "threshold": ">= 95%",
                    "paths": [
                        "payment processing",
                        "src/auth/**",
                        {"name": "api", "paths": ["src/api/**"]},
                    ],
                }
            }
        },
        "other": {"critical_paths": {"paths": {"billing": ["src/billing/*.py"]}}},
    }
    assert critical_paths(gates) == {
        "payment processing": ["payment processing"],
        "src/auth/**": ["src/auth/**"],
        "api": ["src/api/**"],
        "billing": ["src/billing/*.py"],
    }
    assert _matches("src/payment_processing/charge.py", "payment processing")
    assert not _matches("src/payments/charge.py", "payment processing")
    assert _matches("src/auth/login.py", "src/auth/**")


def test_recording_a_malformed_summary_is_a_clear_error(project: Project) -> None:
    project.write("bad.json", '{"schema": "testgate.summary/1", "run": {}}')
    out = project.run("history", "record", "bad.json", "--db", "h.db").assert_code(2)
    assert "bad.json: run.id: expected a non-empty string, got NoneType" in out.err
    assert "Traceback" not in out.err


def test_insights_on_an_empty_store_say_so(project: Project) -> None:
    out = project.run("insights", "--db", "h.db").assert_success()
    out.fnmatch_lines(["Improvement plan: 0 runs analysed", "Nothing to improve*"])


def test_reading_commands_never_create_a_store(project: Project) -> None:
    project.write("testgate.yaml", "project: x\n")
    for args in (
        ["history", "list"],
        ["flaky"],
        ["slow"],
        ["insights"],
        ["history", "trend", "coverage"],
    ):
        project.run(*args).assert_success()
    assert not (project.root / ".testgate").exists()
    out = project.run("history", "show", "latest").assert_code(2)
    assert f"no run 'latest' in sqlite:///{project.root.resolve()}/.testgate/history.db" in out.err
