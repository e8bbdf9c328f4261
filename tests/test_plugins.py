"""A third-party plugin registers an adapter through the same door the built-ins use."""

from __future__ import annotations

import json
import os
from pathlib import Path

from testgate.testing import Project

PLUGIN = '''
from __future__ import annotations

from pathlib import Path

from testgate.adapters import ReadContext
from testgate.model import ReportData, TestCase
from testgate.plugins import hookimpl


class DotsAdapter:
    """One character per test: '.' passed, 'F' failed."""

    name = "dots"
    kind = "tests"
    description = "dots: one character per test"

    def sniff(self, head: str, path: Path) -> int:
        return 90 if head.startswith("DOTS ") else 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        marks = path.read_text().split(" ", 1)[1].strip()
        return ReportData(tests=[
            TestCase("dots", "dots", f"t{i}", "passed" if m == "." else "failed")
            for i, m in enumerate(marks)
        ])


@hookimpl
def testgate_register_adapters(registry):
    registry.register(DotsAdapter())
'''

MISSPELT = """
from testgate.plugins import hookimpl


@hookimpl
def testgate_register_adaptors(registry):
    pass
"""


def _install(site: Path, dist: str, module: str, source: str) -> None:
    """A minimal installed distribution: its module and a dist-info with entry points."""
    (site / f"{module}.py").write_text(source)
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[testgate.adapters]\n{dist} = {module}\n")


def _env(site: Path, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, **extra}


def test_an_entry_point_adapter_is_listed_detected_and_read(
    project: Project, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "testgate-dots", "testgate_dots", PLUGIN)
    project.write("run.dots", "DOTS ..F.\n")
    formats = project.run_subprocess("formats", "--json", env=_env(site)).assert_success()
    assert "dots" in [f["name"] for f in json.loads(formats.out)]
    project.run_subprocess("ingest", "run.dots", "-o", "s.json", env=_env(site)).assert_success()
    metrics = json.loads((project.root / "s.json").read_text())["metrics"]
    assert (metrics["tests.total"], metrics["tests.failed"]) == (4, 1)


def test_a_plugin_can_be_disabled_by_name(project: Project, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "testgate-dots", "testgate_dots", PLUGIN)
    env = _env(site, TESTGATE_DISABLE_PLUGINS="testgate-dots")
    formats = project.run_subprocess("formats", "--json", env=env).assert_success()
    assert "dots" not in [f["name"] for f in json.loads(formats.out)]


def test_a_misspelt_hook_fails_at_start_up(project: Project, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "testgate-typo", "testgate_typo", MISSPELT)
    out = project.run_subprocess("formats", env=_env(site)).assert_code(2)
    assert "plugin 'testgate-typo' is not valid" in out.err
    assert "testgate_register_adaptors" in out.err
    assert "Traceback" not in out.err
