from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from testgate import workflow
from testgate.config.loader import load_config
from testgate.pipeline.runner import PipelineOutcome, RunOptions, execute_pipeline
from testgate.testing import Project

# A step that records when it starts and ends (O_APPEND writes of one line are atomic).
STAMP_SH = """\
echo "$1 start $(date +%s.%N)" >> times.txt
sleep "$2"
echo "$1 end $(date +%s.%N)" >> times.txt
"""


def intervals(root: Path) -> dict[str, tuple[float, float]]:
    """name -> (start, end) from times.txt."""
    starts: dict[str, float] = {}
    out: dict[str, tuple[float, float]] = {}
    for line in (root / "times.txt").read_text().splitlines():
        name, what, at = line.split()
        if what == "start":
            starts[name] = float(at)
        else:
            out[name] = (starts[name], float(at))
    return out


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def pid_alive(pid: int) -> bool:
    """Whether *pid* runs; a zombie counts as gone (it only waits to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


@pytest.fixture
def stamp_project(project: Project) -> Project:
    project.write("stamp.sh", STAMP_SH)
    return project


Runner = Callable[..., PipelineOutcome]


@pytest.fixture
def run_lib(project: Project) -> Runner:
    """Run the project's pipeline through the library (short kill grace, no signal handlers)."""

    def run(**kw: object) -> PipelineOutcome:
        loaded = load_config(project.root / "testgate.yaml")
        opts = RunOptions(grace=kw.pop("grace", 0.5), **kw)  # type: ignore[arg-type]
        outcome = execute_pipeline(loaded, opts)
        # the one exit code, as testgate run decides it
        execution = workflow.Execution(
            run=outcome.run,
            run_dir=outcome.run_dir,
            report_errors=outcome.report_errors,
            allow_failure=outcome.allow_failure,
            pipeline=outcome,
        )
        outcome.exit_code = int(workflow.exit_code(execution))  # type: ignore[attr-defined]
        return outcome

    return run
