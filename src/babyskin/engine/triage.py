"""Red flags + differential -> one triage level, and the rule that decided it.

The level is the highest of:

1. every red flag that fired (a floor no diagnosis can lower);
2. the level of every condition whose expected harm of missing outweighs the harm of over-calling
   (``HARM``, the rule below).
3. the level of the leading diagnosis;
4. the level a serious condition, or a condition-scoped red flag, could reach with the evidence of the
   warning signs present set aside (:mod:`babyskin.engine.bounds`, applied by
   ``Engine._never_lower``): warning signs never lower the answer;
5. "soon" when fewer than ``MIN_DESCRIBED`` findings other than warning signs are known: an answer that
   rests on next to nothing must not say "home" (OF-5).

Ties go to the red flag (the explicit rule), then to the condition rule.

Over-triage by expected harm
----------------------------
Answering below level ``L`` when the baby has a condition of level ``L`` costs ``HARM[L].miss``
(a delayed emergency is the worst outcome of all); answering ``L`` when the baby does not have it costs
``HARM[L].over`` (an unneeded ambulance, a same-day visit, worry). With ``p`` the probability of a
condition of level ``L`` other than the leading one, the expected harm of not escalating is
``p * miss`` and of escalating ``(1 - p) * over``, so the answer escalates to ``L`` when

    p * miss  >  (1 - p) * over,   that is   p  >  over / (over + miss)  =  SAFETY_THRESHOLD[L].

The rule is applied condition by condition (not to the summed mass of a level) so that the bound of
:mod:`babyskin.engine.bounds`, which keeps warning signs from ever lowering the answer, stays exact.
The costs are chosen by cross-validation (``babyskin eval CASES --cv 5 --tune-harm``, in
:mod:`babyskin.evaluation`): the cheapest over-triage with no under-triage on the held-out folds.
A condition that escalates but is not in the top three is named in ``must_not_miss``
(:mod:`babyskin.engine.serious`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from babyskin.kb.schema import Condition, RedFlag
from babyskin.models import DecidedBy, Findings, Triage, TriageLevel


class Harm(NamedTuple):
    """The relative cost of answering below a level (``miss``) and of answering it needlessly (``over``)."""

    miss: float
    over: float

    @property
    def threshold(self) -> float:
        return self.over / (self.over + self.miss)


# A missed emergency weighs 97 against 3 for a needless one (it escalates from 3%), a missed urgent
# condition 9 against 1 (10%), a missed "soon" 17 against 3 (15%). On the 34 dev cases (--cv 5
# --tune-harm) every setting tied on the held-out folds; on --leave-one-out an emergency threshold
# above 3% under-triages more, so 3% stays. Re-run the tuning on the case library (cases/).
HARM: dict[TriageLevel, Harm] = {
    TriageLevel.emergency: Harm(miss=97.0, over=3.0),
    TriageLevel.urgent: Harm(miss=9.0, over=1.0),
    TriageLevel.soon: Harm(miss=17.0, over=3.0),
}


def thresholds(harm: dict[TriageLevel, Harm]) -> dict[TriageLevel, float]:
    """The probability above which a condition of each level escalates (home never does)."""
    return {**{level: h.threshold for level, h in harm.items()}, TriageLevel.home: 0.0}


SAFETY_THRESHOLD: dict[TriageLevel, float] = thresholds(HARM)


def set_harm(harm: dict[TriageLevel, Harm]) -> None:
    """Use other costs (for tuning on cross-validation); callers must restore the shipped ones."""
    HARM.update(harm)
    SAFETY_THRESHOLD.update(thresholds(HARM))

MIN_DESCRIBED = 2

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
                f"{cond.name} cannot be ruled out ({p:.0%}): missing a '{cond.triage}' condition"
                f" weighs more than calling it needlessly above {threshold:.0%}"
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


def escalated(decision: Triage, level: TriageLevel, decided_by: DecidedBy, why: str) -> Triage:
    """``decision`` raised to ``level`` for the reason ``why`` (stated first)."""
    return Triage(level=level, decided_by=decided_by, reasons=(why, *decision.reasons), action=ACTION[level])


def too_little_described(findings: Findings, warning: frozenset[str], decision: Triage) -> Triage:
    """At least 'soon' when fewer than ``MIN_DESCRIBED`` findings other than ``warning`` words are known.

    Warning words are not counted so that adding one can never lift this floor (hazard H27).
    """
    present, absent = findings.observed()
    if decision.level.rank >= TriageLevel.soon.rank or len(present - warning) + len(absent) >= MIN_DESCRIBED:
        return decision
    why = ("too little was described to rule out a condition that needs a doctor: describe the spots"
           " (where, what they look like, their colour), answer a few questions, or book a visit")
    return escalated(decision, TriageLevel.soon, "too_little", why)


def fail_safe(message: str) -> Triage:
    """The answer when the engine cannot assess: never 'home'."""
    return Triage(
        level=TriageLevel.urgent,
        decided_by="fail_safe",
        reasons=(message,),
        action="We could not assess this. " + ACTION[TriageLevel.urgent],
    )
