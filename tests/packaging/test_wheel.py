"""The wheel ships every file the package reads (issue 19: the dashboard's templates were left
out, and every page of an installed `testgate serve` answered 500)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ._installed import REPO, SRC, shipped_files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `make test` built and installed; in the development loop, one built here the
    same way (the sdist, then the wheel from the sdist)."""
    given = os.environ.get("TESTGATE_TEST_WHEEL")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (whl,) = out.glob("testgate-*.whl")
    return whl


@pytest.mark.slow
def test_every_file_of_the_source_tree_is_in_the_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = {n for n in zf.namelist() if n.startswith("testgate/")}
    expected = shipped_files(SRC)
    # the files the package reads by path, named so that a broken rule cannot pass vacuously
    assert {
        "testgate/server/templates/index.html.j2",
        "testgate/server/static/dashboard.css",
        "testgate/report/templates/report.html.j2",
        "testgate/schemas/summary.schema.json",
        "testgate/history/migrations/versions/r0001_initial.py",
        "testgate/py.typed",
    } <= expected
    missing = sorted(expected - names)
    assert missing == [], f"{wheel.name} leaves out: {', '.join(missing)}"
    # and nothing the tree does not have: no bytecode, no build leftovers
    assert sorted(names - expected) == []


@pytest.mark.slow
def test_the_wheel_registers_the_command_and_the_pytest_plugin(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        (ep,) = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = zf.read(ep).decode()
    assert "[console_scripts]\ntestgate = testgate.cli:main" in text
    assert "[pytest11]\ntestgate = testgate.pytest_plugin" in text


@pytest.mark.slow
def test_pipx_run_works_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    """`pipx run testgate --help` (issue 16 item 8): a fresh, isolated environment built from
    the wheel alone, as a user without a clone gets it."""
    pipx = Path(sys.executable).with_name("pipx")
    if not pipx.exists():
        pytest.skip("pipx is not installed here (the dev extra installs it)")
    env = {
        **os.environ,
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
    }
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run(
        [str(pipx), "run", "--spec", str(wheel), "testgate", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Usage: testgate [OPTIONS] COMMAND [ARGS]..." in proc.stdout
    assert "serve" in proc.stdout
    assert "gate" in proc.stdout
