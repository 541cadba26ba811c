"""Red flags + differential -> one triage level, and the rule that decided it.

The level is the highest of:

1. every red flag that fired (a floor no diagnosis can lower);
2. the level of every condition whose probability reaches the safety threshold for its level
   (``SAFETY_THRESHOLD``: an emergency condition at 3% escalates, an urgent one at 10%, a
   "see a doctor soon" one at 15%).
3. the level of the leading diagnosis.

Ties go to the red flag (the explicit rule), then to the condition rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from babyskin.kb.schema import Condition, RedFlag
from babyskin.models import Triage, TriageLevel

if TYPE_CHECKING:
    from babyskin.kb.loader import KnowledgeBase

SAFETY_THRESHOLD: dict[TriageLevel, float] = {
    TriageLevel.emergency: 0.03,
    TriageLevel.urgent: 0.10,
    TriageLevel.soon: 0.15,
    TriageLevel.home: 0.0,
}

ACTION: dict[TriageLevel, str] = {
    TriageLevel.emergency: "Call an ambulance or go to the nearest emergency department now.",
    TriageLevel.urgent: "See a doctor today: call your GP surgery or your local urgent-care line now.",
    TriageLevel.soon: "Book a visit with your doctor or health visitor within the next few days.",
    TriageLevel.home: (
        "This can be looked after at home. See a doctor if it lasts longer than expected, spreads, "
        "or your baby becomes unwell."
    ),
}


def decide(
    fired: Sequence[RedFlag],
    ranked: Sequence[tuple[Condition, float]],
) -> Triage:
    reasons: list[str] = []
    level, decided_by = TriageLevel.home, "leading_diagnosis"
    if ranked:
        lead, p = ranked[0]
        level = lead.triage
        reasons.append(f"leading diagnosis {lead.name} ({p:.0%}) is '{lead.triage}'")
    for cond, p in ranked[1:]:
        threshold = SAFETY_THRESHOLD[cond.triage]
        if p >= threshold and cond.triage.rank > TriageLevel.home.rank:
            reasons.append(
                f"{cond.name} cannot be ruled out ({p:.0%}; the safety threshold for"
                f" '{cond.triage}' is {threshold:.0%})"
            )
            if cond.triage.rank > level.rank:
                level, decided_by = cond.triage, "condition"
    flag_reasons = [f"red flag: {flag.title} ({flag.triage})" for flag in fired]
    if fired and fired[0].triage.rank >= level.rank:
        level, decided_by = fired[0].triage, "red_flag"
    return Triage(
        level=level,
        decided_by=decided_by,
        reasons=tuple(flag_reasons + reasons),
        action=ACTION[level],
    )


def condition_level_only(kb: KnowledgeBase, probabilities: Mapping[str, float]) -> TriageLevel:
    """Rules 2 and 3 as a level only (no reasons): the cheap form for searching many variants."""
    conditions = kb.conditions
    lead = min(probabilities, key=lambda c: (-probabilities[c], c))  # as the ranking orders ties
    level = conditions[lead].triage
    for cid, p in probabilities.items():
        cond_level = conditions[cid].triage
        if cond_level.rank > level.rank and p >= SAFETY_THRESHOLD[cond_level]:
            level = cond_level
    return level


def fail_safe(message: str) -> Triage:
    """The answer when the engine cannot assess: never 'home'."""
    return Triage(
        level=TriageLevel.urgent,
        decided_by="fail_safe",
        reasons=(message,),
        action="We could not assess this. " + ACTION[TriageLevel.urgent],
    )
