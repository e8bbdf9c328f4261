"""Durations and the schema's coercions."""

from __future__ import annotations

from typing import Any

import pytest

from testgate.config.schema import Config, StageSpec, StepSpec, parse_duration


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        (90, 90.0),
        (1.5, 1.5),
        ("90", 90.0),
        ("90s", 90.0),
        ("1.5s", 1.5),
        ("500ms", 0.5),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("2m 30s", 150.0),
        ("1d", 86400.0),
        (" 10s ", 10.0),
        (0, 0.0),
    ],
)
def test_durations(raw: Any, seconds: float) -> None:
    assert parse_duration(raw) == seconds


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("5 minutes", "'5 minutes' (string)"),
        ("m5", "'m5' (string)"),
        ("", "'' (string)"),
        ("10x", "'10x' (string)"),
        ("-1s", "'-1s' (string)"),
        (True, "true (boolean)"),
        (None, "null"),
        ([1], "[1] (list)"),
    ],
)
def test_bad_durations_say_what_is_expected(raw: Any, shown: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(raw)
    assert str(info.value) == (
        f"got {shown}; expected a duration such as 90, 90s, 500ms, 5m, 1h or 1h30m"
    )


def test_negative_number_duration() -> None:
    with pytest.raises(ValueError, match=r"got -5 \(integer\); expected .* \(not negative\)"):
        parse_duration(-5)


def test_step_coercions() -> None:
    step = StepSpec.model_validate(
        {
            "name": "t",
            "run": ["pytest", "-n", 4],
            "env": {"DEBUG": True, "N": 3, "EMPTY": None},
            "resources": ["database_pool"],
            "reports": ["a.xml", {"path": "b.xml", "format": "cobertura"}],
            "timeout": "2m",
            "when": False,
        }
    )
    assert step.run == ["pytest", "-n", "4"]
    assert step.env == {"DEBUG": "true", "N": "3", "EMPTY": ""}
    assert step.resources == {"database_pool": 1}
    assert [(r.path, r.format) for r in step.reports] == [("a.xml", None), ("b.xml", "cobertura")]
    assert step.timeout == 120.0
    assert step.when == "false"


def test_stage_condition_reads_either_spelling() -> None:
    assert StageSpec(name="a", conditional="branch == 'main'").condition == "branch == 'main'"
    assert StageSpec(name="a", when="manual_trigger").condition == "manual_trigger"
    assert StageSpec(name="a").condition is None


def test_empty_config_is_valid() -> None:
    cfg = Config.model_validate({})
    assert cfg.pipeline.stages == []
    assert cfg.history.window == 50
