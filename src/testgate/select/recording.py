"""Record the test maps of a finished run in the history store (``testgate run`` and
``testgate history record`` call :func:`record_maps` after recording the run)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from testgate.errors import InputError, TestgateError
from testgate.select import git
from testgate.select.engine import is_coverage_data
from testgate.select.testmap import NoTestContexts, build_map

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore
    from testgate.model import Run

__all__ = ["record_maps"]


def _dirty(root: Path, commit: str) -> list[str]:
    """Python files that differ from *commit* in the working tree (relative to *root*)."""
    try:
        top = git.repo_top(root)
        changes = git.changes_since(top, commit)
    except git.GitError:
        return []
    out = []
    for c in changes:
        try:
            rel = (top / c.path).relative_to(root).as_posix()
        except ValueError:
            continue
        if rel.endswith(".py"):
            out.append(rel)
    return out


def record_maps(
    store: HistoryStore, run: Run, *, root: Path, step_dirs: dict[str, Path]
) -> tuple[list[str], list[str]]:
    """Build and store the map of every step whose reports include a coverage.py data file.

    *step_dirs* maps a step key to its working directory (pytest's node ids are relative to a
    directory at or above it). Returns ``(recorded step keys, notes)``; a data file without
    per-test contexts, or a run without a commit, is a note, never an error: selection then
    runs those steps whole.
    """
    recorded: list[str] = []
    notes: list[str] = []
    refs = [r for r in run.reports if r.step and is_coverage_data(r.path, r.format)]
    if not refs:
        return recorded, notes
    commit = run.vcs.commit
    if not commit:
        notes.append("test map not recorded: the run has no git commit")
        return recorded, notes
    dirty = _dirty(root, commit)
    if dirty:
        notes.append(
            "test map not recorded: the working tree has uncommitted Python changes "
            f"({', '.join(dirty[:3])}{' ...' if len(dirty) > 3 else ''}); a map describes a "
            "commit exactly, so it is recorded from a clean checkout (as in CI)"
        )
        return recorded, notes
    for ref in refs:
        assert ref.step is not None
        path = Path(ref.path)
        path = path if path.is_absolute() else root / path
        try:
            tmap = build_map(
                path,
                root=root,
                step=ref.step,
                cwd=step_dirs.get(ref.step, root),
                commit=commit,
                known_tests=[
                    (t.classname, t.name) for t in run.tests if t.step == ref.step and t.classname
                ],
            )
        except NoTestContexts as exc:
            notes.append(f"{ref.step}: {exc}")
            continue
        except InputError as exc:
            notes.append(f"{ref.step}: test map not recorded: {exc}")
            continue
        try:
            from testgate.history.testmaps import save_map

            save_map(
                store,
                commit=commit,
                step=ref.step,
                run_uid=run.id,
                tests=len(tmap.tests),
                payload=tmap.to_json(),
            )
        except TestgateError as exc:
            notes.append(f"{ref.step}: test map not recorded: {exc}")
            continue
        recorded.append(ref.step)
    return recorded, notes
