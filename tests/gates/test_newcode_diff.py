"""git's zero-context diff read from its hunk headers: the same lines as unidiff reads from the
whole diff, on a real repository with the awkward cases (a line added as '++x', no newline at
the end, renames, deletions, binary files, names with spaces and non-ASCII characters)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from testgate.errors import GateError
from testgate.gates.newcode import _unquote, changed_lines, parse_diff
from tests.gates.test_newcode import git

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _by_unidiff(text: str) -> dict[str, frozenset[int]]:
    """The oracle: unidiff's reading of the same diff (the reader this one replaced)."""
    unidiff = pytest.importorskip("unidiff")
    out: dict[str, frozenset[int]] = {}
    for pf in unidiff.PatchSet(text):
        if pf.is_removed_file:
            continue
        path = _unquote(pf.target_file)
        path = path[2:] if path.startswith("b/") else path
        added = frozenset(
            ln.target_line_no for h in pf for ln in h if ln.is_added and ln.target_line_no
        )
        if added:
            out[path] = added
    return out


@pytest.fixture
def awkward(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    body = "".join(f"line {n}\n" for n in range(1, 41))
    for name in ("plain.py", "with space.py", "na\u00efve.py", "gone.py", "moved.py", "tail.py"):
        (repo / name).write_text(body)
    (repo / "blob.bin").write_bytes(b"\x00\x01" * 50)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    lines = body.splitlines(keepends=True)
    # '++ x' added is '+++ x' in the diff; '-- y' removed is '--- y'
    (repo / "plain.py").write_text(
        "".join(lines[:3]) + "++ x\n" + "".join(lines[4:10]) + "-- y\n" + "".join(lines[12:])
    )
    (repo / "with space.py").write_text(body + "appended\n")
    (repo / "na\u00efve.py").write_text("first\n" + body)
    (repo / "gone.py").unlink()
    git(repo, "mv", "moved.py", "renamed.py")
    (repo / "renamed.py").write_text(body.replace("line 20\n", "line twenty\n"))
    (repo / "tail.py").write_text(body + "no newline")  # and the old one had one
    (repo / "blob.bin").write_bytes(b"\x00\x02" * 50)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    (repo / "plain.py").write_text((repo / "plain.py").read_text() + "unstaged\n")
    return repo


def test_the_same_lines_as_unidiff_on_a_real_repository(awkward: Path) -> None:
    base = git(awkward, "merge-base", "HEAD", "main").strip()
    text = subprocess.run(
        ["git", "-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "-U0", base],
        cwd=awkward,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    got = parse_diff(text)
    assert got == _by_unidiff(text)
    assert got["plain.py"] == {4, 11, 40}
    assert got["with space.py"] == {41}
    assert got["na\u00efve.py"] == {1}
    assert got["renamed.py"] == {20}
    assert got["tail.py"] == {41}
    assert "gone.py" not in got
    assert "blob.bin" not in got
    assert changed_lines(awkward, "main").files == got


@pytest.mark.parametrize(
    "diff",
    [
        # context lines: not a zero-context diff
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
        # a body shorter than its header
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -0,0 +1,3 @@\n+a\n+b\n",
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -0,0 +1 nonsense\n+a\n",
    ],
)
def test_a_diff_that_does_not_add_up_is_refused(diff: str) -> None:
    with pytest.raises(GateError, match="cannot read the git diff"):
        parse_diff(diff)
