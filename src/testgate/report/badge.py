"""SVG badges in the shields.io "flat" style: tests, coverage and the gate."""

from __future__ import annotations

from pathlib import Path

from markupsafe import escape

from testgate.model import Run

__all__ = ["badge_svg", "run_badges", "write_badges"]

GREEN, YELLOW, ORANGE, RED, GREY = "#4c1", "#dfb317", "#fe7d37", "#e05d44", "#9f9f9f"

# Approximate advance widths of Verdana 11px (shields' font), enough to size the boxes.
_NARROW = set("ijlrtf.,:;'|!() ")
_WIDE = set("mwMW@%")


def _text_width(text: str) -> float:
    w = 0.0
    for ch in text:
        if ch in _NARROW:
            w += 4.0
        elif ch in _WIDE:
            w += 10.0
        elif ch.isupper() or ch.isdigit():
            w += 7.5
        else:
            w += 6.5
    return w


def badge_svg(label: str, message: str, color: str) -> str:
    """One badge. Label and message are escaped."""
    lw = round(_text_width(label) + 10)
    mw = round(_text_width(message) + 10)
    total = lw + mw
    lab, msg = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{lab}: {msg}"><title>{lab}: {msg}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{mw}" height="20" fill="{color}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'font-size="11">'
        f'<text x="{lw / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">{lab}</text>'
        f'<text x="{lw / 2:.1f}" y="14">{lab}</text>'
        f'<text x="{lw + mw / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">{msg}</text>'
        f'<text x="{lw + mw / 2:.1f}" y="14">{msg}</text></g></svg>'
    )


def _coverage_color(pct: float) -> str:
    if pct >= 90:
        return GREEN
    if pct >= 75:
        return YELLOW
    if pct >= 60:
        return ORANGE
    return RED


def run_badges(run: Run) -> dict[str, str]:
    """``{"tests": svg, "coverage": svg, "gate": svg}`` for what the run measured."""
    m = run.metrics
    out: dict[str, str] = {}
    if "tests.total" in m:
        failed = int(m.get("tests.failed", 0))
        msg = f"{int(m['tests.passed'])} passed"
        if failed:
            msg += f", {failed} failed"
        if m.get("tests.skipped"):
            msg += f", {int(m['tests.skipped'])} skipped"
        out["tests"] = badge_svg("tests", msg, RED if failed else GREEN)
    if "coverage.line" in m:
        pct = m["coverage.line"]
        out["coverage"] = badge_svg("coverage", f"{pct:.0f}%", _coverage_color(pct))
    if run.verdict is not None:
        ok = run.verdict.passed
        out["gate"] = badge_svg(
            "quality gate", "passing" if ok else "failing", GREEN if ok else RED
        )
    else:
        out["gate"] = badge_svg("quality gate", "not evaluated", GREY)
    return out


def write_badges(run: Run, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, svg in run_badges(run).items():
        p = directory / f"{name}.svg"
        p.write_text(svg, encoding="utf-8")
        written.append(p)
    return written
