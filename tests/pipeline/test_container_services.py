"""Container services (``image: postgres:16``): the docker/podman command lines, the refusal
(exit 2, the service, its file:line and what to install) when no runtime is usable, and the
real start where a docker daemon or podman works (skipped here with the reason: this machine
has the docker client but no daemon, and no podman)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from testgate.config.schema import ServiceSpec
from testgate.pipeline.services import (
    ContainerRuntime,
    container_name,
    container_run_argv,
    container_stop_argv,
    detect_container_runtime,
    publish_arg,
)
from testgate.testing import Project


def _spec(**kw: object) -> ServiceSpec:
    return ServiceSpec.model_validate({"image": "postgres:16", **kw})


@pytest.mark.parametrize("runtime", ["docker", "/usr/bin/podman"])
def test_run_command_line(runtime: str) -> None:
    spec = _spec(
        ports=[5432, "15432:5433", "0.0.0.0:8080:80", "53/udp"],
        env={"POSTGRES_PASSWORD": "s3cret", "POSTGRES_DB": "test"},
        options=["--tmpfs", "/var/lib/postgresql/data", "--shm-size=256m"],
        command="postgres -c fsync=off",
    )
    argv = container_run_argv(runtime, spec, container="testgate-r1-db")
    assert argv == [
        runtime,
        "run",
        "--rm",
        "--name",
        "testgate-r1-db",
        "-p",
        "127.0.0.1:5432:5432",
        "-p",
        "127.0.0.1:15432:5433",
        "-p",
        "0.0.0.0:8080:80",
        "-p",
        "127.0.0.1:53:53/udp",
        "-e",
        "POSTGRES_PASSWORD",
        "-e",
        "POSTGRES_DB",
        "--label",
        "org.testgate.service=1",
        "--tmpfs",
        "/var/lib/postgresql/data",
        "--shm-size=256m",
        "postgres:16",
        "postgres",
        "-c",
        "fsync=off",
    ]
    # a secret is passed by name: its value is never on a command line (ps shows those)
    assert not any("s3cret" in a for a in argv)
    assert container_stop_argv(runtime, "testgate-r1-db") == [runtime, "rm", "-f", "testgate-r1-db"]


def test_command_as_a_list_is_kept_as_given() -> None:
    argv = container_run_argv(
        "docker", _spec(command=["redis-server", "--save", ""]), container="c"
    )
    assert argv[-4:] == ["postgres:16", "redis-server", "--save", ""]


def test_publish_and_names() -> None:
    assert publish_arg("[::1]:5432:5432") == "[::1]:5432:5432"
    assert publish_arg("6379") == "127.0.0.1:6379:6379"
    assert (
        container_name("20261121T120102Z-ab12cd", "My DB!")
        == "testgate-20261121t120102z-ab12cd-my-db"
    )


def _config(service: str, *, stage: str = "it") -> str:
    return (
        "services:\n"
        + textwrap.indent(service, "  ")
        + textwrap.dedent(
            f"""\
            pipeline:
              stages:
                - name: unit
                  steps:
                    - name: quick
                      run: "true"
                - name: {stage}
                  steps:
                    - name: db_tests
                      run: "true"
                      services: [db]
            """
        )
    )


DB = """\
db:
  image: postgres:16
  ports: [5432]
  env: {POSTGRES_PASSWORD: postgres}
  ready:
    command: '"$TESTGATE_CONTAINER_RUNTIME" exec "$TESTGATE_SERVICE_CONTAINER" pg_isready'
    timeout: 120s
"""


def _line(path: Path, needle: str) -> int:
    return next(n for n, x in enumerate(path.read_text().splitlines(), 1) if needle in x)


def _empty_path(tmp_path: Path) -> str:
    """A PATH with a shell and the basics but neither docker nor podman."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "true", "env"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def test_no_runtime_installed_is_refused_before_anything_runs(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project.write("testgate.yaml", _config(DB))
    monkeypatch.setenv("PATH", _empty_path(tmp_path))
    monkeypatch.delenv("TESTGATE_CONTAINER_RUNTIME", raising=False)
    out = project.run("run", "--no-record")
    assert out.code == 2, out.err
    line = _line(config, "image: postgres:16")
    assert f"testgate.yaml:{line}: service 'db' runs the container image postgres:16" in out.err
    assert "neither docker nor podman is installed" in out.err
    assert "apt-get install podman" in out.err
    assert "Traceback" not in out.err
    # refused before anything ran: no step started, no run directory
    assert not (project.root / ".testgate" / "runs").exists()


def test_a_container_service_of_an_unselected_stage_does_not_block(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("testgate.yaml", _config(DB))
    monkeypatch.setenv("PATH", _empty_path(tmp_path))
    project.run("run", "--no-record", "--stage", "unit").assert_success()


def _docker_daemon_down() -> str | None:
    """The docker client's own words when it is installed and its daemon does not answer."""
    if shutil.which("docker") is None:
        return None
    found = detect_container_runtime({"PATH": os.path.dirname(shutil.which("docker") or "")})
    return None if isinstance(found, ContainerRuntime) else found


def test_docker_without_its_daemon_is_refused_with_its_own_words(project: Project) -> None:
    why = _docker_daemon_down()
    if why is None:
        pytest.skip("needs the docker client installed and its daemon not running")
    config = project.write("testgate.yaml", _config(DB))
    docker_dir = os.path.dirname(shutil.which("docker") or "")
    env = {"PATH": f"{docker_dir}:/usr/bin:/bin", "TESTGATE_CONTAINER_RUNTIME": ""}
    out = project.run_subprocess("run", "--no-record", env=env)
    assert out.code == 2, out.err
    assert f"testgate.yaml:{_line(config, 'image:')}: service 'db'" in out.err
    assert "docker is installed but its daemon does not answer" in out.err
    assert "Cannot connect to the Docker daemon" in out.err
    assert "systemctl start docker" in out.err


def test_validate_names_the_line_of_a_bad_service(project: Project) -> None:
    project.write(
        "testgate.yaml",
        textwrap.dedent(
            """\
            services:
              both:
                start: sleep 1
                image: redis:7
              portless:
                start: sleep 1
                ports: [6379]
              badport:
                image: redis:7
                ports: ["lots"]
              flag:
                image: "--privileged"
            """
        ),
    )
    out = project.run("validate")
    assert out.code == 2
    assert "testgate.yaml:2: services.both: got both 'start' and 'image'" in out.err
    assert "services.portless: 'ports' applies to a container" in out.err
    assert "services.badport.ports.0: got 'lots' (string); expected a port such as 5432" in out.err
    assert (
        "services.flag.image: got '--privileged' (string); expected an image reference" in out.err
    )


# ---------------------------------------------------------------- the service's whole lifecycle

STAND_IN = """\
#!/bin/sh
# A stand-in for the docker client (no docker daemon runs on this machine): it answers the
# version probe, "runs" a container by listening on the published port, and logs what it did.
log="$STAND_IN_LOG"
case "$1" in
  version) echo 99.0; exit 0 ;;
  rm) echo "rm $*" >> "$log"; exit 0 ;;
  exec) shift 2; exec "$@" ;;
  run)
    echo "run $*" >> "$log"
    echo "password seen by the runtime: $POSTGRES_PASSWORD" >> "$log"
    port=$(printf '%s\\n' "$@" | sed -n 's/^127.0.0.1:\\([0-9]*\\):.*/\\1/p' | head -n1)
    exec "$STAND_IN_PY" -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(); time.sleep(300)"
    ;;
esac
exit 64
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_lifecycle_through_a_stand_in_runtime(project: Project, tmp_path: Path) -> None:
    """Start, readiness, environment by name, the step's access, and removal at the end."""
    runtime = tmp_path / "docker"
    runtime.write_text(STAND_IN)
    runtime.chmod(runtime.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "runtime.log"
    port = _free_port()
    project.write(
        "testgate.yaml",
        textwrap.dedent(
            f"""\
            services:
              db:
                image: postgres:16
                ports: [{port}]
                env: {{POSTGRES_PASSWORD: s3cret}}
                ready:
                  command: >-
                    "$TESTGATE_CONTAINER_RUNTIME" exec "$TESTGATE_SERVICE_CONTAINER"
                    {sys.executable} -c "import socket;
                    socket.create_connection(('127.0.0.1', {port}), timeout=1).close()"
                  timeout: 60s
            pipeline:
              stages:
                - name: it
                  steps:
                    - name: db_tests
                      run: >-
                        {sys.executable} -c "import socket;
                        socket.create_connection(('127.0.0.1', {port}), timeout=5).close()"
                      services: [db]
            """
        ),
    )
    env = {
        "TESTGATE_CONTAINER_RUNTIME": str(runtime),
        "STAND_IN_LOG": str(log),
        "STAND_IN_PY": sys.executable,
    }
    out = project.run_subprocess("run", "--no-record", env=env)
    assert out.code == 0, out.out + out.err
    lines = log.read_text().splitlines()
    run_line = next(x for x in lines if x.startswith("run "))
    assert f"-p 127.0.0.1:{port}:{port}" in run_line
    assert "-e POSTGRES_PASSWORD" in run_line
    assert "s3cret" not in run_line
    assert "password seen by the runtime: s3cret" in lines
    name = run_line.split("--name ", 1)[1].split()[0]
    assert name.startswith("testgate-")
    assert name.endswith("-db")
    assert f"rm rm -f {name}" in lines  # removed by name when the run ended


# ---------------------------------------------------------------- a real container, where possible


def test_a_real_postgres_container(project: Project) -> None:
    found = detect_container_runtime()
    if not isinstance(found, ContainerRuntime):
        pytest.skip(f"no container runtime is usable here: {found}")
    image = os.environ.get("TESTGATE_TEST_POSTGRES_IMAGE", "postgres:16")
    port = _free_port()
    project.write(
        "testgate.yaml",
        textwrap.dedent(
            f"""\
            services:
              db:
                image: {image}
                ports: ["{port}:5432"]
                env: {{POSTGRES_PASSWORD: postgres}}
                options: [--tmpfs, /var/lib/postgresql/data]
                ready:
                  command: >-
                    "$TESTGATE_CONTAINER_RUNTIME" exec "$TESTGATE_SERVICE_CONTAINER"
                    pg_isready -h 127.0.0.1 -U postgres
                  timeout: 300s
                  interval: 1s
            pipeline:
              stages:
                - name: it
                  steps:
                    - name: select_one
                      run: >-
                        {sys.executable} -c "import psycopg;
                        c = psycopg.connect('postgresql://postgres:postgres@127.0.0.1:{port}/postgres');
                        assert c.execute('select 1').fetchone() == (1,)"
                      services: [db]
            """
        ),
    )
    out = project.run_subprocess("run", "--no-record", timeout=600)
    assert out.code == 0, out.out + out.err
