"""Renderers of a run: HTML, Markdown, badges and merged JUnit."""

from __future__ import annotations

__all__: list[str] = []
