"""The ``?token=`` redirect keeps every other query parameter (issue 12.10)."""

from __future__ import annotations

import http.client
import urllib.parse
from pathlib import Path

from testgate.server.app import TOKEN_COOKIE, create_app

from ._history import recorded_history
from ._live import live_server


def _get_no_redirect(url: str) -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def test_token_redirect_keeps_the_other_query_parameters(tmp_path: Path) -> None:
    store = recorded_history(tmp_path, n=2)
    with live_server(create_app(store, token="s3cret")) as url:
        resp = _get_no_redirect(f"{url}/tests?id=a%26b::c&token=s3cret&branch=main")
        assert resp.status == 303
        location = resp.getheader("location") or ""
        parts = urllib.parse.urlsplit(location)
        assert parts.path == "/tests"
        assert urllib.parse.parse_qsl(parts.query) == [("id", "a&b::c"), ("branch", "main")]
        assert "s3cret" not in location
        assert TOKEN_COOKIE in (resp.getheader("set-cookie") or "")
        # only the token goes: a bare ?token= leads to the bare path
        resp = _get_no_redirect(f"{url}/?token=s3cret")
        assert resp.getheader("location") == "/"
        # a wrong token is no redirect at all
        assert _get_no_redirect(f"{url}/?token=nope&branch=main").status == 401


def test_health_answers_a_probe_without_the_token_and_tells_it_nothing_more(
    tmp_path: Path,
) -> None:
    """Load balancers and Kubernetes probes carry no token: /health answers them, with the
    status only; every other page still wants the token."""
    import json

    store = recorded_history(tmp_path, n=2)
    with live_server(create_app(store, token="s3cret")) as url:
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        conn.request("GET", "/health")
        resp = conn.getresponse()
        assert resp.status == 200
        assert json.loads(resp.read()) == {"status": "ok"}
        conn.close()
        assert _get_no_redirect(f"{url}/api/runs").status == 401
