"""Renderers of a run, registered through the plugin door like adapters."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from testgate.errors import UsageError
from testgate.model import Run
from testgate.report.data import HistoryView

__all__ = ["RenderContext", "Renderer", "RendererRegistry", "default_renderers", "write_text"]


@dataclass(slots=True)
class RenderContext:
    """What a renderer may use besides the run."""

    history: HistoryView | None = None
    #: ``stage/step`` -> the tail of that failed step's log
    logs: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Renderer(Protocol):
    """Writes a run in one format. ``output`` None means standard output (text formats) or
    the renderer's ``default_output``. Returns the files written."""

    name: str
    description: str
    default_output: str | None

    def write(self, run: Run, output: Path | None, ctx: RenderContext) -> list[Path]: ...


def write_text(text: str, output: Path | None) -> list[Path]:
    """Write *text* to *output*, or to standard output when it is None or ``-``."""
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        return []
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
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


def default_renderers() -> RendererRegistry:
    global _DEFAULT
    if _DEFAULT is None:
        from testgate.plugins import get_plugins

        reg = RendererRegistry()
        get_plugins().register_renderers(reg)
        _DEFAULT = reg
    return _DEFAULT
