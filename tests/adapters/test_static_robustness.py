"""Any of our fixtures forced through any security or quality adapter: a result or one
InputError, never a crash; and any JSON fixture cut short: one InputError naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from testgate.adapters import audit, gitleaks, lint, linters, mutation, quality, sarif, sast, trivy
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError

FIX = Path(__file__).parent.parent / "fixtures"
FAMILIES = ("security", "lint", "complexity", "duplication", "mutation")
ADAPTERS = [
    a
    for m in (sarif, audit, trivy, gitleaks, sast, lint, linters, quality, mutation)
    for a in m.ADAPTERS
]
SMALL = sorted(
    p
    for fam in FAMILIES
    for p in (FIX / fam).iterdir()
    if p.name != "NOTICE.md" and p.stat().st_size < 200_000
)


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.name)
def test_every_adapter_on_every_fixture_reads_or_refuses(path: Path) -> None:
    ctx = ReadContext(root=Path("/src"))
    for adapter in ADAPTERS:
        try:
            data = adapter.read(path, ctx)
        except InputError as exc:
            message = str(exc)
        else:
            message = ""
        if message:
            assert str(path) in message, (adapter.name, message)
            continue
        for f in data.findings:
            assert f.severity in ("critical", "high", "medium", "low", "info"), adapter.name
        assert all(isinstance(v, float | int) for v in data.metrics.values()), adapter.name


@pytest.mark.parametrize(
    "path",
    [p for p in SMALL if p.suffix in (".json", ".sarif") and p.stat().st_size >= 20],
    ids=lambda p: p.name,
)
def test_truncated_json_is_one_input_error(path: Path, tmp_path: Path) -> None:
    raw = path.read_bytes()
    cut = tmp_path / path.name
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    for adapter in ADAPTERS:
        with pytest.raises(InputError, match=str(cut).replace(".", r"\.")):
            adapter.read(cut, ReadContext())
