"""Stock levels and reservations."""

from __future__ import annotations


class OutOfStock(Exception):
    pass


class Stock:
    def __init__(self) -> None:
        self._levels: dict[str, int] = {}

    def add(self, sku: str, count: int) -> None:
        if count <= 0:
            raise ValueError("count must be positive")
        self._levels[sku] = self._levels.get(sku, 0) + count

    def level(self, sku: str) -> int:
        return self._levels.get(sku, 0)

    def reserve(self, sku: str, count: int) -> int:
        have = self.level(sku)
        if count > have:
            raise OutOfStock(f"{sku}: wanted {count}, have {have}")
        self._levels[sku] = have - count
        return self._levels[sku]

    def restock_report(self, threshold: int) -> list[str]:
        # not covered by any test on purpose: the coverage report shows it
        low = [sku for sku, n in self._levels.items() if n < threshold]
        return sorted(low)
