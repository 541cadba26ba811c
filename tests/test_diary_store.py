"""The diary store on SQLite and PostgreSQL: migrations, family scoping, transactions, real deletes,
a writer killed mid-write, and no diary text in logs or error messages."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from babyskin.errors import InputError, NotFound, StorageError
from babyskin.models import Findings
from babyskin.store.database import normalize_url
from babyskin.store.records import NewChild, NewEntry
from babyskin.store.repository import DiaryStore
from babyskin.store.tables import Base
from tests import test_diary_support as support
from tests.test_diary_support import BIRTH

db_url = support.db_url
postgres_scratch = support.postgres_scratch

SECRET = "rash-behind-left-ear-zq7"


def new_entry(text_: str | None = SECRET, **changes: object) -> NewEntry:
    data: dict = {
        "episode": "main", "on": dt.date(2026, 11, 20), "text": text_, "note": "private note",
        "findings": Findings(locations=("nose",), age_days=19),
        "assessment": {"differential": [{"id": "milia"}], "triage": {"level": "home"}, "red_flags": []},
        "kb_version": "test", "leading": "milia", "triage": "home",
    }
    data.update(changes)
    return NewEntry(**data)


@pytest.fixture
def store(db_url: str):
    store = DiaryStore(db_url)
    store.migrate()
    yield store
    store.close()


def test_migrations_run_once_and_match_the_models(db_url: str) -> None:
    first, second = DiaryStore(db_url), DiaryStore(db_url)
    try:
        assert first.migrate() is True
        assert first.migrate() is False
        assert second.migrate() is False  # another instance starting later
        with first.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        first.close()
        second.close()


def test_two_instances_starting_together_migrate_once(db_url: str) -> None:
    stores = [DiaryStore(db_url) for _ in range(3)]
    results: list[bool] = []
    errors: list[BaseException] = []

    def start(store: DiaryStore) -> None:
        try:
            results.append(store.migrate())
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert not errors
    assert sorted(results) == [False, False, True]


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    store = DiaryStore(f"sqlite:///{tmp_path / 'sub' / 'diary.db'}")
    store.migrate()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()


def test_a_family_never_sees_another_familys_data(store: DiaryStore) -> None:
    mine, _ = store.create_family("mine")
    theirs, _ = store.create_family("theirs")
    child, entry = store.add_entry(mine.id, NewChild(name="Mia", birth_date=BIRTH), new_entry())
    with pytest.raises(NotFound):
        store.get_child(theirs.id, child.id)
    with pytest.raises(NotFound):
        store.list_entries(theirs.id, child.id)
    with pytest.raises(NotFound):
        store.get_entry(theirs.id, entry.id)
    with pytest.raises(NotFound):
        store.delete_entry(theirs.id, entry.id)
    with pytest.raises(NotFound):
        store.delete_child(theirs.id, child.id)
    with pytest.raises(NotFound):
        store.add_entry(theirs.id, child.id, new_entry())
    assert store.list_children(theirs.id) == []
    assert store.find_child(theirs.id, "Mia") is None
    assert store.export_family(theirs.id)["children"] == []
    store.delete_family(theirs.id)
    assert [e.id for e in store.list_entries(mine.id, child.id)] == [entry.id]


def test_tokens_are_stored_hashed_and_find_their_family(store: DiaryStore) -> None:
    family, token = store.create_family("Smith")
    assert store.family_for_token(token) == family
    assert store.family_for_token(token + "x") is None
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_sha256 FROM families")).scalar_one()
    assert token not in stored and len(stored) == 64


def test_an_entry_and_its_assessment_round_trip(store: DiaryStore) -> None:
    family = store.cli_family("local")
    assert store.cli_family("local") == family
    child, saved = store.add_entry(family.id, NewChild(name="Mia", birth_date=BIRTH, gestation_weeks=36),
                                   new_entry())
    again = store.get_entry(family.id, saved.id)
    assert again == saved
    assert again.findings == Findings(locations=("nose",), age_days=19)
    assert again.assessment["differential"][0]["id"] == "milia"
    assert again.kb_version == "test" and again.created_at.tzinfo is not None
    assert child.gestation_weeks == 36
    # the child is found again by name, whatever the case and spacing
    _, second = store.add_entry(family.id, NewChild(name="  mia ", birth_date=BIRTH), new_entry())
    assert second.child_id == child.id
    with pytest.raises(InputError, match="already in this diary"):
        store.add_child(family.id, NewChild(name="MIA", birth_date=BIRTH))


def test_a_failed_write_leaves_the_store_as_it_was(store: DiaryStore) -> None:
    family = store.cli_family("local")
    broken = new_entry().model_copy(update={"kb_version": None})  # NOT NULL fails inside the write
    with pytest.raises(StorageError, match="nothing was saved"):
        store.add_entry(family.id, NewChild(name="Noah", birth_date=BIRTH), broken)
    assert store.find_child(family.id, "Noah") is None  # the child made in the same transaction is gone
    assert store.export_family(family.id)["children"] == []


def test_export_holds_everything_but_the_token(store: DiaryStore) -> None:
    family, token = store.create_family("Smith")
    store.add_entry(family.id, NewChild(name="Mia", birth_date=BIRTH), new_entry())
    data = store.export_family(family.id)
    assert data["format"] == "babyskin-diary-export" and data["family"]["name"] == "Smith"
    [child] = data["children"]
    [entry] = child["entries"]
    assert entry["text"] == SECRET and entry["note"] == "private note"
    assert entry["assessment"]["differential"][0]["id"] == "milia" and entry["kb_version"] == "test"
    assert token not in str(data)


def _raw_bytes(url: str) -> bytes:
    path = Path(normalize_url(url).database or "")
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_deleting_a_child_removes_its_rows_for_real(store: DiaryStore, db_url: str) -> None:
    family = store.cli_family("local")
    child, _ = store.add_entry(family.id, NewChild(name="Mia", birth_date=BIRTH), new_entry())
    store.add_entry(family.id, child.id, new_entry())
    other, kept = store.add_entry(family.id, NewChild(name="Noah", birth_date=BIRTH), new_entry("kept"))
    assert store.delete_child(family.id, child.id) == {"children": 1, "entries": 2}
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM entries WHERE child_id = :c"),
                            {"c": child.id}).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM children")).scalar() == 1
    assert [e.id for e in store.list_entries(family.id, other.id)] == [kept.id]
    if db_url.startswith("sqlite"):
        assert SECRET.encode() not in _raw_bytes(db_url)  # not left in free pages or the WAL either


def test_deleting_the_family_removes_everything(store: DiaryStore) -> None:
    family, token = store.create_family("Smith")
    store.add_entry(family.id, NewChild(name="Mia", birth_date=BIRTH), new_entry())
    assert store.delete_family(family.id) == {"children": 1, "entries": 1}
    assert store.family_for_token(token) is None
    with store.engine.connect() as conn:
        for table in ("families", "children", "entries"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_no_diary_text_in_logs(store: DiaryStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    try:
        family = store.cli_family("local")
        child, _ = store.add_entry(family.id, NewChild(name="Mia", birth_date=BIRTH), new_entry())
        store.list_entries(family.id, child.id)
        store.export_family(family.id)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert caplog.records, "SQL logging was on, so something should have been logged"
    assert SECRET not in caplog.text and "private note" not in caplog.text


def test_an_unreachable_database_is_a_storage_error_without_the_password() -> None:
    store = DiaryStore("postgresql://babyskin:hunter2@127.0.0.1:1/diary")
    with pytest.raises(StorageError) as caught:
        store.migrate()
    assert "not available" in str(caught.value) and "BABYSKIN_DATABASE_URL" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    store.close()


@pytest.mark.parametrize(
    ("url", "fragment"),
    [("mysql://x@localhost/db", "supports SQLite and PostgreSQL"), ("sqlite://", "needs a SQLite file"),
     ("not a url", "not a database URL")],
)
def test_unsupported_urls_are_explained(url: str, fragment: str) -> None:
    with pytest.raises(StorageError, match=fragment):
        DiaryStore(url)


def test_postgres_urls_use_psycopg() -> None:
    for url in ("postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg2://u@h/db"):
        assert normalize_url(url).drivername == "postgresql+psycopg"


WRITER = """
import datetime as dt, sys
from babyskin.models import Findings
from babyskin.store.records import NewChild, NewEntry
from babyskin.store.repository import DiaryStore

store = DiaryStore(sys.argv[1])
store.migrate()
family = store.cli_family("writer")
child = NewChild(name="Mia", birth_date=dt.date(2026, 11, 1))
n = 0
while True:
    n += 1
    entry = NewEntry(episode="main", on=dt.date(2026, 11, 20), text=f"entry {n} " + "x" * 4000,
                     note=None, findings=Findings(), kb_version="test", leading=None, triage="home",
                     assessment={"differential": [], "triage": {"level": "home"}, "red_flags": []})
    _, saved = store.add_entry(family.id, child, entry)
    print(saved.id, n, flush=True)  # only after the commit returned
"""


def test_a_writer_killed_mid_write_loses_no_committed_entry(db_url: str) -> None:
    DiaryStore(db_url).migrate()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, db_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
    committed: dict[int, int] = {}
    assert writer.stdout is not None
    for line in writer.stdout:
        entry_id, n = map(int, line.split())
        committed[entry_id] = n
        if len(committed) >= 40:
            writer.send_signal(signal.SIGKILL)  # the next write is under way
            break
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL, writer.stderr.read() if writer.stderr else ""
    store = DiaryStore(db_url)
    family = store.cli_family("writer")
    child = store.find_child(family.id, "Mia")
    assert child is not None
    entries = {e.id: e for e in store.list_entries(family.id, child.id)}
    for entry_id, n in committed.items():
        assert entries[entry_id].text == f"entry {n} " + "x" * 4000
    assert len(entries) - len(committed) in (0, 1)  # at most the write that was committing at the kill
    if db_url.startswith("sqlite"):
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    store.add_entry(family.id, child.id, new_entry())  # the store still takes writes
    store.close()
