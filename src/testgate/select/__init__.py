"""Smart test selection: run only what a change can break, riskiest first.

- :func:`~testgate.select.engine.select` decides (see :mod:`testgate.select.engine`);
- :mod:`testgate.select.testmap` builds the per-test map from coverage.py's contexts and
  :mod:`testgate.select.blocks` fingerprints code blocks like testmon;
- :mod:`testgate.select.graph` is the import graph (grimp);
- :func:`~testgate.select.plan.write_pytest_plan` writes the plan testgate's pytest plugin
  reads (selection and shards share it);
- :mod:`testgate.select.replay` audits recall over recorded runs.

The workflow (:func:`testgate.workflow.select`) and ``testgate select`` are the entry points.
"""

from __future__ import annotations

from testgate.select.engine import (
    Selection,
    SelectOptions,
    StepChoice,
    StepInfo,
    TestChoice,
    is_coverage_data,
    select,
)
from testgate.select.plan import PLAN_ENV, PLAN_SCHEMA, read_pytest_plan, write_pytest_plan

__all__ = [
    "PLAN_ENV",
    "PLAN_SCHEMA",
    "SelectOptions",
    "Selection",
    "StepChoice",
    "StepInfo",
    "TestChoice",
    "is_coverage_data",
    "read_pytest_plan",
    "select",
    "write_pytest_plan",
]
