"""Pydantic records for the knowledge-base files; unknown keys are rejected (``extra="forbid"``).

Files (under ``kb/``, shipped inside the package as ``babyskin/kb/data``):

* ``references.yaml``  - a list of :class:`Reference` (starts from ``../shared/references.yaml``)
* ``findings.yaml``    - a list of :class:`FindingDef` (the vocabulary of ``findings.tsv`` and more)
* ``red_flags.yaml``   - a list of :class:`RedFlag`
* ``conditions/*.yaml`` - one :class:`Condition` per file
* ``claims.yaml``      - a list of :class:`Claim` (the seed articles' claims and our verdicts)

How typical a finding is for a condition is written on an ordinal scale (:class:`Typicality`)
mapped to a likelihood P(finding present | condition) by :data:`TYPICALITY_LIKELIHOOD`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from babyskin.models import FindingGroup, TriageLevel


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Typicality(StrEnum):
    always = "always"
    usually = "usually"
    often = "often"
    sometimes = "sometimes"
    rarely = "rarely"
    never = "never"


# 'rarely' was 0.06 until the leave-one-out evaluation (`babyskin eval FILE --leave-one-out`) showed
# that 0.03 holds up better when a description misses a detail: on the dev cases, top-1 90.6% -> 92.6%
# and triage 93.9% -> 95.1% over 244 variants, with the full cases unchanged.
TYPICALITY_LIKELIHOOD: dict[Typicality, float] = {
    Typicality.always: 0.95,
    Typicality.usually: 0.75,
    Typicality.often: 0.5,
    Typicality.sometimes: 0.25,
    Typicality.rarely: 0.03,
    Typicality.never: 0.01,
}


class Frequency(StrEnum):
    """How common a condition is in an age band (the prior)."""

    very_common = "very_common"
    common = "common"
    uncommon = "uncommon"
    rare = "rare"
    very_rare = "very_rare"
    not_seen = "not_seen"


FREQUENCY_PRIOR: dict[Frequency, float] = {
    Frequency.very_common: 1.0,
    Frequency.common: 0.4,
    Frequency.uncommon: 0.1,
    Frequency.rare: 0.02,
    Frequency.very_rare: 0.005,
    Frequency.not_seen: 0.0005,
}


class AgeBand(StrEnum):
    neonate = "neonate"  # 0-27 days
    young_infant = "young_infant"  # 28-89 days
    infant = "infant"  # 90-364 days
    toddler = "toddler"  # 365-730 days


AGE_BAND_LIMITS: dict[AgeBand, tuple[int, int]] = {
    AgeBand.neonate: (0, 27),
    AgeBand.young_infant: (28, 89),
    AgeBand.infant: (90, 364),
    AgeBand.toddler: (365, 10_000),
}


def age_band(age_days: int) -> AgeBand:
    for band, (low, high) in AGE_BAND_LIMITS.items():
        if low <= age_days <= high:
            return band
    return AgeBand.toddler


class EvidenceKind(StrEnum):
    guideline = "guideline"
    systematic_review = "systematic_review"
    review = "review"
    study = "study"
    regulator_notice = "regulator_notice"
    reference_text = "reference_text"
    patient_information = "patient_information"
    expert_blog = "expert_blog"
    commercial = "commercial"


class Reference(Record):
    key: str
    title: str
    authors: str | None = None
    publisher: str
    year: int | None = None
    url: str | None = None
    ids: dict[str, str] = {}
    kind: EvidenceKind
    evidence: Literal["A", "B", "C", "D"]
    covers: list[str] = []
    verified: str
    note: str | None = None


class FindingDef(Record):
    """One word of the findings vocabulary."""

    id: str
    group: FindingGroup
    label: str = Field(description="plain words for parents")
    clinical: str = Field(description="the clinician's term")
    synonyms: list[str] = Field(default=[], description="lay words people type for this finding")
    question: str = Field(description="how the guided check asks about it, in plain words")
    default: Typicality = Field(
        default=Typicality.rarely,
        description="typicality for a condition that does not mention this finding",
    )
    help: Statement | None = None


class Statement(Record):
    """A sentence we wrote, with the reference keys it rests on."""

    text: str = Field(min_length=3)
    refs: list[str] = Field(min_length=1)


class AudienceText(Record):
    parent: Statement
    clinician: Statement


class When(Record):
    """Findings that trigger a rule: every ``all`` present, one of ``any`` present, no ``none``."""

    all: list[str] = []
    any: list[str] = []
    and_any: list[str] = Field(default=[], description="a second group: one of these present too")
    none: list[str] = []
    age_days_below: int | None = None
    age_days_at_least: int | None = None
    min_locations: int | None = None
    temperature_c_at_least: float | None = Field(default=None, description="a measured temperature >= this")
    temperature_c_below: float | None = Field(default=None, description="a measured temperature < this")
    fever_days_at_least: int | None = Field(default=None, description="days of fever so far >= this")

    @model_validator(mode="after")
    def _not_empty(self) -> When:
        if not (self.all or self.any or self.min_locations or self.numbers()):
            raise ValueError("a rule needs at least one of 'all', 'any', 'min_locations' or a number"
                             " (temperature_c_at_least, temperature_c_below, fever_days_at_least)")
        return self

    def numbers(self) -> bool:
        """Whether the rule tests a measured number (temperature or days of fever)."""
        return (self.temperature_c_at_least is not None or self.temperature_c_below is not None
                or self.fever_days_at_least is not None)


class RedFlag(Record):
    id: str
    title: str
    when: When
    when_text: str
    triage: TriageLevel
    applies_to: list[str] = Field(
        default=[], description="only when one of these conditions is plausible; empty = always"
    )
    parent_text: str
    clinician_text: str
    refs: list[str] = Field(min_length=1)


class ReviewStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    under_review = "under_review"
    approved = "approved"


class ReviewEvent(Record):
    on: dt.date
    action: Literal["submit", "start", "approve", "reject", "edit"]
    from_status: ReviewStatus
    to_status: ReviewStatus
    by: str
    note: str | None = None


class Review(Record):
    status: ReviewStatus
    reviewer: str | None = None
    reviewed_on: dt.date | None = None
    updated_on: dt.date
    history: list[ReviewEvent] = []

    @model_validator(mode="after")
    def _approved_has_reviewer(self) -> Review:
        if self.status is ReviewStatus.approved and not (self.reviewer and self.reviewed_on):
            raise ValueError("an approved entry needs 'reviewer' and 'reviewed_on'")
        return self


class DayWindow(Record):
    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> DayWindow:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is more than max ({self.max})")
        return self


class Course(Record):
    duration_days: DayWindow = Field(description="typical duration: min..max days")
    growth_stops_days: int | None = Field(
        default=None, ge=0,
        description="age in days by which the lesion has usually stopped growing (e.g. haemangioma)",
    )
    text: Statement


class Contagious(Record):
    value: bool
    text: Statement


class FindingProfile(Record):
    refs: list[str] = Field(min_length=1)
    typical: dict[str, Typicality]


class FaqTopic(StrEnum):
    contagious = "contagious"
    squeeze = "squeeze"
    cause = "cause"
    duration = "duration"
    prevention = "prevention"
    marks = "marks"
    feeding = "feeding"
    bathing = "bathing"
    treatment = "treatment"


FAQ_QUESTIONS: dict[FaqTopic, str] = {
    FaqTopic.contagious: "Is it contagious?",
    FaqTopic.squeeze: "Can I pop or squeeze the spots?",
    FaqTopic.cause: "What causes it?",
    FaqTopic.duration: "How long until it goes?",
    FaqTopic.prevention: "Can it be prevented?",
    FaqTopic.marks: "Does it leave marks or scars?",
    FaqTopic.feeding: "Is it linked to feeding or diet?",
    FaqTopic.bathing: "How should I wash my baby's skin?",
    FaqTopic.treatment: "Does it need treatment?",
}


class Faq(Record):
    topic: FaqTopic
    text: str = Field(min_length=3)
    refs: list[str] = Field(min_length=1)


class Condition(Record):
    id: str
    name: str
    also_called: list[str] = []
    lay_terms: list[str] = Field(default=[], description="words parents use for it")
    icd10cm: str
    triage: TriageLevel = Field(description="how urgent it is when it is the answer")
    onset_days: DayWindow = Field(description="typical age of onset, in days")
    course: Course
    contagious: Contagious
    prior: dict[AgeBand, Frequency]
    findings: FindingProfile
    summary: AudienceText
    appearance: Statement
    cause: Statement
    home_care: list[Statement] = Field(min_length=1)
    donts: list[Statement] = []
    see_doctor: list[Statement] = Field(min_length=1)
    management: list[Statement] = Field(min_length=1, description="for clinicians")
    red_flags: list[str] | Literal["none"]
    faqs: list[Faq] = []
    sources_note: str | None = Field(
        default=None, description="where sources differ, which we followed and why"
    )
    review: Review

    @model_validator(mode="after")
    def _every_band(self) -> Condition:
        missing = [band.value for band in AgeBand if band not in self.prior]
        if missing:
            raise ValueError(f"prior is missing age bands: {', '.join(missing)}")
        return self


class Comparison(Record):
    """Two conditions parents confuse: one cited line on how to tell them apart for each audience, and
    the two to four differences that matter most."""

    ids: list[str] = Field(min_length=2, max_length=2, description="the two condition ids")
    parent: Statement = Field(description="how to tell them apart, in plain words")
    clinician: Statement
    differences: list[Statement] = Field(min_length=2, max_length=4)

    @model_validator(mode="after")
    def _two_different(self) -> Comparison:
        if self.ids[0] == self.ids[1]:
            raise ValueError(f"a comparison needs two different conditions, got '{self.ids[0]}' twice")
        return self

    @property
    def key(self) -> str:
        return pair_key(*self.ids)


def pair_key(first: str, second: str) -> str:
    """The one name of an unordered pair of condition ids."""
    return " vs ".join(sorted((first, second)))


class Verdict(StrEnum):
    supported = "supported"
    contested = "contested"
    rejected = "rejected"


class Claim(Record):
    id: str
    claim: str = Field(description="the claim restated in our words")
    seeds: list[str] = Field(min_length=1)
    conditions: list[str] = []
    verdict: Verdict
    reason: str
    refs: list[str] = Field(min_length=1)
    pattern: str | None = Field(
        default=None,
        description="regex (case-insensitive) that advice text must never match (rejected claims)",
    )


class TopicCause(Record):
    """One condition on a topic page: why it fits (or, for a serious one, what to do) and how it looks."""

    condition: str
    text: str = Field(min_length=3, description="one plain sentence: why it fits, or the action")
    looks: str = Field(default="", description="a short table cell: what it looks like")
    refs: list[str] = Field(min_length=1)


class Topic(Record):
    """A curated, cited overview of a question parents often ask ("small bumps", "purple spots")."""

    id: str
    title: str
    questions: list[str] = Field(min_length=1, description="how parents ask it (used to route questions)")
    answer: AudienceText = Field(description="one sentence that answers the question")
    common: list[TopicCause] = Field(min_length=1, description="ranked by how often parents meet them")
    serious: list[TopicCause] = []
    do: list[Statement] = Field(min_length=1)
    dont: list[Statement] = []
    worry: list[Statement] = Field(min_length=1, description="when to get help, each with a time frame")
    review: Review
