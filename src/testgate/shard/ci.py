"""Which shard this machine runs: ``--shard I/N``, or ``--shard auto`` from the CI's variables.

===========================================  ===========  =====================================
CI                                           index base   variables
===========================================  ===========  =====================================
GitLab ``parallel:``                         1-based      ``CI_NODE_INDEX``, ``CI_NODE_TOTAL``
Buildkite ``parallelism:``                   0-based      ``BUILDKITE_PARALLEL_JOB``,
                                                          ``BUILDKITE_PARALLEL_JOB_COUNT``
CircleCI ``parallelism:``                    0-based      ``CIRCLE_NODE_INDEX``,
                                                          ``CIRCLE_NODE_TOTAL``
Kubernetes Indexed Job                       0-based      ``JOB_COMPLETION_INDEX`` + ``--shards N``
GitHub Actions matrix                        (pass ``--shard ${{ matrix.shard }}/N`` yourself)
===========================================  ===========  =====================================

testgate's own shard numbers are 1-based everywhere (like pytest-split's ``--group``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from testgate.errors import UsageError

__all__ = ["ShardSpec", "detect_shard", "parse_shard"]

_SLASH = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class ShardSpec:
    """Shard *index* of *total* (1-based), and where that came from."""

    index: int
    total: int
    source: str = "--shard"

    def __post_init__(self) -> None:
        if self.total < 1 or not 1 <= self.index <= self.total:
            raise UsageError(
                f"{self.source}: shard {self.index}/{self.total} does not exist; expected "
                "I/N with 1 <= I <= N (shards are numbered from 1)",
                slug="shard-spec",
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def _int(env: Mapping[str, str], name: str) -> int:
    value = env.get(name, "").strip()
    if not value.lstrip("-").isdigit():
        raise UsageError(f"--shard auto: {name}={value!r} is not a whole number", slug="shard-spec")
    return int(value)


def detect_shard(env: Mapping[str, str], shards: int | None = None) -> ShardSpec:
    """The shard the CI's variables name (see the module's table); *shards* is the total
    for a Kubernetes Indexed Job, whose pods only know their own index."""
    if env.get("CI_NODE_INDEX") or env.get("CI_NODE_TOTAL"):
        total = _int(env, "CI_NODE_TOTAL")
        index = _int(env, "CI_NODE_INDEX") if env.get("CI_NODE_INDEX") else 1
        return ShardSpec(index, total, "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)")
    if env.get("BUILDKITE_PARALLEL_JOB_COUNT"):
        index = _int(env, "BUILDKITE_PARALLEL_JOB") + 1
        total = _int(env, "BUILDKITE_PARALLEL_JOB_COUNT")
        return ShardSpec(index, total, "BUILDKITE_PARALLEL_JOB/_COUNT (Buildkite)")
    if env.get("CIRCLE_NODE_TOTAL"):
        index = _int(env, "CIRCLE_NODE_INDEX") + 1
        total = _int(env, "CIRCLE_NODE_TOTAL")
        return ShardSpec(index, total, "CIRCLE_NODE_INDEX/_TOTAL (CircleCI)")
    if env.get("JOB_COMPLETION_INDEX"):
        if shards is None:
            raise UsageError(
                "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the "
                "number of shards is not: add --shards N (the Job's completions)",
                slug="shard-spec",
            )
        index = _int(env, "JOB_COMPLETION_INDEX") + 1
        return ShardSpec(index, shards, "JOB_COMPLETION_INDEX (Kubernetes Indexed Job)")
    raise UsageError(
        "--shard auto: no CI shard variables found (CI_NODE_INDEX/CI_NODE_TOTAL, "
        "BUILDKITE_PARALLEL_JOB/_COUNT, CIRCLE_NODE_INDEX/_TOTAL or JOB_COMPLETION_INDEX); "
        "pass --shard I/N instead (GitHub Actions: --shard ${{ matrix.shard }}/N)",
        slug="shard-spec",
    )


def parse_shard(
    value: str, env: Mapping[str, str] | None = None, shards: int | None = None
) -> ShardSpec:
    """``I/N`` (1-based) or ``auto``."""
    if value.strip().lower() == "auto":
        spec = detect_shard(env or {}, shards)
        if shards is not None and spec.total != shards:
            raise UsageError(
                f"--shard auto: {spec.source} says {spec.total} shards but --shards says {shards}",
                slug="shard-spec",
            )
        return spec
    m = _SLASH.match(value)
    if m is None:
        raise UsageError(
            f"--shard {value!r}: expected I/N (e.g. 2/4, shards numbered from 1) or 'auto'",
            slug="shard-spec",
        )
    return ShardSpec(int(m.group(1)), int(m.group(2)))
