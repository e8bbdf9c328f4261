"""Which shard a CI machine runs, and what each kind of step does in it."""

from __future__ import annotations

import pytest

from testgate.errors import UsageError
from testgate.shard.ci import parse_shard
from testgate.shard.steps import add_shard_flag, github_matrix, junit_id, runner_kind


@pytest.mark.parametrize(
    ("env", "shards", "expected"),
    [
        ({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "3"}, None, (2, 3)),  # GitLab, 1-based
        ({"CI_NODE_TOTAL": "1"}, None, (1, 1)),  # GitLab without parallel:
        ({"BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "4"}, None, (1, 4)),
        ({"CIRCLE_NODE_INDEX": "3", "CIRCLE_NODE_TOTAL": "4"}, None, (4, 4)),
        ({"JOB_COMPLETION_INDEX": "0"}, 5, (1, 5)),  # Kubernetes Indexed Job, 0-based
    ],
)
def test_auto_reads_each_ci(
    env: dict[str, str], shards: int | None, expected: tuple[int, int]
) -> None:
    spec = parse_shard("auto", env, shards)
    assert (spec.index, spec.total) == expected


def test_explicit_and_bad_shards() -> None:
    assert str(parse_shard("2/4")) == "2/4"
    for bad in ("0/4", "5/4", "2", "a/b", "1/0"):
        with pytest.raises(UsageError, match="shard"):
            parse_shard(bad)
    with pytest.raises(UsageError, match="--shards N"):
        parse_shard("auto", {"JOB_COMPLETION_INDEX": "1"})
    with pytest.raises(UsageError, match="no CI shard variables"):
        parse_shard("auto", {})
    with pytest.raises(UsageError, match="not a whole number"):
        parse_shard("auto", {"CIRCLE_NODE_INDEX": "x", "CIRCLE_NODE_TOTAL": "2"})


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("pytest -q tests", "pytest"),
        ("python -m pytest", "pytest"),
        (".venv/bin/pytest --cov=src", "pytest"),
        ("cd web && npx jest --ci", "flag"),
        ("npx vitest run", "flag"),
        ("npx playwright test", "flag"),
        (["npx", "jest"], "flag"),
        ("pip install pytest-split && make lint", None),
        ("ruff check .", None),
    ],
)
def test_runner_kind(command: str | list[str], kind: str | None) -> None:
    assert runner_kind(command) == kind


def test_shard_flag_goes_right_after_the_runner() -> None:
    assert add_shard_flag("npx jest --ci && echo done", 2, 3) == (
        "npx jest --shard=2/3 --ci && echo done"
    )
    assert add_shard_flag(["npx", "playwright", "test", "-x"], 1, 2) == [
        "npx",
        "playwright",
        "test",
        "--shard=1/2",
        "-x",
    ]


def test_junit_id_is_what_pytests_junit_xml_writes() -> None:
    assert (
        junit_id("tests/test_a.py::TestX::test_y[a/b::c]") == "tests.test_a.TestX::test_y[a/b::c]"
    )
    assert junit_id("test_top.py::test_t") == "test_top::test_t"


def test_github_matrix() -> None:
    assert github_matrix(2) == {
        "include": [
            {"shard": "1/2", "index": 1, "total": 2},
            {"shard": "2/2", "index": 2, "total": 2},
        ]
    }
