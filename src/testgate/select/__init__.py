"""Smart test selection: run only what a change can break, riskiest first.

- :func:`~testgate.select.engine.select` decides (see :mod:`testgate.select.engine`);
- :mod:`testgate.select.testmap` builds the per-test map from coverage.py's contexts and
  :mod:`testgate.select.blocks` fingerprints code blocks like testmon;
- :mod:`testgate.select.graph` is the import graph (grimp);
- :func:`testgate.workflow.selection_hook` puts the selection into the plan testgate's pytest
  plugin reads (``PlannedStep.pytest_plan``: ``deselect`` and ``order``; shards add ``shard``);
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

__all__ = [
    "SelectOptions",
    "Selection",
    "StepChoice",
    "StepInfo",
    "TestChoice",
    "is_coverage_data",
    "select",
]
