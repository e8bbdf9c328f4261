"""Report readers: one module per report family, registered through the plugin door."""

from __future__ import annotations

from testgate.adapters.registry import (
    Adapter,
    AdapterRegistry,
    ReadContext,
    default_registry,
    read_report,
)

__all__ = ["Adapter", "AdapterRegistry", "ReadContext", "default_registry", "read_report"]
