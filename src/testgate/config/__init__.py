"""Configuration: the schema, loading with line numbers, and the ``when`` expression language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from testgate.config.files import DEFAULT_CONFIG_NAMES, find_config

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig, load_config
    from testgate.config.schema import Config, parse_duration

__all__ = [
    "DEFAULT_CONFIG_NAMES",
    "Config",
    "LoadedConfig",
    "find_config",
    "load_config",
    "parse_duration",
]


def __getattr__(name: str) -> Any:
    # the schema (pydantic) is imported when first used: finding the file, or the expression
    # language (testgate.config.expr), does not need it
    if name in ("LoadedConfig", "load_config"):
        from testgate.config import loader

        return getattr(loader, name)
    if name in ("Config", "parse_duration"):
        from testgate.config import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
