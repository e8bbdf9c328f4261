"""The plugin door: pluggy hooks and entry points. Built-ins go through the same door.

Plugin authors write ``from testgate.plugins import hookimpl``; the hook specifications are in
:mod:`testgate.hookspec`.
"""

from __future__ import annotations

from testgate.hookspec import hookimpl, hookspec
from testgate.plugins.manager import Plugins, get_plugins

__all__ = ["Plugins", "get_plugins", "hookimpl", "hookspec"]
