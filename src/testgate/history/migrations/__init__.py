"""Alembic migrations of the history store (run programmatically by the store on open)."""
