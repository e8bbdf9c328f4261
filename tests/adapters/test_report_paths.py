"""One file, one name across all reports of a run (issue 11, item 9).

Reports written on CI agents name files by the agent's checkout: a Windows agent's ``D:\\a\\..``,
GitHub's ``/home/runner/work/<repo>/<repo>/``, GitLab's ``/builds/<group>/<project>/``, a
Jenkins workspace. Read here (another machine, or no sources at all), every report kind gives
the repository-relative name that the coverage reports give. The reports below are real
producers' files (bandit's SARIF and JUnit from pytest, gitleaks and trivy from the fixtures'
NOTICE) with their paths set as each CI agent writes them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testgate.adapters._paths import PathNormalizer, strip_ci_workspace
from testgate.adapters.registry import ReadContext, read_report

FIX = Path(__file__).parent.parent / "fixtures" / "security"

AGENTS = [
    ("/home/runner/work/app/app/", "github-linux"),
    ("/Users/runner/work/app/app/", "github-macos"),
    ("D:\\a\\app\\app\\", "github-windows"),
    ("/builds/team/app/", "gitlab"),
    ("/var/lib/jenkins/workspace/app-main/", "jenkins"),
    ("C:\\Jenkins\\jobs\\app\\workspace\\", "jenkins-old"),
    ("/home/jenkins/agent/workspace/app_PR-12/", "jenkins-agent"),
    ("D:\\agent\\_work\\3\\s\\", "azure-windows"),
    ("/home/vsts/work/1/s/", "azure-linux"),
    ("/home/circleci/project/", "circleci"),
    ("/home/travis/build/team/app/", "travis"),
    ("/opt/atlassian/pipelines/agent/build/", "bitbucket"),
    ("/drone/src/", "drone"),
]


@pytest.mark.parametrize(("prefix", "agent"), AGENTS, ids=[a for _, a in AGENTS])
def test_ci_checkouts_are_stripped(prefix: str, agent: str, tmp_path: Path) -> None:
    raw = prefix + "src\\app\\x.py" if "\\" in prefix else prefix + "src/app/x.py"
    # nothing of it exists here: the CI prefix goes
    assert PathNormalizer(tmp_path, tails=False)(raw) == "src/app/x.py"
    # where the file exists, the longest existing suffix wins (same answer)
    (tmp_path / "src" / "app").mkdir(parents=True)
    (tmp_path / "src" / "app" / "x.py").write_text("")
    assert PathNormalizer(tmp_path, tails=False)(raw) == "src/app/x.py"


def test_a_path_of_no_ci_checkout_stays_absolute(tmp_path: Path) -> None:
    assert strip_ci_workspace("/usr/lib/python3/x.py") is None
    assert PathNormalizer(tmp_path, tails=False)("/usr/lib/python3/x.py") == "/usr/lib/python3/x.py"


def _junit(tmp_path: Path, file: str) -> Path:
    f = tmp_path / "junit.xml"
    f.write_text(
        '<testsuites name="pytest tests"><testsuite name="pytest" tests="1">'
        f'<testcase classname="tests.test_x" name="test_a" file="{file}" line="3" time="0.1"/>'
        "</testsuite></testsuites>"
    )
    return f


@pytest.mark.parametrize(("prefix", "agent"), AGENTS, ids=[a for _, a in AGENTS])
def test_every_report_kind_names_the_file_alike(prefix: str, agent: str, tmp_path: Path) -> None:
    win = "\\" in prefix
    sep = "\\" if win else "/"
    ctx = ReadContext(root=tmp_path)
    # JUnit file=
    junit = _junit(tmp_path, prefix + sep.join(["tests", "test_x.py"]))
    (tc,) = read_report(junit, ctx=ctx)[0].tests
    assert tc.file == "tests/test_x.py"
    # SARIF (bandit's real SARIF, its artifact URI written as a file:// URI of the agent)
    doc = json.loads((FIX / "bandit__sarif.sarif").read_text(encoding="utf-8"))
    uri_prefix = "file:///" + prefix.replace("\\", "/").lstrip("/")
    for res in doc["runs"][0]["results"]:
        for loc in res.get("locations", []):
            art = loc["physicalLocation"]["artifactLocation"]
            art["uri"] = uri_prefix + art["uri"]
    sarif = tmp_path / "bandit.sarif"
    sarif.write_text(json.dumps(doc))
    paths = {f.path for f in read_report(sarif, ctx=ctx)[0].findings}
    assert paths == {"src/todoList.py"}
    # gitleaks (its real report, File= as the agent wrote it)
    leaks = json.loads((FIX / "gitleaks-v8__many.json").read_text(encoding="utf-8"))
    for leak in leaks:
        leak["File"] = prefix + leak["File"].lstrip("/").replace("/", sep)
    gl = tmp_path / "gitleaks.json"
    gl.write_text(json.dumps(leaks))
    got = {f.path for f in read_report(gl, ctx=ctx)[0].findings}
    assert got == {
        leak_file(x)
        for x in json.loads((FIX / "gitleaks-v8__many.json").read_text(encoding="utf-8"))
    }
    # trivy (its real fs report, Target as the agent wrote it)
    tv = json.loads((FIX / "trivy__fs-misconfig-secrets.json").read_text(encoding="utf-8"))
    for res in tv["Results"]:
        res["Target"] = prefix + res["Target"].replace("/", sep)
    tf = tmp_path / "trivy.json"
    tf.write_text(json.dumps(tv))
    got = {f.path for f in read_report(tf, ctx=ctx)[0].findings if f.path}
    assert got <= {"requirements.txt", "Dockerfile", "secret.txt"}
    assert got


def leak_file(leak: dict[str, str]) -> str:
    return leak["File"].lstrip("/")
