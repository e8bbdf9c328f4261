"""Write a random run as JUnit XML, read it back: the same tests come out."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from testgate.adapters.junit import read_junit
from testgate.model import TestCase
from testgate.report.junit import write_junit

# Every character XML 1.0 can hold (no control characters, surrogates or non-characters),
# with the ones that need escaping made likely.
_chars = st.one_of(
    st.characters(blacklist_categories=("Cs", "Cc", "Cn")),
    st.sampled_from(["<", ">", "&", '"', "'", "]]>", "\n", "\t", "\r", "&amp;", "&#38;", "é"]),
)
text = st.lists(_chars, max_size=12).map("".join)
nonempty = text.filter(bool)
trace = text.map(str.strip).filter(bool)


@st.composite
def junit_cases(draw: st.DrawFn) -> TestCase:
    status = draw(st.sampled_from(["passed", "failed", "error", "skipped"]))
    flaky = status == "passed" and draw(st.booleans())
    if status in ("failed", "error"):
        message: str | None = draw(nonempty)
        tr: str | None = draw(st.none() | trace)
        attempts = draw(st.integers(1, 4))
    elif status == "skipped":
        message, tr, attempts = draw(st.none() | nonempty), None, 1
    elif flaky:
        message, tr = draw(st.none() | nonempty), draw(st.none() | trace)
        attempts = draw(st.integers(2, 4))
    else:
        message, tr, attempts = None, None, 1
    return TestCase(
        suite=draw(st.sampled_from(["", "suite-a", 'Suite <&> "b"']) | text),
        classname=draw(text),
        name=draw(text),
        status=status,
        duration_s=draw(st.floats(0, 1e6, allow_nan=False, allow_infinity=False)),
        file=draw(st.none() | text),
        line=draw(st.none() | st.integers(0, 10**6)),
        message=message,
        trace=tr,
        attempts=attempts,
        flaky=flaky,
        properties=draw(st.dictionaries(nonempty, text, max_size=2)),
    )


def _key(t: TestCase) -> str:
    # one test id in one report is one test (its entries are attempts), so the round trip is
    # over distinct ids: two cases differing only in their suite are one test by design
    return t.id


@settings(max_examples=100, deadline=None)
@given(st.lists(junit_cases(), max_size=25, unique_by=_key))
def test_junit_round_trip(tests: list[TestCase]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "junit.xml"
        write_junit(tests, path)
        back = read_junit(path)
    for t in back:
        assert t.report == str(path)
        t.report = None
    assert back == tests


def test_writer_escapes_what_xml_cannot_hold(tmp_path: Path) -> None:
    t = TestCase("s", "c", "bell\x07 and \ud800", status="failed", message="m\x00")
    path = write_junit([t], tmp_path / "j.xml")
    (back,) = read_junit(path)
    assert back.name == "bell\ufffd and \ufffd"
    assert back.message == "m\ufffd"
