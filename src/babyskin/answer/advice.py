"""Assessment pieces -> advice and citations for one audience, from knowledge-base statements only.

Parents get plain words and never doses (clinician ``management`` is left out); clinicians get the
management lines and codes. Every statement keeps its reference keys; a statement resting only on
grade-D references carries a caution. The review block decides the review line: approved content says
who reviewed it and when, anything else says it is pending clinical review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import Condition, RedFlag, ReviewStatus
from babyskin.kb.schema import Statement as KbStatement
from babyskin.models import Advice, Audience, Citation, Statement

GRADE_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3}
LOW_GRADE_CAUTION = "rests only on low-grade sources (grade D): treat with caution"


def statement(kb: KnowledgeBase, text: str, refs: Sequence[str]) -> Statement:
    grades = [kb.references[r].evidence for r in refs if r in kb.references]
    caution = LOW_GRADE_CAUTION if grades and all(g == "D" for g in grades) else None
    ordered = sorted(refs, key=lambda r: (GRADE_ORDER.get(kb.references[r].evidence, 9), r)
                     if r in kb.references else (9, r))
    return Statement(text=text, refs=tuple(ordered), caution=caution)


def _from_kb(kb: KnowledgeBase, items: Iterable[KbStatement]) -> tuple[Statement, ...]:
    return tuple(statement(kb, s.text, s.refs) for s in items)


def review_line(cond: Condition, today: dt.date | None = None) -> str:
    """What a reader is told about the review of this content (an overdue review is said so)."""
    from babyskin.kb.review import STALE_AFTER_DAYS, is_stale

    review = cond.review
    if review.status is ReviewStatus.approved:
        line = f"Reviewed by {review.reviewer} on {review.reviewed_on}; last updated {review.updated_on}."
        if is_stale(review, today or dt.date.today()):
            line += (f" Review overdue: more than {STALE_AFTER_DAYS // 30} months old, so newer guidance"
                     " may not be reflected yet.")
        return line
    return (
        f"Pending clinical review: this content is '{review.status.value.replace('_', ' ')}' and has not"
        f" yet been approved by a clinician (last updated {review.updated_on})."
    )


def build_advice(
    kb: KnowledgeBase, cond: Condition, audience: Audience, fired: Sequence[RedFlag]
) -> Advice:
    clinician = audience is Audience.clinician
    summary = cond.summary.clinician if clinician else cond.summary.parent
    urgent_first = tuple(
        statement(kb, flag.clinician_text if clinician else flag.parent_text, flag.refs)
        for flag in fired
    )
    return Advice(
        condition=cond.id,
        summary=(statement(kb, summary.text, summary.refs), statement(kb, cond.course.text.text,
                                                                      cond.course.text.refs)),
        do=_from_kb(kb, cond.home_care),
        dont=_from_kb(kb, cond.donts),
        see_doctor=urgent_first + _from_kb(kb, cond.see_doctor),
        management=_from_kb(kb, cond.management) if clinician else (),
        review=review_line(cond),
    )


def citations(kb: KnowledgeBase, keys: Iterable[str]) -> tuple[Citation, ...]:
    """References for these keys, de-duplicated, best-graded first."""
    unique = sorted({k for k in keys if k in kb.references},
                    key=lambda k: (GRADE_ORDER[kb.references[k].evidence], k))
    out = []
    for key in unique:
        ref = kb.references[key]
        out.append(Citation(key=key, title=ref.title, publisher=ref.publisher, year=ref.year,
                            url=ref.url, kind=ref.kind.value, evidence=ref.evidence))
    return tuple(out)


def advice_refs(advice: Advice) -> list[str]:
    keys: list[str] = []
    for group in (advice.summary, advice.do, advice.dont, advice.see_doctor, advice.management):
        for item in group:
            keys.extend(item.refs)
    return keys
