"""The JSON Schema of testgate.yaml: generated from the model, shipped, and as strict as the
loader on every configuration in the repository."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from testgate.config.jsonschema import (
    config_json_schema,
    shipped_schema,
    to_text,
    undescribed_validators,
)
from testgate.config.loader import load_config
from testgate.errors import ConfigError
from testgate.testing import Project

REPO = Path(__file__).resolve().parents[2]

#: every configuration file in the repository
CONFIG_FILES = sorted(
    [
        *REPO.glob("examples/*/testgate.yaml"),
        *(REPO / "tests" / "fixtures" / "config").glob("*.yaml"),
        *(REPO / "tests" / "fixtures" / "gates").glob("*.yaml"),
    ]
)


def _doc_configs() -> list[tuple[str, str]]:
    """The YAML examples of the docs that are whole configuration files (top-level keys of
    testgate.yaml only)."""
    out: list[tuple[str, str]] = []
    top = set(config_json_schema()["properties"])
    for page in sorted((REPO / "docs").glob("*.md")):
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", page.read_text(), re.S)):
            try:
                data = yaml.safe_load(block)
            except yaml.YAMLError:
                continue
            if isinstance(data, dict) and data and set(data) <= top:
                out.append((f"{page.name}#{i}", block))
    return out


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = config_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _schema_errors(data: Any) -> list[str]:
    # YAML dates (expires: 2026-06-30) are dates in Python, strings in an editor
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator().iter_errors(_as_json(data))
    ]


def _as_json(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def test_every_validator_that_widens_the_input_is_described() -> None:
    assert undescribed_validators() == []


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert shipped_schema() == to_text(config_json_schema()), (
        "src/testgate/schemas/config.schema.json is stale: regenerate it with "
        "'testgate schema -o src/testgate/schemas/config.schema.json'"
    )


def test_testgate_schema_prints_it(project: Project) -> None:
    out = project.run("schema").assert_success()
    assert out.out == shipped_schema()
    project.run("schema", "-o", "s.json").assert_success()
    assert (project.root / "s.json").read_text() == shipped_schema()


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_config_in_the_repository_validates_against_the_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    try:
        load_config(path)
    except ConfigError:  # a fixture of a mistake: an editor flags it too
        assert _schema_errors(data) != []
    else:
        assert _schema_errors(data) == []


@pytest.mark.parametrize(("where", "text"), _doc_configs(), ids=lambda v: v if "#" in v else "")
def test_the_docs_examples_validate_like_testgate_does(
    where: str, text: str, tmp_path: Path
) -> None:
    path = tmp_path / "testgate.yaml"
    path.write_text(text)
    try:
        load_config(path)
    except ConfigError:
        accepted = False
    else:
        accepted = True
    errors = _schema_errors(yaml.safe_load(text))
    if accepted:
        assert errors == [], where


def test_the_docs_hold_whole_configurations_to_check() -> None:
    assert len(_doc_configs()) >= 5


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("pipeline: {stages: [{name: a, steps: [{name: s, run: x, timeout: soon}]}]}", "timeout"),
        ("pipeline: {stages: [{name: a, steps: [{name: s, command: x}]}]}", "steps"),
        ("gates: {g: {criteria: {c: {metric: tests.failed, threshhold: '== 0'}}}}", "c"),
        ("gates: {g: {enforcement: {blocking: maybe}}}", "blocking"),
        ("quarantine: [{test: t, owner: ana}]", "0"),
        ("quarantine: {budget: lots}", "budget"),
        ("alerts: [{name: a, condition: 'x < 1', severity: urgent}]", "severity"),
        ("notify: {webhooks: [{url: ftp://x}]}", "url"),
        ("bogus: 1", ""),
    ],
)
def test_what_testgate_refuses_the_schema_refuses(text: str, where: str, tmp_path: Path) -> None:
    path = tmp_path / "testgate.yaml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError):
        load_config(path)
    assert _schema_errors(yaml.safe_load(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "pipeline: {stages: [{name: a, depends_on: b, when: false, steps: [{name: s, run: [pytest,"
        " -q, 1], timeout: 1h30m, env: {N: 1, X: true}, resources: [db], reports: [junit.xml,"
        " {path: c.xml, format: cobertura}]}]}, {name: b}]}\nresources: {db: 1}",
        "x-defaults: &d {timeout: 5m}\npipeline: {stages: [{name: a, steps: [{<<: *d, name: s,"
        " run: x}]}]}",
        "quarantine: [{test: 'a::b', owner: ana, reason: INC-1, expires: 2030-01-31}]",
        "quarantine: {budget: '2%', tests: []}",
        "notify: {webhooks: [https://hooks.example/x, {url: 'http://h/y', timeout: 2s}]}",
        "gates: {g: {criteria: [{metric: tests.failed, threshold: 0, name: none}]}}",
        "gates: {g: {criteria: {e2e: {metric: tests.pass_rate, threshold: 100%, scope: {stages:"
        " e2e}}}}}",
    ],
)
def test_what_testgate_accepts_the_schema_accepts(text: str, tmp_path: Path) -> None:
    path = tmp_path / "testgate.yaml"
    path.write_text(text + "\n")
    load_config(path)
    assert _schema_errors(yaml.safe_load(text)) == []
