"""Facts about where a run happens: the git commit and branch, the CI provider, the event.

Everything here is best effort and cheap: a directory that is not a git repository, or a
machine without git, simply yields no facts.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.model import CiInfo, VcsInfo

if TYPE_CHECKING:
    from testgate.config.expr import ExprContext

__all__ = ["changed_files", "ci_info", "current_branch", "event_name", "expr_context", "vcs_info"]


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def current_branch(root: Path, env: Mapping[str, str]) -> str | None:
    """The branch: from CI variables first (CI checkouts are often detached), else from git."""
    for var in (
        "TESTGATE_BRANCH",
        "GITHUB_HEAD_REF",  # set on pull requests: the source branch
        "GITHUB_REF_NAME",
        "CI_COMMIT_BRANCH",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        "CI_COMMIT_REF_NAME",
        "BRANCH_NAME",  # Jenkins multibranch
        "GIT_BRANCH",  # Jenkins git plugin: origin/main
    ):
        value = env.get(var)
        if value:
            return value.removeprefix("origin/")
    branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    return branch if branch and branch != "HEAD" else None


def vcs_info(root: Path, env: Mapping[str, str]) -> VcsInfo:
    commit = env.get("GITHUB_SHA") or env.get("CI_COMMIT_SHA") or env.get("GIT_COMMIT")
    if not commit:
        commit = _git(root, "rev-parse", "HEAD")
    if not commit:
        return VcsInfo()
    base = (
        env.get("GITHUB_BASE_REF")
        or env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
        or env.get("CHANGE_TARGET")
        or None
    )
    return VcsInfo(commit=commit, branch=current_branch(root, env), base_ref=base)


def ci_info(env: Mapping[str, str]) -> CiInfo:
    if env.get("GITHUB_ACTIONS") == "true":
        return CiInfo(provider="github", job=env.get("GITHUB_JOB"))
    if env.get("GITLAB_CI"):
        return CiInfo(provider="gitlab", job=env.get("CI_JOB_NAME"))
    if env.get("JENKINS_URL"):
        return CiInfo(provider="jenkins", job=env.get("JOB_NAME"))
    if env.get("CI", "").lower() in ("1", "true", "yes"):
        return CiInfo(provider="ci")
    return CiInfo()


def event_name(env: Mapping[str, str]) -> str | None:
    """What triggered the run: ``push``, ``pull_request``, ``schedule``, ``manual``...

    ``TESTGATE_EVENT`` overrides (to try a ``when`` locally); outside CI it is ``None``.
    """
    if env.get("TESTGATE_EVENT"):
        return env["TESTGATE_EVENT"]
    if env.get("GITHUB_EVENT_NAME"):
        gh = env["GITHUB_EVENT_NAME"]
        return "manual" if gh == "workflow_dispatch" else gh
    if env.get("CI_PIPELINE_SOURCE"):
        gl = env["CI_PIPELINE_SOURCE"]
        return {"merge_request_event": "pull_request", "web": "manual"}.get(gl, gl)
    if env.get("JENKINS_URL"):
        return "pull_request" if env.get("CHANGE_ID") else "push"
    return None


def changed_files(root: Path, base: str | None = None) -> list[str] | None:
    """Files changed since the merge-base with the upstream (or main), or None if unknown.

    Paths are relative to the repository's top level, as git prints them.
    """
    candidates = [f"origin/{base}", base] if base else []
    candidates += ["@{upstream}", "origin/main", "main", "origin/master", "master"]
    head = _git(root, "rev-parse", "HEAD")
    if head is None:
        return None
    for ref in candidates:
        mb = _git(root, "merge-base", "HEAD", ref)
        if mb is None:
            continue
        if mb == head and ref in ("main", "master", "origin/main", "origin/master"):
            # on main itself: what the last commit changed
            mb = _git(root, "rev-parse", "HEAD~1") or mb
        out = _git(root, "diff", "--name-only", mb)
        if out is None:
            return None
        return [line for line in out.splitlines() if line]
    return None


def expr_context(root: Path, env: Mapping[str, str] | None = None) -> ExprContext:
    """The context a ``when`` expression sees."""
    from testgate.config.expr import ExprContext

    env = dict(os.environ if env is None else env)
    return ExprContext(
        branch=current_branch(root, env),
        event=event_name(env),
        env=env,
        changed_files=changed_files(root, env.get("GITHUB_BASE_REF") or None),
    )
