"""``testgate formats``: list every report format testgate can read."""

from __future__ import annotations

import click

__all__ = ["command"]


@click.command(
    "formats",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def command(as_json: bool) -> int:
    """List the report formats testgate reads (built-in and from plugins): name, kind and
    description. Pass a NAME to 'testgate ingest --format NAME' to skip detection.
    """
    from testgate.adapters.registry import default_registry

    registry = default_registry()
    rows = sorted(((a.kind, a.name, a.description) for a in registry), key=lambda r: (r[0], r[1]))
    if as_json:
        import json

        click.echo(
            json.dumps(
                [{"name": n, "kind": k, "description": d} for k, n, d in rows],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("format")
    table.add_column("kind")
    table.add_column("description")
    for kind, name, desc in rows:
        table.add_row(name, kind, desc)
    Console(width=120).print(table)
    return 0
