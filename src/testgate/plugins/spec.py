"""Every hook testgate calls. Built-in parts register through these exactly as third parties do."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from testgate.adapters.registry import AdapterRegistry
    from testgate.model import Run
    from testgate.report.registry import RendererRegistry

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("testgate")
hookimpl = pluggy.HookimplMarker("testgate")


@hookspec
def testgate_register_adapters(registry: AdapterRegistry) -> None:
    """Add report readers to *registry* with ``registry.register(adapter)``.

    Third-party packages expose a module under the ``testgate.adapters`` entry-point group
    that implements this hook (since 0.1).
    """


@hookspec
def testgate_register_renderers(registry: RendererRegistry) -> None:
    """Add report renderers (``testgate report --format NAME``) with ``registry.register``
    (since 0.1)."""


@hookspec
def testgate_run_finished(run: Run) -> None:
    """Called once a run is complete and its summary written (since 0.1)."""
