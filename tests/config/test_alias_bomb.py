"""A YAML alias bomb is refused, counted and never expanded (issue 12.2)."""

from __future__ import annotations

from testgate.testing import Project


def _bomb(levels: int = 10) -> str:
    lines = ["x-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 10)
        lines.append(f"x-l{i}: &l{i} [{refs}]")
    lines += [
        "version: 1",
        "pipeline:",
        "  stages:",
        "    - name: unit",
        "      steps:",
        "        - name: t",
        "          run: 'true'",
        f"          reports: *l{levels - 1}",
    ]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_with_its_line(project: Project) -> None:
    text = _bomb()
    assert len(text) < 1000
    project.write("testgate.yaml", text)
    # a real process, killed after 60 s: the unbounded loader ran for minutes and took 3 GB
    out = project.run_subprocess("validate", timeout=60)
    out.assert_code(2)
    assert "testgate.yaml:" in out.err
    assert "alias bomb" in out.err
    # the line named is one of the anchors' lines (1-10), where the bomb is built
    line = int(out.err.split("testgate.yaml:", 1)[1].split(":", 1)[0])
    assert 1 <= line <= 10
    assert "Traceback" not in out.err


def test_recursive_alias_is_refused(project: Project) -> None:
    project.write(
        "testgate.yaml",
        "version: 1\nx-loop: &loop [a, *loop]\npipeline:\n  stages: []\n",
    )
    out = project.run_subprocess("validate", timeout=60)
    out.assert_code(2)
    assert "Traceback" not in out.err


def test_anchors_reused_a_few_times_still_load(project: Project) -> None:
    project.write(
        "testgate.yaml",
        "version: 1\n"
        "x-env: &env {A: '1', B: '2'}\n"
        "pipeline:\n"
        "  stages:\n"
        "    - name: unit\n"
        "      steps:\n"
        "        - {name: a, run: 'true', env: *env}\n"
        "        - {name: b, run: 'true', env: *env}\n",
    )
    project.run("validate").assert_success()
