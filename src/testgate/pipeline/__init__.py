"""The pipeline: plan a DAG of steps, run them on an :class:`Executor`, start services, read
reports."""

from __future__ import annotations

from testgate.pipeline.executor import Executor, StepHandle, StepRequest, StepRun
from testgate.pipeline.local import LocalExecutor
from testgate.pipeline.plan import Plan, PlannedStep, build_plan
from testgate.pipeline.runner import (
    PipelineOutcome,
    RunOptions,
    execute_pipeline,
    new_run_id,
)

__all__ = [
    "Executor",
    "LocalExecutor",
    "PipelineOutcome",
    "Plan",
    "PlannedStep",
    "RunOptions",
    "StepHandle",
    "StepRequest",
    "StepRun",
    "build_plan",
    "execute_pipeline",
    "new_run_id",
]
