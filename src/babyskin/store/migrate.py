"""Run the packaged Alembic migrations on start, idempotently and safely from many processes.

``upgrade(engine)`` reads the current revision first and returns at once when it is already the head
(the usual case on every start after the first). Otherwise it takes a lock (a transaction-scoped
advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two app instances starting together
migrate once: the second waits, then finds the head and does nothing. The migration runs inside that
one transaction, so a failed migration leaves the schema as it was.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from babyskin.store.database import WRITE

SCRIPT_LOCATION = "babyskin.store:migrations"
ADVISORY_LOCK_KEY = 0x0BABE5C1  # any constant; shared by every babyskin instance on one server


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the packaged migrations have no head revision"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the head revision; ``True`` if any migration ran."""
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return False
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            # requests get short lock and statement timeouts (database.py); a migration may wait longer
            conn.execute(text("SET LOCAL lock_timeout = '60s'"))
            conn.execute(text("SET LOCAL statement_timeout = '120s'"))
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        if current_revision(conn) == head:
            return False
        command.upgrade(alembic_config(conn), "head")
    return True
