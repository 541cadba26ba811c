"""The spot diary's store: SQLAlchemy 2 tables, packaged Alembic migrations and a repository.

One code path serves SQLite (the default: a file in the user's data directory) and PostgreSQL
(``BABYSKIN_DATABASE_URL=postgresql+psycopg://...``, for several app instances sharing one store).

* :mod:`~babyskin.store.database`   URL -> engine (SQLite WAL and pragmas; PostgreSQL pool)
* :mod:`~babyskin.store.tables`     the tables
* :mod:`~babyskin.store.migrate`    migrations run on start, idempotently, under a lock
* :mod:`~babyskin.store.repository` ``DiaryStore``: family-scoped reads and writes, one transaction each
* :mod:`~babyskin.store.service`    ``Diary``: assess an entry and save it; timelines and reviews
"""

from __future__ import annotations

from babyskin.store.records import ChildRecord, EntryRecord, FamilyRecord, NewChild, NewEntry
from babyskin.store.repository import DiaryStore

__all__ = ["ChildRecord", "DiaryStore", "EntryRecord", "FamilyRecord", "NewChild", "NewEntry"]
