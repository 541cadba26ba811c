"""Database URLs -> SQLAlchemy engines: one code path for SQLite (default) and PostgreSQL.

SQLite is tuned for a diary on one machine: WAL mode (readers never block the writer), full sync on
commit (a committed entry survives a killed process and a power cut), foreign keys on, deleted content
overwritten (``secure_delete``), and a busy timeout so that several processes can share the file.
SQLAlchemy emits ``BEGIN`` itself (the documented recipe); write transactions start with
``BEGIN IMMEDIATE`` so they never fail half-way on a lock upgrade.

PostgreSQL (``postgresql+psycopg://``; plain ``postgresql://`` and ``postgres://`` are accepted) serves
several app instances behind a load balancer; connections are checked before use so a restarted server
costs one reconnect, not a failed request.

SQL parameters are never logged or put into error messages (``hide_parameters``), and result rows are
dropped from SQLAlchemy's debug log (:class:`NoRows`): diary text stays out of logs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from babyskin.errors import StorageError

WRITE = {"babyskin_write": True}
"""Execution options for a write transaction (``BEGIN IMMEDIATE`` on SQLite)."""

SQLITE_BUSY_TIMEOUT_MS = 15_000
POSTGRES_CONNECT_TIMEOUT_S = 2
"""libpq's connect timeout covers the whole start-up exchange, so a server that accepts the connection
and never answers costs at most this long (issue 17: a hung database must not stall the app)."""
POSTGRES_STATEMENT_TIMEOUT_MS = 5_000
POSTGRES_LOCK_TIMEOUT_MS = 3_000
POOL_TIMEOUT_S = 2
SUPPORTED = "sqlite:///path/to/file.db or postgresql+psycopg://user:password@host:5432/database"


def normalize_url(url: str) -> URL:
    """Parse ``url`` and pick the drivers babyskin ships with (sqlite3, psycopg 3)."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise StorageError(
            f"BABYSKIN_DATABASE_URL is not a database URL (got {url!r}); expected {SUPPORTED}"
        ) from None
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    raise StorageError(
        f"the diary supports SQLite and PostgreSQL, not '{backend}' (from BABYSKIN_DATABASE_URL);"
        f" expected {SUPPORTED}"
    )


def describe(url: URL | str) -> str:
    """The URL with any password hidden, for messages."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


LOGGING_NAME = "babyskin"


class NoRows(logging.Filter):
    """Drop SQLAlchemy's debug records that carry result rows (``Row (...)``): they hold diary text."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Row")


def _keep_rows_out_of_logs() -> None:
    logger = logging.getLogger(f"sqlalchemy.engine.Engine.{LOGGING_NAME}")
    if not any(isinstance(f, NoRows) for f in logger.filters):
        logger.addFilter(NoRows())


def make_engine(url: str) -> Engine:
    """An engine for ``url``; connects lazily (nothing touches the database until first use)."""
    parsed = normalize_url(url)
    _keep_rows_out_of_logs()
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(
        parsed,
        logging_name=LOGGING_NAME,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_S,
            "application_name": "babyskin",
            "options": _options(parsed),
            # a server that stops answering mid-query: the kernel gives up on unacknowledged data
            "tcp_user_timeout": POSTGRES_STATEMENT_TIMEOUT_MS,
            "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 2,
        },
    )


def _options(parsed: URL) -> str:
    """libpq ``options``: the short timeouts, after any the URL gives (e.g. ``-csearch_path=...``)."""
    given = parsed.query.get("options", "")
    given = " ".join(given) if isinstance(given, tuple) else given
    ours = f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS} -c lock_timeout={POSTGRES_LOCK_TIMEOUT_MS}"
    return f"{given} {ours}".strip()


def _sqlite_engine(parsed: URL) -> Engine:
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise StorageError(
            f"the diary needs a SQLite file, got {describe(parsed)!r}; use sqlite:///path/to/file.db"
        )
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed, logging_name=LOGGING_NAME, hide_parameters=True,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_on_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    immediate = conn.get_execution_options().get("babyskin_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
