"""The pipeline: plan a DAG of steps, run their process trees, start services, read reports."""

from __future__ import annotations

from testgate.pipeline.plan import Plan, PlannedStep, build_plan
from testgate.pipeline.runner import (
    PipelineOutcome,
    RunOptions,
    execute_pipeline,
    new_run_id,
    run_pipeline,
)

__all__ = [
    "PipelineOutcome",
    "Plan",
    "PlannedStep",
    "RunOptions",
    "build_plan",
    "execute_pipeline",
    "new_run_id",
    "run_pipeline",
]
