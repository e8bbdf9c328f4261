"""The plugin door: pluggy hooks and entry points. Built-ins go through the same door."""

from __future__ import annotations

from testgate.plugins.manager import Plugins, get_plugins
from testgate.plugins.spec import hookimpl, hookspec

__all__ = ["Plugins", "get_plugins", "hookimpl", "hookspec"]
