"""The ``testgate`` command. Thin: each command parses, calls the library, renders.

Commands are imported lazily so that ``testgate --help`` and ``--version`` start fast.
Only :func:`main` turns a :class:`~testgate.errors.TestgateError` into a message and an exit code.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

import click

from testgate.errors import ConfigError, ExitCode, TestgateError

__all__ = ["COMMANDS", "DOCS_ERRORS", "cli", "main"]

DOCS_ERRORS = "docs/errors.md"

#: command name -> (module, one-line help). A module that does not exist yet is not listed.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("testgate.cli.run", "Run the pipeline, read its reports, gate and record the run."),
    "validate": ("testgate.cli.validate", "Check a configuration file and report every problem."),
    "init": ("testgate.cli.init", "Write a starter testgate.yaml for this repository."),
    "ingest": ("testgate.cli.ingest", "Read report files into one run summary."),
    "formats": ("testgate.cli.formats", "List the report formats testgate reads."),
    "gate": ("testgate.cli.gate", "Evaluate the quality gates over a run summary."),
    "metrics": ("testgate.cli.metrics", "List every metric name, what gives it and its unit."),
    "report": ("testgate.cli.report", "Render a run as HTML, Markdown, badges or JUnit."),
    "history": ("testgate.cli.history", "Record, list and show runs in the history store."),
    "flaky": ("testgate.cli.flaky", "Find flaky and broken tests in the history."),
    "slow": ("testgate.cli.slow", "Find slow and slowing tests in the history."),
    "insights": ("testgate.cli.insights", "An improvement plan from the history."),
    "serve": ("testgate.cli.serve", "Serve the dashboard and Prometheus metrics."),
    "push": ("testgate.cli.push", "Push a run's metrics to a Prometheus Pushgateway."),
    "select": ("testgate.cli.select", "Select the steps and tests a change can affect."),
    "shard": ("testgate.cli.shard", "Plan balanced shards from known test durations."),
    "merge": ("testgate.cli.merge", "Merge the summaries of a run's shards into one run."),
    "triage": ("testgate.cli.triage", "Group a run's failures by cause, with owners and SLA."),
    "generate": ("testgate.cli.generate", "Write tests from a Python package's public API."),
    "scan": ("testgate.cli.scan", "Scan for secrets or disallowed licences (findings)."),
    "probe": ("testgate.cli.probe", "Probe a local service for SQL injection and XSS."),
    "schema": ("testgate.cli.schema", "Print the JSON Schema of testgate.yaml (for editors)."),
}


#: commands that read or write the history store and use no adapter, renderer or criterion
_HISTORY_ONLY = frozenset({"history", "flaky", "slow"})


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class LazyGroup(click.Group):
    """A group whose commands are imported only when they are invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n, (mod, _) in COMMANDS.items() if _available(mod)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _available(entry[0]):
            return None
        # every command sees the adapters, renderers and criteria that plugins add; those that
        # only read the history store use none of them, and finding the plugins (entry points
        # through importlib.metadata) is a third of their start-up. The workflow loads them
        # itself wherever a run is read or recorded, and a registry used before they are
        # loaded raises instead of answering without them.
        if cmd_name not in _HISTORY_ONLY:
            from testgate.plugins import get_plugins

            get_plugins()
        cmd = importlib.import_module(entry[0]).command
        assert isinstance(cmd, click.Command)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, COMMANDS[n][1]) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _version() -> str:
    from testgate import __version__

    return __version__


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(_version(), "--version", "-V", prog_name="testgate")
def cli() -> None:
    """testgate runs every test suite as one parallel pipeline, reads every report into one
    result, decides with quality gates whether a change may ship, and remembers every run.

    Exit codes: 0 all good, 1 tests or steps failed, 2 usage/config/input error,
    3 a blocking gate failed, 4 internal error, 130 interrupted.
    """


def _print_error(exc: TestgateError) -> None:
    hint = f" (see {DOCS_ERRORS}#{exc.slug})" if exc.slug else ""
    if isinstance(exc, ConfigError) and len(exc.problems) > 1:
        click.echo(f"testgate: error: {len(exc.problems)} problems found{hint}", err=True)
        for p in exc.problems:
            click.echo(f"  {p}", err=True)
    else:
        click.echo(f"testgate: error: {exc}{hint}", err=True)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a command as SIGINT does: cleanly, with 130


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM and SIGINT raise KeyboardInterrupt in every phase (the pipeline routes both
    signals to its own graceful stop while steps run), so that a CI runner's SIGTERM ends the
    command with exit 130 and every file written atomically, never as a silent 143. SIGINT is
    honoured even when inherited as ignored (a shell starts background jobs so): the steps
    already honour it, and the other phases must not differ."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises for a user error)."""
    with _sigterm_interrupts():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv: Any = cli.main(args=args, prog_name="testgate", standalone_mode=False)
    except TestgateError as exc:
        _print_error(exc)
        return int(exc.exit_code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("testgate: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE_ERROR)
    except KeyboardInterrupt:
        click.echo("testgate: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception:  # a bug: keep the traceback
        traceback.print_exc()
        click.echo(
            "testgate: internal error (this is a bug in testgate; please report it with the "
            "traceback above)",
            err=True,
        )
        return int(ExitCode.INTERNAL_ERROR)
    if rv is None:
        return int(ExitCode.OK)
    return int(rv)
