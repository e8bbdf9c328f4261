"""GitHub Actions workflow commands for a run: ``::error file=…,line=…::`` on the failed tests,
the failing gate criteria and the findings, so that they show on the run page and beside the
pull request's diff.

GitHub shows at most 10 error and 10 warning annotations per step (50 per job), so the order
matters: failing criteria first, then failed tests, then findings by severity; past
:data:`MAX_ANNOTATIONS` a notice says how many were left out. Messages and properties are escaped
as GitHub's workflow-command rules ask (``%``, CR, LF; ``:`` and ``,`` in properties), so a
test name cannot start a command of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from testgate.model import Run
from testgate.report.review import (
    Issue,
    ReviewSource,
    failed_test_issues,
    finding_issues,
    gate_issues,
)
from testgate.report.verdict import github_escape_data, github_escape_property

if TYPE_CHECKING:
    from testgate.history.view import HistoryView

__all__ = ["MAX_ANNOTATIONS", "render_github_annotations"]

#: annotations written at most (GitHub keeps 50 per job)
MAX_ANNOTATIONS = 50

_KIND = {"error": "error", "warning": "warning", "note": "notice"}
_ORDER = {"error": 0, "warning": 1, "note": 2}


def _command(issue: Issue, title: str) -> str:
    props = []
    if issue.path and not issue.path.startswith("/"):
        props.append(f"file={github_escape_property(issue.path)}")
        if issue.line:
            props.append(f"line={issue.line}")
    props.append(f"title={github_escape_property(title)}")
    return f"::{_KIND[issue.level]} {','.join(props)}::{github_escape_data(issue.message)}"


def _test_title(issue: Issue, marks: dict[str, dict[str, Any]]) -> str:
    mk = marks.get(issue.properties.get("test", ""))
    return f"testgate: failed test ({mk['text']})" if mk else "testgate: failed test"


def render_github_annotations(
    run: Run, *, source: ReviewSource | None = None, history: HistoryView | None = None
) -> str:
    """Workflow commands for the run's failing criteria, failed tests and findings; with
    *history*, a failed test's title carries its history mark (new, broken since, flaky...)."""
    from testgate.report.data import history_marks

    marks = history_marks(run, history)
    ordered: list[tuple[Issue, str]] = [
        (i, f"testgate gate {i.properties.get('gate', '')}".rstrip())
        for i in gate_issues(run, source)
    ]
    ordered += [(i, _test_title(i, marks)) for i in failed_test_issues(run, source)]
    findings = sorted(finding_issues(run, source), key=lambda i: _ORDER[i.level])
    ordered += [(i, f"{i.tool} {i.rule.split('/', 1)[-1]}") for i in findings]
    lines = [_command(issue, title) for issue, title in ordered[:MAX_ANNOTATIONS]]
    left = ordered[MAX_ANNOTATIONS:]
    if left:
        tests = sum(1 for i, _ in left if i.kind == "test")
        found = sum(1 for i, _ in left if i.kind == "finding")
        lines.append(
            "::notice title=testgate::"
            + github_escape_data(
                f"{len(left)} more not annotated ({tests} failed tests, {found} findings): "
                "GitHub shows at most 50 annotations per job; the step summary and the HTML "
                "report list them all"
            )
        )
    m = run.metrics
    parts = []
    if "tests.total" in m:
        parts.append(f"{int(m['tests.total'])} tests, {int(m.get('tests.failed', 0))} failed")
    if run.verdict is not None:
        parts.append(f"gates: {'PASS' if run.verdict.passed else 'FAIL'}")
    if parts:
        lines.append(f"::notice title=testgate::{github_escape_data('; '.join(parts))}")
    return "\n".join(lines) + ("\n" if lines else "")
