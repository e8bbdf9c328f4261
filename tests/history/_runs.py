"""Synthetic run histories for the history tests (seeded, so every run of the suite agrees)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from testgate.model import Coverage, FileCoverage, Run, TestCase, VcsInfo

HEALTHY = [f"test_ok_{i:02d}" for i in range(36)]
FLAKY = ["test_flaky_network", "test_flaky_timing", "test_flaky_order"]
BROKEN = "test_broken_parser"
BROKEN_AT = 19  # the run (0-based) whose commit broke it


def commit_of(i: int) -> str:
    return hashlib.sha1(f"commit-{i}".encode()).hexdigest()


def case(name: str, status: str = "passed", duration: float = 0.01, **kw: object) -> TestCase:
    return TestCase(
        suite="unit",
        classname="tests.test_app",
        name=name,
        status=status,
        duration_s=duration,
        file="tests/test_app.py",
        message="AssertionError: boom" if status in ("failed", "error") else None,
        **kw,  # type: ignore[arg-type]
    )


def tid(name: str) -> str:
    return f"tests.test_app::{name}"


@dataclass
class Suite:
    """30 runs: three tests failing at random (30 %), one broken from run BROKEN_AT."""

    runs: int = 30
    seed: int = 7
    rate: float = 0.3
    branch: str = "main"
    outages: set[int] = field(default_factory=set)
    #: from this run on, test_ok_01 takes 0.3 s instead of 0.011 s
    slow_from: int | None = None

    def build(self) -> list[Run]:
        rng = random.Random(self.seed)
        out = []
        for i in range(self.runs):
            tests = [case(n, duration=0.01 + 0.001 * (k % 5)) for k, n in enumerate(HEALTHY)]
            if self.slow_from is not None and i >= self.slow_from:
                tests[1].duration_s = 0.3
            for n in FLAKY:
                tests.append(case(n, "failed" if rng.random() < self.rate else "passed", 0.2))
            tests.append(case(BROKEN, "failed" if i >= BROKEN_AT else "passed", 0.05))
            if i in self.outages:  # the database was down: nearly everything failed
                for t in tests[:-5]:
                    t.status, t.message = "error", "ConnectionRefusedError: db"
            out.append(make_run(i, tests, branch=self.branch))
        return out


def make_run(
    i: int, tests: list[TestCase], *, branch: str = "main", commit: str | None = None
) -> Run:
    run = Run(
        id=f"run-{branch}-{i:03d}",
        project="demo",
        started_at=f"2026-03-01T10:{i // 60:02d}:{i % 60:02d}+00:00",
        finished_at=f"2026-03-01T11:{i // 60:02d}:{i % 60:02d}+00:00",
        vcs=VcsInfo(commit=commit or commit_of(i), branch=branch),
        tests=tests,
    )
    cov = Coverage()
    for path, covered, total in (
        ("src/app/core.py", 80, 100),
        ("src/auth/login.py", 30, 60),
        ("src/util/strings.py", 5, 40),
    ):
        lines = {n: (1 if n <= covered else 0) for n in range(1, total + 1)}
        cov.add(FileCoverage(path, lines=lines))
    run.coverage = cov
    run.finalize()
    return run
