"""The JUnit reader's fast path builds the same test cases as the general one."""

from __future__ import annotations

import copy
import dataclasses
import gc
import pickle
from pathlib import Path

import pytest

from testgate.adapters.junit import SUITE_LEVEL_NAME, read_junit
from testgate.model import TestCase


def _write(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "r.xml"
    f.write_text(f'<?xml version="1.0"?>\n<testsuites>{body}</testsuites>\n', encoding="utf-8")
    return f


def test_fast_case_sets_every_field(tmp_path: Path) -> None:
    # A childless case is built without TestCase.__init__: it must still equal one built so.
    f = _write(
        tmp_path,
        '<testsuite name="S"><testcase classname="pkg.C" name="t[1]" file="t.py" line="7"'
        ' time="0.5"/><testcase classname="pkg.C" name="u" status="disabled"/></testsuite>',
    )
    t, u = read_junit(f)
    report = str(f)
    assert t == TestCase("S", "pkg.C", "t[1]", "passed", 0.5, "t.py", 7, report=report)
    assert u == TestCase("S", "pkg.C", "u", "skipped", report=report)
    for tc in (t, u):  # every slot is set (a missing one raises AttributeError here)
        assert {fl.name: getattr(tc, fl.name) for fl in dataclasses.fields(TestCase)}


def test_shared_empty_properties_cannot_be_filled(tmp_path: Path) -> None:
    f = _write(tmp_path, '<testsuite name="S"><testcase name="a"/><testcase name="b"/></testsuite>')
    a, b = read_junit(f)
    assert a.properties == {}
    assert not a.properties
    with pytest.raises(TypeError):
        a.properties["k"] = "v"
    with pytest.raises(TypeError):
        a.properties.update(k="v")
    assert b.properties == {}
    a.properties = {"k": "v"}  # the way to give one test properties
    assert b.properties == {}
    for again in (copy.deepcopy(b), pickle.loads(pickle.dumps(b))):
        again.properties["k"] = "v"  # a copy owns an ordinary dict
        assert b.properties == {}


def test_suite_level_error_keeps_its_text_when_cases_follow(tmp_path: Path) -> None:
    f = _write(
        tmp_path,
        '<testsuite name="S"><error message="setUpClass failed">Traceback: boom</error>'
        '<testcase name="a"><failure message="x">trace a</failure></testcase>'
        '<testcase name="b"/></testsuite>',
    )
    by = {t.name: t for t in read_junit(f)}
    assert by[SUITE_LEVEL_NAME].trace == "Traceback: boom"
    assert by[SUITE_LEVEL_NAME].message == "setUpClass failed"
    assert by["a"].trace == "trace a"


def test_text_spanning_many_input_chunks_is_bounded(tmp_path: Path) -> None:
    # The reader drops uncollected text and caps collected text between input chunks.
    body = "line of a very long trace\n" * 200_000  # ~5 MB: many 256 KiB chunks
    f = _write(
        tmp_path,
        f'<testsuite name="S"><testcase name="a"><failure>{body}</failure></testcase>'
        + '<testcase name="b"/>' * 20_000
        + '<testcase name="c"><skipped>not today</skipped></testcase></testsuite>',
    )
    tests = read_junit(f)
    assert len(tests) == 20_002
    a, c = tests[0], tests[-1]
    assert a.status == "failed"
    assert a.message == "line of a very long trace"
    assert a.trace is not None
    assert a.trace.startswith("line of a very long trace\n")
    assert "more characters cut by testgate" in a.trace
    assert (c.status, c.message) == ("skipped", "not today")


def test_a_big_read_leaves_the_collector_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from testgate.adapters import junit

    monkeypatch.setattr(junit, "_AGE_AT", 2)  # "big" from two cases on
    f = _write(tmp_path, '<testsuite name="S"><testcase name="a"/><testcase name="b"/></testsuite>')
    assert gc.isenabled()
    tests = read_junit(f)
    assert gc.isenabled()
    young = {id(o) for o in gc.get_objects(0)}
    assert not any(id(t) in young for t in tests)  # aged at once, not walked as young
    assert gc.get_freeze_count() == 0
    # a process that froze objects itself keeps them frozen
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        read_junit(f)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_every_attribute_shape_reads_alike(tmp_path: Path) -> None:
    # The one-call readers cover the usual shapes; a same-sized other shape (a status in place
    # of the line, a class in place of the time) must still be read in full.
    f = _write(
        tmp_path,
        '<testsuite name="S">'
        '<testcase classname="C" name="a" file="f.py" line="3" time="1"/>'
        '<testcase classname="C" name="b" file="f.py" status="disabled" time="2"/>'
        '<testcase classname="C" name="c" file="f.py" line="4" time="3"/>'
        '<testcase name="d" classname="C" time="4"/>'
        '<testcase name="e" class="K" status="fail"/>'
        '<testcase name="f" classname="C" time="5"/>'
        '<testcase name="g" classname="C" duration="6" file="g.py" line="9"/>'
        "</testsuite>",
    )
    got = [(t.name, t.classname, t.status, t.duration_s, t.file, t.line) for t in read_junit(f)]
    assert got == [
        ("a", "C", "passed", 1.0, "f.py", 3),
        ("b", "C", "skipped", 2.0, "f.py", None),
        ("c", "C", "passed", 3.0, "f.py", 4),
        ("d", "C", "passed", 4.0, None, None),
        ("e", "K", "failed", 0.0, None, None),
        ("f", "C", "passed", 5.0, None, None),
        ("g", "C", "passed", 6.0, "g.py", 9),
    ]
