"""Fixtures shared by the diary tests: a fresh diary database on SQLite and on PostgreSQL.

The other ``test_diary_*`` modules import these fixtures, so every diary test runs on both backends.
PostgreSQL: a scratch database is created for the session on the server at
``BABYSKIN_TEST_POSTGRES_URL`` (default: the local server, user postgres, trust auth on 127.0.0.1;
``make test`` starts it with scripts/ensure-postgres.sh) and dropped after; each test gets its own
schema in it. When no server answers, the PostgreSQL half is skipped with the reason.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

POSTGRES_ADMIN_URL = os.environ.get(
    "BABYSKIN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]
BIRTH = dt.date(2026, 11, 1)
MILIA = {"locations": ["nose", "cheeks"], "lesions": ["papule"], "colors": ["white"], "size": "pinpoint",
         "count": "many", "absent": ["fever", "itchy"]}


def _admin_engine():
    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT",
                         connect_args={"connect_timeout": 3})


@pytest.fixture(scope="session")
def postgres_scratch() -> Iterator[str]:
    """The URL of a scratch PostgreSQL database for this session (dropped at the end)."""
    if os.environ.get("BABYSKIN_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests skipped: BABYSKIN_SKIP_POSTGRES=1")
    name = f"babyskin_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        pytest.skip(f"PostgreSQL is not answering at {make_url(POSTGRES_ADMIN_URL).render_as_string()}"
                    f" ({reason}); run scripts/ensure-postgres.sh or set BABYSKIN_TEST_POSTGRES_URL")
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_database(kind: str, folder: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty diary database URL of ``kind``: a new SQLite file, or a new PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'diary.db'}"
        return
    scratch = request.getfixturevalue("postgres_scratch")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(scratch, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(scratch).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty diary database for one test, on each backend."""
    with fresh_database(request.param, tmp_path, request) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One diary database per test module and backend (tests keep apart by using their own family)."""
    with fresh_database(request.param, tmp_path_factory.mktemp("diary"), request) as url:
        yield url
