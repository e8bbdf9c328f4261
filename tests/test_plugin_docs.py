"""docs/plugins.md's worked adapter, criterion and renderer, each installed as a real plugin (a
distribution with entry points) from the code in the page itself, and driven through the CLI."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from testgate.testing import Project

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"

AXE_REPORT = {
    "testEngine": {"name": "axe-core", "version": "4.8.2"},
    "url": "http://localhost:3000/checkout",
    "violations": [
        {
            "id": "color-contrast",
            "impact": "serious",
            "help": "Elements must meet minimum color contrast ratio thresholds",
            "nodes": [{"target": ["#pay > button"]}, {"target": [".total"]}],
        },
        {
            "id": "image-alt",
            "impact": "critical",
            "help": "Images must have alternate text",
            "nodes": [{"target": ["img.logo"]}],
        },
    ],
}


def _modules() -> dict[str, str]:
    """``module file -> source``: the page's code blocks marked ``<!-- plugin: FILE -->``."""
    out: dict[str, str] = {}
    for name, code in re.findall(
        r"<!-- plugin: (\S+) -->\n```python\n(.*?)```", DOC.read_text(), re.S
    ):
        out[name] = out.get(name, "") + code
    return out


def _install(site: Path, dist: str, entry: str, module: str, source: str) -> None:
    """What ``pip install`` of the page's pyproject.toml leaves: the module and a dist-info
    whose entry point *entry* (the plugin's name) is in the ``testgate`` group."""
    (site / module).write_text(source)
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    mod = module.removesuffix(".py")
    (info / "entry_points.txt").write_text(f"[testgate]\n{entry} = {mod}\n")


@pytest.fixture
def site(tmp_path: Path) -> dict[str, str]:
    modules = _modules()
    assert set(modules) == {"testgate_axe.py", "testgate_csv.py"}
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "testgate-axe", "axe", "testgate_axe.py", modules["testgate_axe.py"])
    _install(site, "testgate-csv", "csv", "testgate_csv.py", modules["testgate_csv.py"])
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path}


def test_the_documented_adapter_and_criterion_work_installed(
    project: Project, site: dict[str, str]
) -> None:
    project.write("reports/axe.json", json.dumps(AXE_REPORT))
    project.write(
        "testgate.yaml",
        """\
        gates:
          a11y_gate:
            criteria:
              accessibility: {violations: 0}
              explicit: {metric: a11y.violations, threshold: "< 5"}
        """,
    )
    formats = json.loads(project.run_subprocess("formats", "--json", env=site).out)
    assert {"name": "axe", "kind": "lint"}.items() <= next(
        f for f in formats if f["name"] == "axe"
    ).items()
    metrics = json.loads(project.run_subprocess("metrics", "--json", env=site).out)
    (axe,) = [s for s in metrics if s["source"] == "axe"]
    assert axe["metrics"] == [
        {
            "name": "a11y.violations",
            "unit": None,
            "description": "elements that violate an accessibility rule",
        }
    ]
    project.run_subprocess("validate", env=site).assert_success()
    project.run_subprocess(
        "ingest", "reports/axe.json", "-o", ".testgate/latest/summary.json", env=site
    ).assert_success()
    out = project.run_subprocess("gate", "--format", "json", env=site).assert_code(3)
    rows = {r["criterion"]: r for r in json.loads(out.out)["criteria"]}
    assert (
        rows["accessibility.violations"]["actual"],
        rows["accessibility.violations"]["status"],
    ) == (
        3.0,
        "fail",
    )
    assert rows["explicit"]["status"] == "pass"
    # without the plugin the name is unknown, and validate says so
    out = project.run_subprocess(
        "validate", env={**site, "TESTGATE_DISABLE_PLUGINS": "axe"}
    ).assert_code(2)
    assert "unknown metric 'a11y.violations'" in out.err


def test_the_documented_renderer_works_installed(project: Project, site: dict[str, str]) -> None:
    project.write(
        "junit.xml",
        '<testsuite name="s"><testcase classname="t.m" name="a" time="0.5"/>'
        '<testcase classname="t.m" name="b[x-y]"><failure message="no"/></testcase></testsuite>',
    )
    project.write(
        "testgate.yaml",
        "gates:\n  g:\n    criteria:\n      c: {metric: tests.failed, threshold: '== 0'}\n",
    )
    project.run_subprocess(
        "ingest", "junit.xml", "-o", ".testgate/latest/summary.json", env=site
    ).assert_success()
    listed = project.run_subprocess("report", "--list", env=site).assert_success()
    assert "csv" in listed.out
    out = project.run_subprocess(
        "report", "--format", "csv", "--summary", ".testgate/latest/summary.json", env=site
    ).assert_success()
    assert out.out == "id,status,seconds\nt.m::a,passed,0.500\nt.m::b[x-y],failed,0.000\n"
    out = project.run_subprocess("gate", "--format", "csv", env=site).assert_code(3)
    assert out.out.startswith("id,status,seconds\n")
