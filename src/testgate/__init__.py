"""testgate: one pipeline for every test suite, one verdict, every run remembered.

This module only re-exports the public API; everything else lives in subpackages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from testgate.errors import ConfigError, ExitCode, InputError, TestgateError

if TYPE_CHECKING:
    from testgate.model import (
        Coverage,
        FileCoverage,
        Finding,
        ReportData,
        Run,
        StepResult,
        TestCase,
    )

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Coverage",
    "ExitCode",
    "FileCoverage",
    "Finding",
    "InputError",
    "ReportData",
    "Run",
    "StepResult",
    "TestCase",
    "TestgateError",
    "__version__",
]


_MODEL = frozenset(
    ("Coverage", "FileCoverage", "Finding", "ReportData", "Run", "StepResult", "TestCase")
)


def __getattr__(name: str) -> Any:
    # the model (dataclasses: a twentieth of a second) is imported when first used: the
    # commands that only read the history start without it
    if name in _MODEL:
        from testgate import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
