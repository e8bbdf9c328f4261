"""The plugin manager, with a typed facade so callers never reach into ``pm.hook`` directly.

It sits above the parts it fills: building it registers testgate's built-in adapters,
renderers and gate criteria (through the same hooks a third-party package implements), then
the entry points, and installs the filled registries as the process-wide defaults. The
registries themselves are leaves that never import this module.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

from testgate import hookspec
from testgate.errors import UsageError

if TYPE_CHECKING:
    from testgate.adapters.registry import AdapterRegistry
    from testgate.gates.registry import CriteriaRegistry
    from testgate.model import Run
    from testgate.report.registry import RendererRegistry

__all__ = ["BUILTIN_PLUGINS", "DISABLE_ENV", "ENTRY_POINT_GROUPS", "Plugins", "get_plugins"]

#: Modules of testgate itself that implement hooks; registered like any third-party plugin.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "testgate.adapters.builtin",
    "testgate.report.builtin",
    "testgate.gates.builtin",
)

#: Entry-point groups a third-party package can use.
ENTRY_POINT_GROUPS: tuple[str, ...] = ("testgate.adapters", "testgate")

DISABLE_ENV = "TESTGATE_DISABLE_PLUGINS"


class Plugins:
    """testgate's plugin manager: built-ins, then entry points, minus the blocked ones."""

    def __init__(self, builtins: Iterable[str] = BUILTIN_PLUGINS, *, entry_points: bool = True):
        self._pm = pluggy.PluginManager("testgate")
        self._pm.add_hookspecs(hookspec)
        blocked = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
        for name in blocked:
            self._pm.set_blocked(name)
        for modname in builtins:
            if modname not in blocked:
                self._pm.register(importlib.import_module(modname), name=modname)
        try:
            if entry_points:
                for group in ENTRY_POINT_GROUPS:
                    self._pm.load_setuptools_entrypoints(group)
            self._pm.check_pending()  # a misspelt hook fails now, not mid-run
        except pluggy.PluginValidationError as exc:
            known = ", ".join(sorted(n for n in dir(hookspec) if n.startswith("testgate_")))
            raise UsageError(
                f"plugin {self._pm.get_name(exc.plugin) or exc.plugin!r} is not valid: {exc}; "
                f"testgate's hooks are: {known}. Fix the plugin, or disable it with "
                f"{DISABLE_ENV}=<name>",
                slug="plugin-invalid",
            ) from None

    @property
    def manager(self) -> pluggy.PluginManager:
        return self._pm

    def register_adapters(self, registry: AdapterRegistry) -> None:
        self._pm.hook.testgate_register_adapters(registry=registry)

    def register_renderers(self, registry: RendererRegistry) -> None:
        self._pm.hook.testgate_register_renderers(registry=registry)

    def register_criteria(self, registry: CriteriaRegistry) -> None:
        self._pm.hook.testgate_register_criteria(registry=registry)

    def run_finished(self, run: Run) -> None:
        self._pm.hook.testgate_run_finished(run=run)

    def fill_registries(self) -> None:
        """Make the adapter, renderer and criteria registries the defaults, each filled
        through its hook on first use."""
        from testgate.adapters.registry import AdapterRegistry, set_default_registry
        from testgate.gates.registry import CriteriaRegistry, set_default_criteria
        from testgate.report.registry import RendererRegistry, set_default_renderers

        def adapters() -> AdapterRegistry:
            reg = AdapterRegistry()
            self.register_adapters(reg)
            return reg

        def renderers() -> RendererRegistry:
            reg = RendererRegistry()
            self.register_renderers(reg)
            return reg

        def criteria() -> CriteriaRegistry:
            reg = CriteriaRegistry()
            self.register_criteria(reg)
            return reg

        set_default_registry(adapters)
        set_default_renderers(renderers)
        set_default_criteria(criteria)


_PLUGINS: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugin manager, built (and the registries filled) on first use."""
    global _PLUGINS
    if _PLUGINS is None:
        plugins = Plugins()
        plugins.fill_registries()
        _PLUGINS = plugins
    return _PLUGINS
