"""Load ``testgate.yaml``: parse, validate, and report every problem with its line.

(Minimal first version; the config box replaces the internals, keeping this interface.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from testgate.config.schema import Config
from testgate.errors import ConfigError

__all__ = ["DEFAULT_CONFIG_NAMES", "LoadedConfig", "find_config", "load_config"]

DEFAULT_CONFIG_NAMES: tuple[str, ...] = ("testgate.yaml", "testgate.yml", ".testgate.yaml")


@dataclass(slots=True)
class LoadedConfig:
    """A validated configuration and where it came from."""

    config: Config
    path: Path
    #: the directory of the config file; relative paths in it are relative to this
    root: Path
    #: dotted key path -> line number (1-based), for messages
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def state_dir(self) -> Path:
        """``.testgate/`` next to the configuration file."""
        return self.root / ".testgate"


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


def load_config(path: str | Path | None = None) -> LoadedConfig:
    p = Path(path) if path is not None else find_config()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such configuration file", slug="no-config") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: invalid YAML: {exc}", slug="config-yaml") from None
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        problems = [f"{p}: {'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(problems[0], problems=problems, slug="config-invalid") from None
    return LoadedConfig(config=cfg, path=p.resolve(), root=p.resolve().parent)
