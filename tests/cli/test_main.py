from __future__ import annotations

from testgate import __version__
from testgate.testing import Project


def test_version(project: Project) -> None:
    out = project.run("--version").assert_success()
    assert __version__ in out.out


def test_unknown_command_is_a_usage_error(project: Project) -> None:
    project.run("frobnicate").assert_code(2)
