"""The CI recipes run as far as this machine allows.

- The action's own steps (action.yml) run verbatim in bash as a GitHub runner runs them, with
  the GITHUB_* files a runner provides (the full action also runs through act:
  test_github_action.py).
- examples/ci/github/testgate.yml: validated against the workflow schema; every ``run:`` script
  runs verbatim on a fixture repository, job by job, the action standing in for its ``uses:``.
- examples/ci/gitlab: both files validated against GitLab's CI schema; every ``script`` line of
  the jobs runs verbatim, as GitLab runs them, ``parallel:`` shards included.
- examples/ci/jenkins/Jenkinsfile: every ``sh`` step is extracted and run, stage by stage.

A recipe step that needs a command another issue is building (select, merge, run --shard,
run --affected) skips its test with the command's name until that command exists.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.ci._recipes import (
    ROOT,
    expand,
    features_in,
    make_repo,
    read_outputs,
    require,
    run_shell,
    runner_env,
)

SCHEMAS = ROOT / "tests" / "schemas"
GITHUB = ROOT / "examples" / "ci" / "github" / "testgate.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab"
JENKINS = ROOT / "examples" / "ci" / "jenkins" / "Jenkinsfile"


def _validator(name: str) -> jsonschema.protocols.Validator:
    return jsonschema.Draft7Validator(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))


def _sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


# ------------------------------------------------------------------------------ the action


@dataclass
class ActionRun:
    outputs: dict[str, str]
    log: str
    summary: str
    #: the exit code of the first step that failed (0: none failed)
    code: int
    ran: list[str] = field(default_factory=list)


_ACTION_CONDITIONS: dict[str, Callable[[dict[str, str], dict[str, str]], bool]] = {
    "inputs.python-version != ''": lambda i, s: i["python-version"] != "",
    "inputs.install == 'true'": lambda i, s: i["install"] == "true",
    "inputs.fail == 'true' && steps.run.outputs.exit-code != '0'": (
        lambda i, s: i["fail"] == "true" and s.get("steps.run.outputs.exit-code") != "0"
    ),
}


def run_action(inputs: dict[str, str], repo: Path, tmp: Path) -> ActionRun:
    """action.yml's steps as a runner runs them: ``if:`` conditions, env from inputs, a
    GITHUB_OUTPUT and GITHUB_STEP_SUMMARY file per step. setup-python and pip are what this
    test environment already is (the act test runs them)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    values = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    unknown = set(inputs) - set(values)
    assert not unknown, f"the action has no input {unknown}"
    values.update(inputs)
    ctx = {f"inputs.{k}": v for k, v in values.items()}
    ctx["github.action_path"] = str(ROOT)
    log, summary, code, ran = "", "", 0, []
    for n, step in enumerate(action["runs"]["steps"]):
        cond = step.get("if")
        if cond is not None and not _ACTION_CONDITIONS[cond](values, ctx):
            continue
        if "uses" in step:
            assert step["uses"].startswith("actions/setup-python@")
            continue
        if step.get("name") == "Install testgate":
            continue
        out_file, sum_file = tmp / f"out-{n}", tmp / f"summary-{n}"
        out_file.write_text("")
        sum_file.write_text("")
        env = runner_env(
            GITHUB_OUTPUT=str(out_file),
            GITHUB_STEP_SUMMARY=str(sum_file),
            GITHUB_ACTION_PATH=str(ROOT),
            GITHUB_WORKSPACE=str(repo),
            GITHUB_ACTIONS="true",
            CI="true",
        )
        env.update({k: expand(str(v), ctx) for k, v in step.get("env", {}).items()})
        cwd = repo / expand(step.get("working-directory", "."), ctx)
        proc = run_shell(step["run"], cwd, env)
        ran.append(step.get("name", ""))
        log += proc.stdout + proc.stderr
        summary += sum_file.read_text()
        for k, v in read_outputs(out_file).items():
            ctx[f"steps.{step['id']}.outputs.{k}"] = v
        if proc.returncode != 0 and code == 0:
            code = proc.returncode
    outputs = {k: expand(v["value"], ctx) for k, v in action["outputs"].items()}
    return ActionRun(outputs, log, summary, code, ran)


def test_the_action_steps_gate_annotate_summarise_and_fail(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    got = run_action({"python-version": "", "html": "report.html"}, repo, tmp_path)
    assert got.outputs["verdict"] == "fail"
    assert got.outputs["exit-code"] == "3"
    assert got.outputs["summary-path"] == str(repo / ".testgate/latest/summary.json")
    assert got.code == 3  # the last step fails the job with testgate's exit code
    assert got.ran == ["Run testgate", "Fail when testgate failed"]
    assert "Quality gate failed" in got.summary
    assert "::error file=tests/test_add.py,line=" in got.log
    assert "::warning file=testgate.yaml," in got.log  # the non-blocking lint gate
    assert "::error file=src/lib.py,line=1,title=ruff F401::" in got.log
    assert (repo / "report.html").is_file()


def test_the_action_can_leave_the_decision_to_a_later_step(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    got = run_action(
        {"python-version": "", "fail": "false", "annotations": "false", "step-summary": "false"},
        repo,
        tmp_path,
    )
    assert got.code == 0
    assert got.outputs["exit-code"] == "3"
    assert got.summary == ""
    assert "::error file=" not in got.log


def test_an_older_summary_is_never_reported_as_this_runs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    run_action({"python-version": "", "fail": "false"}, repo, tmp_path)
    (repo / "testgate.yaml").write_text("pipeline: [not, a, mapping]\n")
    got = run_action({"python-version": "", "fail": "false"}, repo, tmp_path)
    assert got.outputs == {"verdict": "error", "exit-code": "2", "summary-path": ""}
    assert "testgate run exited 2 and wrote no summary" in got.log


def test_the_action_passes_extra_args_and_a_config_in_a_subdirectory(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    sub = repo / "svc"
    sub.mkdir()
    for name in ("src", "tests"):
        shutil.move(str(repo / name), str(sub / name))
    shutil.move(str(repo / "testgate.yaml"), str(sub / "testgate.yaml"))
    got = run_action(
        {
            "python-version": "",
            "config": "svc/testgate.yaml",
            "args": "--stage lint",
            "fail": "false",
        },
        repo,
        tmp_path,
    )
    # lint only: no test report, so the blocking test gate is not measured and fails (fail closed)
    assert got.outputs["exit-code"] == "3", got.log
    assert got.outputs["summary-path"] == str(sub / ".testgate/latest/summary.json")
    assert "testgate run --config svc/testgate.yaml --stage lint" in got.log
    # paths relative to the repository root, not to the configuration's directory
    assert "::error file=svc/src/lib.py,line=1,title=ruff F401::" in got.log
    assert "::error file=svc/testgate.yaml,line=" in got.log


def test_the_action_shard_and_affected_inputs(tmp_path: Path) -> None:
    require("shard", "affected")
    repo = make_repo(tmp_path / "repo")
    got = run_action(
        {
            "python-version": "",
            "shard": "1/2",
            "affected": "true",
            "base": "origin/main",
            "fail": "false",
        },
        repo,
        tmp_path,
    )
    assert "--shard 1/2 --affected --base origin/main" in got.log
    summary = json.loads(Path(got.outputs["summary-path"]).read_text())
    assert summary["run"]["ci"]["shard_index"] == 1
    assert summary["run"]["ci"]["shard_total"] == 2


# ------------------------------------------------------------------------------ GitHub example


def _github_workflow() -> dict[str, Any]:
    wf: dict[Any, Any] = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    if True in wf:  # YAML 1.1 reads the key `on` as a boolean; GitHub reads it as a string
        wf["on"] = wf.pop(True)
    return wf


def test_github_example_is_a_valid_workflow() -> None:
    wf = _github_workflow()
    _validator("github-workflow.json").validate(wf)
    assert list(wf["jobs"]) == ["select", "tests", "quality-gates"]
    gates = wf["jobs"]["quality-gates"]
    assert gates["if"] == "always()"
    report = [s for s in gates["steps"] if s.get("name") in ("Generate report", "Upload report")]
    assert [s["if"] for s in report] == ["always()", "always()"]
    scripts = "\n".join(s.get("run", "") for s in gates["steps"])
    assert "testgate gate --summary merged.json --strict" in scripts


def test_github_example_pipeline_runs(tmp_path: Path) -> None:
    wf = _github_workflow()
    scripts = "\n".join(s.get("run", "") for j in wf["jobs"].values() for s in j["steps"])
    action_yml = (ROOT / "action.yml").read_text()
    require(*features_in(scripts), "shard", "affected")
    assert "--shard" in action_yml
    repo = make_repo(tmp_path / "repo")
    shards = int(wf["env"]["SHARDS"])
    ctx: dict[str, str] = {
        "github.base_ref || github.event.repository.default_branch": "main",
        "github.base_ref": "main",
        "env.SHARDS": str(shards),
        "secrets.TESTGATE_DB": "",
    }

    def run_job(job: dict[str, Any], job_ctx: dict[str, str], tag: str) -> dict[str, str]:
        outputs: dict[str, str] = {}
        for n, step in enumerate(job["steps"]):
            uses = step.get("uses", "")
            if uses.startswith(("actions/checkout@", "actions/setup-python@")):
                continue  # the fixture repository and this python
            if uses.startswith("actions/upload-artifact@"):
                if step["with"]["name"].startswith("summary-"):
                    src = Path(expand(step["with"]["path"], job_ctx))
                    dst = artifacts / expand(step["with"]["name"], job_ctx) / src.name
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, dst)
                continue
            if uses.startswith("actions/download-artifact@"):
                shutil.copytree(artifacts, repo / step["with"]["path"], dirs_exist_ok=True)
                continue
            if uses.startswith("github/codeql-action/upload-sarif@"):
                _sarif_validator().validate(json.loads((repo / "testgate.sarif").read_text()))
                continue
            if uses.endswith("/testgate@v0"):
                inputs = {k: expand(str(v), job_ctx) for k, v in step["with"].items()}
                got = run_action({"python-version": "", **inputs}, repo, tmp_path)
                for k, v in got.outputs.items():
                    job_ctx[f"steps.{step['id']}.outputs.{k}"] = v
                continue
            assert not uses, f"the test does not emulate {uses}"
            if step["run"].strip() == "python -m pip install testgate":
                continue  # this test environment is that install
            out_file = tmp_path / f"{tag}-{n}.out"
            out_file.write_text("")
            env = runner_env(
                GITHUB_OUTPUT=str(out_file),
                GITHUB_STEP_SUMMARY=str(tmp_path / f"{tag}-{n}.md"),
                GITHUB_EVENT_NAME="pull_request",
            )
            env.update({k: expand(str(v), job_ctx) for k, v in step.get("env", {}).items()})
            proc = run_shell(step["run"], repo, env)
            assert proc.returncode in (0, 3), (step.get("name"), proc.stdout + proc.stderr)
            for k, v in read_outputs(out_file).items():
                job_ctx[f"steps.{step.get('id')}.outputs.{k}"] = v
        for k, v in job.get("outputs", {}).items():
            outputs[k] = expand(v, job_ctx)
        return outputs

    artifacts = tmp_path / "artifacts"
    selected = run_job(wf["jobs"]["select"], dict(ctx), "select")
    assert selected["full"] in ("true", "false")
    for shard in range(1, shards + 1):
        job_ctx = {
            **ctx,
            "matrix.shard": str(shard),
            "github.event_name == 'pull_request' && needs.select.outputs.full != 'true'": str(
                selected["full"] != "true"
            ).lower(),
        }
        run_job(wf["jobs"]["tests"], job_ctx, f"shard{shard}")
    run_job(wf["jobs"]["quality-gates"], dict(ctx), "gates")
    merged = json.loads((repo / "merged.json").read_text())
    assert merged["metrics"]["tests.failed"] >= 0
    assert (repo / "test-report.html").is_file()


# ------------------------------------------------------------------------------ GitLab


def _gitlab(name: str) -> dict[str, Any]:
    return yaml.safe_load((GITLAB / name).read_text(encoding="utf-8"))


def _job(template: dict[str, Any], pipeline: dict[str, Any], name: str) -> dict[str, Any]:
    """A job with its `extends` merged in (GitLab merges hashes deeply, the job winning)."""
    jobs = {**template, **pipeline}
    job = jobs[name]
    base: dict[str, Any] = {}
    for parent in (
        [job["extends"]] if isinstance(job.get("extends"), str) else job.get("extends", [])
    ):
        base = _deep_merge(base, _job(template, pipeline, parent))
    return _deep_merge(base, {k: v for k, v in job.items() if k != "extends"})


def _deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = (
            _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        )
    return out


def _gitlab_script(job: dict[str, Any]) -> str:
    """The job's script; its before_script only installs testgate, which this environment is."""
    assert job["before_script"][-1].startswith("python -m pip install")
    return "\n".join(job["script"])


def test_gitlab_files_are_valid_ci_configuration() -> None:
    validator = _validator("gitlab-ci.json")
    template = _gitlab("testgate.gitlab-ci.yml")
    pipeline = _gitlab(".gitlab-ci.yml")
    validator.validate(template)
    validator.validate(pipeline)
    assert pipeline["include"] == [{"local": "examples/ci/gitlab/testgate.gitlab-ci.yml"}]
    gate = _job(template, pipeline, "quality-gates")
    assert gate["artifacts"]["reports"] == {
        "junit": "testgate-junit.xml",
        "codequality": "gl-code-quality-report.json",
    }
    assert gate["artifacts"]["when"] == "always"
    assert _job(template, pipeline, "tests")["parallel"] == 4
    note = _job(template, pipeline, "verdict-note")
    assert "TESTGATE_GITLAB_TOKEN" in note["script"][0]
    assert "body@testgate-verdict.md" in note["script"][0]


def _gitlab_env(repo: Path, **extra: str) -> dict[str, str]:
    return runner_env(
        CI="true",
        GITLAB_CI="true",
        CI_PROJECT_DIR=str(repo),
        CI_DEFAULT_BRANCH="main",
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
        **extra,
    )


def test_gitlab_single_job_template_runs(tmp_path: Path) -> None:
    """`.testgate-run`: what a project without shards extends; runs here in full."""
    repo = make_repo(tmp_path / "repo")
    job = _job(_gitlab("testgate.gitlab-ci.yml"), {}, ".testgate-run")
    proc = run_shell(_gitlab_script(job), repo, _gitlab_env(repo), shell="gitlab")
    assert proc.returncode == 3, proc.stdout + proc.stderr  # the blocking gate failed
    for path in [*job["artifacts"]["paths"], *job["artifacts"]["reports"].values()]:
        assert (repo / path).is_file(), path
    quality = json.loads((repo / "gl-code-quality-report.json").read_text())
    assert {q["location"]["path"] for q in quality} == {"src/lib.py", "testgate.yaml"}
    junit = (repo / "testgate-junit.xml").read_text()
    assert 'name="test_add_wrong"' in junit
    assert "tests.failed" in (repo / "testgate-verdict.md").read_text()


def test_gitlab_example_pipeline_runs(tmp_path: Path) -> None:
    template, pipeline = _gitlab("testgate.gitlab-ci.yml"), _gitlab(".gitlab-ci.yml")
    scripts = "\n".join(
        "\n".join(_job(template, pipeline, j).get("script", []))
        for j in ("select", "tests", "quality-gates")
    )
    require(*features_in(scripts))
    repo = make_repo(tmp_path / "repo")
    # git fetch of the target branch: the fixture has origin/main already
    select = _job(template, pipeline, "select")
    script = "\n".join(x for x in select["script"] if not x.startswith("git fetch"))
    proc = run_shell(script, repo, _gitlab_env(repo), shell="gitlab")
    assert proc.returncode == 0, proc.stderr
    tests = _job(template, pipeline, "tests")
    for i in range(1, tests["parallel"] + 1):
        env = _gitlab_env(repo, CI_NODE_INDEX=str(i), CI_NODE_TOTAL=str(tests["parallel"]))
        proc = run_shell(_gitlab_script(tests), repo, env, shell="gitlab")
        assert proc.returncode in (0, *tests["allow_failure"]["exit_codes"]), proc.stderr
    gate = _job(template, pipeline, "quality-gates")
    proc = run_shell(_gitlab_script(gate), repo, _gitlab_env(repo), shell="gitlab")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    for path in [*gate["artifacts"]["paths"], *gate["artifacts"]["reports"].values()]:
        assert (repo / path).is_file(), path


# ------------------------------------------------------------------------------ Jenkins

_SH = re.compile(r"sh\(?\s*(?:script:\s*)?('''|'|\"\"\")(.*?)\1", re.S)


def _stages() -> dict[str, list[str]]:
    """Stage name -> the scripts of its ``sh`` steps, in order."""
    text = JENKINS.read_text(encoding="utf-8")
    out: dict[str, list[str]] = {}
    marks = [(m.start(), m.group(1)) for m in re.finditer(r"stage\('([^']+)'\)", text)]
    for i, (at, name) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else text.index("post {")
        out.setdefault(name, []).extend(m.group(2) for m in _SH.finditer(text, at, end))
    return out


def test_jenkinsfile_shape() -> None:
    text = JENKINS.read_text(encoding="utf-8")
    stages = _stages()
    assert list(stages) == ["Install", "Select", "Tests", "Shard", "Quality gates"]
    post = text[text.index("post {") :]
    assert "junit allowEmptyResults: true, testResults: 'testgate-junit.xml'" in post
    assert "recordIssues" in post
    assert "sarif(pattern: 'testgate.sarif'" in post
    assert "publishHTML" in post
    # the exit-code mapping the comment at the top documents
    assert "if (code == 1) {\n                  unstable(" in text
    assert "if (code == 3) {\n            error(" in text
    assert "unstable('testgate gate: a gate warns" in text


def test_jenkins_pipeline_runs(tmp_path: Path) -> None:
    stages = _stages()
    require(*features_in("\n".join(s for v in stages.values() for s in v)))
    repo = make_repo(tmp_path / "repo")
    # the Install stage's virtual environment is this test environment's
    (repo / ".venv").symlink_to(Path(sys.executable).parent.parent)
    env = runner_env(CHANGE_TARGET="main", SHARDS="4")
    assert stages["Install"][0].startswith("python3 -m venv .venv")  # the symlink above
    for script in stages["Select"]:
        assert run_shell(script, repo, env, shell="jenkins").returncode == 0
    for shard in range(1, 5):
        for script in stages["Shard"][1:]:
            proc = run_shell(script, repo, {**env, "SHARD": str(shard)}, shell="jenkins")
            assert proc.returncode in (0, 1), proc.stderr
    codes = [run_shell(s, repo, env, shell="jenkins").returncode for s in stages["Quality gates"]]
    assert codes[:4] == [0, 0, 0, 0]
    assert codes[4] == 3  # the gate fails: FAILURE
    _sarif_validator().validate(json.loads((repo / "testgate.sarif").read_text()))
    assert (repo / "report" / "index.html").is_file()
