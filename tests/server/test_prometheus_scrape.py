"""A real Prometheus scrapes the dashboard's /metrics and can query the seed's metrics."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

from testgate.server.app import create_app

from ._history import recorded_history
from ._live import live_server
from .conftest import free_port, wait_http


def _query(prom: str, expr: str) -> list[dict[str, object]]:
    url = f"{prom}/api/v1/query?query={urllib.parse.quote(expr)}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        data = json.load(resp)
    assert data["status"] == "success"
    return list(data["data"]["result"])


def test_prometheus_scrapes_the_dashboard(tmp_path: Path, prometheus_binary: str) -> None:
    store = recorded_history(tmp_path)
    with live_server(create_app(store)) as url:
        target = url.removeprefix("http://")
        (tmp_path / "prometheus.yml").write_text(
            "global:\n  scrape_interval: 1s\n"
            "scrape_configs:\n"
            f"  - job_name: testgate\n    static_configs:\n      - targets: ['{target}']\n"
        )
        port = free_port()
        proc = subprocess.Popen(
            [
                prometheus_binary,
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        prom = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{prom}/-/ready", timeout=60)
            deadline = time.monotonic() + 60
            result: list[dict[str, object]] = []
            while not result and time.monotonic() < deadline:
                result = _query(prom, 'test_executions_total{status="passed"}')
                time.sleep(0.5)
            assert result, "Prometheus never scraped test_executions_total"
            assert result[0]["value"][1] == "92"  # type: ignore[index]
            up = _query(prom, 'up{job="testgate"}')
            assert up[0]["value"][1] == "1"  # type: ignore[index]
        finally:
            proc.terminate()
            proc.wait(timeout=20)
