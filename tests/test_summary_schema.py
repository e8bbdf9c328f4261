"""The summary's shape is described once: its JSON Schema, which the model must match exactly.

The writers and readers stay hand-written (they are the streaming hot path of a million-test
summary), so these tests bind them to the schema: every field of every model class is in the
schema and every property of the schema is a field; anything the writers produce validates
(the schema refuses unknown keys everywhere); and reading what was written gives it back, both
through ``from_dict`` and through the streamed ``summary.json``.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testgate.model import (
    CiInfo,
    Coverage,
    FileCoverage,
    Finding,
    ReportRef,
    Run,
    StepResult,
    TestCase,
    VcsInfo,
    read_summary,
    write_summary,
)
from testgate.schemas import summary_schema

SCHEMA = summary_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# model class -> (its definition in the schema, model field -> schema key where they differ,
# schema keys that are derived rather than stored)
SHAPES: dict[type, tuple[dict[str, Any], dict[str, str], set[str]]] = {
    TestCase: (SCHEMA["$defs"]["test"], {"test_id": "id"}, set()),
    StepResult: (SCHEMA["$defs"]["step"], {}, set()),
    Finding: (SCHEMA["$defs"]["finding"], {}, set()),
    ReportRef: (SCHEMA["$defs"]["report"], {}, set()),
    # lines are written as the covered and the missed line numbers
    FileCoverage: (
        SCHEMA["$defs"]["file_coverage"],
        {"lines": "covered"},
        {"missed"},
    ),
    Coverage: (SCHEMA["$defs"]["coverage"], {}, {"totals"}),
    VcsInfo: (SCHEMA["$defs"]["run"]["properties"]["vcs"], {}, set()),
    CiInfo: (SCHEMA["$defs"]["run"]["properties"]["ci"], {}, set()),
}

# Run's fields are split between the document's top level and its "run" object
RUN_TOP = {"steps", "tests", "coverage", "findings", "metrics", "verdict", "quarantine"}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        return _resolve(SCHEMA["$defs"][ref.rsplit("/", 1)[1]])
    return node


def test_every_model_field_is_in_the_schema_and_nothing_else() -> None:
    for cls, (node, renamed, derived) in SHAPES.items():
        props = set(_resolve(node)["properties"])
        # a FileCoverage's path is its key in coverage.files
        fields = {
            renamed.get(f.name, f.name)
            for f in dataclasses.fields(cls)
            if not (cls is FileCoverage and f.name == "path")
        }
        assert fields | derived == props, cls.__name__
    run_fields = {f.name for f in dataclasses.fields(Run)}
    top = set(SCHEMA["properties"]) - {"schema", "run"}
    inner = set(SCHEMA["$defs"]["run"]["properties"])
    assert run_fields == (top & RUN_TOP) | inner
    assert top == RUN_TOP


_text = st.text(max_size=12)
_opt_text = st.none() | _text
_opt_int = st.none() | st.integers(min_value=0, max_value=10**6)
_floats = st.floats(min_value=0, max_value=1e6, allow_nan=False)
_metric_names = st.from_regex(r"[a-z][a-z0-9_.]{0,12}", fullmatch=True)

tests = st.builds(
    TestCase,
    suite=_text,
    classname=_text,
    name=_text,
    status=st.sampled_from(["passed", "failed", "error", "skipped"]),
    duration_s=_floats,
    file=_opt_text,
    line=_opt_int,
    message=_opt_text,
    trace=_opt_text,
    attempts=st.integers(min_value=1, max_value=5),
    flaky=st.booleans(),
    properties=st.dictionaries(_text, _text, max_size=2),
    step=_opt_text,
    report=_opt_text,
    test_id=_opt_text,
    category=_opt_text,
    fingerprint=_opt_text,
    teardown_error=_opt_text,
)
steps = st.builds(
    StepResult,
    stage=_text,
    name=_text,
    status=st.sampled_from(["passed", "failed", "timed_out", "skipped", "cancelled"]),
    exit_code=st.none() | st.integers(min_value=-15, max_value=255),
    attempts=st.integers(min_value=0, max_value=3),
    duration_s=_floats,
    log=_opt_text,
    reports=st.lists(_text, max_size=2),
    reason=_opt_text,
    command=_opt_text,
    started_at=st.none() | st.just("2026-12-04T10:00:00+00:00"),
    cached=st.booleans(),
    retried_on=_opt_text,
)
findings = st.builds(
    Finding,
    tool=_text,
    rule=_text,
    severity=st.sampled_from(["critical", "high", "medium", "low", "info"]),
    message=_text,
    category=st.sampled_from(["vulnerability", "secret", "lint", "license"]),
    path=_opt_text,
    line=_opt_int,
    package=_opt_text,
    version=_opt_text,
    fixed_in=_opt_text,
    aliases=st.lists(_text, max_size=2).map(tuple),
)


@st.composite
def file_coverages(draw: st.DrawFn, path: str) -> FileCoverage:
    numbers = draw(st.lists(st.integers(min_value=1, max_value=500), unique=True, max_size=8))
    lines = {n: draw(st.sampled_from([0, 1])) for n in numbers}
    branches: dict[int, tuple[int, int]] = {}
    missing: dict[int, frozenset[str]] = {}
    for n in numbers[:3]:
        total = draw(st.integers(min_value=1, max_value=4))
        covered = draw(st.integers(min_value=0, max_value=total))
        branches[n] = (covered, total)
        if 0 < covered < total:
            missing[n] = frozenset(draw(st.lists(_text, min_size=1, max_size=2)))
    return FileCoverage(path, lines, branches, missing)


@st.composite
def runs(draw: st.DrawFn) -> Run:
    names = st.from_regex(r"[a-z]{1,6}\.py", fullmatch=True)
    paths = draw(st.lists(names, unique=True, max_size=3))
    coverage = Coverage({p: draw(file_coverages(p)) for p in paths})
    reports = draw(
        st.lists(
            st.builds(
                ReportRef,
                path=_text,
                format=_text,
                kind=st.sampled_from(["tests", "coverage", "perf", "security", "lint"]),
                step=_opt_text,
                metrics=st.dictionaries(_metric_names, _floats, max_size=2),
            ),
            max_size=2,
        )
    )
    return Run(
        id=draw(st.from_regex(r"[0-9a-f]{8}", fullmatch=True)),
        project=draw(_text),
        started_at=draw(st.none() | st.just("2026-12-04T10:00:00+00:00")),
        finished_at=draw(st.none() | st.just("2026-12-04T10:01:00+00:00")),
        vcs=VcsInfo(draw(_opt_text), draw(_opt_text), draw(_opt_text)),
        ci=CiInfo(
            draw(_opt_text),
            draw(_opt_text),
            draw(_opt_int),
            draw(_opt_int),
            draw(_opt_text),
        ),
        steps=draw(st.lists(steps, max_size=3)),
        tests=draw(st.lists(tests, max_size=5)),
        coverage=coverage,
        findings=draw(st.lists(findings, max_size=3)),
        metrics=draw(st.dictionaries(_metric_names, _floats, max_size=3)),
        reports=reports,
        interrupted=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_what_is_written_validates_and_reads_back_the_same(run: Run) -> None:
    written = run.to_dict()
    errors = sorted(VALIDATOR.iter_errors(written), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:3]]
    assert Run.from_dict(written).to_dict() == written
    with tempfile.TemporaryDirectory() as tmp:
        path = write_summary(run, Path(tmp) / "summary.json")
        assert read_summary(path).to_dict() == written
