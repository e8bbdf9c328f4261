"""The dashboard: a FastAPI app over the history store.

Pages (server-rendered, escaped by Jinja2; charts drawn by the vendored uPlot from JSON the page
carries, no script from test data can run): the runs of a branch with their marks and trends, one
run's page (the HTML report of that run), one test's history, components, flaky tests with their
quarantine, alerts, and the tests' effectiveness (escaped defects, mutation score). A JSON API
under ``/api/`` for each page, with its OpenAPI description (``/api/openapi.json``, browsable
offline at ``/api/docs``), ``/health``, and ``/metrics`` for Prometheus.

Every answer is a function of the store's content: it is computed once per state of the store
(:mod:`testgate.server._memo`) and carries an ETag, so a repeated request costs one small query.
When a token is set every request must carry it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import itertools
import os
import re
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
from fastapi import Body, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from markupsafe import Markup

from testgate.errors import HistoryError, UsageError
from testgate.report.html import embed_json, static_asset
from testgate.server._memo import Answers, Memo

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
#: dashboard pages run only the package's own scripts (uPlot and dashboard.js, served from
#: /static/); test data travels as JSON that is never executed
PAGE_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src data:; script-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

TRENDS: tuple[tuple[str, str, str], ...] = (
    ("tests.pass_rate", "Pass rate", "%"),
    ("pipeline.duration_s", "Pipeline duration", "s"),
    ("coverage.line", "Line coverage", "%"),
    ("history.flaky_rate", "Flaky rate: tests that flipped on one commit", "%"),
    ("tests.retried", "Tests retried within the run", ""),
)

#: name under /static/ -> (package, path, media type)
_STATIC: dict[str, tuple[str, str, str]] = {
    "uplot.min.js": ("testgate.assets", "uplot/uPlot.iife.min.js", "text/javascript"),
    "uplot.min.css": ("testgate.assets", "uplot/uPlot.min.css", "text/css"),
    "dashboard.js": ("testgate.server", "static/dashboard.js", "text/javascript"),
}

#: a process's answers differ from another version's: part of every ETag
_NONCE = os.urandom(8).hex()


@cache
def _static(name: str) -> tuple[bytes, str, str]:
    from importlib import resources

    package, path, media = _STATIC[name]
    data = resources.files(package).joinpath(path).read_bytes()
    return data, media, '"' + hashlib.sha256(data).hexdigest()[:20] + '"'


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
    env.filters["json"] = lambda data: Markup(embed_json(data))
    return env


@cache
def _asset_dashboard() -> str:
    from importlib import resources

    static = resources.files("testgate.server").joinpath("static")
    return static.joinpath("dashboard.css").read_text("utf-8")


def _page(name: str, **ctx: Any) -> HTMLResponse:
    return HTMLResponse(_templates().get_template(name).render(**ctx))


def _iso(dt: datetime) -> str:
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).isoformat()


def _epoch(dt: datetime) -> float:
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()


def _chart(key: str, title: str, unit: str, points: list[tuple[RunInfo, float]]) -> dict[str, Any]:
    """A chart as dashboard.js draws it: time axis, one series, each point a run."""
    return {
        "key": key,
        "title": title,
        "unit": unit,
        "runs": [i.id for i, _ in points],
        "x": [_epoch(i.started_at) for i, _ in points],
        "y": [v for _, v in points],
    }


def _paged(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    return {"total": len(items), "offset": offset, "limit": limit}


_META_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"')


def create_app(
    store: HistoryStore,
    *,
    token: str | None = None,
    window: int = 50,
    min_runs: int = 5,
    default_branch: str | None = None,
) -> FastAPI:
    """The dashboard app over *store*. With *token*, every request must carry it as
    ``Authorization: Bearer <token>``, a ``testgate_token`` cookie, or ``?token=`` (which sets
    the cookie and redirects, so the token leaves the address bar). *default_branch* is
    ``history.default_branch``."""
    app = FastAPI(
        title="testgate dashboard",
        version="2",
        docs_url=None,  # Swagger UI loads from a CDN; /api/docs is rendered offline instead
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    small = Memo(512)
    #: whole run pages (the HTML report of a run can be tens of MB at 200k tests): a few
    big = Memo(4)
    #: the computations that hold a whole window or a whole run in memory run one at a time
    #: (on two cores they would not finish sooner side by side, and memory stays at one's peak);
    #: nothing holding it waits for anything else
    heavy = threading.Lock()
    #: whole answers by ETag: a repeated request is neither rendered nor encoded again
    answers = Answers(64 * 1024 * 1024)
    threads = _thread_budget(store)
    configured = threads is not None

    # ---- ETag, HEAD, the generation of the store (innermost: after the token check) ----
    @app.middleware("http")
    async def _etag(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        nonlocal configured
        if not configured:
            # as many worker threads as the store has connections: a request waits its turn
            # in the event loop instead of timing out in the connection pool (HTTP 500)
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads or 40
            configured = True
        head = request.method == "HEAD"
        cacheable = request.method in ("GET", "HEAD") and request.url.path != "/health"
        if not cacheable:
            return await call_next(request)
        if head:
            request.scope["method"] = "GET"
        try:
            gen = await anyio.to_thread.run_sync(store.generation)
        except HistoryError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=503)
        request.state.gen = gen
        digest = hashlib.sha256(
            f"{_NONCE}|{gen}|{request.url.path}?{request.url.query}".encode()
        ).hexdigest()[:24]
        etag = f'W/"{digest}"'
        if request.url.path.startswith("/static/"):
            etag = _static(request.url.path[8:])[2] if request.url.path[8:] in _STATIC else etag
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers={"ETag": etag})
        hit = answers.get(gen, etag)
        if hit is None:
            resp = await call_next(request)
            if resp.status_code != 200:
                if head:
                    async for _ in resp.body_iterator:  # type: ignore[attr-defined]
                        pass
                    return Response(status_code=resp.status_code, headers=dict(resp.headers))
                return resp
            body = b"".join([chunk async for chunk in resp.body_iterator])  # type: ignore[attr-defined]
            headers = dict(resp.headers)
            headers["etag"] = etag
            headers.setdefault("cache-control", "no-cache")
            hit = (200, headers, body)
            answers.put(gen, etag, hit)
        status, headers, body = hit
        return Response(b"" if head else body, status_code=status, headers=headers)

    if token:

        @app.middleware("http")
        async def _auth(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            if request.url.path == "/health":
                # a load balancer's or Kubernetes' probe carries no token; the answer without
                # one says only whether the store can be read
                return await call_next(request)
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
        # pages run only the package's scripts; test data can never run
        resp.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    # ---- what the pages are made of, computed once per state of the store ----------------
    def gen_of(request: Request) -> Any:
        gen = getattr(request.state, "gen", None)
        return gen if gen is not None else store.generation()

    def branches(gen: Any) -> list[tuple[str, int]]:
        """Branches with their run counts, the default branch first, then the busiest."""

        def compute() -> list[tuple[str, int]]:
            counts = store.branch_counts()
            first = the_default(gen)
            rest = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            return [(b, n) for b, n in rest if b == first] + [(b, n) for b, n in rest if b != first]

        return small.get(gen, ("branches",), compute)

    def the_default(gen: Any) -> str | None:
        from testgate.history.branches import default_branch as choose

        return small.get(gen, ("default",), lambda: choose(store, configured=default_branch).branch)

    def pick(gen: Any, branch: str | None) -> str | None:
        """``?branch=`` absent: the default branch; empty: every branch; else that branch."""
        if branch is None:
            return the_default(gen)
        return branch or None

    def runs(gen: Any, branch: str | None, limit: int = 100) -> list[RunInfo]:
        return small.get(
            gen, ("runs", branch, limit), lambda: store.runs(branch=branch, limit=limit)
        )

    def analyses(gen: Any, branch: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        from testgate.history.view import flaky_and_slow

        def compute() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            with heavy:
                return flaky_and_slow(store, branch=branch, window=window, min_runs=min_runs)

        return small.get(gen, ("analyses", branch), compute)

    def rate(gen: Any, branch: str | None) -> dict[str, Any] | None:
        def compute() -> dict[str, Any] | None:
            from testgate.history.flaky import flaky_rate

            with heavy:
                r = flaky_rate(store, branch=branch, window=window)
            return {**r.to_dict(), "text": r.describe()} if r is not None else None

        return small.get(gen, ("rate", branch), compute)

    def charts(gen: Any, branch: str | None) -> list[dict[str, Any]]:
        def compute() -> list[dict[str, Any]]:
            out = []
            for metric, title, unit in TRENDS:
                points = store.metric_series(metric, branch=branch, limit=100)
                if points:
                    out.append(_chart(metric, title, unit, points))
            return out

        return small.get(gen, ("charts", branch), compute)

    def flaky_rows(gen: Any, branch: str | None) -> list[dict[str, Any]]:
        """Flaky and broken tests with the quarantine that covers each (newest run's)."""

        def compute() -> list[dict[str, Any]]:
            from fnmatch import fnmatchcase

            flaky, _ = analyses(gen, branch)
            latest = runs(gen, branch, 1)
            entries = [
                q
                for q in (latest[0].meta.get("quarantine") or [] if latest else [])
                if isinstance(q, dict)
            ]
            out = []
            for f in flaky:
                q = next(
                    (
                        e
                        for e in entries
                        if f["test"] in (e.get("tests") or [])
                        or (isinstance(e.get("test"), str) and fnmatchcase(f["test"], e["test"]))
                    ),
                    None,
                )
                state = None
                if q is not None:
                    state = {k: q.get(k) for k in ("owner", "reason", "expires")}
                    state["expired"] = bool(q.get("expired"))
                out.append({**f, "quarantine": state})
            return out

        return small.get(gen, ("flaky", branch), compute)

    def components(gen: Any, branch: str | None, limit: int) -> list[dict[str, Any]]:
        from testgate.history.view import component_rates

        return small.get(
            gen,
            ("components", branch, limit),
            lambda: component_rates(store, runs(gen, branch, limit)),
        )

    def effect(gen: Any, branch: str | None, limit: int) -> dict[str, Any]:
        def compute() -> dict[str, Any]:
            from testgate.history.incidents import effectiveness

            e = effectiveness(runs(gen, branch, limit))
            doc = e.to_dict()
            mutation = store.metric_series("mutation.score", branch=branch, limit=limit)
            doc["mutation_score"] = [
                {"run": i.id, "started_at": _iso(i.started_at), "value": v} for i, v in mutation
            ]
            doc["charts"] = [
                c
                for c in (
                    _chart("escape_rate", "Defect escape rate (cumulative)", "%", e.series),
                    _chart("mutation.score", "Mutation score", "%", mutation),
                )
                if c["x"]
            ]
            return doc

        return small.get(gen, ("effect", branch, limit), compute)

    def alerts(gen: Any, branch: str | None, limit: int) -> list[dict[str, Any]]:
        from testgate.history.view import alerts_of

        return small.get(
            gen, ("alerts", branch, limit), lambda: alerts_of(runs(gen, branch, limit))
        )

    def run_or_404(gen: Any, run_id: str) -> RunInfo:
        try:
            info = small.get(gen, ("run", run_id), lambda: store.get_run(run_id))
        except HistoryError as exc:
            raise HTTPException(404, str(exc)) from exc
        if info is None:
            raise HTTPException(404, f"no recorded run {run_id!r}")
        return info

    def marks(info: RunInfo) -> list[dict[str, str]]:
        from testgate.history.view import run_list_marks

        return run_list_marks(info)

    def test_doc(gen: Any, test_id: str, n: int) -> dict[str, Any] | None:
        def compute() -> dict[str, Any] | None:
            from testgate.history.view import quarantine_of

            results = store.test_history(test_id, limit=n)
            if not results:
                return None
            ordered = sorted(results, key=lambda r: (r.run.started_at, r.run.pk))
            flips = []
            for a, b in itertools.pairwise(ordered):
                bad_a, bad_b = a.status in ("failed", "error"), b.status in ("failed", "error")
                if bad_a != bad_b and "skipped" not in (a.status, b.status):
                    flips.append(
                        {
                            "run": b.run.id,
                            "started_at": _iso(b.run.started_at),
                            "from": a.status,
                            "to": b.status,
                            "commit": b.run.commit,
                            "same_commit": bool(a.run.commit and a.run.commit == b.run.commit),
                        }
                    )
            newest = ordered[-1].run
            return {
                "test": test_id,
                "results": [r.to_dict() for r in ordered],
                "flips": flips,
                "quarantine": quarantine_of(newest).get(test_id),
                "chart": _chart(
                    "duration", "Duration", "s", [(r.run, r.duration_s) for r in ordered]
                ),
            }

        return small.get(gen, ("test", test_id, n), compute)

    # ---- health and static files ------------------------------------------------------
    @app.get("/health", summary="Whether the dashboard can read its store")
    def health() -> JSONResponse:
        try:
            n, _, _ = store.generation()
        except HistoryError as exc:
            return JSONResponse(
                {
                    "status": "error",
                    "detail": "the history store cannot be read" if token else str(exc),
                },
                status_code=503,
                headers={"Cache-Control": "no-store"},
            )
        body: dict[str, Any] = {"status": "ok"}
        if not token:  # with a token, /health is open to probes: it tells them nothing more
            body.update(runs=n, store=store.safe_url)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in _STATIC:
            raise HTTPException(404, f"no static file {name!r}")
        data, media, etag = _static(name)
        return Response(
            data, media_type=media, headers={"ETag": etag, "Cache-Control": "max-age=86400"}
        )

    # ---- JSON API ----------------------------------------------------------------------
    @app.get("/api/branches", summary="Branches with recorded runs, the default branch first")
    def api_branches(request: Request) -> dict[str, Any]:
        gen = gen_of(request)
        return {
            "default": the_default(gen),
            "branches": [{"branch": b, "runs": n} for b, n in branches(gen)],
        }

    @app.get("/api/runs", summary="Recorded runs, newest first, with their marks")
    def api_runs(
        request: Request,
        branch: str | None = Query(
            None, description="A branch; empty for every branch; absent for the default branch"
        ),
        limit: int = Query(50, ge=1, le=1000),
    ) -> list[dict[str, Any]]:
        gen = gen_of(request)
        return [{**r.to_dict(), "marks": marks(r)} for r in runs(gen, pick(gen, branch), limit)]

    @app.get("/api/runs/{run_id}", summary="One run: the data of its HTML report")
    def api_run(request: Request, run_id: str) -> dict[str, Any]:
        gen = gen_of(request)
        info = run_or_404(gen, run_id)
        doc = report_doc(gen, info)
        failures = small.get(
            gen,
            ("failures", info.id),
            lambda: [r.to_dict() for r in store.run_results(info, failures_only=True)],
        )
        return {
            **info.to_dict(),
            "marks": marks(info),
            "steps": doc["steps"],
            "failures": failures,
            "report": doc,
        }

    @app.get(
        "/api/runs/{run_id}/results",
        summary="The test results of one run, a page at a time (X-Total-Count: all of them)",
    )
    def api_results(
        request: Request,
        response: Response,
        run_id: str,
        failures_only: bool = False,
        offset: int = Query(0, ge=0),
        limit: int = Query(1000, ge=1, le=10000),
    ) -> list[dict[str, Any]]:
        gen = gen_of(request)
        info = run_or_404(gen, run_id)
        # a page from the database: a 200k-test run is never held in memory for this
        total = small.get(
            gen,
            ("results-count", info.id, failures_only),
            lambda: store.count_results(info, failures_only=failures_only),
        )
        response.headers["X-Total-Count"] = str(total)
        return [
            r.to_dict()
            for r in store.run_results(
                info, failures_only=failures_only, offset=offset, limit=limit
            )
        ]

    @app.get("/api/tests", summary="One test's last N results, flips, quarantine and durations")
    def api_test_page(
        request: Request, id: str, n: int = Query(50, ge=1, le=1000)
    ) -> dict[str, Any]:
        doc = test_doc(gen_of(request), id, n)
        if doc is None:
            raise HTTPException(404, f"no recorded result for test {id!r}")
        return doc

    @app.get("/api/tests/history", summary="One test's outcomes and durations, newest first")
    def api_test(
        request: Request, id: str, limit: int = Query(100, ge=1, le=5000)
    ) -> list[dict[str, Any]]:
        return small.get(
            gen_of(request),
            ("test_history", id, limit),
            lambda: [r.to_dict() for r in store.test_history(id, limit=limit)],
        )

    @app.get("/api/metrics/{name}", summary="A metric's series over runs, oldest first")
    def api_metric(
        request: Request,
        name: str,
        branch: str | None = None,
        limit: int = Query(100, ge=1, le=5000),
    ) -> list[dict[str, Any]]:
        return small.get(
            gen_of(request),
            ("metric", name, branch, limit),
            lambda: [
                {"run": info.id, "started_at": _iso(info.started_at), "value": value}
                for info, value in store.metric_series(name, branch=branch, limit=limit)
            ],
        )

    @app.get("/api/flaky", summary="Flaky and broken tests with their quarantine, paged")
    def api_flaky(
        request: Request,
        branch: str | None = None,
        offset: int = Query(0, ge=0),
        limit: int = Query(100, ge=1, le=1000),
    ) -> dict[str, Any]:
        gen = gen_of(request)
        b = pick(gen, branch)
        rows = flaky_rows(gen, b)
        return {
            "branch": b,
            "flaky": rows[offset : offset + limit],
            "flaky_rate": rate(gen, b),
            **_paged(rows, offset, limit),
        }

    @app.get("/api/slow", summary="The slowest tests by total time, paged")
    def api_slow(
        request: Request,
        branch: str | None = None,
        offset: int = Query(0, ge=0),
        limit: int = Query(100, ge=1, le=1000),
    ) -> dict[str, Any]:
        gen = gen_of(request)
        b = pick(gen, branch)
        _, slow = analyses(gen, b)
        return {"branch": b, "slow": slow[offset : offset + limit], **_paged(slow, offset, limit)}

    @app.get("/api/components", summary="Failure rate by component (a test's suite) over runs")
    def api_components(
        request: Request, branch: str | None = None, limit: int = Query(50, ge=1, le=500)
    ) -> dict[str, Any]:
        gen = gen_of(request)
        b = pick(gen, branch)
        return {"branch": b, "runs": limit, "components": components(gen, b, limit)}

    @app.get("/api/alerts", summary="Alerts the runs fired when they were recorded, newest first")
    def api_alerts(
        request: Request, branch: str | None = None, limit: int = Query(100, ge=1, le=1000)
    ) -> dict[str, Any]:
        gen = gen_of(request)
        b = pick(gen, branch)
        return {"branch": b, "alerts": alerts(gen, b, limit)}

    @app.get(
        "/api/effectiveness",
        summary="Defect escape rate, mean time to detection, incidents, mutation score",
    )
    def api_effectiveness(
        request: Request, branch: str | None = None, limit: int = Query(200, ge=1, le=5000)
    ) -> dict[str, Any]:
        gen = gen_of(request)
        b = pick(gen, branch)
        return {"branch": b, **{k: v for k, v in effect(gen, b, limit).items() if k != "charts"}}

    @app.post(
        "/api/incidents",
        status_code=201,
        summary="Record a production incident against a commit (needs the token as a Bearer "
        "header)",
    )
    def api_incident(
        request: Request,
        commit: str = Body(..., description="The commit the defect escaped from"),
        id: str = Body(..., description="The incident or bug id, such as BUG-1"),
        component: str | None = Body(None, description="The component it was found in"),
        reported_at: str | None = Body(None, description="ISO 8601; default now"),
    ) -> dict[str, Any]:
        if not token:
            raise HTTPException(
                403,
                "recording needs a token: start 'testgate serve' with TESTGATE_TOKEN set and send "
                "'Authorization: Bearer <token>'",
            )
        given = request.headers.get("authorization", "")
        # a write needs the header itself: a cookie alone could come from another site's form
        if not (
            given.lower().startswith("bearer ")
            and hmac.compare_digest(given[7:].encode(), token.encode())
        ):
            raise HTTPException(401, "recording needs 'Authorization: Bearer <token>'")
        from testgate.history.incidents import record_incident

        try:
            incident = record_incident(
                store, commit=commit, incident_id=id, component=component, reported_at=reported_at
            )
        except UsageError as exc:
            raise HTTPException(422, str(exc)) from exc
        except HistoryError as exc:
            raise HTTPException(404, str(exc)) from exc
        return {"incident": incident.to_dict()}

    @app.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        spec = app.openapi()
        return _page("apidocs.html.j2", spec=spec, paths=sorted(spec.get("paths", {}).items()))

    # ---- Prometheus --------------------------------------------------------------------
    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        from testgate.server._analyses import cumulative_aggregate
        from testgate.server.prom import metric_families

        def compute() -> bytes:
            agg = cumulative_aggregate(store)

            class _Collector:
                def collect(self):  # type: ignore[no-untyped-def]
                    return metric_families(agg)

            registry = CollectorRegistry()
            registry.register(_Collector())
            return bytes(generate_latest(registry))

        body = small.get(gen_of(request), ("metrics",), compute)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    # ---- pages -------------------------------------------------------------------------
    def common(gen: Any, branch: str | None, asked: str | None) -> dict[str, Any]:
        return {
            "branches": branches(gen),
            "default_branch": the_default(gen),
            "branch": branch,
            "asked": asked,
            "q": "" if asked is None else "?branch=" + quote(asked, safe=""),
            "total": gen[0],
        }

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, branch: str | None = None) -> HTMLResponse:
        gen = gen_of(request)
        b = pick(gen, branch)
        flaky, slow = analyses(gen, b)
        listed = runs(gen, b, 100)
        fx = effect(gen, b, 200)
        return _page(
            "index.html.j2",
            **common(gen, b, branch),
            runs=[(r, marks(r)) for r in listed],
            charts=charts(gen, b),
            flaky_rate=(rate(gen, b) or {}).get("text"),
            flaky=flaky[:20],
            slow=slow[:20],
            effect=fx,
        )

    def rebuilt(info: RunInfo) -> Any:
        """The recorded run as a ``Run``, with what its meta keeps (the quarantine that
        excused its failures), for the HTML report."""
        run = store.last_run(info.id)
        if run is not None:
            run.quarantine = [q for q in info.meta.get("quarantine") or [] if isinstance(q, dict)]
        return run

    def rebuilt_or_404(info: RunInfo) -> Any:
        run = rebuilt(info)
        if run is None:
            raise HTTPException(404, f"no recorded run {info.id!r}")
        return run

    def report_doc(gen: Any, info: RunInfo) -> dict[str, Any]:
        def compute() -> dict[str, Any]:
            from testgate.report.data import report_data

            view = view_of(gen, info.branch)  # before the lock: it may wait for analyses
            with heavy:
                return report_data(rebuilt_or_404(info), history=view)

        return big.get(gen, ("report-data", info.id), compute)

    def view_of(gen: Any, branch: str | None) -> Any:
        """What the HTML report shows of the history, from the analyses already computed."""

        def compute() -> Any:
            from testgate.history.view import history_view

            return history_view(
                store,
                branch=branch,
                window=window,
                min_runs=min_runs,
                analyses=analyses(gen, branch),
                rate=rate(gen, branch),
            )

        return small.get(gen, ("view", branch), compute)

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: str) -> HTMLResponse:
        gen = gen_of(request)
        info = run_or_404(gen, run_id)

        def compute() -> str:
            from testgate.report.html import render_html

            view = view_of(gen, info.branch)  # before the lock: it may wait for analyses
            with heavy:
                run = rebuilt_or_404(info)
                html = render_html(run, history=view)
                failures = [
                    (t.id, quote(t.id, safe=""))
                    for t in run.tests
                    if t.status in ("failed", "error")
                ][:200]
                del run
            bar = (
                _templates()
                .get_template("runbar.html.j2")
                .render(run=info, marks=marks(info), failures=failures)
            )
            return html.replace("<body>", "<body>" + bar, 1)

        html = big.get(gen, ("run-page", info.id), compute)
        m = _META_CSP.search(html)
        return HTMLResponse(
            html, headers={"Content-Security-Policy": m.group(1).strip() if m else PAGE_CSP}
        )

    @app.get("/tests", response_class=HTMLResponse, include_in_schema=False)
    def test_page(request: Request, id: str, n: int = Query(50, ge=1, le=1000)) -> HTMLResponse:
        gen = gen_of(request)
        doc = test_doc(gen, id, n)
        if doc is None:
            raise HTTPException(404, f"no recorded result for test {id!r}")
        # a test's page spans every branch; the selector leads to a branch's runs
        return _page(
            "test.html.j2",
            doc=doc,
            n=n,
            charts=[doc["chart"]],
            form_action="/",
            **common(gen, None, None),
        )

    @app.get("/flaky", response_class=HTMLResponse, include_in_schema=False)
    def flaky_page(
        request: Request,
        branch: str | None = None,
        page: int = Query(1, ge=1),
    ) -> HTMLResponse:
        gen = gen_of(request)
        b = pick(gen, branch)
        rows = flaky_rows(gen, b)
        per = 100
        pages = max(1, (len(rows) + per - 1) // per)
        return _page(
            "flaky.html.j2",
            **common(gen, b, branch),
            rows=rows[(page - 1) * per : page * per],
            page=min(page, pages),
            pages=pages,
            count=len(rows),
            flaky_rate=(rate(gen, b) or {}).get("text"),
        )

    @app.get("/components", response_class=HTMLResponse, include_in_schema=False)
    def components_page(request: Request, branch: str | None = None) -> HTMLResponse:
        gen = gen_of(request)
        b = pick(gen, branch)
        comps = components(gen, b, 50)
        charts_ = [
            {
                "key": f"component-{i}",
                "title": f"{c['component'] or '(no suite)'}: failure rate",
                "unit": "%",
                "runs": [p["run"] for p in c["series"]],
                "x": [datetime.fromisoformat(p["started_at"]).timestamp() for p in c["series"]],
                "y": [p["failure_rate"] for p in c["series"]],
            }
            for i, c in enumerate(comps[:12])
        ]
        return _page("components.html.j2", **common(gen, b, branch), comps=comps, charts=charts_)

    @app.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alerts_page(request: Request, branch: str | None = None) -> HTMLResponse:
        gen = gen_of(request)
        b = pick(gen, branch)
        return _page("alerts.html.j2", **common(gen, b, branch), alerts=alerts(gen, b, 200))

    @app.get("/effectiveness", response_class=HTMLResponse, include_in_schema=False)
    def effectiveness_page(request: Request, branch: str | None = None) -> HTMLResponse:
        gen = gen_of(request)
        b = pick(gen, branch)
        fx = effect(gen, b, 200)
        return _page("effectiveness.html.j2", **common(gen, b, branch), fx=fx, charts=fx["charts"])

    return app


def _thread_budget(store: HistoryStore) -> int | None:
    """How many requests may read the store at once: its pool's connections (None: keep the
    server's default, for pools without a limit)."""
    pool = store.engine.pool
    size = getattr(pool, "size", None)
    if not callable(size):
        return None
    try:
        n = int(size()) + max(0, int(getattr(pool, "_max_overflow", 0)))
    except (TypeError, ValueError):
        return None
    return max(1, n)


__all__ += ["PAGE_CSP"]
