"""JSON Schemas that ship with testgate (``summary.schema.json`` describes ``summary.json``)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["load_schema", "summary_schema"]


def load_schema(name: str) -> dict[str, Any]:
    """The schema file *name* (e.g. ``summary.schema.json``) from this package."""
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def summary_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``summary.json``, schema ``testgate.summary/1``."""
    return load_schema("summary.schema.json")
