"""The gate criteria a gate may name, filled by the plugin manager like adapters and renderers.

A gate's ``criteria:`` entry is either explicit (``{metric, threshold}``) or a *shorthand*
that the seed's YAML uses (``vulnerability_scan: {critical: 0}``). Each shorthand key is a
handler registered here by a plugin (testgate's own in :mod:`testgate.gates.builtin`) through
the ``testgate_register_criteria`` hook. A *group* handler takes a whole entry
(``response_times: {checkout: {p95: "< 200ms"}}``).

This module is a leaf: it never imports the plugin manager, which fills :func:`default_criteria`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testgate.gates.criteria import Criterion

__all__ = ["CriteriaRegistry", "Emit", "GroupHandler", "default_criteria", "set_default_criteria"]

#: ``(gate, group, key, value, where) -> criteria`` for one shorthand key
Emit = Callable[[str, str, str, Any, str], "list[Criterion]"]
#: ``(gate, group, body, where) -> criteria`` for a whole group
GroupHandler = Callable[[str, str, Any, str], "list[Criterion]"]


class CriteriaRegistry:
    """Shorthand keys and whole-group handlers by name."""

    def __init__(self) -> None:
        self._shorthand: dict[tuple[str, str], Emit] = {}
        self._groups: dict[str, GroupHandler] = {}

    def register_shorthand(self, group: str, key: str, emit: Emit) -> None:
        """``group.key`` in a gate's criteria means what *emit* returns; ``*`` as *group*
        matches any group."""
        self._shorthand[(group, key)] = emit

    def register_group(self, group: str, handler: GroupHandler) -> None:
        """A criteria entry named *group* is read whole by *handler*."""
        self._groups[group] = handler

    def shorthand(self, group: str, key: str) -> Emit | None:
        return self._shorthand.get((group, key)) or self._shorthand.get(("*", key))

    def group(self, group: str) -> GroupHandler | None:
        return self._groups.get(group)

    def keys(self) -> list[tuple[str, str]]:
        return sorted(self._shorthand)

    def shorthand_keys(self, group: str | None = None) -> list[tuple[str, str]]:
        """``(group, key)`` of every shorthand (of *group* only, when given)."""
        return [gk for gk in sorted(self._shorthand) if group is None or gk[0] == group]

    def groups(self) -> list[str]:
        return sorted(self._groups)


_DEFAULT: CriteriaRegistry | None = None
_FILL: Callable[[], CriteriaRegistry] | None = None


def set_default_criteria(fill: Callable[[], CriteriaRegistry]) -> None:
    """Install how the default registry is filled (called by :mod:`testgate.plugins`, which
    fills it on first use, so that a command that reads no report imports no reader)."""
    global _DEFAULT, _FILL
    _DEFAULT, _FILL = None, fill


def default_criteria() -> CriteriaRegistry:
    """The registry every plugin (built-ins and entry points) filled.

    This module is a leaf: it never builds the plugin manager. Commands, the workflow and
    :mod:`testgate.api` build it (``testgate.plugins.get_plugins()``) first.
    """
    global _DEFAULT
    if _DEFAULT is None:
        if _FILL is None:
            raise RuntimeError(
                "gate criteria are not registered yet: build "
                "the plugin manager first (testgate.plugins.get_plugins())"
            )
        _DEFAULT = _FILL()
    return _DEFAULT
