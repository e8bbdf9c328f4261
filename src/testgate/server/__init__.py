"""The dashboard (FastAPI) over the history store, and Prometheus metrics."""

from __future__ import annotations

__all__: list[str] = []
