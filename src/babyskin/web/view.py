"""What the answer page shows, built from an Assessment and the knowledge base (pure functions).

Nothing here writes medical text: statements, reasons and actions come from the assessment (which
takes them from the knowledge base); this module only numbers the citations, orders sections, turns
the findings back into plain words and attaches each condition's review status.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from babyskin.answer.advice import citations, review_line
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import ReviewStatus
from babyskin.models import Assessment, Audience, Candidate, Citation, Findings, Statement


@dataclass(frozen=True)
class Review:
    approved: bool
    status: str
    line: str
    updated_on: str


@dataclass(frozen=True)
class Line:
    """One statement with its citation numbers."""

    text: str
    numbers: tuple[int, ...]
    caution: str | None = None


@dataclass(frozen=True)
class CandidateView:
    candidate: Candidate
    review: Review | None


@dataclass(frozen=True)
class AdviceSection:
    id: str
    title: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Reference:
    number: int
    citation: Citation


@dataclass(frozen=True)
class AnswerView:
    assessment: Assessment
    understood: str
    unknowns: tuple[str, ...]
    candidates: tuple[CandidateView, ...]
    lead_name: str
    lead_review: Review | None
    sections: tuple[AdviceSection, ...]
    references: tuple[Reference, ...]
    red_flags: tuple[tuple[str, str, tuple[int, ...]], ...]
    clinician: bool
    compare_ids: tuple[str, ...] = field(default=())


def review_of(kb: KnowledgeBase, condition_id: str) -> Review | None:
    cond = kb.conditions.get(condition_id)
    if cond is None:
        return None
    return Review(approved=cond.review.status is ReviewStatus.approved,
                  status=cond.review.status.value.replace("_", " "), line=review_line(cond),
                  updated_on=str(cond.review.updated_on))


def numbered(keys_in_order: Sequence[str]) -> dict[str, int]:
    return {key: i for i, key in enumerate(keys_in_order, 1)}


def line(item: Statement, numbers: dict[str, int]) -> Line:
    return Line(text=item.text, numbers=tuple(sorted({numbers[r] for r in item.refs if r in numbers})),
                caution=item.caution)


def lines(items: Iterable[Statement], numbers: dict[str, int]) -> tuple[Line, ...]:
    return tuple(line(item, numbers) for item in items)


def age_words(days: int) -> str:
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 61:
        weeks = round(days / 7)
        return f"{weeks} weeks"
    if days < 730:
        months = round(days / 30.4375)
        return f"{months} months"
    years = round(days / 365.25, 1)
    return f"{years:g} years"


def describe_findings(kb: KnowledgeBase, findings: Findings) -> str:
    """The findings in plain words, e.g. '3 weeks old; nose, cheeks; small raised bump; no fever'."""

    def label(word: str) -> str:
        finding = kb.findings.get(word)
        return finding.label if finding else word.replace("_", " ")

    parts: list[str] = []
    if findings.age_days is not None:
        parts.append(f"{age_words(findings.age_days)} old")
    if findings.gestation_weeks is not None:
        parts.append(f"born at {findings.gestation_weeks} weeks")
    if findings.duration_days is not None:
        parts.append(f"spots for {age_words(findings.duration_days)}")
    if findings.onset_days is not None:
        parts.append(f"spots began at {age_words(findings.onset_days)} old")
    for group in (findings.locations, findings.lesions, findings.colors):
        if group:
            parts.append(", ".join(label(w) for w in group))
    for single in (findings.size, findings.count):
        if single:
            parts.append(label(single))
    parts.extend(label(w) for w in findings.present)
    if findings.absent:
        parts.append("not noticed: " + ", ".join(label(w) for w in findings.absent))
    return "; ".join(parts) if parts else "nothing yet"


def answer_view(kb: KnowledgeBase, result: Assessment, *, understood: str | None = None,
                unknowns: Sequence[str] = ()) -> AnswerView:
    numbers = numbered([c.key for c in result.references])
    advice = result.advice
    clinician = result.audience is Audience.clinician
    groups = [
        ("about", "About it", advice.summary),
        ("do", "What to do", advice.do),
        ("dont", "What not to do", advice.dont),
        ("see-doctor", "When to see a doctor", advice.see_doctor),
    ]
    if clinician:
        groups.append(("management", "Management (for clinicians)", advice.management))
    sections = tuple(AdviceSection(i, t, lines(items, numbers)) for i, t, items in groups if items)
    lead = result.differential[0] if result.differential else None
    flags = tuple(
        (flag.title, flag.parent_text, tuple(sorted({numbers[r] for r in flag.refs if r in numbers})))
        for flag in result.red_flags
    )
    return AnswerView(
        assessment=result,
        understood=understood or describe_findings(kb, result.findings),
        unknowns=tuple(unknowns),
        candidates=tuple(CandidateView(c, review_of(kb, c.id)) for c in result.differential),
        lead_name=lead.name if lead else "",
        lead_review=review_of(kb, advice.condition),
        sections=sections,
        references=tuple(Reference(n, c) for n, c in zip(numbers.values(), result.references,
                                                          strict=True)),
        red_flags=flags,
        clinician=clinician,
        compare_ids=tuple(c.id for c in result.differential[:2]),
    )


def reference_list(kb: KnowledgeBase, keys: Iterable[str]) -> tuple[Reference, ...]:
    """Best-graded first, numbered from 1 (for pages built from KB records rather than assessments)."""
    return tuple(Reference(i, c) for i, c in enumerate(citations(kb, keys), 1))
