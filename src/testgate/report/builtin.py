"""testgate's own renderers, registered through the same hook a plugin uses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.errors import UsageError
from testgate.hookspec import hookimpl
from testgate.model import Run
from testgate.report.registry import RenderContext, RendererRegistry, write_text
from testgate.verdict import Verdict

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig

__all__ = [
    "BadgeRenderer",
    "HtmlRenderer",
    "JUnitRenderer",
    "MarkdownRenderer",
    "ReviewRenderer",
    "VerdictRenderer",
]


class HtmlRenderer:
    name = "html"
    description = "one self-contained HTML file that works offline"
    default_output: str | None = "report.html"

    def write(self, run: Run, output: Path | None, ctx: RenderContext) -> list[Path]:
        from testgate.report.html import render_html

        html = render_html(run, history=ctx.history, logs=ctx.logs, dashboard_url=ctx.dashboard_url)
        return write_text(html, output or Path(self.default_output or "report.html"))


class MarkdownRenderer:
    name = "markdown"
    description = "Markdown for pull-request comments and $GITHUB_STEP_SUMMARY"
    default_output: str | None = None

    def write(self, run: Run, output: Path | None, ctx: RenderContext) -> list[Path]:
        from testgate.report.markdown import render_markdown

        return write_text(render_markdown(run, history=ctx.history), output, append=ctx.append)


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

        from testgate.report.data import history_marks
        from testgate.report.junit import write_junit

        name = run.project or "testgate"
        # each failed test's history mark, where GitLab's and Jenkins' test views show it
        marks = history_marks(run, ctx.history) if ctx.history is not None else None
        if output is not None and str(output) != "-":
            output.parent.mkdir(parents=True, exist_ok=True)
            return [write_junit(run.tests, output, name=name, marks=marks)]
        with tempfile.TemporaryDirectory() as tmp:
            path = write_junit(run.tests, Path(tmp) / "junit.xml", name=name, marks=marks)
            return write_text(path.read_text(encoding="utf-8"), None)


class VerdictRenderer:
    """The gate verdict of a run in one format (``testgate gate --format``)."""

    default_output: str | None = None

    def __init__(self, name: str, description: str, fn: Callable[[Verdict], str]) -> None:
        self.name = name
        self.description = description
        self._fn = fn

    def write(self, run: Run, output: Path | None, ctx: RenderContext) -> list[Path]:
        if run.verdict is None:
            raise UsageError(
                f"format {self.name!r} renders the gate verdict, and run {run.id} has none "
                "(the configuration has no gates, or they were not evaluated)",
                slug="no-verdict",
            )
        if self.name == "gate-text":
            from testgate.report.verdict import render_text

            text = render_text(run.verdict, color=ctx.color and output is None)
        else:
            text = self._fn(run.verdict)
        return write_text(text, output, append=ctx.append)


class ReviewRenderer:
    """Failing gate criteria and findings (and, for GitHub, failed tests) in a format that code
    review tools show: SARIF, GitLab Code Quality, Checkstyle, GitHub annotations."""

    default_output: str | None = None

    def __init__(self, name: str, description: str, module: str, function: str) -> None:
        self.name = name
        self.description = description
        self._module = module
        self._function = function

    def write(self, run: Run, output: Path | None, ctx: RenderContext) -> list[Path]:
        import importlib

        from testgate.report.review import review_source

        fn = getattr(importlib.import_module(self._module), self._function)
        source = review_source(ctx.config or _find_config())
        # the GitHub annotations of failed tests carry their history marks
        extra = {"history": ctx.history} if self.name == "github" else {}
        text: str = fn(run, source=source, **extra)
        return write_text(text, output, append=ctx.append)


def _find_config() -> LoadedConfig | None:
    """The configuration of the working directory, when there is a valid one."""
    from testgate.config.loader import find_config, load_config
    from testgate.errors import TestgateError

    try:
        return load_config(find_config())
    except TestgateError:
        return None


def _review_renderers() -> list[ReviewRenderer]:
    return [
        ReviewRenderer(
            "sarif",
            "SARIF 2.1.0 of failing gate criteria and findings (GitHub code scanning, Jenkins)",
            "testgate.report.sarif",
            "render_sarif",
        ),
        ReviewRenderer(
            "codequality",
            "GitLab Code Quality JSON of failing gate criteria and findings",
            "testgate.report.codequality",
            "render_codequality",
        ),
        ReviewRenderer(
            "checkstyle",
            "Checkstyle XML of failing gate criteria and findings",
            "testgate.report.checkstyle",
            "render_checkstyle",
        ),
        ReviewRenderer(
            "github",
            "GitHub Actions annotations (::error file=,line=) for failed tests, gates, findings",
            "testgate.report.annotations",
            "render_github_annotations",
        ),
    ]


def _verdict_renderers() -> list[VerdictRenderer]:
    from testgate.report import verdict as v

    return [
        VerdictRenderer("gate-text", "the gate verdict as a text table", v.render_text),
        VerdictRenderer(
            "gate-json", "the gate verdict as JSON (testgate.verdict/1)", v.render_json
        ),
        VerdictRenderer(
            "gate-markdown", "the gate verdict as Markdown (pull requests)", v.render_markdown
        ),
        VerdictRenderer(
            "gate-github", "GitHub workflow annotations for failing criteria", v.render_github
        ),
        VerdictRenderer(
            "gate-junit", "JUnit XML with one test case per gate criterion", v.render_junit
        ),
    ]


@hookimpl
def testgate_register_renderers(registry: RendererRegistry) -> None:
    for r in (HtmlRenderer(), MarkdownRenderer(), BadgeRenderer(), JUnitRenderer()):
        registry.register(r)
    for vr in _verdict_renderers():
        registry.register(vr)
    for rr in _review_renderers():
        registry.register(rr)
