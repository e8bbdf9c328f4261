"""testgate: one pipeline for every test suite, one verdict, every run remembered.

This module only re-exports the public API; everything else lives in subpackages.
"""

from __future__ import annotations

from testgate.errors import ConfigError, ExitCode, InputError, TestgateError
from testgate.model import Coverage, FileCoverage, Finding, ReportData, Run, StepResult, TestCase

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
