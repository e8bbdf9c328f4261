"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["config_option", "default_summary"]


def config_option(f: F) -> F:
    """``-c/--config FILE``: the configuration file (default: testgate.yaml here or above)."""
    return click.option(
        "-c",
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="Configuration file (default: testgate.yaml in this directory or a parent).",
    )(f)


def default_summary(config_path: str | None) -> Path:
    """``.testgate/latest/summary.json`` beside the config (found upward), else here."""
    from testgate.config import find_config
    from testgate.errors import ConfigError

    try:
        cfg = Path(config_path) if config_path else find_config()
        return cfg.resolve().parent / ".testgate" / "latest" / "summary.json"
    except ConfigError:
        return Path(".testgate") / "latest" / "summary.json"
