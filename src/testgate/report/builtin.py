"""testgate's own renderers, registered through the same hook a plugin uses."""

from __future__ import annotations

from pathlib import Path

from testgate.model import Run
from testgate.plugins.spec import hookimpl
from testgate.report.registry import RenderContext, RendererRegistry, write_text

__all__ = ["BadgeRenderer", "HtmlRenderer", "JUnitRenderer", "MarkdownRenderer"]


class HtmlRenderer:
    name = "html"
    description = "one self-contained HTML file that works offline"
    default_output: str | None = "report.html"

    def write(self, run: Run, output: Path | None, ctx: RenderContext) -> list[Path]:
        from testgate.report.html import render_html

        html = render_html(run, history=ctx.history, logs=ctx.logs)
        return write_text(html, output or Path(self.default_output or "report.html"))


class MarkdownRenderer:
    name = "markdown"
    description = "Markdown for pull-request comments and $GITHUB_STEP_SUMMARY"
    default_output: str | None = None

    def write(self, run: Run, output: Path | None, ctx: RenderContext) -> list[Path]:
        from testgate.report.markdown import render_markdown

        return write_text(render_markdown(run), output)


class BadgeRenderer:
    name = "badge"
    description = "SVG badges (tests.svg, coverage.svg, gate.svg) in a directory"
    default_output: str | None = "badges"

    def write(self, run: Run, output: Path | None, ctx: RenderContext) -> list[Path]:
        from testgate.report.badge import write_badges

        return write_badges(run, output or Path(self.default_output or "badges"))


class JUnitRenderer:
    name = "junit"
    description = (
        "one merged JUnit XML of every test in the run (flaky tests as Surefire writes them)"
    )
    default_output: str | None = None

    def write(self, run: Run, output: Path | None, ctx: RenderContext) -> list[Path]:
        import tempfile

        from testgate.adapters.junit import write_junit

        name = run.project or "testgate"
        if output is not None and str(output) != "-":
            output.parent.mkdir(parents=True, exist_ok=True)
            return [write_junit(run.tests, output, name=name)]
        with tempfile.TemporaryDirectory() as tmp:
            path = write_junit(run.tests, Path(tmp) / "junit.xml", name=name)
            return write_text(path.read_text(encoding="utf-8"), None)


@hookimpl
def testgate_register_renderers(registry: RendererRegistry) -> None:
    for r in (HtmlRenderer(), MarkdownRenderer(), BadgeRenderer(), JUnitRenderer()):
        registry.register(r)
