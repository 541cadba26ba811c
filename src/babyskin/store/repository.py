"""``DiaryStore``: every read and write of the diary, scoped to one family, one transaction each.

Every method that takes a ``family_id`` only ever sees that family's rows: children are looked up by
``(family_id, id)`` and entries through their child, so one family can never read, change or delete
another's data. A write runs in one transaction and either commits whole or leaves the store as it
was. Database failures become :class:`~babyskin.errors.StorageError` naming the database (password
hidden) and the fix; no SQL parameter (diary text) is ever put into a message or a log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from babyskin.errors import InputError, NotFound, StorageError
from babyskin.models import Findings
from babyskin.store import migrate
from babyskin.store.database import WRITE, describe, is_sqlite, make_engine
from babyskin.store.gate import Gate
from babyskin.store.records import (
    ChildRecord,
    EntryRecord,
    EntrySummary,
    FamilyRecord,
    NewChild,
    NewEntry,
)
from babyskin.store.tables import Child, Entry, Family
from babyskin.text import control_characters

log = logging.getLogger("babyskin.store")
EXPORT_FORMAT = "babyskin-diary-export"
MAX_CHILDREN_PER_FAMILY = 20
MAX_ENTRIES_PER_CHILD = 2000
"""Quotas (issue 17): a diary cannot be grown without bound by one token."""
DB_WAITERS = 15
"""At most this many threads wait on the database at once (see :mod:`babyskin.store.gate`): the
PostgreSQL pool's size (5 + 10 overflow), well under the 40 threads every other route shares."""
STARTING = "the diary database is being prepared; try again in a few seconds"
EXPORT_VERSION = 1


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def storable(*values: str | None) -> None:
    """Refuse control characters before anything is written: PostgreSQL cannot store NUL and SQLite
    would, so both back ends answer the same 422 (the last line behind the request models)."""
    if any(value and control_characters(value, multiline=True) for value in values):
        raise InputError("the text has control characters (like NUL) that cannot be saved; remove them"
                         " and send it again")


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _family(row: Family) -> FamilyRecord:
    return FamilyRecord(id=row.id, name=row.name, created_at=_utc(row.created_at))


def _child(row: Child) -> ChildRecord:
    return ChildRecord(id=row.id, family_id=row.family_id, name=row.name, birth_date=row.birth_date,
                       gestation_weeks=row.gestation_weeks, created_at=_utc(row.created_at))


def stored_findings(data: Any) -> Findings:
    """Saved findings, read leniently: a field that no longer validates (saved before a bound
    existed, or changed by hand) is left out and logged, so one entry never makes a page fail."""
    try:
        return Findings.model_validate(data)
    except ValidationError as error:
        bad = {str(item["loc"][0]) for item in error.errors() if item.get("loc")}
        log.warning("a saved entry has findings that no longer validate (%s); showing the rest",
                    ", ".join(sorted(bad)))
        kept = {k: v for k, v in (data or {}).items() if k not in bad} if isinstance(data, dict) else {}
        try:
            return Findings.model_validate(kept)
        except ValidationError:
            return Findings()


def _entry(row: Entry) -> EntryRecord:
    return EntryRecord(
        id=row.id, child_id=row.child_id, episode=row.episode, on=row.entry_date, text=row.text,
        note=row.note, findings=stored_findings(row.findings), assessment=row.assessment,
        kb_version=row.kb_version,
        leading=row.leading, triage=row.triage, red_flags=row.red_flags, created_at=_utc(row.created_at),
    )


SUMMARY_COLUMNS = (Entry.id, Entry.child_id, Entry.episode, Entry.entry_date, Entry.findings, Entry.leading,
                   Entry.triage, Entry.red_flags)


class DiaryStore:
    """The diary on one database; safe to share between threads and requests (it holds no data)."""

    def __init__(self, url: str, *, waiters: int = DB_WAITERS) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self._writer = self.engine.execution_options(**WRITE)
        self._ready = False
        self._ready_lock = threading.Lock()
        self.gate = Gate(waiters)

    # -- lifecycle -------------------------------------------------------------------------------

    def migrate(self, *, wait: bool = True) -> bool:
        """Run pending migrations (idempotent); ``True`` if any ran.

        With ``wait=False`` a caller that finds another thread migrating is refused at once
        (``StorageError``) instead of queueing behind it: requests never wait on one global lock.
        """
        if not self._ready_lock.acquire(blocking=wait):
            raise StorageError(STARTING)
        try:
            with self.gate.slot():
                ran = migrate.upgrade(self.engine)
            self._ready = True
            return ran
        except SQLAlchemyError as error:
            raise self._error(error) from None
        finally:
            self._ready_lock.release()

    def ensure_ready(self) -> None:
        if not self._ready:
            self.migrate(wait=False)

    def close(self) -> None:
        self.engine.dispose()

    def _error(self, error: SQLAlchemyError) -> StorageError:
        where = describe(self.engine.url)
        if isinstance(error, IntegrityError):
            return StorageError(f"the diary database at {where} refused a write (a constraint failed);"
                                " nothing was saved")
        reason = ""
        if isinstance(error, DBAPIError) and error.orig is not None:
            reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
        return StorageError(
            f"the diary database is not available ({where}{': ' + reason if reason else ''}); check"
            " BABYSKIN_DATABASE_URL and that the database is running"
        )

    @contextmanager
    def _session(self, *, write: bool = False) -> Iterator[Session]:
        self.ensure_ready()
        with self.gate.slot():
            try:
                bind = self._writer if write else self.engine
                with Session(bind, expire_on_commit=False) as session, session.begin():
                    yield session
            except SQLAlchemyError as error:
                raise self._error(error) from None

    def _after_delete(self) -> None:
        """Deleted means gone from the database's files too, not only from its answers.

        SQLite: ``secure_delete`` overwrites freed pages and the write-ahead log is folded into the
        file. PostgreSQL keeps a deleted row's bytes in the table files as a dead tuple until they are
        rewritten, so the diary tables are rewritten at once with ``VACUUM FULL`` (issue 17). It takes
        a short exclusive lock: if another process holds the tables longer than the lock timeout, the
        delete still stands and ``babyskin`` logs that the rewrite waits for the next delete or the
        operator's scheduled ``VACUUM FULL`` (docs/deploy.md).
        """
        try:
            with self.gate.slot():
                if is_sqlite(self.engine):
                    with self.engine.connect() as conn:
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                    return
                self.purge()
        except SQLAlchemyError as error:
            if is_sqlite(self.engine):
                raise self._error(error) from None
            log.warning("deleted rows could not be purged from the table files yet: %s",
                        type(error).__name__)

    def purge(self) -> None:
        """PostgreSQL: rewrite the diary tables so no deleted row's bytes remain in their files."""
        if is_sqlite(self.engine):
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("SET statement_timeout = '60s'")  # the rewrite, not a request's query
            conn.exec_driver_sql("SET lock_timeout = '10s'")
            try:
                conn.exec_driver_sql("VACUUM FULL entries, children, families")
            finally:
                conn.exec_driver_sql("RESET statement_timeout")
                conn.exec_driver_sql("RESET lock_timeout")

    # -- families --------------------------------------------------------------------------------

    def create_family(self, name: str, *, cli_name: str | None = None) -> tuple[FamilyRecord, str]:
        """A new family and its access token (shown once; only a hash is stored)."""
        storable(name, cli_name)
        token = secrets.token_urlsafe(32)
        with self._session(write=True) as session:
            row = Family(name=name.strip() or "family", cli_name=cli_name, token_sha256=hash_token(token))
            session.add(row)
            session.flush()
            return _family(row), token

    def rotate_token(self, family_id: int) -> str:
        """A new access token for the family; the old one stops working at once (shown once, stored
        hashed, like the first)."""
        token = secrets.token_urlsafe(32)
        with self._session(write=True) as session:
            row = session.get(Family, family_id)
            if row is None:
                raise NotFound(f"no family with id {family_id}")
            row.token_sha256 = hash_token(token)
        return token

    def family_for_token(self, token: str) -> FamilyRecord | None:
        with self._session() as session:
            row = session.scalar(select(Family).where(Family.token_sha256 == hash_token(token)))
            return _family(row) if row else None

    def cli_family(self, cli_name: str) -> FamilyRecord:
        """The family the command line uses under ``cli_name``, created on first use."""
        with self._session() as session:
            row = session.scalar(select(Family).where(Family.cli_name == cli_name))
            if row:
                return _family(row)
        try:
            return self.create_family(cli_name, cli_name=cli_name)[0]
        except StorageError:  # another process created it first
            with self._session() as session:
                row = session.scalar(select(Family).where(Family.cli_name == cli_name))
                if row is None:
                    raise
                return _family(row)

    def delete_family(self, family_id: int) -> dict[str, int]:
        """Delete the family with all its children and entries, for real; returns what was deleted."""
        with self._session(write=True) as session:
            counts = self._counts(session, family_id)
            children = select(Child.id).where(Child.family_id == family_id)
            session.execute(delete(Entry).where(Entry.child_id.in_(children)))
            session.execute(delete(Child).where(Child.family_id == family_id))
            session.execute(delete(Family).where(Family.id == family_id))
        self._after_delete()
        return counts

    def _counts(self, session: Session, family_id: int) -> dict[str, int]:
        children = session.scalar(select(func.count(Child.id)).where(Child.family_id == family_id)) or 0
        entries = session.scalar(
            select(func.count(Entry.id)).join(Child, Entry.child_id == Child.id)
            .where(Child.family_id == family_id)
        ) or 0
        return {"children": children, "entries": entries}

    # -- children --------------------------------------------------------------------------------

    def add_child(self, family_id: int, child: NewChild) -> ChildRecord:
        with self._session(write=True) as session:
            if self._find_child(session, family_id, child.name) is not None:
                raise InputError(f"a child called '{child.name}' is already in this diary; use another"
                                 " name or nickname")
            return _child(self._insert_child(session, family_id, child))

    def _insert_child(self, session: Session, family_id: int, child: NewChild) -> Child:
        storable(child.name)
        held = session.scalar(select(func.count(Child.id)).where(Child.family_id == family_id)) or 0
        if held >= MAX_CHILDREN_PER_FAMILY:
            raise InputError(f"this diary has {held} children, the most one diary keeps")
        name = " ".join(child.name.split())
        row = Child(family_id=family_id, name=name, name_key=name_key(name), birth_date=child.birth_date,
                    gestation_weeks=child.gestation_weeks)
        session.add(row)
        session.flush()
        return row

    def _find_or_insert_child(self, session: Session, family_id: int, child: NewChild) -> Child:
        row = self._find_child(session, family_id, child.name)
        if row is not None:
            return row
        try:
            with session.begin_nested():  # a savepoint: another writer may add the same child first
                return self._insert_child(session, family_id, child)
        except IntegrityError:
            row = self._find_child(session, family_id, child.name)
            if row is None:
                raise
            return row

    def _find_child(self, session: Session, family_id: int, name: str) -> Child | None:
        return session.scalar(
            select(Child).where(Child.family_id == family_id, Child.name_key == name_key(name))
        )

    def _own_child(self, session: Session, family_id: int, child_id: int) -> Child:
        row = session.scalar(select(Child).where(Child.family_id == family_id, Child.id == child_id))
        if row is None:
            raise NotFound(f"no child with id {child_id} in this diary (list them with GET"
                           " /v1/diary/children or `babyskin diary list`)")
        return row

    def find_child(self, family_id: int, name: str) -> ChildRecord | None:
        with self._session() as session:
            row = self._find_child(session, family_id, name)
            return _child(row) if row else None

    def get_child(self, family_id: int, child_id: int) -> ChildRecord:
        with self._session() as session:
            return _child(self._own_child(session, family_id, child_id))

    def list_children(self, family_id: int) -> list[ChildRecord]:
        with self._session() as session:
            rows = session.scalars(select(Child).where(Child.family_id == family_id).order_by(Child.id))
            return [_child(row) for row in rows]

    def delete_child(self, family_id: int, child_id: int) -> dict[str, int]:
        """Delete a child and all its entries, for real."""
        with self._session(write=True) as session:
            self._own_child(session, family_id, child_id)
            entries = session.execute(delete(Entry).where(Entry.child_id == child_id)).rowcount
            session.execute(delete(Child).where(Child.id == child_id, Child.family_id == family_id))
        self._after_delete()
        return {"children": 1, "entries": entries or 0}

    # -- entries ---------------------------------------------------------------------------------

    def add_entry(
        self, family_id: int, child: int | NewChild, entry: NewEntry, *, idempotency_key: str | None = None
    ) -> tuple[ChildRecord, EntryRecord]:
        """Save an assessed entry for a child (by id, or by name, creating it on first use).

        The child (if new) and the entry are written in one transaction: both or neither. With an
        ``idempotency_key`` a retry (the same key for the same child) returns the entry saved first and
        never writes a second row, even when the two requests race on different app processes.
        """
        storable(entry.episode, entry.text, entry.note, idempotency_key)
        with self._session(write=True) as session:
            if isinstance(child, NewChild):
                row = self._find_or_insert_child(session, family_id, child)
            else:
                row = self._own_child(session, family_id, child)
            if idempotency_key is not None:
                first = self._keyed_entry(session, row.id, idempotency_key)
                if first is not None:
                    return _child(row), _entry(first)
            held = session.scalar(select(func.count(Entry.id)).where(Entry.child_id == row.id)) or 0
            if held >= MAX_ENTRIES_PER_CHILD:
                raise InputError(f"{row.name} has {held} entries, the most one child's diary keeps;"
                                 " export the diary and delete old entries to add more")
            saved = Entry(
                child_id=row.id, episode=entry.episode, entry_date=entry.on, text=entry.text,
                note=entry.note, findings=entry.findings.model_dump(mode="json", exclude_defaults=True),
                assessment=entry.assessment, kb_version=entry.kb_version, leading=entry.leading,
                triage=entry.triage, red_flags=[f.model_dump(mode="json") for f in entry.red_flags],
                idempotency_key=idempotency_key,
            )
            try:
                with session.begin_nested():  # a savepoint: a retry on another process may win the race
                    session.add(saved)
                    session.flush()
            except IntegrityError:
                first = self._keyed_entry(session, row.id, idempotency_key) if idempotency_key else None
                if first is None:
                    raise
                return _child(row), _entry(first)
            return _child(row), _entry(saved)

    @staticmethod
    def _keyed_entry(session: Session, child_id: int, key: str) -> Entry | None:
        return session.scalar(select(Entry).where(Entry.child_id == child_id, Entry.idempotency_key == key))

    def list_entries(self, family_id: int, child_id: int, *, limit: int | None = None,
                     offset: int = 0) -> list[EntryRecord]:
        """A child's entries, oldest first; ``limit``/``offset`` give one page of them."""
        with self._session() as session:
            self._own_child(session, family_id, child_id)
            query = select(Entry).where(Entry.child_id == child_id).order_by(Entry.entry_date, Entry.id)
            if limit is not None:
                query = query.limit(limit).offset(offset)
            return [_entry(row) for row in session.scalars(query)]

    def count_entries(self, family_id: int, child_id: int) -> int:
        with self._session() as session:
            self._own_child(session, family_id, child_id)
            return session.scalar(select(func.count(Entry.id)).where(Entry.child_id == child_id)) or 0

    def list_summaries(self, family_id: int, child_id: int, episode: str | None = None) -> list[EntrySummary]:
        """A child's entries (of one episode, if given) without texts or full assessments."""
        with self._session() as session:
            self._own_child(session, family_id, child_id)
            query = select(*SUMMARY_COLUMNS).where(Entry.child_id == child_id)
            if episode is not None:
                query = query.where(Entry.episode == episode)
            rows = session.execute(query.order_by(Entry.entry_date, Entry.id))
            return [EntrySummary(id=r.id, child_id=r.child_id, episode=r.episode, on=r.entry_date,
                                 findings=stored_findings(r.findings), leading=r.leading, triage=r.triage,
                                 red_flags=r.red_flags) for r in rows]

    def get_entry(self, family_id: int, entry_id: int) -> EntryRecord:
        with self._session() as session:
            return _entry(self._own_entry(session, family_id, entry_id))

    def _own_entry(self, session: Session, family_id: int, entry_id: int) -> Entry:
        row = session.scalar(
            select(Entry).join(Child, Entry.child_id == Child.id)
            .where(Entry.id == entry_id, Child.family_id == family_id)
        )
        if row is None:
            raise NotFound(f"no diary entry with id {entry_id} in this diary")
        return row

    def delete_entry(self, family_id: int, entry_id: int) -> dict[str, int]:
        with self._session(write=True) as session:
            session.delete(self._own_entry(session, family_id, entry_id))
        self._after_delete()
        return {"children": 0, "entries": 1}

    # -- export ----------------------------------------------------------------------------------

    def export_family(self, family_id: int) -> dict[str, Any]:
        """Everything this family holds, as JSON-ready data (the token itself is never stored)."""
        with self._session() as session:
            family = session.get(Family, family_id)
            if family is None:
                raise NotFound(f"no family with id {family_id}")
            children = []
            rows = session.scalars(select(Child).where(Child.family_id == family_id).order_by(Child.id))
            for child in rows.all():
                entries = session.scalars(
                    select(Entry).where(Entry.child_id == child.id).order_by(Entry.entry_date, Entry.id)
                )
                children.append({
                    **_child(child).model_dump(mode="json"),
                    "entries": [_entry(e).model_dump(mode="json") for e in entries],
                })
            return {
                "format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "family": _family(family).model_dump(mode="json"), "children": children,
            }
