"""Renderers of a run, registered through the plugin door like adapters."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from testgate.errors import UsageError
from testgate.model import Run

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig
    from testgate.history.view import HistoryView

__all__ = [
    "RenderContext",
    "Renderer",
    "RendererRegistry",
    "default_renderers",
    "set_default_renderers",
    "write_text",
]


@dataclass(slots=True)
class RenderContext:
    """What a renderer may use besides the run."""

    history: HistoryView | None = None
    #: the dashboard (``testgate serve``) the report links runs to: ``<url>/runs/<id>``
    dashboard_url: str | None = None
    #: ``stage/step`` -> the tail of that failed step's log
    logs: dict[str, str] = field(default_factory=dict)
    #: colour for text written to a terminal
    color: bool = False
    #: text renderers append to an existing output file (``$GITHUB_STEP_SUMMARY``)
    append: bool = False
    #: the configuration the run was gated with: review formats (SARIF, Code Quality) point a
    #: failing criterion at its gate's line; found from the working directory when None
    config: LoadedConfig | None = None


@runtime_checkable
class Renderer(Protocol):
    """Writes a run in one format. ``output`` None means standard output (text formats) or
    the renderer's ``default_output``. Returns the files written."""

    name: str
    description: str
    default_output: str | None

    def write(self, run: Run, output: Path | None, ctx: RenderContext) -> list[Path]: ...


def write_text(text: str, output: Path | None, *, append: bool = False) -> list[Path]:
    """Write *text* to *output* (appending with *append*), or to standard output when it is
    None or ``-``."""
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        return []
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "a" if append else "w", encoding="utf-8") as fh:
        fh.write(text)
    return [output]


class RendererRegistry:
    def __init__(self) -> None:
        self._renderers: dict[str, Renderer] = {}

    def register(self, renderer: Renderer) -> None:
        self._renderers[renderer.name] = renderer

    def names(self) -> list[str]:
        return sorted(self._renderers)

    def get(self, name: str) -> Renderer:
        try:
            return self._renderers[name]
        except KeyError:
            raise UsageError(
                f"unknown report format {name!r}; choose one of: {', '.join(self.names())}"
            ) from None


_DEFAULT: RendererRegistry | None = None
_FILL: Callable[[], RendererRegistry] | None = None


def set_default_renderers(fill: Callable[[], RendererRegistry]) -> None:
    """Install how the default registry is filled (called by :mod:`testgate.plugins`, which
    fills it on first use, so that a command that reads no report imports no reader)."""
    global _DEFAULT, _FILL
    _DEFAULT, _FILL = None, fill


def default_renderers() -> RendererRegistry:
    """The registry every plugin (built-ins and entry points) filled.

    This module is a leaf: it never builds the plugin manager. Commands, the workflow and
    :mod:`testgate.api` build it (``testgate.plugins.get_plugins()``) first.
    """
    global _DEFAULT
    if _DEFAULT is None:
        if _FILL is None:
            raise RuntimeError(
                "renderers are not registered yet: build "
                "the plugin manager first (testgate.plugins.get_plugins())"
            )
        _DEFAULT = _FILL()
    return _DEFAULT
