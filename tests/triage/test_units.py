"""The pieces of triage on their own: scrubbing, stack parsing, rules, CODEOWNERS, escalation,
rendering of hostile input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testgate.errors import ConfigError
from testgate.model import Run, TestCase
from testgate.triage import (
    categorize,
    fingerprint,
    parse_codeowners,
    parse_escalation,
    parse_rules,
    scrub,
)
from testgate.triage.clusters import build_triage
from testgate.triage.escalation import parse_sla
from testgate.triage.render import render_markdown, render_text
from testgate.triage.stack import innermost_app_frame, parse_frames

NATIVE = """Traceback (most recent call last):
  File "/usr/lib/python3.11/site-packages/lib.py", line 10, in call
    return fn()
  File "/home/ci/work/app/pricing.py", line {line}, in apply_discount
    total = amount / count
ZeroDivisionError: division by zero"""


def failed(name: str, message: str, trace: str = "", status: str = "failed") -> TestCase:
    return TestCase("suite", "tests.test_x", name, status, message=message, trace=trace)


def test_scrub_removes_what_varies() -> None:
    text = "user 'bob' id 42 at 0xdeadbeef in /tmp/x/y.py uuid 123e4567-e89b-12d3-a456-426614174000"
    assert scrub(text) == "user <str> id <n> at <addr> in <path> uuid <uuid>"


@given(
    st.integers(),
    st.integers(min_value=1, max_value=100_000),
    st.text(alphabet="abcdef", max_size=8),
)
def test_fingerprint_ignores_numbers_lines_and_quoted_values(n: int, line: int, word: str) -> None:
    a = failed("test_a[1]", f"ValueError: bad {n} '{word}'", NATIVE.format(line=line))
    b = failed("test_a[2]", "ValueError: bad 7 'zz'", NATIVE.format(line=3))
    assert fingerprint(a) == fingerprint(b)


def test_native_traceback_innermost_app_frame_skips_libraries() -> None:
    frame = innermost_app_frame(parse_frames(NATIVE.format(line=12)))
    assert frame is not None
    assert (frame.path, frame.line, frame.function) == (
        "/home/ci/work/app/pricing.py",
        12,
        "apply_discount",
    )
    assert frame.context == "total = amount / count"


def test_jvm_and_dotnet_frames() -> None:
    jvm = (
        "java.lang.IllegalStateException: boom\n"
        "\tat com.acme.Cart.total(Cart.java:42)\n"
        "\tat org.junit.platform.Engine.run(Engine.java:10)\n"
    )
    f = innermost_app_frame(parse_frames(jvm))
    assert f is not None
    assert f.function == "com.acme.Cart.total"
    dotnet = (
        "   at Acme.Cart.Total() in /src/Cart.cs:line 17\n"
        "   at Acme.Tests.CartTests.Sum() in /src/CartTests.cs:line 9"
    )
    g = innermost_app_frame(parse_frames(dotnet))
    assert g is not None
    assert g.function == "Acme.Cart.Total"


def test_unrelated_failures_differ() -> None:
    a = failed(
        "t1",
        "KeyError: 'x'",
        NATIVE.format(line=1).replace("ZeroDivisionError: division by zero", "KeyError: 'x'"),
    )
    b = failed("t2", "ZeroDivisionError: division by zero", NATIVE.format(line=1))
    assert fingerprint(a) != fingerprint(b)


def test_infrastructure_fingerprint_is_the_dependency() -> None:
    a = failed(
        "t1",
        "psycopg.OperationalError: connection to server at 127.0.0.1, port 5432 failed: "
        "Connection refused",
    )
    b = failed("t2", "sqlalchemy.exc.OperationalError: Connection refused (127.0.0.1:5432)")
    c = failed(
        "t3",
        "redis.exceptions.ConnectionError: Error 111 connecting to 127.0.0.1:6379. "
        "Connection refused.",
    )
    assert categorize(a) == categorize(b) == categorize(c) == "infrastructure"
    assert fingerprint(b) != fingerprint(c)  # two services down are two causes


def test_categories_from_messages() -> None:
    assert (
        categorize(failed("t", "OSError: [Errno 28] No space left on device")) == "infrastructure"
    )
    assert categorize(failed("t", "MemoryError")) == "infrastructure"
    assert (
        categorize(failed("t", "worker 'gw1' crashed while running 'tests/test_x.py::test_y'"))
        == "infrastructure"
    )
    assert (
        categorize(failed("t", "ssl.SSLCertVerificationError: certificate verify failed"))
        == "infrastructure"
    )
    assert categorize(failed("t", "Fatal Python error: Segmentation fault")) == "crash"
    assert categorize(failed("t", "Failed: Timeout >1.0s")) == "timeout"
    assert categorize(failed("t", "expect(received).toBe(expected)")) == "assertion"
    assert categorize(failed("t", "TypeError: x is not a function")) == "exception"
    assert categorize(failed("t", "SyntaxError: invalid syntax", status="error")) == "collection"
    assert categorize(TestCase("s", "c", "t", "passed")) == ""


def test_source_code_in_a_trace_does_not_decide_the_category() -> None:
    trace = (
        "    def test_x():\n        client.get(url, timeout=5)  # getaddrinfo\n"
        ">       assert resp == 200\nE       assert 404 == 200\n\ntests/test_x.py:3: AssertionError"
    )
    assert categorize(failed("test_x", "assert 404 == 200", trace)) == "assertion"


def test_user_rules_first_match_wins_and_allure_keys_work() -> None:
    rules = parse_rules(
        [
            {"name": "flaky backend", "message": "503 Service Unavailable"},
            {
                "name": "Product defects",
                "matchedStatuses": ["failed"],
                "messageRegex": ".*expected.*",
            },
        ]
    )
    assert (
        categorize(failed("t", "HTTP 503 Service Unavailable from api"), rules) == "flaky backend"
    )
    assert categorize(failed("t", "value expected to be 3"), rules) == "Product defects"
    # Allure's regexes match the whole message (".*" spans lines, as in Allure)
    assert categorize(failed("t", "AssertionError: x\nexpected"), rules) == "Product defects"
    assert categorize(failed("t", "AssertionError: x"), rules) == "assertion"


def test_bad_rules_say_which_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_rules(
            [{"name": "x", "message": "("}, {"name": "assertion", "message": "a"}, {"nme": "y"}]
        )
    problems = err.value.problems
    assert problems[0].startswith(
        "triage.categories[0].message: '(' is not a valid regular expression"
    )
    assert "built-in category" in problems[1]
    assert problems[2].startswith("triage.categories[2]: unknown key(s) nme")


CODEOWNERS = """
# the whole repo
*       @org/everyone
*.js    @js-owner
/build/logs/ @doctocat
docs/*  docs@example.com
apps/   @octocat
/docs/  @doctocat
**/logs @octocat
/scripts/ @doctocat @octocat
/apps/github
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ["@org/everyone"]),
        ("src/app.js", ["@js-owner"]),
        ("build/logs/x.txt", ["@octocat"]),  # later **/logs wins over /build/logs/
        ("docs/getting-started.md", ["@doctocat"]),  # /docs/ comes after docs/*
        ("docs/build-app/troubleshooting.md", ["@doctocat"]),
        ("apps/web/index.js", ["@octocat"]),
        ("nested/apps/x.py", ["@octocat"]),
        ("scripts/deploy.sh", ["@doctocat", "@octocat"]),
        ("apps/github/a.py", []),  # a later line without owners takes ownership away
    ],
)
def test_codeowners_last_match_wins(path: str, owners: list[str]) -> None:
    assert parse_codeowners(CODEOWNERS).owners(path) == owners


SEED = {
    "escalation_matrix": {
        "unit_test_failure": {
            "severity": "medium",
            "owner": "component_developer",
            "sla": "2 hours",
        },
        "integration_test_failure": {"severity": "high", "owner": "service_owner", "sla": "1 hour"},
        "e2e_test_failure": {"severity": "critical", "owner": "platform_team", "sla": "30 minutes"},
        "performance_regression": {
            "severity": "high",
            "owner": "performance_team",
            "sla": "1 hour",
        },
        "security_gate_failure": {
            "severity": "critical",
            "owner": "security_team",
            "sla": "immediate",
        },
    }
}


def test_seed_matrix_parses_and_matches() -> None:
    spec = parse_escalation(SEED)
    assert [e.name for e in spec.entries] == list(SEED["escalation_matrix"])
    run = Run(id="r1")
    run.tests = [
        TestCase(
            "s",
            "",
            "test_a",
            "failed",
            file="tests/unit/test_a.py",
            message="AssertionError: x",
            step="unit/pytest",
        ),
        TestCase(
            "s",
            "",
            "test_b",
            "failed",
            file="tests/e2e/test_b.py",
            message="TimeoutError: page",
            step="e2e/playwright",
        ),
    ]
    t = build_triage(run, escalation=spec)
    by_type = {c.failure_type: c for c in t.clusters}
    assert by_type["unit_test_failure"].severity == "medium"
    assert by_type["unit_test_failure"].sla == "2 hours"
    assert by_type["unit_test_failure"].owners == ["component_developer"]
    e2e = by_type["e2e_test_failure"]
    assert (e2e.severity, e2e.sla_s, e2e.actions) == (
        "critical",
        1800.0,
        ["block_deployment", "notify"],
    )
    assert spec.entries[-1].sla_s == 0.0  # immediate


def test_escalation_errors_name_the_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_escalation(
            {
                "db_failure": {"severity": "urgent"},
                "other": {"severity": "high"},
                "webhooks": [{"url": "ftp://x"}],
            }
        )
    text = "\n".join(err.value.problems)
    assert "escalation.db_failure.severity: 'urgent' is not one of critical" in text
    assert "escalation.other: say which failures 'other' covers with match:" in text
    assert "escalation.webhooks[0].url: expected an http:// or https:// URL" in text


def test_escalation_and_notify_webhooks_are_read_alike() -> None:
    """One webhook entry means the same in ``notify.webhooks`` and ``escalation.webhooks``
    (triage adds ``format``): the same defaults, durations and the same errors."""
    from testgate.history.notify import parse_webhooks

    entry = {"url": "https://h.example/x", "min_severity": "HIGH", "timeout": "2s", "retries": 1}
    (alerts,) = parse_webhooks({"webhooks": [entry]})
    (triage,) = parse_escalation({"webhooks": [{**entry, "format": "json"}]}).webhooks
    assert triage.spec == alerts
    assert (alerts.min_severity, alerts.timeout, alerts.retries) == ("high", 2.0, 1)
    assert triage.format == "json"
    bad = {"url": "https://h.example/x", "headers": ["not", "a", "mapping"], "colour": "red"}
    with pytest.raises(ConfigError) as a:
        parse_webhooks({"webhooks": [bad]})
    with pytest.raises(ConfigError) as t:
        parse_escalation({"webhooks": [bad]})
    assert a.value.problems == [
        "testgate.yaml: notify.webhooks[0]: unknown key(s) colour; expected url, min_severity, "
        "timeout, retries, backoff, headers",
        "testgate.yaml: notify.webhooks[0].headers: expected a mapping of header names to values",
    ]
    assert t.value.problems[0].startswith("escalation.webhooks[0]: unknown key(s) colour;")
    assert t.value.problems[1] == (
        "escalation.webhooks[0].headers: expected a mapping of header names to values"
    )


def test_sla_words() -> None:
    assert parse_sla("1h30m") == 5400.0
    assert parse_sla("2 days") == 172800.0
    with pytest.raises(ValueError, match="expected an SLA"):
        parse_sla("soonish")


def test_hostile_names_cannot_break_the_digest() -> None:
    run = Run(id="r<1>")
    evil = "test_x[<script>alert(1)</script>``` | ]\x1b[31m"
    run.tests = [
        TestCase(
            "s",
            "c",
            evil,
            "failed",
            message="boom ```\n<img src=x onerror=alert(1)>",
            trace="Error: boom\n```\nafter the fence",
        )
    ]
    md = render_markdown(build_triage(run))
    assert "\x1b" not in md
    # rendered as a Markdown renderer would: the hostile text stays text, never markup
    import markdown

    html = markdown.markdown(md, extensions=["tables", "fenced_code"])
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    # the trace's own ``` cannot close the fence it is shown in
    assert "````text" in md
    text = render_text(build_triage(run))
    assert "\x1b" not in text


def test_triage_json_shape() -> None:
    run = Run(id="r1")
    run.tests = [
        failed(f"test_p[{i}]", f"ValueError: bad {i}", NATIVE.format(line=i)) for i in range(3)
    ]
    run.tests.append(failed("test_q", "KeyError: 'a'"))
    doc = json.loads(json.dumps(build_triage(run).to_dict()))
    assert [c["count"] for c in doc["clusters"]] == [3, 1]  # biggest first
    first = doc["clusters"][0]
    for key in ("fingerprint", "category", "tests", "owners", "severity", "sla", "first_seen"):
        assert key in first
    assert first["tests"] == [
        "tests.test_x::test_p[0]",
        "tests.test_x::test_p[1]",
        "tests.test_x::test_p[2]",
    ]


def test_reports_show_category_and_fingerprint() -> None:
    from testgate.report.data import report_data
    from testgate.report.markdown import render_markdown as report_markdown
    from testgate.triage import apply

    run = Run(id="r1")
    run.tests = [failed("test_db", "ConnectionRefusedError: [Errno 111] Connection refused")]
    apply(run)
    run.finalize()
    assert "❌ tests.test_x::test_db · infrastructure" in report_markdown(run)
    fail = report_data(run)["failures"][0]
    assert fail["category"] == "infrastructure"
    assert fail["fingerprint"] == run.tests[0].fingerprint
