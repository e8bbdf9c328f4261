"""The scale-out recipes of docs/scale-out.md, tried as far as this machine allows: the CI
scripts run for real on a project (shards one after another, with the variables the CI sets),
the Kubernetes manifests are validated against the Kubernetes API schemas."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from testgate.testing import Project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scale-out"


def _sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["sh", "-ec", script],
        cwd=cwd,
        env={**os.environ, "PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _ours(line: str) -> bool:
    """A line to run here: not the install (testgate is installed already)."""
    return not line.strip().startswith("pip install")


@pytest.mark.slow
def test_gitlab_parallel_and_merge(py_project: Project) -> None:
    ci = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())
    total = ci["tests"]["parallel"]
    script = "\n".join(line for line in ci["tests"]["script"] if _ours(line))
    for i in range(1, total + 1):
        proc = _sh(script, py_project.root, {"CI_NODE_INDEX": str(i), "CI_NODE_TOTAL": str(total)})
        assert proc.returncode == 0, proc.stdout + proc.stderr
    shards = sorted((py_project.root / "shards").glob("shard-*.json"))
    assert len(shards) == total
    merge = "\n".join(line for line in ci["merge"]["script"] if _ours(line))
    proc = _sh(merge, py_project.root, {})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    merged = json.loads((py_project.root / "merged.json").read_text())
    assert merged["metrics"]["tests.total"] == 24
    junit = (py_project.root / "merged-junit.xml").read_text()
    assert junit.count("<testcase") == 24


@pytest.mark.slow
def test_github_matrix_and_merge(py_project: Project, tmp_path: Path) -> None:
    wf = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    output = tmp_path / "github_output"
    step = next(s for s in wf["jobs"]["plan"]["steps"] if s.get("id") == "matrix")
    proc = _sh(step["run"], py_project.root, {"GITHUB_OUTPUT": str(output)})
    assert proc.returncode == 0, proc.stderr
    matrix = json.loads(output.read_text().strip().removeprefix("matrix="))
    assert len(matrix["include"]) == 4
    run_shard = next(s for s in wf["jobs"]["shard"]["steps"] if s.get("name") == "run shard")
    for entry in matrix["include"]:
        values = {k: str(v) for k, v in entry.items()}
        script = re.sub(
            r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m, v=values: v[m.group(1)], run_shard["run"]
        )
        proc = _sh(script, py_project.root, {})
        assert proc.returncode == 0, proc.stdout + proc.stderr
    merge = next(s for s in wf["jobs"]["merge"]["steps"] if s.get("name") == "merge, gate, record")
    proc = _sh(merge["run"], py_project.root, {})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    merged = json.loads((py_project.root / "merged.json").read_text())
    assert merged["metrics"]["tests.total"] == 24
    assert merged["run"]["ci"]["shard_total"] == 4
    assert (py_project.root / "report.html").is_file()
    assert (py_project.root / "verdict.md").is_file()


def _validate(doc: dict[str, Any], where: str) -> None:
    kv = pytest.importorskip("kubernetes_validate")
    try:
        kv.validate(doc, "1.30.0", strict=True)
    except kv.ValidationError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"{where}: {exc.message} at {'.'.join(map(str, exc.path))}")


def test_the_validation_catches_a_misspelt_key() -> None:
    doc = yaml.safe_load_all((EXAMPLES / "k8s-indexed-job.yaml").read_text())
    job = next(iter(doc))
    job["spec"]["completionsMode"] = job["spec"].pop("completionMode")
    with pytest.raises(pytest.fail.Exception, match="completionsMode"):
        _validate(job, "Job")


def test_kubernetes_indexed_job_manifest() -> None:
    docs = list(yaml.safe_load_all((EXAMPLES / "k8s-indexed-job.yaml").read_text()))
    assert [d["kind"] for d in docs] == ["Job", "Job", "PersistentVolumeClaim"]
    for d in docs:
        _validate(d, f"{d['kind']} {d['metadata']['name']}")
    shards = docs[0]
    assert shards["spec"]["completionMode"] == "Indexed"
    n = shards["spec"]["completions"]
    args = shards["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert f"--shard auto --shards {n}" in args


def test_dask_operator_cluster_manifest() -> None:
    doc = yaml.safe_load((EXAMPLES / "dask-cluster.yaml").read_text())
    assert (doc["apiVersion"], doc["kind"]) == ("kubernetes.dask.org/v1", "DaskCluster")
    spec = doc["spec"]
    assert set(spec) == {"worker", "scheduler"}
    assert set(spec["worker"]) == {"replicas", "spec"}
    assert set(spec["scheduler"]) == {"spec", "service"}
    # the operator's worker and scheduler specs are Kubernetes PodSpecs, its service a ServiceSpec
    for role in ("worker", "scheduler"):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": role},
            "spec": spec[role]["spec"],
        }
        _validate(pod, f"DaskCluster spec.{role}.spec")
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "scheduler"},
        "spec": spec["scheduler"]["service"],
    }
    _validate(service, "DaskCluster spec.scheduler.service")
    worker_args = spec["worker"]["spec"]["containers"][0]["args"]
    assert worker_args[:2] == ["dask", "worker"]
    assert worker_args[worker_args.index("--nthreads") + 1] == "1"
