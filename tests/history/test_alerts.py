"""Alerts: the seed's conditions, the grammar's errors, and webhooks against a real server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import yaml

from testgate.errors import ConfigError
from testgate.history.alerts import (
    AlertFired,
    describe,
    evaluate,
    evaluate_alerts,
    parse_alerts,
    parse_condition,
    parse_expression,
)
from testgate.history.notify import WebhookSpec, deliver, notify, parse_webhooks

SEED = """
alerts:
    - name: coverage_drop
      condition: "coverage < previous - 5%"
      severity: high

    - name: test_time_increase
      condition: "execution_time > previous * 1.5"
      severity: medium

    - name: flaky_test_threshold
      condition: "flaky_rate > 2%"
      severity: high
"""


def _fired(current: dict[str, float], previous: dict[str, float] | None) -> list[str]:
    rules = parse_alerts(yaml.safe_load(SEED)["alerts"])
    return [r.rule.name for r in evaluate_alerts(rules, current, previous) if r.status == "fired"]


def test_the_seed_alerts_block_fires_as_written() -> None:
    # flaky_rate is the history's (tests that flipped on one commit), not in-run retries
    prev = {"coverage.line": 80.0, "pipeline.duration_s": 100.0, "history.flaky_rate": 0.0}
    calm = {
        "coverage.line": 76.0,
        "pipeline.duration_s": 140.0,
        "history.flaky_rate": 2.0,
        "tests.retried": 30,
    }
    assert _fired(calm, prev) == []
    bad = {"coverage.line": 74.9, "pipeline.duration_s": 151.0, "history.flaky_rate": 2.5}
    assert _fired(bad, prev) == ["coverage_drop", "test_time_increase", "flaky_test_threshold"]


def test_an_alert_explains_itself() -> None:
    rules = parse_alerts(yaml.safe_load(SEED)["alerts"])
    results = evaluate_alerts(rules, {"coverage.line": 70.0}, {"coverage.line": 80.0})
    text = describe(results[0])
    assert text == (
        "alert [high] coverage_drop: coverage < previous - 5%: coverage (coverage.line) = 70, "
        "previous coverage (coverage.line) = 80; 70 < 75 holds"
    )
    # without a duration the second one cannot be evaluated, and says why
    assert results[1].status == "not-evaluated"
    assert "execution_time is not measured in this run" in describe(results[1])


def test_the_first_run_has_no_previous() -> None:
    rules = parse_alerts(
        [{"name": "d", "condition": "coverage < previous - 5%", "severity": "low"}]
    )
    (r,) = evaluate_alerts(rules, {"coverage.line": 10.0}, None)
    assert r.status == "not-evaluated"
    assert "previous run" in (r.reason or "")


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("tests.failed / tests.total * 100", 5.0),
        ("execution_time + 10%", 110.0),  # relative beside a non-percentage
        ("coverage - 5%", 75.0),  # points beside a percentage
        ("-(2 + 3) * 2", -10.0),
        ("previous.coverage.line", 70.0),
        ("perf.api-gw.p95_ms / 2", 60.0),
    ],
)
def test_expressions(expr: str, value: float) -> None:
    cur = {
        "tests.failed": 5,
        "tests.total": 100,
        "pipeline.duration_s": 100.0,
        "coverage.line": 80.0,
        "perf.api-gw.p95_ms": 120.0,
    }
    assert evaluate(parse_expression(expr), cur, {"coverage.line": 70.0}) == pytest.approx(value)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("coverage <", "column 11: expected a value, found the end of the expression"),
        ("coverage previous", "expected a comparison"),
        ("__import__('os') > 1", "unexpected"),
        ("execution_time > 5%", "not a percentage"),
        ("previous > 1", "needs a metric"),
        ("coverage < 80 80", "unexpected '80'"),
    ],
)
def test_bad_conditions_are_rejected_with_the_reason(condition: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_condition(condition)


def test_every_problem_in_the_alerts_block_is_reported_at_once() -> None:
    items: list[Any] = [
        {"name": "a", "condition": "coverage <", "severity": "high"},
        {"name": "b", "condition": "coverage < 5", "severity": "urgent"},
        {"name": "c", "condition": "coverage < 5", "when": "x"},
    ]
    with pytest.raises(ConfigError) as info:
        parse_alerts(items, source="t.yaml")
    assert info.value.problems == [
        "t.yaml: alerts[0].condition: 'coverage <': column 11: expected a value, found the end "
        "of the expression",
        "t.yaml: alerts[1].severity: 'urgent' is not one of critical, high, medium, low, info",
        "t.yaml: alerts[2]: unknown key(s) when; expected name, condition, severity, message",
    ]


# ---------------------------------------------------------------------------- webhooks


class _Hook:
    """A real local HTTP server: answers by a script of status codes, or hangs."""

    def __init__(self, script: list[int | str]) -> None:
        self.script = list(script)
        self.bodies: list[dict[str, Any]] = []
        self.times: list[float] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                hook.bodies.append(json.loads(self.rfile.read(length)))
                hook.times.append(time.monotonic())
                action = hook.script.pop(0) if hook.script else 200
                if action == "hang":
                    time.sleep(3)
                    return
                self.send_response(int(action))
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook_factory() -> Iterator[Any]:
    made: list[_Hook] = []

    def make(script: list[int | str]) -> _Hook:
        made.append(_Hook(script))
        return made[-1]

    yield make
    for h in made:
        h.close()


def _alert(severity: str = "high") -> AlertFired:
    return AlertFired(
        "coverage_drop", severity, "coverage < previous - 5%", "coverage fell", {"coverage": 70.0}
    )


def test_a_webhook_gets_a_slack_payload(hook_factory: Any) -> None:
    hook = hook_factory([200])
    (d,) = notify([_alert()], [WebhookSpec(hook.url)], project="demo", run="r1", branch="main")
    assert d.ok
    assert d.attempts == 1
    assert d.status == 200
    body = hook.bodies[0]
    assert body["text"].startswith("testgate: 1 alert fired (demo on main)")
    assert body["attachments"][0]["title"] == "coverage_drop (high)"
    assert body["attachments"][0]["fields"] == [{"title": "coverage", "value": "70", "short": True}]


def test_a_webhook_that_fails_twice_is_retried_with_backoff(hook_factory: Any) -> None:
    hook = hook_factory([500, 503, 200])
    d = deliver(WebhookSpec(hook.url, retries=2, backoff=0.1), {"text": "x"})
    assert d.ok
    assert d.attempts == 3
    assert len(hook.bodies) == 3
    gaps = [b - a for a, b in zip(hook.times, hook.times[1:], strict=False)]
    assert gaps[0] >= 0.1
    assert gaps[1] >= 0.2


def test_a_hanging_webhook_times_out_and_gives_up(hook_factory: Any) -> None:
    hook = hook_factory(["hang", "hang"])
    d = deliver(WebhookSpec(hook.url, timeout=0.3, retries=1, backoff=0.05), {"text": "x"})
    assert not d.ok
    assert d.attempts == 2
    assert d.error == "no answer within 0.3s"


def test_a_client_error_is_not_retried(hook_factory: Any) -> None:
    hook = hook_factory([400])
    d = deliver(WebhookSpec(hook.url, retries=3, backoff=0.01), {"text": "x"})
    assert not d.ok
    assert d.attempts == 1
    assert d.status == 400


def test_min_severity_filters_alerts(hook_factory: Any) -> None:
    hook = hook_factory([])
    out = notify([_alert("medium")], [WebhookSpec(hook.url, min_severity="high")])
    assert out == []
    assert hook.bodies == []


def test_webhook_config_is_checked() -> None:
    specs = parse_webhooks(
        {"webhooks": [{"url": "http://x/y", "min_severity": "high", "timeout": "2s"}]}
    )
    assert specs == [WebhookSpec("http://x/y", "high", 2.0)]
    with pytest.raises(ConfigError) as info:
        parse_webhooks(
            {"webhooks": [{"url": "ftp://x"}, {"url": "http://x", "min_severity": "loud"}]}
        )
    assert len(info.value.problems) == 2
