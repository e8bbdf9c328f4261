"""coverage.py's Cobertura layout is read from the text (regular expressions, no Python call
per element); everything else goes to the parser target. Both readers must give the same
result, and a report that is not well-formed XML must fail as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from testgate.adapters import cobertura
from testgate.adapters.cobertura import read_cobertura
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Coverage

FIXTURES = Path(__file__).parents[1] / "fixtures" / "coverage"
CORPUS = Path(__file__).parents[1] / "corpus" / "coverage"
#: reports written by coverage.py itself (6.3, 7.x)
COVERAGEPY = [
    CORPUS / "coveragepy__cobertura.xml",
    FIXTURES / "coveragepy__cobertura-missing-branches.xml",
]
#: coverage.py 3.6 (attributes in another order) and a 7.0.5 report re-indented by a formatter
OTHER_SHAPES = [
    FIXTURES / "coveragepy-7.0.5__cobertura-no-decl.xml",
    FIXTURES / "coveragepy36__cobertura-coverage-03.xml",
    FIXTURES / "gcovr__cobertura-virtual-classes.xml",
    FIXTURES / "istanbul-cobertura__typescript.xml",
]


def _read(path: Path) -> Coverage:
    return read_cobertura(path, ReadContext(root=path.parent)).coverage


def _by_parser_target(path: Path, tmp_path: Path) -> Coverage:
    """The same report with a comment among its classes, which the text path never reads."""
    text = path.read_text(encoding="utf-8")
    at = text.index("</class>") + len("</class>")
    other = tmp_path / path.name
    other.write_text(text[:at] + "<!-- x -->" + text[at:], encoding="utf-8")
    assert cobertura._read_text(other) is None
    return _read(other)


def _same(a: Coverage, b: Coverage) -> None:
    assert a.files.keys() == b.files.keys()
    for name, fa in a.files.items():
        fb = b.files[name]
        assert (fa.lines, fa.branches, fa.missing_branches) == (
            fb.lines,
            fb.branches,
            fb.missing_branches,
        ), name
    assert a.totals() == b.totals()


@pytest.mark.parametrize("path", COVERAGEPY, ids=lambda p: p.name)
def test_coveragepy_reports_take_the_text_path_and_read_the_same(
    path: Path, tmp_path: Path
) -> None:
    assert cobertura._read_text(path) is not None
    _same(_read(path), _by_parser_target(path, tmp_path))


@pytest.mark.parametrize("path", OTHER_SHAPES, ids=lambda p: p.name)
def test_other_shapes_go_to_the_parser_target(path: Path) -> None:
    assert cobertura._read_text(path) is None


def test_chunk_boundaries_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = FIXTURES / "coveragepy__cobertura-missing-branches.xml"
    whole = _read(path)
    for size in (7, 64, 97, 1000):
        monkeypatch.setattr(cobertura, "_TEXT_CHUNK", size)
        assert cobertura._read_text(path) is not None
        _same(_read(path), whole)


def _report(classes: str) -> str:
    return (
        '<?xml version="1.0" ?>\n<coverage version="7.6.1" line-rate="0.5" branch-rate="0.5">\n'
        "<sources><source>/src</source></sources>\n"
        '<packages><package name="."><classes>\n' + classes + "\n</classes></package>"
        "</packages></coverage>\n"
    )


SHAPED = (
    '<class name="a.py" filename="a.py"><methods/><lines>\n'
    '<line number="1" hits="1"/>\n<line number="2" hits="0"/>\n'
    '<line number="3" hits="2" branch="true" condition-coverage="50% (1/2)" '
    'missing-branches="5"/>\n</lines></class>\n'
    # one file over two classes, and a line listed twice: merged as the parser target merges
    '<class name="a2" filename="a.py"><methods/><lines>\n'
    '<line number="2" hits="4"/><line number="9" hits="0"/><line number="9" hits="3"/>\n'
    '<line number="3" hits="1" branch="true" condition-coverage="100% (2/2)"/>\n'
    "</lines></class>\n"
    '<class name="b.py" filename=""><methods/><lines/></class>\n'
)


@pytest.mark.parametrize(
    ("classes", "text_path"),
    [
        (SHAPED, True),
        # another producer's attribute order (gcovr, istanbul): the parser target
        (SHAPED.replace('<line number="1" hits="1"/>', '<line hits="1" number="1"/>'), False),
        (SHAPED.replace('filename="a.py"', 'filename="a&amp;b.py"', 1), False),
        (
            SHAPED.replace(
                "<methods/>",
                '<methods><method name="f"><lines>'
                '<line number="1" hits="1"/></lines></method></methods>',
                1,
            ),
            False,
        ),
        (SHAPED.replace("</lines></class>", "</lines><![CDATA[<line>]]></class>", 1), False),
        (SHAPED.replace('hits="0"', 'hits="0.0"', 1), False),
        (SHAPED.replace("<class ", "<class\n"), False),  # no class the text path knows
        (SHAPED.replace('name="a2" ', 'name="a2" x="1>2" '), False),  # '>' in a value
    ],
)
def test_same_result_whichever_path(classes: str, text_path: bool, tmp_path: Path) -> None:
    path = tmp_path / "coverage.xml"
    path.write_text(_report(classes), encoding="utf-8")
    assert (cobertura._read_text(path) is not None) is text_path
    got = _read(path)
    (tmp_path / "x").mkdir()
    _same(got, _by_parser_target(path, tmp_path / "x"))
    if text_path:
        assert got.files["a.py"].lines == {1: 1, 2: 4, 3: 2, 9: 3}
        assert got.files["a.py"].branches == {3: (2, 2)}
        assert set(got.files) == {"a.py", "b.py"}


def test_another_encoding_goes_to_the_parser(tmp_path: Path) -> None:
    path = tmp_path / "coverage.xml"
    text = _report(SHAPED.replace("a.py", "\u00e4.py")).replace(
        '<?xml version="1.0" ?>', '<?xml version="1.0" encoding="ISO-8859-1"?>'
    )
    path.write_bytes(text.encode("latin-1"))
    assert cobertura._read_text(path) is None
    assert "\u00e4.py" in _read(path).files


@pytest.mark.parametrize(
    "text",
    [
        _report(SHAPED)[:-40],  # truncated
        _report(SHAPED).replace("</lines></class>", "</line></class>", 1),  # mismatched tags
        _report(SHAPED).replace('hits="1"/>', 'hits="1"/', 1),
    ],
)
def test_a_malformed_report_fails_as_before(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "coverage.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="malformed XML") as got:
        _read(path)
    monkeypatch.setattr(cobertura, "_read_text", lambda _path: None)  # the parser target alone
    with pytest.raises(InputError) as before:
        _read(path)
    assert str(got.value) == str(before.value)


def test_entities_are_refused_before_anything_is_read(tmp_path: Path) -> None:
    path = tmp_path / "coverage.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE coverage [<!ENTITY x "y">]>\n'
        + _report(SHAPED).split("\n", 1)[1],
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="refused"):
        _read(path)
