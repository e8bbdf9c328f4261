"""``testgate shard plan``: the timings, the tests to split, the plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from testgate.errors import InputError, UsageError
from testgate.shard.plan import ShardPlan, make_plan
from testgate.shard.timings import Timings, load_timings

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig

__all__ = ["PlanOptions", "plan_shards", "read_test_list", "timings_for"]


@dataclass(slots=True)
class PlanOptions:
    shards: int
    #: a ``.test_durations`` file or report paths/globs; None: the history store
    durations: str | None = None
    by: Literal["test", "file"] = "test"
    #: a file listing the tests to split (one id a line); None: every test with a duration
    tests: Path | None = None
    #: the history store URL (``--db``); None: the usual resolution
    db: str | None = None
    config: LoadedConfig | None = None


def timings_for(
    durations: str | None, *, db: str | None, config: LoadedConfig | None, root: Path
) -> Timings:
    """The timings *durations* names, else the history store's."""
    if durations is not None:
        return load_timings(durations, root=root)
    from testgate.history.store import resolve_url

    url = resolve_url(db, config, cwd=Path.cwd())
    return load_timings(None, root=root, db_url=url)


def read_test_list(path: Path) -> list[str]:
    """Test ids, one a line (``pytest --collect-only -q`` output works: its summary line and
    blank lines are skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such test list", slug="missing-file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the test list ({exc})") from None
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("=") or " collected" in line or "no tests ran" in line:
            continue
        if line.endswith((" tests collected", " test collected")) or line[0].isdigit():
            continue
        out.append(line)
    return out


def plan_shards(options: PlanOptions) -> ShardPlan:
    """The plan ``testgate shard plan`` prints."""
    if options.shards < 1:
        raise UsageError(f"--shards must be at least 1, got {options.shards}")
    root = options.config.root if options.config is not None else Path.cwd()
    if options.durations is not None:
        root = Path.cwd()
    timings = timings_for(options.durations, db=options.db, config=options.config, root=root)
    tests = read_test_list(options.tests) if options.tests is not None else None
    return make_plan(
        timings.durations,
        options.shards,
        tests=tests,
        by=options.by,
        files=timings.files,
        source=timings.source,
        root=root,
    )
