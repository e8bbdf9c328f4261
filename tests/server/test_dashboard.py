from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from testgate.server.app import create_app
from testgate.testing import Project

from ..report._runs import XSS_NAME
from ._history import recorded_history
from ._live import live_server


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def test_api_runs_run_detail_and_test_history(tmp_path: Path) -> None:
    store = recorded_history(tmp_path)
    with live_server(create_app(store)) as url:
        code, body, _ = get(f"{url}/api/runs?limit=3")
        assert code == 200
        runs = json.loads(body)
        assert [r["id"] for r in runs] == ["run-07", "run-06", "run-05"]
        code, body, _ = get(f"{url}/api/runs/run-07")
        detail = json.loads(body)
        assert [f["test"] for f in detail["failures"]] == [f"tests.test_cart::{XSS_NAME}"]
        code, body, _ = get(f"{url}/api/tests/history?id=tests.test_cart::test_wobbly")
        hist = json.loads(body)
        assert len(hist) == 8
        assert sum(1 for h in hist if h["status"] == "failed") == 3
        code, body, _ = get(f"{url}/api/metrics/tests.total")
        assert [p["value"] for p in json.loads(body)] == [12.0] * 8
        code, body, _ = get(f"{url}/api/runs/nope")
        assert code == 404
        code, body, _ = get(f"{url}/api/openapi.json")
        assert "/api/runs" in json.loads(body)["paths"]


PAGES = (
    "/",
    "/runs/run-07",
    "/tests?id=tests.test_cart::test_wobbly",
    "/flaky",
    "/components",
    "/alerts",
    "/effectiveness",
    "/api/docs",
)


def test_pages_escape_test_data_and_carry_a_strict_csp(tmp_path: Path) -> None:
    store = recorded_history(tmp_path)
    with live_server(create_app(store)) as url:
        for path in PAGES:
            code, body, headers = get(url + path)
            assert code == 200, path
            assert "<img src=x" not in body, path
            csp = headers["content-security-policy"]
            assert csp.startswith("default-src 'none'"), path
            assert "unsafe-inline" not in csp.split("script-src", 1)[1], path
            # scripts: the package's own files, JSON data, or (the run's report) one whose
            # hash the policy names; never one that test data could have written
            for tag in re.findall(r"<script[^>]*>", body, flags=re.IGNORECASE):
                assert (
                    'src="/static/' in tag or 'type="application/json"' in tag or tag == "<script>"
                ), (path, tag)
            if "<script>" in body:
                assert "'sha256-" in csp, path
        code, body, _ = get(f"{url}/runs/run-07")
        assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_prometheus_metrics_with_the_seed_names(tmp_path: Path) -> None:
    store = recorded_history(tmp_path)
    with live_server(create_app(store)) as url:
        code, text, headers = get(f"{url}/metrics")
    assert code == 200
    assert headers["content-type"].startswith("text/plain")
    # 8 runs x 12 tests, all from stage 'unit'; cumulative over the history
    assert 'test_executions_total{status="passed",test_type="unit"} 92.0' in text
    assert 'test_executions_total{status="failed",test_type="unit"} 4.0' in text
    assert 'test_failures_total{error_type="AssertionError",test_type="unit"} 3.0' in text
    assert 'test_execution_duration_seconds_count{test_suite="api",test_type="unit"} 96.0' in text


def test_token_is_required_when_set(tmp_path: Path) -> None:
    store = recorded_history(tmp_path, n=2)
    with live_server(create_app(store, token="s3cret")) as url:
        assert get(f"{url}/api/runs")[0] == 401
        assert get(f"{url}/metrics", {"Authorization": "Bearer wrong"})[0] == 401
        assert get(f"{url}/api/runs", {"Authorization": "Bearer s3cret"})[0] == 200


def test_serve_refuses_a_public_address_without_a_token(project: Project) -> None:
    out = project.run("serve", "--host", "0.0.0.0", "--db", "sqlite:///x.db")
    out.assert_code(2)
    assert "refusing to serve on 0.0.0.0" in out.err
    assert "TESTGATE_TOKEN" in out.err


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_addresses(host: str) -> None:
    from testgate.server.app import is_loopback

    assert is_loopback(host)
