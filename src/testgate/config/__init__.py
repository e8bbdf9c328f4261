"""Configuration: the schema, loading with line numbers, and the ``when`` expression language."""

from __future__ import annotations

from testgate.config.loader import DEFAULT_CONFIG_NAMES, LoadedConfig, find_config, load_config
from testgate.config.schema import Config, parse_duration

__all__ = [
    "DEFAULT_CONFIG_NAMES",
    "Config",
    "LoadedConfig",
    "find_config",
    "load_config",
    "parse_duration",
]
