"""Maps in the history store: parallel writers, and ``testgate history record``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testgate.history.store import open_store
from testgate.history.testmaps import load_maps
from testgate.select.testmap import TestMap, merge_maps
from tests.selection.conftest import Repo

_WRITER = textwrap.dedent(
    """
    import sys
    from testgate.history.store import open_store
    from testgate.history.testmaps import save_map
    from testgate.select.testmap import TestMap
    i = int(sys.argv[2])
    m = TestMap(step="unit/pytest", commit="c" * 40)
    m.tests[f"tests/test_{i}.py::test_x"] = {"src/a.py": {"f"}}
    with open_store(sys.argv[1]) as store:
        save_map(store, commit="c" * 40, step="unit/pytest", run_uid=f"run-{i}", tests=1,
                 payload=m.to_json())
    """
)


def test_parallel_shards_each_store_their_map_and_readers_take_the_union(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    open_store(url).close()  # migrated once; the writers then race on inserts only
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, url, str(i)], stderr=subprocess.PIPE)
        for i in range(6)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with open_store(url) as store:
        rows = load_maps(store, ["c" * 40])
    assert len(rows) == 6
    merged = merge_maps([TestMap.from_json(r.json_bytes()) for r in rows])
    assert set(merged.tests) == {f"tests/test_{i}.py::test_x" for i in range(6)}


def test_history_record_stores_the_map_of_a_summary(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = repo.testgate("run", "--no-record", "--no-cache", capsys=capsys)
    assert code == 0, out
    shutil.copy(repo.root / ".testgate/latest/summary.json", repo.root / "s.json")
    repo.git("checkout", "-q", "main")
    (repo.root / ".testgate/history.db").unlink()
    code, out = repo.testgate("history", "record", "s.json", capsys=capsys)
    assert code == 0, out
    with open_store(f"sqlite:///{repo.root / '.testgate/history.db'}") as store:
        (row,) = load_maps(store, [repo.git("rev-parse", "HEAD").strip()])
    assert row.step == "unit/pytest"
    assert row.tests == 5
