"""``testgate schema``: print the JSON Schema of ``testgate.yaml`` (for editors)."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["command"]


@click.command(
    "schema",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    metavar="FILE",
    help="Write the schema to FILE instead of printing it.",
)
def command(output: str | None) -> int:
    """Print the JSON Schema of testgate.yaml, generated from testgate's configuration model.

    Editors use it to complete keys, show their help and flag mistakes as you type: put
    '# yaml-language-server: $schema=PATH' at the top of testgate.yaml, or map the file to the
    schema in your editor's settings (docs/editor.md). The same file ships inside the package
    as testgate/schemas/config.schema.json.
    """
    from testgate.config.jsonschema import config_json_schema, to_text

    text = to_text(config_json_schema())
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    return 0
