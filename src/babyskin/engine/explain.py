"""Reasons for and against a diagnosis: which findings moved it, and by how much.

A finding's weight for condition ``c`` is its log-likelihood ratio against the average condition:
``log L(w | c) - log mean_c' L(w | c')`` for a present word, and the same with ``1 - L`` for an absent
word. Positive weights support ``c``; negative weights argue against it. Age fit is reported too.
"""

from __future__ import annotations

import math

from babyskin.engine.rank import Model, age_fit
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import Condition, Typicality
from babyskin.models import Findings, Reason

MIN_WEIGHT = 0.4
TYPICAL_WORDS: dict[Typicality, str] = {
    Typicality.always: "almost always",
    Typicality.usually: "usually",
    Typicality.often: "often",
    Typicality.sometimes: "sometimes",
    Typicality.rarely: "rarely",
    Typicality.never: "almost never",
}


def reasons(
    kb: KnowledgeBase, model: Model, cond: Condition, index: int, findings: Findings
) -> tuple[tuple[Reason, ...], tuple[Reason, ...]]:
    present, absent = findings.observed()
    out: list[Reason] = []
    for word in sorted(present):
        if word not in model.log_present:
            continue
        weight = model.log_present[word][index] - math.log(model.mean_present[word])
        level = cond.findings.typical.get(word, kb.findings[word].default)
        out.append(Reason(
            finding=word,
            label=kb.findings[word].label,
            weight=round(weight, 2),
            note=f"{TYPICAL_WORDS[level]} seen with {cond.name.lower()}",
        ))
    for word in sorted(absent):
        if word not in model.log_absent:
            continue
        weight = model.log_absent[word][index] - math.log(model.mean_absent[word])
        level = cond.findings.typical.get(word, kb.findings[word].default)
        out.append(Reason(
            finding=f"no {word}",
            label=f"no {kb.findings[word].label}",
            weight=round(weight, 2),
            note=f"{TYPICAL_WORDS[level]} seen with {cond.name.lower()}",
        ))
    if findings.age_days is not None or findings.onset_days is not None:
        fit = age_fit(model.onset[index], model.duration_max[index], findings)
        low, high = cond.onset_days.min, cond.onset_days.max
        window = f"usually starts between {low} and {high} days of age"
        if fit >= 0.999:
            out.append(Reason(finding="age", label="age", weight=0.5, note=f"age fits: {window}"))
        else:
            out.append(Reason(finding="age", label="age", weight=round(math.log(fit), 2),
                              note=f"age or timing fits poorly: {window}"))
    supporting = tuple(sorted((r for r in out if r.weight >= MIN_WEIGHT), key=lambda r: -r.weight))
    against = tuple(sorted((r for r in out if r.weight <= -MIN_WEIGHT), key=lambda r: r.weight))
    return supporting, against
