"""Where per-test durations come from: the history store, a pytest-split file, reports.

* the **history store** (the default): the median duration of each test over the last runs
  that finished before the commit being tested was made (and unsharded runs of the commit
  itself), so that every shard of one commit reads the same timings even while other shards
  of it are being recorded;
* a **pytest-split** ``.test_durations`` file: ``{"node id": seconds, ...}`` (or the older
  ``[["node id", seconds], ...]``);
* **report files** (``'reports/*.xml'``): any test report testgate reads; a test seen several
  times counts with its median.

Ids are whatever the source uses: pytest node ids in a ``.test_durations`` file, testgate's
test ids (``classname::name``, as pytest's JUnit XML names a test) elsewhere. testgate's
pytest plugin matches a collected test by either.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.errors import InputError

if TYPE_CHECKING:
    from testgate.history.rows import RunInfo

__all__ = ["Timings", "from_history", "from_reports", "from_test_durations", "load_timings"]

#: runs of the history whose durations are used
HISTORY_WINDOW = 20


@dataclass(slots=True)
class Timings:
    """Known durations (id -> seconds) and where they came from."""

    durations: dict[str, float] = field(default_factory=dict)
    #: shown to people: ``history (20 runs)``, ``.test_durations``...
    source: str = "none"
    #: test id -> file, where the source says it (a report's ``file`` attribute)
    files: dict[str, str] = field(default_factory=dict)


def _median_of(samples: dict[str, list[float]]) -> dict[str, float]:
    return {k: statistics.median(v) for k, v in samples.items() if v}


def from_test_durations(path: Path) -> Timings:
    """A pytest-split ``.test_durations`` file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such durations file", slug="missing-file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the durations file ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); expected pytest-split's "
            '.test_durations: {"node id": seconds, ...}',
            slug="durations-file",
        ) from None
    except RecursionError:
        raise InputError(
            f"{path}: JSON nested too deeply; expected pytest-split's .test_durations",
            slug="durations-file",
        ) from None
    pairs = data.items() if isinstance(data, dict) else data
    out: dict[str, float] = {}
    try:
        for key, value in pairs:
            if not isinstance(key, str) or isinstance(value, bool):
                raise TypeError
            seconds = float(value)
            if not seconds >= 0:  # also refuses NaN
                raise ValueError
            out[key] = seconds
    except (TypeError, ValueError):
        raise InputError(
            f"{path}: not a durations file; expected pytest-split's .test_durations: "
            '{"node id": seconds, ...} with non-negative numbers',
            slug="durations-file",
        ) from None
    return Timings(out, source=str(path))


def from_reports(patterns: Sequence[str], root: Path | None = None) -> Timings:
    """Durations of the tests in report files (paths or globs; any format testgate reads)."""
    from testgate.adapters import ReadContext, read_report
    from testgate.adapters.ingest import expand_paths

    samples: dict[str, list[float]] = {}
    files: dict[str, str] = {}
    paths = expand_paths(list(patterns), root=root)
    ctx = ReadContext(root=root or Path.cwd())
    for p in paths:
        data, _ref = read_report(p, ctx=ctx)
        for t in data.tests:
            if t.status == "skipped":
                continue
            samples.setdefault(t.id, []).append(t.duration_s)
            if t.file:
                files.setdefault(t.id, t.file)
    shown = ", ".join(patterns)
    return Timings(_median_of(samples), source=f"reports {shown}", files=files)


def head_commit(root: Path) -> tuple[str, _dt.datetime] | None:
    """HEAD's sha and when it was committed (UTC, naive), or None outside a git checkout."""
    try:
        proc = subprocess.run(
            ["git", "log", "-1", "--format=%H %ct", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha, _, stamp = proc.stdout.strip().partition(" ")
    if proc.returncode != 0 or not stamp.isdigit():
        return None
    when = _dt.datetime.fromtimestamp(int(stamp), _dt.timezone.utc).replace(tzinfo=None)
    return sha, when


def _usable(run: RunInfo, head: tuple[str, _dt.datetime] | None) -> bool:
    """Whether every shard of *head* sees *run* alike: it finished before the commit was made
    (so it was recorded before any shard of the commit started), or it is an unsharded run of
    the commit itself (a shard of the commit, recorded while others plan, is not)."""
    if head is None:
        return True
    sha, when = head
    if (run.finished_at or run.started_at) < when:
        return True
    ci = run.meta.get("ci") or {}
    return run.commit == sha and ci.get("shard_index") is None


def from_history(
    url: str, *, head: tuple[str, _dt.datetime] | None, window: int = HISTORY_WINDOW
) -> Timings:
    """The median duration of each test over the last *window* runs every shard of *head*
    sees alike (see :func:`_usable`; every run when None). A SQLite store that does not exist
    yet has no timings (it is not created)."""
    from testgate.history.store import open_store

    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if path and not os.path.exists(path):
            return Timings(source="history (no recorded runs)")
    with open_store(url) as store:
        runs = store.window_runs(None, window * 10 if head is not None else window)
        runs = [r for r in runs if _usable(r, head)][-window:]
        if not runs:
            return Timings(source="history (no recorded runs)")
        results = store.results_window(runs=runs, outcomes=False, durations=True)
        ids = list(results.durations)
        infos = store.test_infos(ids)
    durations = {k: statistics.median(d for _, d in v) for k, v in results.durations.items() if v}
    files = {k: info[3] for k, info in infos.items() if info[3]}
    n = len(runs)
    return Timings(durations, source=f"history ({n} run{'s' if n != 1 else ''})", files=files)


def load_timings(
    source: str | None, *, root: Path, db_url: str | None = None, pinned_to_commit: bool = True
) -> Timings:
    """Timings from *source*: a ``.test_durations``-style JSON file, report paths or globs
    (comma-free: one pattern), or None for the history store at *db_url*."""
    if source is None:
        if db_url is None:
            return Timings(source="none")
        return from_history(db_url, head=head_commit(root) if pinned_to_commit else None)
    path = Path(source)
    full = path if path.is_absolute() else Path.cwd() / path
    if full.is_file() and _looks_like_json(full):
        return from_test_durations(full)
    return from_reports([source])


def _looks_like_json(path: Path) -> bool:
    if path.suffix == ".json" or path.name == ".test_durations":
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip()
    except OSError:
        return False
    return head[:1] in (b"{", b"[")
