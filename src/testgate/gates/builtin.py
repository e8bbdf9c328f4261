"""testgate's own gate criteria, registered through the same hook a plugin uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testgate.hookspec import hookimpl

if TYPE_CHECKING:
    from testgate.gates.registry import CriteriaRegistry

__all__: list[str] = []


@hookimpl
def testgate_register_criteria(registry: CriteriaRegistry) -> None:
    from testgate.gates.criteria import SHORTHAND

    for (group, key), emit in SHORTHAND.items():
        registry.register_shorthand(group, key, emit)
