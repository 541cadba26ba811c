"""What the repository hands out: frozen copies of rows, safe to use after the session has closed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from babyskin.models import Findings, FiredRedFlag


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class FamilyRecord(Record):
    id: int
    name: str
    created_at: dt.datetime


class ChildRecord(Record):
    id: int
    family_id: int
    name: str
    birth_date: dt.date
    gestation_weeks: int | None
    created_at: dt.datetime

    def age_days(self, on: dt.date) -> int:
        return (on - self.birth_date).days


class EntrySummary(Record):
    """An entry without its texts and full assessment: what the diary's review needs, cheap to read."""

    id: int
    child_id: int
    episode: str
    on: dt.date = Field(description="the day the spots were seen")
    findings: Findings
    leading: str | None = Field(description="the leading diagnosis of the saved assessment")
    triage: str
    red_flags: tuple[FiredRedFlag, ...] = Field(default=(), description="the red flags that fired")


class EntryRecord(EntrySummary):
    text: str | None
    note: str | None
    assessment: dict[str, Any] = Field(description="the assessment as saved, in the /v1/assess shape")
    kb_version: str
    created_at: dt.datetime


class NewChild(Record):
    """A child to create (on first use, from the CLI) or to check an existing one against."""

    name: str
    birth_date: dt.date
    gestation_weeks: int | None = None


class NewEntry(Record):
    """An assessed entry, ready to save."""

    episode: str
    on: dt.date
    text: str | None
    note: str | None
    findings: Findings
    assessment: dict[str, Any]
    kb_version: str
    leading: str | None
    triage: str
    red_flags: tuple[FiredRedFlag, ...] = ()
