"""Runs against the API service that testgate starts (see testgate.yaml: services.inventory-api)."""

import pytest

from inventory import client


def test_health_and_level():
    assert client.level("apple") >= 0


def test_reserve_over_http():
    before = client.level("apple")
    assert client.reserve("apple", 1) == before - 1


def test_out_of_stock_is_a_409():
    with pytest.raises(LookupError, match="wanted"):
        client.reserve("apple", 10_000)
