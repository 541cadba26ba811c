"""The diary's tables as SQLAlchemy 2 declarative models.

One family (an owner with an access token) has children; a child has entries. An entry keeps what was
described (free text and/or findings), the assessment made when it was saved and the knowledge-base
version that made it. Deleting a family or a child deletes everything under it (``ON DELETE CASCADE``
in the database, and the repository deletes child rows explicitly too, so rows go for real).

The migrations in :mod:`babyskin.store.migrations` create exactly these tables; a test compares them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAME_MAX = 100
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Family(Base):
    __tablename__ = "families"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    cli_name: Mapped[str | None] = mapped_column(String(NAME_MAX), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Child(Base):
    __tablename__ = "children"
    __table_args__ = (UniqueConstraint("family_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(NAME_MAX))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    gestation_weeks: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Entry(Base):
    __tablename__ = "entries"
    __table_args__ = (Index("ix_entries_child_date", "child_id", "entry_date", "id"),
                      Index("ux_entries_child_idempotency_key", "child_id", "idempotency_key", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    episode: Mapped[str] = mapped_column(String(NAME_MAX))
    entry_date: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    assessment: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    kb_version: Mapped[str] = mapped_column(String(64))
    leading: Mapped[str | None] = mapped_column(String(NAME_MAX))
    triage: Mapped[str] = mapped_column(String(20))
    red_flags: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
