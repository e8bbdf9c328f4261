"""Every hook testgate calls, in one module. Built-in parts register through these exactly as
third-party plugins do (``from testgate.plugins import hookimpl``).

This module is a leaf of the import layers: the adapters, renderers and gate criteria that
implement hooks import only it, never the plugin manager (:mod:`testgate.plugins`), which sits
above them and fills their registries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from testgate.adapters.registry import AdapterRegistry
    from testgate.gates.registry import CriteriaRegistry
    from testgate.model import Run
    from testgate.report.registry import RendererRegistry

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("testgate")
hookimpl = pluggy.HookimplMarker("testgate")


@hookspec
def testgate_register_adapters(registry: AdapterRegistry) -> None:
    """Add report readers to *registry* with ``registry.register(adapter)``.

    Third-party packages expose a module under the ``testgate.adapters`` (or ``testgate``)
    entry-point group that implements this hook (since 0.1).
    """


@hookspec
def testgate_register_renderers(registry: RendererRegistry) -> None:
    """Add renderers of a run (``testgate report --format NAME``, ``testgate gate --format
    NAME``, ``testgate run --html``) with ``registry.register(renderer)`` (since 0.1).
    """


@hookspec
def testgate_register_criteria(registry: CriteriaRegistry) -> None:
    """Add gate criteria: a shorthand key that a gate may name (``group.key``) and the
    criteria it stands for, with ``registry.register_shorthand(...)``; or a whole criterion
    group with ``registry.register_group(...)`` (since 0.2).
    """


@hookspec
def testgate_run_finished(run: Run) -> None:
    """Called once a run is complete, gated and its summary written (since 0.1)."""
