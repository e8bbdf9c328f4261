"""The recall audit over recorded runs, and PostgreSQL as the store of the maps."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.history.conftest import _pg_schema_url
from tests.selection.conftest import Repo, selected


@pytest.fixture
def pg(postgres_url: str) -> Iterator[str]:
    yield from _pg_schema_url(postgres_url)


@pytest.mark.postgres
def test_postgresql_holds_the_map_that_select_reads(
    repo: Repo, pg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.git("checkout", "-q", "main")
    code, out = repo.testgate("run", "--no-cache", "--db", pg, capsys=capsys)
    assert code == 0, out
    repo.git("checkout", "-q", "feature")
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p * 0.8")
    result = repo.select(capsys, "--db", pg)
    assert result["full"] is False
    assert selected(result) == {"tests/test_prices.py::test_discount"}


def test_replay_reports_recall_and_misses(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    # a second recorded full run, at a commit that breaks test_discount
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p * 0.8")
    repo.git("commit", "-qam", "break discount")
    code, out = repo.testgate("run", "--no-cache", capsys=capsys)
    assert code == 1, out
    code, out = repo.testgate("select", "--replay", "--json", capsys=capsys)
    assert code == 0, out
    audit = json.loads(out)
    assert audit["runs"] == 2
    (pair,) = audit["pairs"]
    assert pair["newly_failed"] == ["tests.test_prices::test_discount"]
    assert pair["missed"] == []
    assert audit["recall"] == 1.0
    assert pair["selected"] == 1
    assert pair["total"] == 5
    code, out = repo.testgate("select", "--replay", capsys=capsys)
    assert "recall: 100.0% (1 of 1 newly failed tests selected); fraction selected: 20.0%" in out
