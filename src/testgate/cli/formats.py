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
    # plain columns rather than a rich table: this command should start as fast as --help
    w_name = max([len("format"), *(len(n) for _, n, _ in rows)])
    w_kind = max([len("kind"), *(len(k) for k, _, _ in rows)])
    click.echo(f"{'format':<{w_name}}  {'kind':<{w_kind}}  description")
    for kind, name, desc in rows:
        click.echo(f"{name:<{w_name}}  {kind:<{w_kind}}  {desc}")
    return 0
