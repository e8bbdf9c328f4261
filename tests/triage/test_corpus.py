"""The clustering goal holds on the benchmark's corpus of real failures labelled by hand
(benchmarks/corpus/triage): a change to the fingerprint that breaks it fails here first."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_triage.py"


def test_pairwise_precision_and_recall_on_the_labelled_corpus() -> None:
    spec = importlib.util.spec_from_file_location("bench_triage", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    items = bench.load()
    assert len(items) >= 50
    from testgate.triage import fingerprint

    precision, recall, *_ = bench.pairwise(items, fingerprint)
    assert precision >= 0.95
    assert recall >= 0.95
