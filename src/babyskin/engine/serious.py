"""``must_not_miss``: the serious conditions the findings leave plausible, and what would settle each.

"Most likely" (the differential) answers *what is it probably*; this list answers *what must a doctor
rule out*. A condition is named when it decided or raised the answer's triage, whatever its level (a condition
that raises the triage is always in the top three or here: no silent escalation), or when its triage
level is urgent or emergency and either

* its probability is at least ``MENTION`` (half its level's escalation threshold in
  :data:`babyskin.engine.triage.SAFETY_THRESHOLD`), or a red flag that fired is scoped to it,

and it is not already among the first three of the differential. The "why" is written from the
knowledge base: the red-flag rules of the condition (what would rule it in) and its most typical
findings, split into those seen and those not yet known or reported absent (what would rule it out).
"""

from __future__ import annotations

from collections.abc import Sequence

from babyskin.engine import triage
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import Condition, RedFlag, Typicality
from babyskin.models import Findings, SeriousCause, Triage, TriageLevel

MENTION = 0.5  # share of the escalation threshold at which a serious condition is named (as in guided)
MAX_ITEMS = 4
TOP = 3
_KEY = (Typicality.always, Typicality.usually)


def must_not_miss(kb: KnowledgeBase, findings: Findings, ranked: Sequence[tuple[str, float]],
                  fired: Sequence[RedFlag], decision: Triage) -> tuple[SeriousCause, ...]:
    top = {cid for cid, _p in ranked[:TOP]}
    raised = {cid for cid, cond in kb.conditions.items()
              if cid not in top and any(reason.startswith(f"{cond.name} cannot be ruled out")
                                        for reason in decision.reasons)}
    scoped = {cid for flag in fired for cid in flag.applies_to}
    out: list[tuple[int, float, SeriousCause]] = []
    for cid, p in ranked[TOP:]:
        cond = kb.conditions[cid]
        named = cid in raised or (cid in scoped and cond.triage.rank >= TriageLevel.urgent.rank)
        if not named and cond.triage.rank < TriageLevel.urgent.rank:
            continue
        if not named and p < MENTION * triage.SAFETY_THRESHOLD[cond.triage]:
            continue
        action = triage.ACTION[cond.triage]
        if cond.triage.rank > decision.level.rank:  # named, not acted on: say when to act
            action = f"If the signs that rule it in appear: {action[0].lower()}{action[1:]}"
        item = SeriousCause(id=cid, name=cond.name, probability=round(p, 4), triage=cond.triage,
                            why=_why(kb, cond, findings), action=action)
        out.append((0 if named else 1, -cond.triage.rank * 1.0 - p, item))
    out.sort(key=lambda row: (row[0], row[1]))
    named_items = [item for first, _k, item in out if first == 0]
    rest = [item for first, _k, item in out if first == 1]
    return tuple(named_items + rest[:max(0, MAX_ITEMS - len(named_items))])


def _why(kb: KnowledgeBase, cond: Condition, findings: Findings) -> str:
    present, absent = findings.observed()
    key = [w for w, t in cond.findings.typical.items() if t in _KEY and w in kb.findings]
    seen = [kb.findings[w].label for w in key if w in present]
    missing = [kb.findings[w].label for w in key if w not in present and w not in absent]
    against = [kb.findings[w].label for w in key if w in absent]
    parts: list[str] = []
    if seen:
        parts.append("fits: " + ", ".join(seen[:4]))
    flags = [] if cond.red_flags == "none" else [kb.red_flags[f] for f in cond.red_flags
                                                  if f in kb.red_flags]
    if flags:
        parts.append("rule in if: " + "; ".join(f.title for f in flags[:3]))
    if missing:
        parts.append("usually has (ask or check): " + ", ".join(missing[:4]))
    if against:
        parts.append("less likely as there is no " + ", ".join(against[:3]))
    return ". ".join(parts) or f"{cond.name} is serious and not ruled out by what was described"
