"""Frozen value types shared by the engine, the CLI, the API and the web pages.

``Findings`` is the input vocabulary of ``../shared/eval/findings.tsv``; ``Assessment`` is the answer.
Nothing here reads files: the vocabulary itself is validated against the knowledge base by
:func:`babyskin.engine.assess.check_findings`.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class TriageLevel(StrEnum):
    """How urgent: ordered from least to most urgent by :data:`TRIAGE_ORDER`."""

    home = "home"
    soon = "soon"
    urgent = "urgent"
    emergency = "emergency"

    @property
    def rank(self) -> int:
        return TRIAGE_ORDER[self]


TRIAGE_ORDER: dict[TriageLevel, int] = {
    TriageLevel.home: 0,
    TriageLevel.soon: 1,
    TriageLevel.urgent: 2,
    TriageLevel.emergency: 3,
}


def max_triage(*levels: TriageLevel) -> TriageLevel:
    return max(levels, key=lambda level: TRIAGE_ORDER[level])


class Audience(StrEnum):
    parent = "parent"
    clinician = "clinician"


class FindingGroup(StrEnum):
    """Where a finding word goes in a :class:`Findings` object."""

    locations = "locations"
    lesions = "lesions"
    colors = "colors"
    size = "size"
    count = "count"
    signs = "signs"


class Grade(IntEnum):
    """Evidence grade; lower value = stronger evidence (A best)."""

    A = 1
    B = 2
    C = 3
    D = 4


MAX_AGE_DAYS = 730
MAX_DAYS_FIELD = 3660
"""The ceiling of every day count (age, onset, duration): ten years, far past the 24 months covered,
so a typo is a 422 naming the field and never a date overflow when the entry is read back (issue 17)."""
MAX_FEVER_DAYS = 60
MIN_TEMPERATURE_C = 25.0  # below or above these a reading is a typo or a broken thermometer
MAX_TEMPERATURE_C = 45.0
FEVER_C = 38.0  # NICE NG143: fever is a temperature of 38 C or more
LONG_FEVER_DAYS = 5  # NICE NG143: fever for 5 days or more is an amber feature (think Kawasaki disease)
DISCLAIMER = (
    "babyskin gives information, not a diagnosis; it does not replace a doctor. If you are worried"
    " about your baby, get medical help."
)


class Findings(BaseModel):
    """What is known about one baby's skin. Fields left out are unknown, not absent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    age_days: int | None = Field(default=None, description="age when seen, in days (0 = birth)")
    onset_days: int | None = Field(default=None, description="age in days when the spots appeared")
    gestation_weeks: int | None = Field(default=None, description="gestation at birth in weeks")
    duration_days: int | None = Field(default=None, description="how long the spots have been there")
    fever_days: int | None = Field(default=None, ge=0, le=MAX_FEVER_DAYS,
                                   description="how many days the fever has lasted so far")
    temperature_c: float | None = Field(default=None, ge=MIN_TEMPERATURE_C, le=MAX_TEMPERATURE_C,
                                        description="the highest temperature measured, in degrees Celsius")
    locations: tuple[str, ...] = ()
    lesions: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    size: str | None = None
    count: str | None = None
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _fever_from_numbers(cls, data: Any) -> Any:
        """A temperature of 38 C or more, or days of fever, means the word ``fever`` is present; 5 days
        of fever or more also means ``fever_5_days``."""
        if not isinstance(data, dict):
            return data
        temperature, days = data.get("temperature_c"), data.get("fever_days")
        febrile = (isinstance(temperature, int | float) and temperature >= FEVER_C) or (
            isinstance(days, int) and days > 0)
        present = data.get("present") or ()
        if isinstance(present, str):
            present = [present]
        words = [w for w, on in (("fever", febrile),
                                 ("fever_5_days", isinstance(days, int) and days >= LONG_FEVER_DAYS))
                 if on and w not in present]
        if words:
            data = {**data, "present": [*present, *words]}
        return data

    @field_validator("age_days", "onset_days", "duration_days")
    @classmethod
    def _not_negative(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError(f"must be 0 or more days, got {value}")
        if value is not None and value > MAX_DAYS_FIELD:
            raise ValueError(f"must be at most {MAX_DAYS_FIELD} days, got {value}")
        return value

    @field_validator("gestation_weeks")
    @classmethod
    def _plausible_gestation(cls, value: int | None) -> int | None:
        if value is not None and not 22 <= value <= 44:
            raise ValueError(f"gestation must be between 22 and 44 weeks, got {value}")
        return value

    @field_validator("locations", "lesions", "colors", "present", "absent", mode="before")
    @classmethod
    def _dedupe(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            return tuple(dict.fromkeys(str(v).strip().lower() for v in value if str(v).strip()))
        return value

    @field_validator("size", "count", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    def observed(self) -> tuple[set[str], set[str]]:
        """The finding words known present and known absent."""
        present = {*self.locations, *self.lesions, *self.colors, *self.present}
        if self.size:
            present.add(self.size)
        if self.count:
            present.add(self.count)
        return present, set(self.absent) - present

    def is_empty(self) -> bool:
        present, absent = self.observed()
        return not present and not absent and self.age_days is None

    def merged(self, other: Findings) -> Findings:
        """These findings updated by ``other`` (a later turn wins on conflicts)."""
        data = self.model_dump()
        new = other.model_dump()
        for key in ("age_days", "onset_days", "gestation_weeks", "duration_days", "fever_days",
                    "temperature_c", "size", "count"):
            if new[key] is not None:
                data[key] = new[key]
        for key in ("locations", "lesions", "colors"):
            data[key] = tuple(dict.fromkeys([*data[key], *new[key]]))
        present = [w for w in data["present"] if w not in new["absent"]]
        absent = [w for w in data["absent"] if w not in new["present"]]
        data["present"] = tuple(dict.fromkeys([*present, *new["present"]]))
        data["absent"] = tuple(dict.fromkeys([*absent, *new["absent"]]))
        return Findings(**data)


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    publisher: str
    year: int | None
    url: str | None
    kind: str
    evidence: str


class Reason(BaseModel):
    """One finding that argues for or against a diagnosis, with how strongly."""

    model_config = ConfigDict(frozen=True)

    finding: str
    label: str
    weight: float = Field(description="log-likelihood ratio against the other conditions")
    note: str


class Candidate(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    icd10cm: str
    probability: float
    triage: TriageLevel
    for_: tuple[Reason, ...] = Field(alias="for", default=())
    against: tuple[Reason, ...] = ()

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)


class FiredRedFlag(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    triage: TriageLevel
    parent_text: str
    refs: tuple[str, ...]


DecidedBy = Literal["red_flag", "condition", "leading_diagnosis", "too_little", "fail_safe"]


class Triage(BaseModel):
    model_config = ConfigDict(frozen=True)

    level: TriageLevel
    decided_by: DecidedBy
    reasons: tuple[str, ...]
    action: str


class Statement(BaseModel):
    """A sentence from the knowledge base with the references it rests on."""

    model_config = ConfigDict(frozen=True)

    text: str
    refs: tuple[str, ...]
    caution: str | None = None


class Advice(BaseModel):
    model_config = ConfigDict(frozen=True)

    condition: str
    summary: tuple[Statement, ...] = ()
    do: tuple[Statement, ...] = ()
    dont: tuple[Statement, ...] = ()
    see_doctor: tuple[Statement, ...] = ()
    management: tuple[Statement, ...] = ()
    review: str = ""


class SeriousCause(BaseModel):
    """A serious condition the findings leave plausible, apart from "most likely" (must_not_miss)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    probability: float
    triage: TriageLevel
    why: str = Field(description="what in the findings fits it and what would rule it in or out")
    action: str = ""


class Assessment(BaseModel):
    model_config = ConfigDict(frozen=True)

    findings: Findings
    audience: Audience
    differential: tuple[Candidate, ...]
    triage: Triage
    red_flags: tuple[FiredRedFlag, ...]
    must_not_miss: tuple[SeriousCause, ...] = ()
    advice: Advice
    cautions: tuple[str, ...]
    references: tuple[Citation, ...]
    kb_version: str
    disclaimer: str = DISCLAIMER
