"""Alembic environment: runs on the connection :func:`babyskin.store.migrate.upgrade` hands over.

Only the programmatic path is supported (no ``alembic.ini``, no logging configuration here): the
caller has already opened a transaction and taken the migration lock.
"""

from __future__ import annotations

from alembic import context

from babyskin.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("run migrations with babyskin.store.migrate.upgrade(engine), not the alembic CLI")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
