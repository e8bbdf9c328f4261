"""Where `testgate ingest` spends its CPU, phase by phase, in one process.

Usage: .venv/bin/python benchmarks/profile_ingest.py [N]   (N cases, default 1,000,000)

Generates bench_ingest.py's JUnit file (5 % failures with traces) and runs the command's own
steps in turn, printing the CPU time (user + system) of each: imports, plugins and the adapter
registry, reading the report into a run, triage (category and fingerprint of every failure),
writing summary.json. The sum is close to `testgate ingest`'s whole-process CPU time (the table
it prints and the interpreter's start are left out).
"""

from __future__ import annotations

import resource
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> int:
    compile_sources()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    from bench_ingest import generate

    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        failed = generate(xml, n)
        phases: list[tuple[str, float]] = []
        t = _cpu()
        from testgate import workflow
        from testgate.adapters.ingest import ingest, new_run_id
        from testgate.adapters.registry import ReadContext, default_registry
        from testgate.model import Run

        phases.append(("imports", _cpu() - t))
        t = _cpu()
        workflow._plugins()
        registry = default_registry()
        phases.append(("plugins and registry", _cpu() - t))
        t = _cpu()
        result = ingest(
            [str(xml)],
            format=None,
            ctx=ReadContext(root=Path(tmp)),
            registry=registry,
            keep_going=False,
            run=Run(id=new_run_id()),
        )
        phases.append((f"read {n:,} cases", _cpu() - t))
        t = _cpu()
        workflow.triage(None, result.run)
        phases.append((f"triage {failed:,} failures", _cpu() - t))
        t = _cpu()
        workflow.persist(
            None,
            result.run,
            workflow.PersistOptions(summary=Path(tmp) / "summary.json", record=False),
        )
        phases.append(("write summary.json", _cpu() - t))
    total = sum(s for _, s in phases)
    for name, s in phases:
        print(f"{name:<28} {s:7.2f} s  {s / total:6.1%}")
    print(f"{'total':<28} {total:7.2f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
