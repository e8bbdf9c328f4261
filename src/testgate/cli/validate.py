"""``testgate validate``: check a configuration file and report every problem at once."""

from __future__ import annotations

import json
import os

import click

from testgate.cli._common import config_option

__all__ = ["command"]


@click.command("validate")
@config_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per problem; json: an object with 'ok', 'stages', 'steps', 'problems'.",
)
def command(config_path: str | None, fmt: str) -> int:
    """Check a configuration file and report every problem, each with its file, line and key.

    Exits 0 when the configuration is valid and 2 when it is not.
    """
    from testgate.config.loader import InvalidConfig, load_config
    from testgate.errors import ConfigError
    from testgate.workflow import load_gates, load_triage

    if fmt == "text":
        # problems propagate as a ConfigError: testgate.cli.main prints each on its own line
        loaded = load_config(config_path)
        load_gates(loaded)  # the gates' insides, with their lines
        load_triage(loaded)  # triage categories and the escalation matrix
        cfg = loaded.config
        n_steps = sum(len(s.steps) for s in cfg.pipeline.stages)
        shown = config_path if config_path is not None else os.path.relpath(loaded.path)
        click.echo(
            f"{shown}: OK ({_plural(len(cfg.pipeline.stages), 'stage')}, "
            f"{_plural(n_steps, 'step')})"
        )
        return 0
    try:
        loaded = load_config(config_path)
    except InvalidConfig as exc:
        doc = {"ok": False, "problems": [p.as_dict() for p in exc.items]}
        click.echo(json.dumps(doc, indent=2))
        return 2
    except ConfigError as exc:  # no file, not a file: no line to point at
        click.echo(json.dumps({"ok": False, "problems": [{"message": str(exc)}]}, indent=2))
        return 2
    try:
        load_gates(loaded)
        load_triage(loaded)
    except ConfigError as exc:
        doc = {"ok": False, "problems": [{"message": p} for p in exc.problems]}
        click.echo(json.dumps(doc, indent=2))
        return 2
    cfg = loaded.config
    doc = {
        "ok": True,
        "file": str(loaded.path),
        "stages": len(cfg.pipeline.stages),
        "steps": sum(len(s.steps) for s in cfg.pipeline.stages),
        "problems": [],
    }
    click.echo(json.dumps(doc, indent=2))
    return 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
