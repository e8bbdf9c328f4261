"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["config_option"]


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
