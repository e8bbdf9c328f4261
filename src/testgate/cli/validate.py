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
    help="text: one line per problem; json: an object with 'ok', 'stages', 'steps', 'problems' "
    "and 'notes'.",
)
def command(config_path: str | None, fmt: str) -> int:
    """Check a configuration file and report every problem, each with its file, line and key:
    the pipeline, and the gates too (thresholds, shorthand keys, metric names that no report
    can give, alert conditions).

    Exits 0 when the configuration is valid and 2 when it is not. Notes (a gate on a metric
    that no configured step's report gives) are printed but do not fail.
    """
    from testgate.config.loader import InvalidConfig
    from testgate.errors import ConfigError
    from testgate.workflow import load

    if fmt == "text":
        # problems propagate as a ConfigError: testgate.cli.main prints each on its own line;
        # load() checks the pipeline, the gates, alerts and quarantine, triage and escalation
        loaded = load(config_path)
        cfg = loaded.source.config
        n_steps = sum(len(s.steps) for s in cfg.pipeline.stages)
        shown = config_path if config_path is not None else os.path.relpath(loaded.path)
        for note in loaded.notes:
            click.echo(f"note: {note}")
        n_gates = len(loaded.gates.gates)
        gates = f", {_plural(n_gates, 'gate')}" if n_gates else ""
        click.echo(
            f"{shown}: OK ({_plural(len(cfg.pipeline.stages), 'stage')}, "
            f"{_plural(n_steps, 'step')}{gates})"
        )
        return 0
    try:
        loaded = load(config_path)
    except InvalidConfig as exc:
        doc = {"ok": False, "problems": [p.as_dict() for p in exc.items]}
        click.echo(json.dumps(doc, indent=2))
        return 2
    except ConfigError as exc:  # no file, not a file: no line to point at
        problems = [{"message": p} for p in exc.problems]
        click.echo(json.dumps({"ok": False, "problems": problems}, indent=2))
        return 2
    cfg = loaded.source.config
    doc = {
        "ok": True,
        "file": str(loaded.path),
        "stages": len(cfg.pipeline.stages),
        "steps": sum(len(s.steps) for s in cfg.pipeline.stages),
        "gates": len(loaded.gates.gates),
        "problems": [],
        "notes": loaded.notes,
    }
    click.echo(json.dumps(doc, indent=2))
    return 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
