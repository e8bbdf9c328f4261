"""The self-contained HTML report: one file, offline, fast with 100,000 tests, and safe.

Safety: every value from test data reaches the page either through Jinja2's autoescaping or
through the embedded JSON (with ``<``, ``>``, ``&`` escaped so ``</script>`` cannot close the
block) rendered by the page's script with ``textContent`` only. A Content-Security-Policy allows
exactly the page's own inline script by its hash, so even a missed escape could not run a script.
Speed: the data is embedded once as JSON and the tables render one page of rows at a time.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from testgate.model import Run
from testgate.report.data import report_data

if TYPE_CHECKING:
    from testgate.history.view import HistoryView

__all__ = ["embed_json", "exec_summary", "render_html", "static_asset", "trend_svg", "uplot_asset"]

#: trend charts drawn when the history has the series (metric, title, unit)
TREND_CHARTS: tuple[tuple[str, str, str], ...] = (
    ("tests.pass_rate", "Pass rate", "%"),
    ("pipeline.duration_s", "Pipeline duration", "s"),
    ("coverage.line", "Line coverage", "%"),
    ("history.flaky_rate", "Flaky rate: tests that flipped on one commit", "%"),
    ("tests.retried", "Tests retried within the run", ""),
)


def embed_json(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@cache
def static_asset(name: str) -> str:
    return resources.files("testgate.report").joinpath("static").joinpath(name).read_text("utf-8")


@cache
def uplot_asset(name: str) -> str:
    """A file of the vendored uPlot (``uPlot.iife.min.js``, ``uPlot.min.css``)."""
    return resources.files("testgate.assets").joinpath("uplot").joinpath(name).read_text("utf-8")


def exec_summary(run: Run) -> str:
    """Seed 004's executive summary in one sentence: totals, duration, gates."""
    m = run.metrics
    parts: list[str] = []
    if "tests.total" in m:
        parts.append(
            f"{int(m['tests.total'])} tests: {int(m.get('tests.passed', 0))} passed, "
            f"{int(m.get('tests.failed', 0))} failed, {int(m.get('tests.skipped', 0))} skipped"
        )
    else:
        parts.append("no test report was read")
    if "pipeline.duration_s" in m:
        parts.append(f"in {m['pipeline.duration_s']:.1f}s")
    if run.verdict is not None:
        res = run.verdict.results
        failing = [c for c in res if c.status == "fail"]
        unmeasured = [c for c in res if c.status == "not_measured"]
        text = f"{len(res) - len(failing) - len(unmeasured)} of {len(res)} gate criteria pass"
        if failing:
            text += "; failing: " + ", ".join(f"{c.gate}/{c.criterion}" for c in failing[:5])
            if len(failing) > 5:
                text += f" and {len(failing) - 5} more"
        if unmeasured:
            text += f"; {len(unmeasured)} not measured"
        parts.append(text)
    else:
        parts.append("no quality gates configured")
    return "; ".join(parts) + "."


@cache
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("testgate.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "s":
        return f"{value:.1f}s"
    return f"{value:g}"


def trend_svg(points: list[tuple[str, float]], title: str, unit: str) -> Markup:
    """A small line chart as inline SVG; every label is escaped."""
    w, h, pad = 320, 110, 28
    if not points:
        return Markup("")
    values = [v for _, v in points]
    lo, hi = min(values), max(values)
    if unit == "%":
        lo, hi = min(lo, 0.0), max(hi, 100.0)
    span = (hi - lo) or 1.0
    n = len(points)
    xs = [pad + (w - 2 * pad) * (i / (n - 1) if n > 1 else 0.5) for i in range(n)]
    ys = [h - pad - (h - 2 * pad) * ((v - lo) / span) for v in values]
    poly = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5"><title>{escape(label)}: '
        f"{escape(_fmt(v, unit))}</title></circle>"
        for (label, v), x, y in zip(points, xs, ys, strict=True)
    )
    last = _fmt(values[-1], unit)
    return Markup(
        f'<svg class="trend" viewBox="0 0 {w} {h}" role="img" aria-label="{escape(title)}">'
        f'<text x="{pad}" y="16" class="t">{escape(title)}</text>'
        f'<text x="{w - pad}" y="16" class="v" text-anchor="end">{escape(last)}</text>'
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" class="axis"/>'
        f'<text x="{pad}" y="{h - 8}" class="l">min {escape(_fmt(lo, unit))}</text>'
        f'<text x="{w - pad}" y="{h - 8}" class="l" text-anchor="end">max {escape(_fmt(hi, unit))}'
        f"</text>"
        f'<polyline points="{poly}"/>{dots}</svg>'
    )


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def render_html(
    run: Run,
    *,
    history: HistoryView | None = None,
    logs: dict[str, str] | None = None,
    title: str | None = None,
    dashboard_url: str | None = None,
) -> str:
    """The whole report as one HTML document; with *dashboard_url*, the charts' tooltips link
    each run to its page on that dashboard (``<url>/runs/<id>``)."""
    data = report_data(run, history=history, logs=logs)
    if dashboard_url is not None:
        data["links"] = {"run": dashboard_url.rstrip("/") + "/runs/"}
    script = static_asset("report.js")
    # the charts are uPlot's, inlined (the report stays one offline file), when there is a history
    charts = bool(history is not None and history.series)
    chart_script = uplot_asset("uPlot.iife.min.js") if charts else ""
    hashes = [_csp_hash(chart_script)] if charts else []
    verdict = run.verdict.to_dict() if run.verdict is not None else {}
    return str(
        _template().render(
            title=title or f"testgate: {run.project or 'run'} {run.id}",
            run=run,
            m=run.metrics,
            verdict=verdict,
            charts=charts,
            css=Markup(static_asset("report.css")),
            chart_css=Markup(uplot_asset("uPlot.min.css")) if charts else "",
            script=Markup(script),
            chart_script=Markup(chart_script),
            csp_hashes=[*hashes, _csp_hash(script)],
            exec_summary=exec_summary(run),
            components=data["components"],
            recommendations=data["recommendations"],
            data=Markup(embed_json(data)),
            n_failures=len(data["failures"]),
            quarantine=data["quarantine"],
            bypass=run.verdict.bypass_text if run.verdict is not None else None,
        )
    )
