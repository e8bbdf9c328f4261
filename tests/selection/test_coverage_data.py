"""The .coverage data file as a report, and as the source of the test map."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from testgate.adapters.registry import ReadContext, read_report
from testgate.model import Run
from testgate.select.testmap import NoTestContexts, build_map


def test_the_data_file_reads_as_coverage_py_reports_it(recorded: Path) -> None:
    import coverage

    data, ref = read_report(recorded / ".coverage", ctx=ReadContext(root=recorded))
    assert ref.format == "coveragepy-data"
    run = Run(id="x")
    run.absorb(data, ref)
    run.finalize()
    cov = coverage.Coverage(data_file=str(recorded / ".coverage"))
    cov.load()
    total = cov.report(file=io.StringIO())
    assert run.metrics["coverage.line"] == pytest.approx(total, abs=1e-9)
    assert set(run.coverage.files) == {
        "src/shop/__init__.py",
        "src/shop/cart.py",
        "src/shop/prices.py",
        "src/shop/other.py",
    }


def test_the_map_of_the_recorded_run(recorded: Path) -> None:
    tmap = build_map(recorded / ".coverage", root=recorded, step="unit/pytest", cwd=recorded)
    assert tmap.rootdir == ""
    assert tmap.tests["tests/test_prices.py::test_discount"] == {"src/shop/prices.py": {"discount"}}
    assert tmap.tests["tests/test_cart.py::test_tax"] == {
        "src/shop/cart.py": {"with_tax", "total"},
        "src/shop/prices.py": {"price_of"},
    }
    # module-level lines ran while pytest imported the test modules, outside any test
    assert tmap.import_time["src/shop/cart.py"] == {"<module>"}


def test_data_without_test_contexts_records_no_map(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("def f():\n    return 1\n")
    (tmp_path / "test_mod.py").write_text("from mod import f\n\ndef test_f():\n    assert f()\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov=.", "test_mod.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout
    with pytest.raises(NoTestContexts, match="--cov-context=test"):
        build_map(tmp_path / ".coverage", root=tmp_path, step="s", cwd=tmp_path)
