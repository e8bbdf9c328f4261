"""A deliberately slow suite: testgate starts it first because it takes longest."""

import time

from inventory.stock import Stock


def test_many_reservations():
    s = Stock()
    s.add("bolt", 100_000)
    for _ in range(100_000):
        s.reserve("bolt", 1)
    assert s.level("bolt") == 0


def test_soak_for_a_while():
    time.sleep(3)  # stands in for a long-running soak scenario
    assert True
