"""coverage.py's own data file (``.coverage``, an SQLite database), read through coverage.py.

A step that lists ``.coverage`` under ``reports:`` gets its line (and branch) coverage read
from the data file with coverage.py's own analysis: statements, exclusions and missing lines
are what ``coverage report`` prints for the same data, with the coverage configuration found
beside the data file (``.coveragerc``, ``setup.cfg``, ``tox.ini`` or ``pyproject.toml``).
The sources must be present (they are, right after the step ran). A data file measured with
per-test contexts (``--cov-context=test``) also gives testgate's test-selection map
(docs/selection.md); that part is read by :mod:`testgate.select`, not here.
"""

from __future__ import annotations

from pathlib import Path

from testgate.adapters._paths import PathNormalizer
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Coverage, FileCoverage, ReportData

__all__ = ["ADAPTERS", "CoveragePyDataAdapter"]

_CONFIG_FILES = (".coveragerc", "setup.cfg", "tox.ini", "pyproject.toml")


def _config_beside(path: Path) -> str | bool:
    for name in _CONFIG_FILES:
        candidate = path.parent / name
        if candidate.is_file():
            return str(candidate)
    return False


class CoveragePyDataAdapter:
    name = "coveragepy-data"
    kind = "coverage"
    description = "coverage.py data file (.coverage, SQLite)"

    def sniff(self, head: str, path: Path) -> int:
        if head.startswith("SQLite format 3") and path.name.startswith(".coverage"):
            return 95
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        import coverage
        from coverage.exceptions import CoverageException, NoSource

        if not path.is_file():
            raise InputError(f"{path}: no such report file", slug="missing-file")
        try:
            cov = coverage.Coverage(data_file=str(path), config_file=_config_beside(path))
            cov.load()
            data = cov.get_data()
            measured = sorted(data.measured_files())
        except (CoverageException, OSError) as exc:
            raise InputError(
                f"{path}: not a readable coverage.py data file ({exc})", slug="malformed-report"
            ) from None
        norm = PathNormalizer(ctx.root)
        out = Coverage()
        for fname in measured:
            try:
                analysis = cov._analyze(fname)
            except NoSource:
                raise InputError(
                    f"{path}: measured file {fname} no longer exists, so its coverage cannot be "
                    "analysed; read the data file right after the run that wrote it",
                    slug="malformed-report",
                ) from None
            except CoverageException as exc:
                raise InputError(f"{path}: {fname}: {exc}", slug="malformed-report") from None
            missing = set(analysis.missing)
            lines = {n: (0 if n in missing else 1) for n in analysis.statements}
            branches: dict[int, tuple[int, int]] = {}
            if data.has_arcs():
                for line, (total, taken) in analysis.branch_stats().items():
                    branches[line] = (taken, total)
            rel = norm(fname)
            out.add(FileCoverage(path=rel, lines=lines, branches=branches))
        return ReportData(coverage=out)


ADAPTERS = [CoveragePyDataAdapter()]
