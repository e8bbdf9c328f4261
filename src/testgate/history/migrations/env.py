"""Alembic environment: always run on the connection the store hands over.

The store opens its own transaction (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
PostgreSQL) before calling ``alembic.command.upgrade``, so two processes opening a fresh
database at once never both try to create the tables.
"""

from __future__ import annotations

from alembic import context

from testgate.history.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the store runs these migrations
    raise RuntimeError("testgate's history migrations run through HistoryStore, not the CLI")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
