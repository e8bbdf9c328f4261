"""``testgate metrics``: the metric catalogue, by adapter, with units."""

from __future__ import annotations

import click

__all__ = ["command"]

_UNIT_WORDS = {None: "count", "%": "%", "ms": "ms", "s": "s", "rps": "rps"}


@click.command(
    "metrics",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one entry per source.")
def command(as_json: bool) -> int:
    """List every metric name a gate or an alert may use: what gives it (the report formats,
    'testgate run' itself, the history), its unit and what it counts. Adapters that give the
    same names are listed together; a plugin adapter lists the names it declares.

    <name>, <scenario> and <stat> stand for one name segment; a gate may write * there
    (perf.*.p95_ms: every scenario).
    """
    from testgate.adapters.registry import default_registry
    from testgate.gates.catalogue import MICRO_BENCHMARKS, MetricInfo, by_source

    sources = by_source(default_registry())
    if as_json:
        import json

        click.echo(
            json.dumps(
                [
                    {
                        "source": s.name,
                        "kind": s.kind or None,
                        "metrics": [
                            {"name": m.pattern, "unit": m.unit, "description": m.description}
                            for m in s.metrics
                        ],
                    }
                    for s in sources
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    # adapters that give the same names share one block; micro-benchmarks have their own
    blocks: dict[tuple[tuple[MetricInfo, ...], bool], list[str]] = {}
    kinds: dict[tuple[tuple[MetricInfo, ...], bool], str] = {}
    for s in sources:
        key = (tuple(s.metrics), s.name in MICRO_BENCHMARKS)
        blocks.setdefault(key, []).append(s.name)
        kinds.setdefault(key, s.kind)
    width = max(len(m.pattern) for s in sources for m in s.metrics)
    first = True
    for (metrics, micro), names in blocks.items():
        if not first:
            click.echo("")
        first = False
        kind = kinds[(metrics, micro)]
        if micro:
            kind += " (micro-benchmarks: read only by a criterion that names their scenario)"
        head = f"{kind}: {', '.join(names)}" if kind else names[0]
        click.echo(head)
        for m in metrics:
            unit = _UNIT_WORDS.get(m.unit, m.unit or "count")
            click.echo(f"  {m.pattern:<{width}}  {unit:<5}  {m.description}")
    return 0
