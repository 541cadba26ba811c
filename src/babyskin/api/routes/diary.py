"""``/v1/diary/...``: the spot diary over HTTP. Every endpoint but family creation needs a token.

A family is created with ``POST /v1/diary/families``, which returns its token once; every other call
sends ``Authorization: Bearer <token>`` and only ever sees that family's children and entries (another
family's ids answer 404, as if they did not exist). The store lives in the database: the app keeps no
diary state between requests, so several instances can share one PostgreSQL. When the database is
unavailable the diary answers 503 in the API's one error shape while ``/v1/assess`` keeps working.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException

from babyskin.errors import StorageError
from babyskin.settings import Settings
from babyskin.store.records import FamilyRecord, NewChild
from babyskin.store.repository import MAX_ENTRIES_PER_CHILD, DiaryStore
from babyskin.store.service import (
    PAGE_DEFAULT,
    PAGE_MAX,
    Diary,
    EntryDraft,
    check_child,
    child_json,
    entry_json,
)
from babyskin.text import refuse_control_characters

log = logging.getLogger("babyskin.diary")
TOKEN_HELP = ("send 'Authorization: Bearer <token>'; create a family with POST /v1/diary/families"
              " to get a token")


def open_store(settings: Settings) -> DiaryStore | StorageError:
    """The diary store for ``settings`` (connects lazily), or why there is none: never raises."""
    try:
        return DiaryStore(settings.resolved_database_url(), waiters=settings.db_waiters)
    except StorageError as error:
        return error
    except OSError as error:
        return StorageError(f"the diary database cannot be created ({error.strerror}); set"
                            " BABYSKIN_DATABASE_URL to a writable location")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run migrations on start; a database that is down now is retried on the first diary request."""
    store = getattr(app.state, "diary_store", None)
    if isinstance(store, DiaryStore):
        try:
            await run_in_threadpool(store.migrate)
        except StorageError as error:
            log.warning("diary unavailable at start (will retry on use): %s", error)
    yield
    if isinstance(store, DiaryStore):
        store.close()


router = APIRouter(prefix="/v1/diary", tags=["diary"], lifespan=lifespan)

# Ids are 64-bit database keys: anything outside that range cannot exist (404-style 422, never 500).
RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="an id from this family's diary")]
Limit = Annotated[int, Query(ge=1, le=PAGE_MAX, description="entries per page")]
Offset = Annotated[int, Query(ge=0, le=MAX_ENTRIES_PER_CHILD, description="entries to skip")]


def get_store(request: Request) -> DiaryStore:
    store = getattr(request.app.state, "diary_store", None)
    if store is None:
        raise StorageError("the diary is not configured on this server")
    if isinstance(store, StorageError):
        raise store
    store.ensure_ready()
    return store


StoreDep = Annotated[DiaryStore, Depends(get_store)]


def get_diary(request: Request, store: StoreDep) -> Diary:
    return Diary(store, request.app.state.engine)


def get_family(
    store: StoreDep, authorization: Annotated[str | None, Header(include_in_schema=False)] = None
) -> FamilyRecord:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"a diary token is required: {TOKEN_HELP}")
    family = store.family_for_token(token.strip())
    if family is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"this diary token is not valid: {TOKEN_HELP}")
    return family


DiaryDep = Annotated[Diary, Depends(get_diary)]
IdempotencyKey = Annotated[str | None, Header(
    min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$",
    description="a unique string per intended write (e.g. a UUID): retries with it never save twice")]
FamilyDep = Annotated[FamilyRecord, Depends(get_family)]


class FamilyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="family", min_length=1, max_length=100)

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        return refuse_control_characters(value, "the name")


class ChildIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="name or nickname")
    birth_date: dt.date
    gestation_weeks: int | None = Field(default=None, description="weeks of gestation at birth")

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        return refuse_control_characters(value, "the name")


def _family_json(family: FamilyRecord) -> dict[str, Any]:
    return {"id": family.id, "name": family.name, "created_at": family.created_at.isoformat()}


@router.post("/families", status_code=201, summary="Create a family and get its token")
def create_family(body: FamilyIn, store: StoreDep) -> dict[str, Any]:
    """The token is shown only here; keep it. Only its hash is stored."""
    family, token = store.create_family(body.name)
    return {"family": _family_json(family), "token": token}


@router.post("/token", summary="Replace this family's token (the old one stops working)")
def rotate_token(family: FamilyDep, store: StoreDep) -> dict[str, Any]:
    """The new token is shown only here; the one sent with this request no longer works."""
    return {"family": _family_json(family), "token": store.rotate_token(family.id)}


@router.get("/family", summary="This family and its children")
def get_family_info(family: FamilyDep, diary: DiaryDep) -> dict[str, Any]:
    today = diary.today()
    children = [{**child_json(c, today), "entries": len(diary.store.list_summaries(family.id, c.id))}
                for c in diary.store.list_children(family.id)]
    return {"family": _family_json(family), "children": children}


@router.delete("/family", summary="Delete this family and everything it holds")
def delete_family(family: FamilyDep, store: StoreDep) -> dict[str, Any]:
    return {"ok": True, "deleted": store.delete_family(family.id)}


@router.get("/export", summary="Everything this family holds, as JSON")
def export(family: FamilyDep, store: StoreDep) -> dict[str, Any]:
    return store.export_family(family.id)


@router.get("/children", summary="The children in this diary")
def list_children(family: FamilyDep, diary: DiaryDep) -> list[dict[str, Any]]:
    return [child_json(c, diary.today()) for c in diary.store.list_children(family.id)]


@router.post("/children", status_code=201, summary="Add a child")
def add_child(body: ChildIn, family: FamilyDep, diary: DiaryDep) -> dict[str, Any]:
    child = NewChild(name=body.name, birth_date=body.birth_date, gestation_weeks=body.gestation_weeks)
    check_child(child, diary.today())
    return child_json(diary.store.add_child(family.id, child), diary.today())


@router.get("/children/{child_id}", summary="A child's timeline: episodes, expected course and flags")
def get_child(child_id: RowId, family: FamilyDep, diary: DiaryDep, limit: Limit = PAGE_DEFAULT,
              offset: Offset = 0) -> dict[str, Any]:
    """Reviews cover every entry; ``entries`` is one page (``limit`` from ``offset``, oldest first)
    and ``next_offset`` says where the next page starts (``null`` on the last)."""
    return diary.timeline(family.id, child_id, limit=limit, offset=offset)


@router.delete("/children/{child_id}", summary="Delete a child and all its entries")
def delete_child(child_id: RowId, family: FamilyDep, store: StoreDep) -> dict[str, Any]:
    return {"ok": True, "deleted": store.delete_child(family.id, child_id)}


@router.get("/children/{child_id}/entries", summary="A child's entries with their assessments")
def list_entries(child_id: RowId, family: FamilyDep, store: StoreDep, limit: Limit = PAGE_DEFAULT,
                 offset: Offset = 0) -> list[dict[str, Any]]:
    """One page of entries, oldest first (``limit`` from ``offset``)."""
    return [entry_json(e) for e in store.list_entries(family.id, child_id, limit=limit, offset=offset)]


@router.post("/children/{child_id}/entries", status_code=201, summary="Add an entry; it is assessed")
def add_entry(child_id: RowId, body: EntryDraft, family: FamilyDep, diary: DiaryDep,
              idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """The entry with its assessment, and its episode's review (course, "check again by", flags).

    Send an ``Idempotency-Key`` header (any unique string, e.g. a UUID) to make retries safe: a retry
    with the same key for the same child returns the entry saved first and never saves a second one."""
    child, entry, review = diary.add_entry(family.id, child_id, body, idempotency_key=idempotency_key)
    return {"child": child_json(child, diary.today()), "entry": entry_json(entry),
            "episode": review.model_dump(mode="json")}


@router.get("/entries/{entry_id}", summary="One entry with its assessment")
def get_entry(entry_id: RowId, family: FamilyDep, store: StoreDep) -> dict[str, Any]:
    return entry_json(store.get_entry(family.id, entry_id))


@router.delete("/entries/{entry_id}", summary="Delete one entry")
def delete_entry(entry_id: RowId, family: FamilyDep, store: StoreDep) -> dict[str, Any]:
    return {"ok": True, "deleted": store.delete_entry(family.id, entry_id)}
