"""``testgate serve``: the dashboard and Prometheus metrics over the history store."""

from __future__ import annotations

import os

import click

from testgate.cli._hist import db_options
from testgate.server.app import is_loopback

__all__ = ["command"]


@click.command(
    "serve",
    help="Serve the dashboard (runs by branch with their marks and trends, each run's report, "
    "test histories, components, flaky tests and their quarantine, alerts, escaped defects), a "
    "JSON API under /api/ (documented at /api/docs), /health and Prometheus metrics at "
    "/metrics, over the history store (SQLite or PostgreSQL). Binds 127.0.0.1 by default; "
    "another address needs a token (TESTGATE_TOKEN), which every request must carry; recording "
    "an incident with POST /api/incidents always needs it.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=8765, show_default=True, help="Port to bind.")
@click.option(
    "--connections",
    type=click.IntRange(1, 200),
    default=20,
    show_default=True,
    help="Database connections, and so requests served at once; more requests wait their turn "
    "(PostgreSQL's max_connections must allow them).",
)
@db_options
def command(host: str, port: int, connections: int, db: str | None, config_path: str | None) -> int:
    from testgate.errors import UsageError

    token = os.environ.get("TESTGATE_TOKEN") or None
    if not is_loopback(host) and not token:
        raise UsageError(
            f"refusing to serve on {host}: the dashboard binds only loopback addresses unless "
            "a token is set; export TESTGATE_TOKEN=<secret> (every request must then send "
            "'Authorization: Bearer <secret>') or use --host 127.0.0.1"
        )
    import uvicorn

    from testgate.cli._hist import open_for_cli
    from testgate.server.app import create_app

    store, loaded = open_for_cli(db, config_path, pool_size=connections)
    hist = loaded.config.history if loaded else None
    app = create_app(
        store,
        token=token,
        window=hist.window if hist else 50,
        min_runs=hist.min_runs if hist else 5,
        default_branch=hist.default_branch if hist else None,
    )
    click.echo(f"testgate dashboard on http://{host}:{port}/ (store {store.safe_url})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
