"""The configuration docs are generated from the schema and their examples are valid."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from testgate.config import load_config
from testgate.config.expr import ExprContext, compile_expr
from testgate.config.reference import BEGIN, END, render_reference

ROOT = Path(__file__).resolve().parents[2]
CONFIG_PAGE = ROOT / "docs" / "configuration.md"
EXPR_PAGE = ROOT / "docs" / "expressions.md"


def test_configuration_reference_is_up_to_date() -> None:
    inner = CONFIG_PAGE.read_text().partition(BEGIN)[2].partition(END)[0]
    assert inner.strip() == render_reference().strip(), "run scripts/gen_config_docs.py"


def test_gen_script_check_mode() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_config_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_reference_lists_every_step_key() -> None:
    text = render_reference()
    for key in ("run", "cwd", "env", "timeout", "retries", "when", "reports", "matrix"):
        assert f"| `{key}` |" in text
    assert "| `timeout` | duration (> 0) | — |" in text


def test_configuration_example_validates(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", CONFIG_PAGE.read_text(), re.S)
    assert blocks
    path = tmp_path / "testgate.yaml"
    path.write_text(blocks[0])
    cfg = load_config(path).config
    assert [s.name for s in cfg.pipeline.stages] == [
        "lint",
        "unit",
        "integration",
        "quality-gates",
    ]


def _examples() -> list[str]:
    rows = re.findall(r"^\| `(.+?)` \| .+ \|$", EXPR_PAGE.read_text().split("## Examples")[1], re.M)
    return [r.replace("\\|", "|") for r in rows]


@pytest.mark.parametrize("source", _examples())
def test_expression_examples_compile(source: str) -> None:
    assert isinstance(compile_expr(source).evaluate(ExprContext()), bool)
