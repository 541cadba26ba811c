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

from collections.abc import Sequence

from babyskin.kb.schema import Condition, RedFlag
from babyskin.models import Triage, TriageLevel

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


def condition_level(ranked: Sequence[tuple[Condition, float]]) -> tuple[TriageLevel, list[str]]:
    """Rules 2 and 3 alone: the level the differential asks for, and why."""
    if not ranked:
        return TriageLevel.home, []
    lead, p = ranked[0]
    level, reasons = lead.triage, [f"leading diagnosis {lead.name} ({p:.0%}) is '{lead.triage}'"]
    for cond, q in ranked[1:]:
        if cond.triage.rank > level.rank and q >= SAFETY_THRESHOLD[cond.triage]:
            level = cond.triage
            reasons.insert(0, f"{cond.name} cannot be ruled out ({q:.0%}; the safety threshold for"
                              f" '{cond.triage}' is {SAFETY_THRESHOLD[cond.triage]:.0%})")
    return level, reasons


def fail_safe(message: str) -> Triage:
    """The answer when the engine cannot assess: never 'home'."""
    return Triage(
        level=TriageLevel.urgent,
        decided_by="fail_safe",
        reasons=(message,),
        action="We could not assess this. " + ACTION[TriageLevel.urgent],
    )
