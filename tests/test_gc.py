"""The collector pause the bulk readers use (``testgate._gc.paused``)."""

from __future__ import annotations

import gc

import pytest

from testgate._gc import paused


def test_the_collector_is_off_inside_and_back_as_it_was_after() -> None:
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()

    def fail_inside() -> None:
        with paused(age=True):
            assert not gc.isenabled()
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_inside()
    assert gc.isenabled()  # an exception does not leave it off
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_aging_moves_what_was_made_to_the_oldest_generation_without_freezing_it() -> None:
    gc.collect()
    with paused(age=True):
        made = [[i] for i in range(5_000)]
    assert gc.get_freeze_count() == 0
    assert gc.get_count()[0] < 5_000  # not left in the young generation to be walked
    assert len(made) == 5_000
