"""Every parent-facing statement in the knowledge base, and its reading grade.

``babyskin kb texts --audience parent`` lists them as ``{id, text}``; ``babyskin kb lint`` warns about
those above :data:`MAX_GRADE`. The grade is the Flesch-Kincaid grade from ``textstat`` (a lint/test
dependency, pinned in ``pyproject.toml``); without it, grades are not computed and lint says so.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from typing import TYPE_CHECKING

from babyskin.models import Audience

if TYPE_CHECKING:
    from babyskin.kb.loader import KnowledgeBase

MAX_GRADE = 8.0
GOAL_MEDIAN = 6.0


def texts(kb: KnowledgeBase, audience: Audience = Audience.parent) -> Iterator[tuple[str, str]]:
    """(id, text) for every statement shown to ``audience``; ids read ``file:record:field``."""
    clinician = audience is Audience.clinician
    for cond in kb.conditions.values():
        where = f"conditions/{cond.id}"
        summary = cond.summary.clinician if clinician else cond.summary.parent
        yield f"{where}:summary", summary.text
        yield f"{where}:appearance", cond.appearance.text
        yield f"{where}:cause", cond.cause.text
        yield f"{where}:course", cond.course.text.text
        yield f"{where}:contagious", cond.contagious.text.text
        groups = {"management": cond.management} if clinician else {
            "home_care": cond.home_care, "donts": cond.donts, "see_doctor": cond.see_doctor}
        for field, items in groups.items():
            for index, item in enumerate(items):
                yield f"{where}:{field}[{index}]", item.text
        for faq in cond.faqs:
            yield f"{where}:faqs.{faq.topic.value}", faq.text
    for flag in kb.red_flags.values():
        yield f"red_flags:{flag.id}:{'clinician' if clinician else 'parent'}_text", (
            flag.clinician_text if clinician else flag.parent_text)
    for finding in kb.findings.values():
        if not clinician:
            yield f"findings:{finding.id}:label", finding.label
            yield f"findings:{finding.id}:question", finding.question
        if finding.help:
            yield f"findings:{finding.id}:help", finding.help.text
    for topic in kb.topics.values():
        where = f"topics/{topic.id}"
        answer = topic.answer.clinician if clinician else topic.answer.parent
        yield f"{where}:answer", answer.text
        for group in ("common", "serious"):
            for index, cause in enumerate(getattr(topic, group)):
                yield f"{where}:{group}[{index}]", cause.text
                if cause.looks:
                    yield f"{where}:{group}[{index}].looks", cause.looks
        for group in ("do", "dont", "worry"):
            for index, item in enumerate(getattr(topic, group)):
                yield f"{where}:{group}[{index}]", item.text


def grade(text: str) -> float | None:
    """Flesch-Kincaid grade of ``text``; None when textstat is not installed."""
    try:
        import textstat
    except ImportError:
        return None
    return float(textstat.flesch_kincaid_grade(text))


def reading_figures(kb: KnowledgeBase, audience: Audience = Audience.parent) -> dict[str, float] | None:
    """Median grade, share above grade 8 and share above grade 6 over every statement (None without
    textstat)."""
    grades = [g for _id, text in texts(kb, audience) if (g := grade(text)) is not None]
    if not grades:
        return None
    return {"statements": len(grades), "median_grade": round(statistics.median(grades), 1),
            "share_above_8": round(sum(g > MAX_GRADE for g in grades) / len(grades), 3),
            "share_above_6": round(sum(g > GOAL_MEDIAN for g in grades) / len(grades), 3)}


def reading_warnings(kb: KnowledgeBase) -> list[str]:
    """``id: reading grade G (goal 6, at most 8): text`` for each parent statement above grade 8."""
    out = []
    for text_id, text in texts(kb, Audience.parent):
        g = grade(text)
        if g is not None and g > MAX_GRADE:
            out.append(f"{text_id}: reading grade {g:.1f} (goal {GOAL_MEDIAN:.0f}, at most"
                       f" {MAX_GRADE:.0f}): {text}")
    return out
