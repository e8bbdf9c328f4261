"""The dashboard: a FastAPI app over the history store.

Pages (server-rendered, escaped by Jinja2, no script from test data can run): the runs with their
verdicts and trends, one run's detail, one test's history, flaky and slow tests. A JSON API under
``/api/`` with its OpenAPI description (``/api/openapi.json``, browsable offline at ``/api/docs``),
and ``/metrics`` for Prometheus. When a token is set every request must carry it.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from markupsafe import Markup

from testgate.report.html import static_asset, trend_svg
from testgate.verdict import bypass_text

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore, RunInfo

__all__ = ["TOKEN_COOKIE", "create_app", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether *host* is a loopback address (the dashboard binds only those without a token)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


TOKEN_COOKIE = "testgate_token"
#: dashboard pages carry no script at all
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

TRENDS: tuple[tuple[str, str, str], ...] = (
    ("tests.pass_rate", "Pass rate", "%"),
    ("pipeline.duration_s", "Pipeline duration", "s"),
    ("coverage.line", "Line coverage", "%"),
    ("history.flaky_rate", "Flaky rate: tests that flipped on one commit", "%"),
    ("tests.retried", "Tests retried within the run", ""),
)


@cache
def _templates() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("testgate.server", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["css"] = Markup(static_asset("report.css")) + Markup(_asset_dashboard())
    return env


@cache
def _asset_dashboard() -> str:
    from importlib import resources

    static = resources.files("testgate.server").joinpath("static")
    return static.joinpath("dashboard.css").read_text("utf-8")


def _page(name: str, **ctx: Any) -> HTMLResponse:
    return HTMLResponse(_templates().get_template(name).render(**ctx))


def _label(info: RunInfo) -> str:
    return f"{info.id} ({info.started_at:%Y-%m-%d %H:%M})"


def create_app(
    store: HistoryStore,
    *,
    token: str | None = None,
    window: int = 50,
    min_runs: int = 5,
) -> FastAPI:
    """The dashboard app over *store*. With *token*, every request must carry it as
    ``Authorization: Bearer <token>``, a ``testgate_token`` cookie, or ``?token=`` (which sets
    the cookie and redirects, so the token leaves the address bar)."""
    app = FastAPI(
        title="testgate dashboard",
        version="1",
        docs_url=None,  # Swagger UI loads from a CDN; /api/docs is rendered offline instead
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )

    if token:

        @app.middleware("http")
        async def _auth(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            given = request.headers.get("authorization", "")
            candidate = given[7:] if given.lower().startswith("bearer ") else ""
            candidate = candidate or request.cookies.get(TOKEN_COOKIE, "")
            query = request.query_params.get("token")
            if query and hmac.compare_digest(query.encode(), token.encode()):
                # keep every other parameter (?token=...&branch=main goes to /?branch=main)
                kept = request.url.remove_query_params("token")
                target = kept.path + (f"?{kept.query}" if kept.query else "")
                resp = RedirectResponse(target, 303)
                resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
                return resp
            if not candidate or not hmac.compare_digest(candidate.encode(), token.encode()):
                return JSONResponse(
                    {"detail": "a token is required: send 'Authorization: Bearer <token>'"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return await call_next(request)

    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        resp = await call_next(request)
        # pages carry no script at all; test data can never run
        resp.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    def _run_or_404(run_id: str) -> RunInfo:
        info = store.get_run(run_id)
        if info is None:
            raise HTTPException(404, f"no recorded run {run_id!r}")
        return info

    def _analyses(branch: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        from testgate.server._analyses import flaky_and_slow

        return flaky_and_slow(store, branch=branch, window=window, min_runs=min_runs)

    # ---- JSON API ----------------------------------------------------------------------
    @app.get("/api/runs", summary="Recorded runs, newest first")
    def api_runs(
        branch: str | None = None, limit: int = Query(50, ge=1, le=1000)
    ) -> list[dict[str, Any]]:
        return [r.to_dict() for r in store.runs(branch=branch, limit=limit)]

    @app.get("/api/runs/{run_id}", summary="One run: its facts, metrics, steps and failures")
    def api_run(run_id: str) -> dict[str, Any]:
        info = _run_or_404(run_id)
        return {
            **info.to_dict(),
            "steps": [s.to_dict() for s in store.run_steps(info)],
            "failures": [r.to_dict() for r in store.run_results(info, failures_only=True)],
        }

    @app.get("/api/runs/{run_id}/results", summary="Every test result of one run")
    def api_results(run_id: str, failures_only: bool = False) -> list[dict[str, Any]]:
        info = _run_or_404(run_id)
        return [r.to_dict() for r in store.run_results(info, failures_only=failures_only)]

    @app.get("/api/tests/history", summary="One test's outcomes and durations over time")
    def api_test(id: str, limit: int = Query(100, ge=1, le=5000)) -> list[dict[str, Any]]:
        return [r.to_dict() for r in store.test_history(id, limit=limit)]

    @app.get("/api/metrics/{name}", summary="A metric's series over runs, oldest first")
    def api_metric(
        name: str, branch: str | None = None, limit: int = Query(100, ge=1, le=5000)
    ) -> list[dict[str, Any]]:
        return [
            {"run": info.id, "started_at": info.to_dict()["started_at"], "value": value}
            for info, value in store.metric_series(name, branch=branch, limit=limit)
        ]

    @app.get("/api/flaky", summary="Flaky and broken tests")
    def api_flaky(branch: str | None = None) -> dict[str, Any]:
        from testgate.history.flaky import flaky_rate

        flaky, _ = _analyses(branch)
        rate = flaky_rate(store, branch=branch, window=window)
        return {"flaky": flaky, "flaky_rate": rate.to_dict() if rate is not None else None}

    @app.get("/api/slow", summary="The slowest tests")
    def api_slow(branch: str | None = None) -> dict[str, Any]:
        _, slow = _analyses(branch)
        return {"slow": slow}

    @app.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        spec = app.openapi()
        return _page("apidocs.html.j2", spec=spec, paths=sorted(spec.get("paths", {}).items()))

    # ---- Prometheus --------------------------------------------------------------------
    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        from testgate.server._analyses import cumulative_aggregate
        from testgate.server.prom import metric_families

        agg = cumulative_aggregate(store)

        class _Collector:
            def collect(self):  # type: ignore[no-untyped-def]
                return metric_families(agg)

        registry = CollectorRegistry()
        registry.register(_Collector())
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    # ---- pages -------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(branch: str | None = None) -> HTMLResponse:
        runs = store.runs(branch=branch, limit=100)
        charts = []
        for metric, title, unit in TRENDS:
            points = store.metric_series(metric, branch=branch, limit=100)
            series = [(_label(i), v) for i, v in points]
            if series:
                charts.append(trend_svg(series, title, unit))
        flaky, slow = _analyses(branch)
        from testgate.history.flaky import flaky_rate

        rate = flaky_rate(store, branch=branch, window=window)
        return _page(
            "index.html.j2",
            runs=runs,
            charts=charts,
            flaky_rate=rate.describe() if rate is not None else None,
            flaky=flaky[:20],
            slow=slow[:20],
            branch=branch,
            total=store.count_runs(),
        )

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(run_id: str) -> HTMLResponse:
        info = _run_or_404(run_id)
        quarantined = {
            tid: q
            for q in info.meta.get("quarantine") or []
            if isinstance(q, dict) and not q.get("expired")
            for tid in q.get("tests") or []
        }
        verdict = info.meta.get("verdict") if isinstance(info.meta.get("verdict"), dict) else {}
        return _page(
            "run.html.j2",
            run=info,
            steps=store.run_steps(info),
            failures=store.run_results(info, failures_only=True),
            coverage=store.run_coverage(info)[:200],
            quarantined=quarantined,
            bypass=bypass_text((verdict or {}).get("bypass")),
        )

    @app.get("/tests", response_class=HTMLResponse, include_in_schema=False)
    def test_page(id: str) -> HTMLResponse:
        results = store.test_history(id, limit=200)
        if not results:
            raise HTTPException(404, f"no recorded result for test {id!r}")
        # oldest first, whatever order the store returns
        ordered = sorted(results, key=lambda r: r.run.started_at)
        durations = [(_label(r.run), r.duration_s) for r in ordered]
        return _page(
            "test.html.j2",
            test_id=id,
            results=ordered,
            chart=trend_svg(durations, "Duration", "s"),
        )

    return app
