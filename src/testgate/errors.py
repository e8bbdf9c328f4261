"""One exception root for every error a user can cause, and the exit codes of DESIGN.md.

Only :func:`testgate.cli.main` turns a :class:`TestgateError` into a message and an exit code;
anything else that escapes is a bug and keeps its traceback (exit code 4).
"""

from __future__ import annotations

import enum

__all__ = [
    "ConfigError",
    "ExitCode",
    "GateError",
    "HistoryError",
    "InputError",
    "Interrupted",
    "TestgateError",
    "UsageError",
]


class ExitCode(enum.IntEnum):
    """Exit codes of every command. Never reuse a number."""

    OK = 0
    TESTS_FAILED = 1
    USAGE_ERROR = 2
    GATE_FAILED = 3
    INTERNAL_ERROR = 4
    INTERRUPTED = 130


class TestgateError(Exception):
    """Root of every error a user can cause: bad config, bad input, missing file.

    ``slug`` names a section of docs/errors.md that explains the fix.
    """

    __test__ = False  # not a pytest test class, despite the name
    exit_code: ExitCode = ExitCode.USAGE_ERROR

    def __init__(self, message: str, *, slug: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.slug = slug

    def __str__(self) -> str:
        return self.message


class UsageError(TestgateError):
    """A command was called with arguments that do not fit."""


class ConfigError(TestgateError):
    """The configuration file is malformed or invalid.

    ``problems`` holds every problem found (one line each) when validation collects them all.
    """

    def __init__(
        self, message: str, *, slug: str | None = None, problems: list[str] | None = None
    ) -> None:
        super().__init__(message, slug=slug)
        self.problems = problems or [message]


class InputError(TestgateError):
    """A report, summary or other input file cannot be read: malformed, truncated, hostile."""


class GateError(TestgateError):
    """A gate definition or threshold expression is invalid."""


class HistoryError(TestgateError):
    """The history store cannot be opened or used."""


class Interrupted(TestgateError):
    """The run was interrupted (SIGINT or SIGTERM); what finished was still written."""

    exit_code = ExitCode.INTERRUPTED
