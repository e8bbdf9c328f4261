"""`make test` runs the suite against the installed wheel, not against src/: these fail when
`import testgate` resolves to the source tree (an editable install, PYTHONPATH=src, src/ on
sys.path) while the suite claims to test the installation."""

from __future__ import annotations

import importlib.metadata
import json
import sysconfig
from pathlib import Path

import pytest

import testgate

from ._installed import INSTALLED, REPO, SRC, WHY_NOT_INSTALLED, shipped_files

pytestmark = pytest.mark.skipif(not INSTALLED, reason=WHY_NOT_INSTALLED)

SITE = Path(sysconfig.get_paths()["purelib"]).resolve()


def test_testgate_is_imported_from_site_packages_not_from_src() -> None:
    where = Path(testgate.__file__).resolve()
    assert REPO / "src" not in where.parents, f"testgate was imported from the checkout: {where}"
    assert SITE in where.parents, f"testgate is not the installed one: {where} (site {SITE})"


def test_the_installed_distribution_is_a_wheel_not_an_editable_install() -> None:
    dist = importlib.metadata.distribution("testgate")
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    assert direct.get("dir_info", {}).get("editable") is not True
    assert direct.get("url", "").endswith(".whl"), direct


def test_the_installed_package_has_every_file_of_the_source_tree() -> None:
    installed = Path(testgate.__file__).resolve().parent
    missing = sorted(shipped_files(SRC) - shipped_files(installed))
    assert missing == []


def test_pytest_loads_testgates_plugin_from_the_installed_entry_point(
    pytestconfig: pytest.Config,
) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("testgate")
    assert plugin is not None, "the pytest11 entry point 'testgate' was not loaded"
    assert plugin.__name__ == "testgate.pytest_plugin"
    assert SITE in Path(plugin.__file__).resolve().parents
