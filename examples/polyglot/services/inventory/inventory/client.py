"""A client for the inventory API."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request


def base_url() -> str:
    return os.environ.get("INVENTORY_URL", "http://127.0.0.1:8731")


def level(sku: str) -> int:
    with urllib.request.urlopen(f"{base_url()}/stock/{sku}", timeout=5) as resp:
        return int(json.load(resp)["level"])


def reserve(sku: str, count: int) -> int:
    req = urllib.request.Request(f"{base_url()}/reserve/{sku}/{count}", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return int(json.load(resp)["level"])
    except urllib.error.HTTPError as exc:
        if exc.code == 409:
            raise LookupError(json.load(exc)["error"]) from None
        raise
