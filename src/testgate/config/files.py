"""Where the configuration file is: its names and the search upwards from a directory.

Kept apart from :mod:`testgate.config.loader` (YAML and pydantic): a command that only needs to
know whether there is a configuration (the history commands) does not import the schema.
"""

from __future__ import annotations

from pathlib import Path

from testgate.errors import ConfigError

__all__ = ["DEFAULT_CONFIG_NAMES", "find_config"]

DEFAULT_CONFIG_NAMES: tuple[str, ...] = ("testgate.yaml", "testgate.yml", ".testgate.yaml")


def find_config(start: Path | None = None) -> Path:
    """The config file in *start* or its parents."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        for name in DEFAULT_CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
    raise ConfigError(
        f"no {DEFAULT_CONFIG_NAMES[0]} in {here} or its parents; "
        "pass -c FILE or run 'testgate init' to write one",
        slug="no-config",
    )
