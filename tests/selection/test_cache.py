"""The step cache: a green step whose inputs did not change is replayed, not run."""

from __future__ import annotations

import pytest

from testgate.model import read_summary
from testgate.pipeline.cache import CacheEntry, DbCache, DirCache, step_key
from tests.selection.conftest import Repo


@pytest.fixture(autouse=True)
def _cache_on(repo: Repo) -> None:
    """The step cache is opt-in (cache: true); these tests turn it on."""
    text = (repo.root / "testgate.yaml").read_text()
    (repo.root / "testgate.yaml").write_text("cache: true\n" + text)


def _summary(repo: Repo) -> tuple[bool, int, str | None]:
    run = read_summary(repo.root / ".testgate/latest/summary.json")
    (step,) = run.steps
    return step.cached, len(run.tests), step.reason


def test_the_cache_is_off_unless_turned_on(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    """An input a step does not declare (here an environment variable the tests read) would
    replay a stale green result: off by default, so a second run runs again."""
    repo.edit("testgate.yaml", "cache: true\n", "")
    for _ in range(2):
        code, out = repo.testgate("run", "--no-record", capsys=capsys)
        assert code == 0, out
        assert _summary(repo)[0] is False
    code, out = repo.testgate("run", "--cache", capsys=capsys)
    code, out = repo.testgate("run", "--cache", capsys=capsys)
    assert code == 0, out
    assert _summary(repo)[0] is True  # --cache turns it on for one run


def test_an_unchanged_green_step_is_replayed_then_a_change_runs_it(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = repo.testgate("run", capsys=capsys)
    assert code == 0, out
    assert _summary(repo)[0] is False
    code, out = repo.testgate("run", "--html", "report.html", capsys=capsys)
    assert code == 0, out
    cached, tests, reason = _summary(repo)
    assert cached is True
    assert tests == 5  # the recorded reports were read into this run
    assert reason is not None
    assert reason.startswith("cached: inputs unchanged since run ")
    assert "passed (cached)" in out
    _valid(repo)
    assert '<span class="pill cached"' in (repo.root / "report.html").read_text()
    code, out = repo.testgate("run", "--no-cache", capsys=capsys)
    assert code == 0, out
    assert _summary(repo)[0] is False
    repo.edit("src/shop/other.py", "return 42", "return 42  # same")  # a comment: a new key
    code, out = repo.testgate("run", capsys=capsys)
    assert code == 0, out
    assert _summary(repo)[0] is False


def _valid(repo: Repo) -> None:
    import json
    from importlib import resources

    import jsonschema

    schema = json.loads(
        resources.files("testgate.schemas").joinpath("summary.schema.json").read_text()
    )
    doc = json.loads((repo.root / ".testgate/latest/summary.json").read_text())
    assert doc["steps"][0]["cached"] is True
    jsonschema.validate(doc, schema)


def test_a_failed_step_is_never_cached(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit("src/shop/other.py", "return 42", "return 41")
    for _ in range(2):
        code, out = repo.testgate("run", capsys=capsys)
        assert code == 1, out
        assert _summary(repo)[0] is False


def test_cache_false_turns_it_off(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit("testgate.yaml", "cache: true", "cache: false")
    for _ in range(2):
        code, out = repo.testgate("run", "--no-record", capsys=capsys)
        assert code == 0, out
        assert _summary(repo)[0] is False


def test_the_key_follows_inputs_env_and_command(repo: Repo) -> None:
    def key(**kw: object) -> str:
        args: dict[str, object] = {
            "root": repo.root,
            "cwd": repo.root,
            "command": "pytest",
            "env": {},
            "reports": [],
            "inputs": [],
            "version": "1",
        }
        args.update(kw)
        k = step_key(**args)  # type: ignore[arg-type]
        assert k is not None
        return k.key

    base = key()
    assert key() == base
    assert key(command="pytest -x") != base
    assert key(env={"A": "1"}) != base
    assert key(version="2") != base
    only_src = key(inputs=["src/**"])
    repo.edit("README.md", "# shop", "# shop!")  # tracked, under the cwd: in the default inputs
    assert key() != base
    assert key(inputs=["src/**"]) == only_src  # not among the declared inputs
    repo.write("src/shop/new.py", "X = 1\n")  # untracked but not ignored: an input
    assert key(inputs=["src/**"]) != only_src
    repo.write(".testgate/junk", "x")  # ignored by git: never an input
    assert key(inputs=["src/**", ".testgate/**"]) == key(inputs=["src/**"])


def test_no_key_outside_a_git_repository(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    assert (
        step_key(root=root, cwd=root, command="x", env={}, reports=[], inputs=[], version="1")
        is None
    )


@pytest.mark.parametrize(
    "backend", ["dir", "sqlite", pytest.param("pg", marks=pytest.mark.postgres)]
)
def test_backends_store_and_return_entries(
    backend: str, tmp_path: object, request: pytest.FixtureRequest
) -> None:
    from pathlib import Path

    path = Path(str(tmp_path))
    if backend == "dir":
        cache: DirCache | DbCache = DirCache(path / "cache")
    elif backend == "sqlite":
        cache = DbCache(f"sqlite:///{path / 'c.db'}")
    else:
        from tests.history.conftest import _pg_schema_url

        gen = _pg_schema_url(request.getfixturevalue("postgres_url"))
        cache = DbCache(next(gen))
        request.addfinalizer(lambda: (cache.close(), next(gen, None)))  # type: ignore[union-attr]
    entry = CacheEntry(
        "ab" * 32, "unit/pytest", "run-1", {"status": "passed"}, [("r.xml", b"<x/>")]
    )
    assert cache.get(entry.key) is None
    cache.put(entry)
    cache.put(entry)  # a second writer of the same key is fine
    got = cache.get(entry.key)
    assert got is not None
    assert got.reports == [("r.xml", b"<x/>")]
    assert got.run == "run-1"


def test_explain_names_each_cached_steps_key_and_its_inputs(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = repo.testgate("select", "--explain", capsys=capsys)
    assert code == 0, out
    assert "cache key " in out
    assert "git files under ." in out
