"""Encoding carts: a round-trip pair, an idempotent normaliser, functions that raise on purpose."""

from __future__ import annotations

import json


def encode(cart: dict[str, int]) -> str:
    """A cart as canonical JSON."""
    return json.dumps(cart, sort_keys=True)


def decode(text: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in json.loads(text).items()}


def normalize_sku(sku: str) -> str:
    """Upper case, no surrounding blanks, inner blanks as dashes."""
    return "-".join(sku.split()).upper().strip()


def unit_price(total: int, quantity: int) -> float:
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    if abs(total) > 10**15:
        raise OverflowError("total out of range")
    return total / quantity


def describe(cart):  # untyped: testgate cannot infer inputs
    return ", ".join(f"{k} x{v}" for k, v in cart.items())


class Basket:
    def __init__(self, owner: str, limit: int = 10) -> None:
        self.owner = owner
        self.limit = limit


def _private() -> None:
    raise AssertionError("never tested: private")
