"""The Dask executor against a real LocalCluster and a real ``dask scheduler`` + ``dask worker``
started here on 127.0.0.1: results equal a local run's, timeouts, crashes, cancel (no orphan),
cluster-wide resources, services on the worker and logs streamed while a step runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from testgate.errors import UsageError
from testgate.shard.executors import parse_executor
from testgate.testing import Project

from .conftest import PY, git_commit, write_suite

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # a cluster takes seconds to start

TRIVIAL = "pipeline: {stages: [{name: s, steps: [{name: ok, run: 'true'}]}]}"


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dask scheduler`` and ``dask worker`` (2 single-threaded workers) as real processes."""
    folder = tmp_path_factory.mktemp("dask")
    sched_file = folder / "scheduler.json"
    procs = [
        subprocess.Popen(
            [
                PY,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(folder / "scheduler.log", "wb"),  # noqa: SIM115
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists():
            assert time.monotonic() < deadline, (folder / "scheduler.log").read_text()
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        procs.append(
            subprocess.Popen(
                [
                    PY,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "2",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                ],
                stdout=subprocess.DEVNULL,
                stderr=open(folder / "worker.log", "wb"),  # noqa: SIM115
            )
        )
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _spawn(project: Project, *args: str) -> subprocess.Popen[bytes]:
    """``python -m testgate ARGS`` in the project, in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "testgate", *args],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _workers(address: str) -> dict[str, object]:
    with distributed.Client(address, timeout=30) as client:
        return dict(client.scheduler_info()["workers"])


def _summary(project: Project) -> dict[str, object]:
    doc = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert isinstance(doc, dict)
    return doc


def test_executor_spec() -> None:
    assert parse_executor("dask-local:3") == ("dask-local", 3)
    assert parse_executor("tcp://10.0.0.5:8786") == ("dask", "tcp://10.0.0.5:8786")
    assert parse_executor("local") == ("local", None)
    with pytest.raises(UsageError, match="expected local, dask-local:N"):
        parse_executor("kubernetes")


def test_a_local_cluster_run_equals_a_local_run(project: Project) -> None:
    write_suite(project, files=2, per_file=3)
    project.write(
        "testgate.yaml",
        f"""
        pipeline:
          stages:
            - name: test
              steps:
                - name: unit
                  run: {PY} -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml tests
                  reports: [reports/junit.xml]
                - name: check
                  run: echo checked
        """,
    )
    git_commit(project.root)
    project.run("run", "--no-record").assert_success()
    local = _summary(project)
    out = project.run("run", "--no-record", "--executor", "dask-local:2").assert_success()
    remote = _summary(project)

    def outcome(doc: dict[str, object]) -> object:
        tests = sorted((t["id"], t["status"]) for t in doc["tests"])  # type: ignore[attr-defined]
        steps = [(s["name"], s["status"], s["reports"]) for s in doc["steps"]]  # type: ignore[attr-defined]
        metrics = {k: v for k, v in doc["metrics"].items() if k.startswith("tests.")}  # type: ignore[attr-defined]
        metrics.pop("tests.duration_s")
        return tests, steps, metrics

    assert outcome(remote) == outcome(local)
    assert "10 tests: 10 passed" in out.out
    log = project.root / ".testgate/runs" / remote["run"]["id"] / "logs/test__unit.log"  # type: ignore[index]
    text = log.read_text()
    assert "runs on Dask worker tcp://" in text
    assert "10 passed" in text


def test_timeout_crash_and_retry_on_a_worker(project: Project, scheduler: str) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: test
              steps:
                - name: slow
                  run: sleep 60
                  timeout: 1s
                - name: crash
                  run: kill -SEGV $$
                - name: flaky
                  run: test -f once || { touch once; exit 1; }
                  retries: 1
        """,
    )
    out = project.run("run", "--no-record", "--executor", scheduler)
    out.assert_code(1)
    steps = {s["name"]: s for s in _summary(project)["steps"]}  # type: ignore[attr-defined]
    assert steps["slow"]["status"] == "timed_out"
    assert steps["slow"]["reason"] == "timed out after 1s"
    assert steps["crash"]["status"] == "failed"
    assert steps["crash"]["exit_code"] in (-11, 139)
    assert (steps["flaky"]["status"], steps["flaky"]["attempts"]) == ("passed", 2)
    # the crash took the step down, not the worker
    assert len(_workers(scheduler)) == 2
    project.write(
        "testgate.yaml", "pipeline: {stages: [{name: s, steps: [{name: ok, run: 'true'}]}]}"
    )
    project.run("run", "--no-record", "--executor", scheduler).assert_success()


def _processes_with(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmd:
            found.append(int(pid))
    return found


def test_cancel_kills_the_tree_on_the_worker(project: Project, scheduler: str) -> None:
    marker = f"testgate-orphan-{uuid.uuid4().hex}"
    project.write(
        "testgate.yaml",
        f"""
        pipeline:
          stages:
            - name: test
              steps:
                - name: long
                  run: sh -c 'sleep 300; echo {marker}' & sh -c 'sleep 301; echo {marker}'; wait
                - name: fails
                  run: sleep 2; exit 3
        """,
    )
    t0 = time.monotonic()
    out = project.run("run", "--no-record", "--fail-fast", "--executor", scheduler)
    out.assert_code(1)
    assert time.monotonic() - t0 < 60
    steps = {s["name"]: s for s in _summary(project)["steps"]}  # type: ignore[attr-defined]
    assert steps["long"]["status"] == "cancelled"
    assert "--fail-fast" in steps["long"]["reason"]
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(marker) == []


def test_resources_are_held_across_runs_on_one_cluster(tmp_path: Path, scheduler: str) -> None:
    stamps = tmp_path / "stamps.txt"
    projects = []
    for name in ("a", "b"):
        p = Project(tmp_path / name)
        p.write(
            "testgate.yaml",
            f"""
            resources: {{db: 1}}
            pipeline:
              stages:
                - name: test
                  steps:
                    - name: uses-db
                      resources: [db]
                      run: >-
                        {PY} -c "import time; s = time.time(); time.sleep(2);
                        open('{stamps}', 'a').write(f'{{s}} {{time.time()}}\\n')"
            """,
        )
        projects.append(p)
    procs = [_spawn(p, "run", "--no-record", "--executor", scheduler) for p in projects]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    spans = sorted(tuple(map(float, line.split())) for line in stamps.read_text().splitlines())
    assert len(spans) == 2
    assert spans[0][1] <= spans[1][0], f"the two steps held db at once: {spans}"


def test_a_service_starts_on_the_worker_that_runs_the_step(
    project: Project, scheduler: str
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    project.write("www/index.html", "hello from the service")
    project.write(
        "testgate.yaml",
        f"""
        services:
          web:
            start: {PY} -m http.server {port} --bind 127.0.0.1 --directory www
            ready: {{http: "http://127.0.0.1:{port}/"}}
        pipeline:
          stages:
            - name: test
              steps:
                - name: calls-web
                  services: [web]
                  run: >-
                    {PY} -c "import urllib.request as u;
                    assert b'hello' in u.urlopen('http://127.0.0.1:{port}/').read()"
        """,
    )
    project.run("run", "--no-record", "--executor", scheduler).assert_success()
    # stopped with the step: nothing listens on the port any more
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_the_log_streams_while_the_step_runs(project: Project, scheduler: str) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: test
              steps:
                - name: talks
                  run: echo first; sleep 6; echo second
        """,
    )
    proc = _spawn(project, "run", "--no-record", "--executor", scheduler)
    seen = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        logs = list((project.root / ".testgate/runs").glob("*/logs/test__talks.log"))
        seen = logs[0].read_text() if logs else ""
        if "first" in seen:
            break
        time.sleep(0.1)
    assert "first" in seen
    assert "second" not in seen  # still running: the line came over the stream
    assert proc.poll() is None
    assert proc.wait(timeout=60) == 0
    final = next((project.root / ".testgate/runs").glob("*/logs/test__talks.log")).read_text()
    assert final.count("first") == 1
    assert "second" in final


def test_a_sharded_pytest_step_on_the_cluster(project: Project, scheduler: str) -> None:
    write_suite(project, files=2, per_file=2)
    project.write(
        "testgate.yaml",
        f"""
        pipeline:
          stages:
            - name: test
              steps:
                - name: unit
                  run: {PY} -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml tests
                  reports: [reports/junit.xml]
        """,
    )
    git_commit(project.root)
    ids = []
    for i in (1, 2):
        project.run(
            "run", "--no-record", "--shard", f"{i}/2", "--executor", scheduler
        ).assert_success()
        ids += [t["id"] for t in _summary(project)["tests"]]  # type: ignore[attr-defined]
    assert len(ids) == len(set(ids)) == 8


def test_an_unreachable_scheduler(project: Project) -> None:
    project.write(
        "testgate.yaml", "pipeline: {stages: [{name: s, steps: [{name: ok, run: 'true'}]}]}"
    )
    with socket_free_port() as port:
        out = project.run("run", "--no-record", "--executor", f"tcp://127.0.0.1:{port}")
    out.assert_code(2)
    assert "cannot reach the Dask scheduler" in out.err


class socket_free_port:
    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


def test_secrets_are_masked_on_the_worker(project: Project, scheduler: str) -> None:
    """The run's masker travels with the step: the log streamed back holds no secret."""
    value = "api-" + "k7Q2" * 6
    token = "ghp_" + "Zx9" * 12
    project.write(
        "testgate.yaml",
        f"""
        pipeline:
          stages:
            - name: test
              steps:
                - name: leaky
                  env: {{API_TOKEN: {value}}}
                  run: echo "with $API_TOKEN and {token}"
        """,
    )
    proc = _spawn(project, "run", "--no-record", "--executor", scheduler)
    assert proc.wait(timeout=120) == 0
    log = next((project.root / ".testgate/runs").glob("*/logs/test__leaky.log")).read_text()
    assert "with *** and ***" in log
    assert value not in log
    assert token not in log
