"""New-code coverage on a real git repository, checked line by line against diff-cover."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lxml import etree

from testgate.errors import GateError
from testgate.gates.facts import new_code_coverage
from testgate.gates.newcode import changed_lines, default_base, parse_diff
from testgate.model import FileCoverage, Run

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BASE_CALC = """\
def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def mul(a, b):
    return a * b
"""

FEATURE_CALC = """\
def add(a, b):
    # adding is easy
    return a + b


def sub(a, b):
    result = a - b
    return result


def mul(a, b):
    if a == 0:
        return 0
    return a * b


def div(a, b):
    if b == 0:
        raise ZeroDivisionError("b")
    return a / b


def unused(x):
    y = x * 2
    return y
"""

UTIL = """\
def shout(s):
    return s.upper()


def whisper(s):
    return s.lower()
"""

DRIVER = """\
from pkg import calc, util

calc.add(1, 2)
calc.sub(3, 1)
calc.mul(2, 3)
calc.div(4, 2)
util.shout("x")
"""


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    proc = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=True
    )
    return proc.stdout


def write(repo: Path, name: str, text: str) -> None:
    p = repo / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: calc and util; feature: calc changed (committed), util changed (staged + unstaged)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "pkg/__init__.py", "")
    write(repo, "pkg/calc.py", BASE_CALC)
    write(repo, "pkg/util.py", UTIL)
    write(repo, "drive.py", DRIVER)
    write(repo, ".gitignore", ".coverage\ncoverage.xml\nreport.json\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "pkg/calc.py", FEATURE_CALC)
    write(repo, "README.md", "not code\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    # a staged change and an unstaged one, in a file the commit did not touch
    write(repo, "pkg/util.py", UTIL.replace("return s.upper()", "return s.upper() + '!'"))
    git(repo, "add", "pkg/util.py")
    write(
        repo,
        "pkg/util.py",
        UTIL.replace("return s.upper()", "return s.upper() + '!'").replace(
            "return s.lower()", "return s.lower() + '.'"
        ),
    )
    # real coverage.py over the working tree
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--source=.", "drive.py"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "coverage", "xml", "-o", "coverage.xml"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    return repo


def run_from_cobertura(path: Path) -> Run:
    run = Run(id="r")
    for cls in etree.parse(str(path)).iter("class"):
        lines = {int(ln.get("number")): int(ln.get("hits")) for ln in cls.iter("line")}
        run.coverage.add(FileCoverage(cls.get("filename"), lines))
    return run


def test_new_code_coverage_matches_diff_cover_line_by_line(repo: Path) -> None:
    changes = changed_lines(repo, "main")
    base = git(repo, "merge-base", "HEAD", "main").strip()
    assert changes.base_commit == base
    assert "merge-base of HEAD and main" in changes.description
    nc = new_code_coverage(changes, run_from_cobertura(repo / "coverage.xml"))

    diff_cover = Path(sys.executable).parent / "diff-cover"
    subprocess.run(
        [
            str(diff_cover),
            "coverage.xml",
            "--compare-branch=main",
            "--format",
            "json:report.json",
            "--total-percent-float",
        ],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    theirs = json.loads((repo / "report.json").read_text())
    assert nc.total == theirs["total_num_lines"]
    assert nc.total - nc.covered == theirs["total_num_violations"]
    assert round(nc.percent, 2) == theirs["total_percent_covered"]
    their_uncovered = {
        p: s["violation_lines"] for p, s in theirs["src_stats"].items() if s["violation_lines"]
    }
    assert nc.uncovered == their_uncovered
    # and the expected lines, spelt out: unused() never ran, div's raise never ran,
    # util.whisper's changed line (unstaged) never ran
    assert nc.uncovered == {"pkg/calc.py": [13, 19, 24, 25], "pkg/util.py": [6]}


def test_changed_lines_include_staged_and_unstaged_and_skip_non_code(repo: Path) -> None:
    changes = changed_lines(repo, "main")
    assert changes.files["pkg/util.py"] == frozenset({2, 6})
    assert changes.files["README.md"] == frozenset({1})
    assert 2 in changes.files["pkg/calc.py"]  # the comment line is changed but not coverable


def test_default_base_is_main_without_upstream(repo: Path) -> None:
    assert default_base(repo) == "main"


def test_paths_are_relative_to_the_coverage_root(repo: Path) -> None:
    changes = changed_lines(repo / "pkg", "main")
    assert set(changes.files) == {"calc.py", "util.py"}


def test_unknown_base_and_non_repository_are_clear_errors(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(GateError, match="no merge-base of HEAD and 'nope'"):
        changed_lines(repo, "nope")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GateError, match="is not in a git repository"):
        changed_lines(plain, "main")


def test_parse_diff_keeps_added_lines_and_drops_deleted_files() -> None:
    diff = textwrap.dedent(
        """\
        diff --git a/x.py b/x.py
        index 1..2 100644
        --- a/x.py
        +++ b/x.py
        @@ -3,0 +4,2 @@ def f():
        +    a = 1
        +    b = 2
        diff --git a/gone.py b/gone.py
        deleted file mode 100644
        index 1..0
        --- a/gone.py
        +++ /dev/null
        @@ -1 +0,0 @@
        -x = 1
        """
    )
    assert parse_diff(diff) == {"x.py": frozenset({4, 5})}


def test_gate_command_reports_new_code_and_the_base_commit(repo: Path) -> None:
    from testgate.model import write_summary
    from testgate.testing import Project

    project = Project(repo)
    project.write(
        "testgate.yaml",
        """
        gates:
          coverage_gate:
            criteria:
              new_code: {threshold: ">= 90%", min_changed_lines: 1}
        """,
    )
    write_summary(run_from_cobertura(repo / "coverage.xml"), repo / ".testgate/latest/summary.json")
    out = project.run("gate", "--format", "json").assert_code(3)
    data = json.loads(out.out)
    (crit,) = data["criteria"]
    base = git(repo, "merge-base", "HEAD", "main").strip()
    assert data["new_code_base"] == {"ref": "main", "commit": base}
    assert crit["metric"] == "coverage.new_code"
    assert crit["hint"] == "pkg/calc.py: uncovered new lines 13, 19, 24-25"
    assert crit["details"] == [
        "pkg/calc.py: uncovered new lines 13, 19, 24-25",
        "pkg/util.py: uncovered new lines 6",
    ]
    text = project.run("gate").assert_code(3)
    text.fnmatch_lines([f"new code compared against main (merge-base {base[:12]})"])


def test_odd_file_names_and_undecodable_content(tmp_path: Path) -> None:
    repo = tmp_path / "odd"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "sp ace.py").write_text("a\n")
    (repo / "naïve.py").write_text("x\n")
    (repo / "blob.txt").write_bytes(b"\xa7\xff\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "f")
    (repo / "sp ace.py").write_text("a\nb\n")
    (repo / "naïve.py").write_text("x\ny\n")
    (repo / 'quo"te.py').write_text("q\n")
    (repo / "blob.txt").write_bytes(b"\xa7\xff\n\xfe\n")
    git(repo, "add", "-A")
    git(repo, "mv", "sp ace.py", "moved sp.py")
    assert changed_lines(repo, "main").files == {
        "moved sp.py": frozenset({2}),
        "naïve.py": frozenset({2}),
        'quo"te.py': frozenset({1}),
        "blob.txt": frozenset({2}),
    }
