"""Bad input to the formats added for issue 11: one error naming the file and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError

CASES = [
    (
        "jest.json",
        '{"numTotalTests": 1, "testResults": [{"name": "a.test.js", "assertionResults": [5]}]}',
        None,
        "testResults[0].assertionResults[0] is not an object",
    ),
    (
        "final.json",
        '{"/x.js": {"statementMap": {"0": {"start": {"line": 1}}}, "s": {"0": -3}, "fnMap": {}}}',
        None,
        "must be a hit count (a whole number >= 0), got -3",
    ),
    (
        "summary.json",
        '{"total": {"lines": {"total": 2, "covered": 5, "pct": 250}, "statements": {}}}',
        None,
        "total.lines must have whole numbers 0 <= covered <= total",
    ),
    (
        "cx.json",
        '[{"complexity": "high", "function_name": "f", "file_name": "a.py"}]',
        None,
        "[0].complexity must be a whole number >= 0, got 'high'",
    ),
    (
        "interrogate.txt",
        "RESULT: FAILED (minimum: 80.0%, actual: )\n",
        "interrogate",
        "not an interrogate report",
    ),
    ("docstr.txt", "nothing to see\n", "docstr-coverage", "not a docstr-coverage report"),
    ("trunc.json", '{"numTotalTests": 1, "testResults": [', "jest-json", "truncated JSON"),
]


@pytest.mark.parametrize(("name", "text", "fmt", "says"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_error_naming_the_file(
    tmp_path: Path, name: str, text: str, fmt: str | None, says: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        read_report(path, format=fmt, ctx=ReadContext(root=tmp_path))
    assert str(exc.value).startswith(str(path))
    assert says in str(exc.value)


def test_html_in_a_jest_test_name_is_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "jest.json"
    path.write_text(
        '{"numTotalTests": 1, "testResults": [{"name": "a.test.js", "assertionResults": '
        '[{"ancestorTitles": ["<b>x</b>"], "title": "<script>alert(1)</script>", '
        '"status": "failed", "failureMessages": ["\\u001b[31mboom\\u001b[39m"]}]}]}'
    )
    data, _ = read_report(path, ctx=ReadContext(root=tmp_path))
    (tc,) = data.tests
    assert (tc.classname, tc.name, tc.message) == ("<b>x</b>", "<script>alert(1)</script>", "boom")
