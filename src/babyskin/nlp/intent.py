"""What the person wants: an assessment of a baby they describe, a general question, a comparison, or
a follow-up in a conversation; and which topics a question asks about.

Rules, in order: nothing readable -> ``empty``; a conversation plus new findings -> ``follow_up``; a
described baby (my/our/she/he, an age, a case vignette) with findings -> ``assess``; two or more
conditions with "or" / "vs" / "difference" -> ``compare``; a question about a condition, a finding or a
topic -> ``question``; findings without a question -> ``assess``; anything else -> ``unsupported``.
"""

from __future__ import annotations

import re
from enum import StrEnum

from babyskin.models import Findings


class Intent(StrEnum):
    assess = "assess"
    question = "question"
    compare = "compare"
    follow_up = "follow_up"
    empty = "empty"
    unsupported = "unsupported"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


QUESTION = _rx(r"\?|^\s*(?:what|whats|what's|why|how|is|are|can|could|should|does|do|will|when|which|who|"
               r"tell me|explain|describe)\b|\b(?:i want to know|wondering|any advice|advice on|info on)\b")
PERSONAL = _rx(r"\b(?:my|our|mine|he|she|his|her|him|hers|son|daughter|grandson|granddaughter|twins?|"
               r"little one|patient|we|i've|i have|i noticed|we noticed|this baby|the baby)\b"
               r"|(?<!\ba )(?<!\ban )(?<!\bin )(?<!\bfor )(?<!\bon )(?<!\bthe )"
               r"\b(?:boy|girl|male|female|neonate|newborn|infant|baby)\s+(?:with|has|had|in|delivered|born|"
               r"presents|presenting|admitted|referred|develops)\b"
               r"|^\s*(?:term |preterm |healthy )*(?:newborn|neonate|infant)\b")
COMPARE = _rx(r"\b(?:or|vs\.?|versus|difference|differences|differ|compare|compared|tell apart|"
              r"distinguish|same as|similar to)\b")
FOLLOW_UP = _rx(r"^\s*(?:and |oh |also |update|actually|correction|now |she also|he also|forgot|"
                r"one more thing|btw|by the way)|\b(?:also has|now has|as well|too now|since then|"
                r"started to|has started)\b")
TOPICS: dict[str, re.Pattern[str]] = {
    "contagious": _rx(r"\bcontagious|\bcatch(?:ing|able)?\b|\binfectious\b|\bpass(?:ed)? (?:it )?on\b|"
                      r"\bspread(?:s)? to (?:other|people|me|us|others|siblings|kids|children|brother"
                      r"|sister)"),
    "squeeze": _rx(r"\bpop(?:ping)?\b|\bsqueez|\bpick(?:ing)?\b|\bburst(?:ing)?\b"),
    "cause": _rx(r"\bcause[sd]?\b|\bwhy (?:do|does|is|are|did)\b|\bwhat makes\b|\breason\b|\bdue to\b|"
                 r"\bcome from\b|\bwhere do(?:es)? .{0,20}come from\b"),
    "duration": _rx(r"\bhow long\b|\bgo away\b|\bgoes away\b|\blast\b|\bclear(?:s)? up\b|\bwhen will\b|"
                    r"\bdisappear"),
    "prevention": _rx(r"\bprevent|\bavoid|\bstop (?:it|them|this) (?:coming|from|happening)"
                      r"|\breduce the risk"),
    "marks": _rx(r"\bscar|\bleave (?:a |any )?marks?\b|\bmarks? (?:left|behind)\b|\bpermanent\b"),
    "feeding": _rx(r"\bfeed|\bbreast|\bformula\b|\bdiet\b|\bmilk\b|\bfood|\ballerg|\beat(?:ing)?\b"),
    "bathing": _rx(r"\bbath|\bwash|\bsoap|\bshower|\bcleanser|\bclean (?:it|her|his|the)"),
    "treatment": _rx(r"\btreat|\bcream\b|\bointment|\bmedicin|\bmedication|\bcure\b|\bget rid\b|"
                     r"\bwhat (?:can|should|do) (?:i|we) (?:do|use|put)\b|\bmanag|\bremed|\blotion\b|"
                     r"\bhelp (?:it|them|with)\b|\bwhat to do\b|\b(?:can|should|do) (?:i|we) (?:use|put|give|"
                     r"apply|try)\b|\bsafe to use\b"),
    "appearance": _rx(r"\blook like\b|\blooks like\b|\bhow (?:do|can) (?:i|you) (?:know|tell)\b|"
                      r"\bsigns? of\b|\bsymptoms?\b|\bwhat (?:is|are) (?:it|they|this|these)\b"),
    "see_doctor": _rx(r"\bwhen (?:should|do) (?:i|we) (?:worry|see|call|go)\b|\bshould (?:i|we) "
                      r"(?:worry|be worried|see|call|go)\b|\bserious\b|\bdangerous\b|\bemergency\b|"
                      r"\bworr(?:y|ied)\b|\bdoctor\b|\bhospital\b"),
}


def topics(text: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in TOPICS.items() if pattern.search(text))


def _has_findings(findings: Findings) -> bool:
    present, absent = findings.observed()
    return bool(present or absent)


def decide(
    text: str,
    findings: Findings,
    conditions: tuple[str, ...],
    *,
    previous: Findings | None,
    empty: bool,
    english: bool,
    asked: tuple[str, ...],
) -> Intent:
    if empty:
        return Intent.empty
    described = _has_findings(findings) or findings.age_days is not None or findings.duration_days is not None
    if previous is not None and described:
        return Intent.follow_up
    question = bool(QUESTION.search(text))
    personal = bool(PERSONAL.search(text)) or findings.age_days is not None
    if described and personal and english and _has_findings(findings):
        return Intent.assess
    if len(conditions) >= 2 and COMPARE.search(text):
        return Intent.compare
    if question and (conditions or described or asked):
        return Intent.question
    if described and english:
        return Intent.follow_up if FOLLOW_UP.search(text) and previous is not None else Intent.assess
    if conditions:
        return Intent.question
    return Intent.unsupported
