"""16 ``testgate run`` at once in one repository (issue 12.1): every one ends normally and
every run reaches the history; latest/ always holds one complete summary."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from testgate.model import read_summary

N = 16


def test_sixteen_concurrent_runs_all_land(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    # each run's step writes its own report (reports/<pid>.xml, found by a glob that one
    # run's clean-up cannot empty under another): the runs share the directory, the state
    # folder and the history store
    code = (
        "import os; os.makedirs('reports', exist_ok=True); "
        "open(f'reports/j{os.getpid()}.xml', 'w').write("
        '\'<testsuite name="s" tests="1"><testcase classname="c" name="t"/></testsuite>\')'
    )
    (root / "testgate.yaml").write_text(
        "version: 1\nproject: conc\npipeline:\n  stages:\n    - name: unit\n      steps:\n"
        "        - name: t\n"
        f"          run: [{json.dumps(sys.executable)}, -c, {json.dumps(code)}]\n",
        encoding="utf-8",
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "testgate", "run", "-q"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(N)
    ]
    outs = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    bad = [(code, err) for code, _, err in outs if code != 0]
    assert not bad, bad
    with sqlite3.connect(root / ".testgate" / "history.db") as conn:
        uids = [u for (u,) in conn.execute("select uid from runs")]
        assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
    assert len(set(uids)) == N
    assert len(list((root / ".testgate" / "runs").glob("*/summary.json"))) == N
    latest = read_summary(root / ".testgate" / "latest" / "summary.json")
    assert latest.id in uids
    assert not list((root / ".testgate").rglob("*.tmp"))
