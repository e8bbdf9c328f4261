"""Clustering accuracy of testgate's fingerprint on a corpus of real failures labelled by hand.

    .venv/bin/python benchmarks/bench_triage.py            # the stored corpus
    .venv/bin/python benchmarks/triage_corpus.py           # rebuild it first (real runs)

The corpus (benchmarks/corpus/triage/) holds the JUnit reports of real pytest and node --test
runs whose every failure has a hand-written cause (labels.json). For every pair of failures,
"same cause" per the labels is compared with "same fingerprint": pairwise precision (pairs
testgate groups together that truly share a cause) and recall (pairs sharing a cause that
testgate groups together). Two naive groupings are shown for comparison: the exception type
alone, and the exact first line of the message. It also times the fingerprinting of the
corpus repeated 200 times (CPU time, min/median/max of 5 runs).
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from testgate.adapters.registry import read_report  # noqa: E402
from testgate.model import TestCase  # noqa: E402
from testgate.plugins import get_plugins  # noqa: E402
from testgate.triage import categorize, fingerprint  # noqa: E402
from testgate.triage.fingerprint import exception_type  # noqa: E402

CORPUS = Path(__file__).parent / "corpus" / "triage"


def load() -> list[tuple[TestCase, str]]:
    get_plugins()
    labels: dict[str, str] = json.loads((CORPUS / "labels.json").read_text())
    out: list[tuple[TestCase, str]] = []
    for report in sorted(CORPUS.glob("*-junit.xml")):
        data, _ = read_report(report)
        for t in data.tests:
            if t.status not in ("failed", "error"):
                continue
            key = t.name if t.name in labels else t.classname
            if key not in labels:
                raise SystemExit(f"{report.name}: failure {t.id!r} has no label in labels.json")
            out.append((t, labels[key]))
    missing = set(labels) - {t.name for t, _ in out} - {t.classname for t, _ in out}
    if missing:
        raise SystemExit(f"labelled but not failing in the corpus: {sorted(missing)}")
    return out


def pairwise(
    items: list[tuple[TestCase, str]], key: Callable[[TestCase], str]
) -> tuple[float, float, int, int, int]:
    tp = fp = fn = 0
    keys = [key(t) for t, _ in items]
    for (i, (_, a)), (j, (_, b)) in itertools.combinations(enumerate(items), 2):
        same_label = a == b
        same_key = keys[i] == keys[j]
        if same_key and same_label:
            tp += 1
        elif same_key:
            fp += 1
        elif same_label:
            fn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def main() -> int:
    # --quick is accepted for benchmarks/run.py; the corpus is small enough to run whole
    items = load()
    causes = len({label for _, label in items})
    print(
        f"corpus: {len(items)} failures, {causes} causes (hand-labelled), "
        f"{len(items) * (len(items) - 1) // 2} pairs"
    )
    cats: dict[str, int] = {}
    for t, _ in items:
        c = categorize(t)
        cats[c] = cats.get(c, 0) + 1
    print("categories: " + ", ".join(f"{k} {v}" for k, v in sorted(cats.items())))
    rows = [
        ("testgate fingerprint", fingerprint),
        ("exception type only", lambda t: exception_type(t.message, t.trace) or "?"),
        ("exact first line", lambda t: (t.message or "").strip().split("\n")[0]),
    ]
    print(
        f"{'grouping':<22} {'precision':>9} {'recall':>7} {'TP':>5} {'FP':>5} {'FN':>5} {'groups':>6}"
    )
    for name, key in rows:
        p, r, tp, fp, fn = pairwise(items, key)
        groups = len({key(t) for t, _ in items})
        print(f"{name:<22} {p:>9.3f} {r:>7.3f} {tp:>5} {fp:>5} {fn:>5} {groups:>6}")
    # where testgate disagrees with the labels, for whoever improves it
    p, r, *_ = pairwise(items, fingerprint)
    by_fp: dict[str, set[str]] = {}
    by_label: dict[str, set[str]] = {}
    for t, label in items:
        by_fp.setdefault(fingerprint(t), set()).add(label)
        by_label.setdefault(label, set()).add(fingerprint(t))
    for fp_, labels in by_fp.items():
        if len(labels) > 1:
            print(f"  merged (precision): {fp_} holds {sorted(labels)}")
    for label, fps in by_label.items():
        if len(fps) > 1:
            print(f"  split (recall): {label!r} in {len(fps)} fingerprints")
    from testgate.triage import stack

    times = []
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(200):
            # no help from the trace caches: every pass parses every trace again
            stack._parse_frames.cache_clear()
            stack._error_lines.cache_clear()
            stack.app_frame.cache_clear()
            for t, _label in items:
                fingerprint(t)
        times.append(time.process_time() - t0)
    n = 200 * len(items)
    per = [x / n * 1e6 for x in times]
    print(
        f"fingerprint CPU time per failure: min {min(per):.1f} µs, median "
        f"{statistics.median(per):.1f} µs, max {max(per):.1f} µs ({n} per repetition, 5 repetitions)"
    )
    ok = p >= 0.95 and r >= 0.95
    print(f"goal precision >= 0.95 and recall >= 0.95: {'met' if ok else 'NOT met'}")
    write_section(
        items,
        causes,
        [(name, pairwise(items, key), len({key(t) for t, _ in items})) for name, key in rows],
        per,
    )
    return 0 if ok else 1


SECTION = """# Failure clustering (issue 15)

`benchmarks/bench_triage.py` (the corpus is rebuilt by `benchmarks/triage_corpus.py`, about a
minute of real pytest and `node --test` runs): {n} real failures of {causes} causes, each
failure's cause written down by hand in `benchmarks/corpus/triage/labels.json` (a helper
raising for several parameters and callers, a test-local assertion per parametrised case,
one-off assertions, a database and a cache service down on two closed ports, a host that does
not resolve, a native child process dying of SIGSEGV, a queue that never drains under
pytest-timeout, a missing module imported by two test files, node's RangeError from a shared
helper, an API server down, two node tests waiting on one never-resolving promise). For every
pair of failures, "same cause" (labels) against "same fingerprint". Measured {date} on the
shared 2-core machine, load average {load} (`uptime`):

| grouping | precision | recall | TP | FP | FN | groups |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{rows}

The first run of this benchmark measured precision 0.877: the two Python services refused on
different ports were merged, because Python's `ConnectionRefusedError` does not name the
address. The fingerprint now reads the endpoint from the arguments pytest shows in the trace
(`address = ('127.0.0.1', 5432)`, `url = 'http://...'`), which separated them. The corpus was
written by the engineer who wrote the fingerprint: it shows that the documented rules hold on
real runner output, not how they fare on an unseen repository; traces of other runners (the
JVM, .NET, Go) are covered by unit tests only.

Fingerprinting costs {tmin:.0f} µs of CPU per failure (min; median {tmed:.0f} µs, max
{tmax:.0f} µs over 5 repetitions of {reps} fingerprints, the trace caches cleared before every
pass over the corpus). A first version cost about 370 µs: eight case-insensitive searches per
failure for infrastructure words; a substring test of the words every pattern needs now skips
them for most failures, and the frames and error lines of a trace are parsed once.
"""


def write_section(
    items: list[tuple[TestCase, str]],
    causes: int,
    rows: list[tuple[str, tuple[float, float, int, int, int], int]],
    per: list[float],
) -> None:
    import datetime
    import os

    load = os.getloadavg()[0]
    table = "\n".join(
        f"| {name} | {p:.3f} | {r:.3f} | {tp} | {fp} | {fn} | {groups} |"
        for name, (p, r, tp, fp, fn), groups in rows
    )
    text = SECTION.format(
        n=len(items),
        causes=causes,
        date=datetime.date.today().isoformat(),
        load=f"{load:.1f}",
        rows=table,
        tmin=min(per),
        tmed=statistics.median(per),
        tmax=max(per),
        reps=200 * len(items),
    )
    (Path(__file__).parent / "results" / "triage.md").write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())
