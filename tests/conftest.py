from __future__ import annotations

import os
from pathlib import Path

import pytest

from testgate.plugins import get_plugins
from testgate.testing import Project

# the registries (adapters, renderers, gate criteria) are leaves that the plugin manager fills;
# the commands build it through the workflow, tests that call a reader directly need it too
get_plugins()

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A throwaway repository to run testgate in."""
    return Project(tmp_path / "repo")


@pytest.fixture
def fixtures() -> Path:
    """The folder of real report files (see tests/fixtures/NOTICE.md)."""
    return FIXTURES


@pytest.fixture
def postgres_url() -> str:
    """The PostgreSQL URL from TESTGATE_TEST_POSTGRES_URL; skips (saying why) without it."""
    url = os.environ.get("TESTGATE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TESTGATE_TEST_POSTGRES_URL is not set; .ci/run sets it for PostgreSQL tests")
    return url
