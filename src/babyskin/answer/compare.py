"""Side-by-side comparison of two to four conditions, every cell from a cited KB statement, led by the
curated 'how to tell them apart' line (``kb/comparisons.yaml``) for pairs parents confuse."""

from __future__ import annotations

from typing import Any

from babyskin.answer.advice import citations
from babyskin.errors import InputError
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import Comparison, Condition, Typicality, pair_key
from babyskin.models import FindingGroup

ROWS = ("appearance", "where", "when it starts", "cause", "how long it lasts", "contagious",
        "what to do", "when to see a doctor")
COMMON = (Typicality.always, Typicality.usually, Typicality.often)


def _where(kb: KnowledgeBase, cond: Condition) -> tuple[str, list[str]]:
    sites = [kb.findings[w].label for w, t in cond.findings.typical.items()
             if t in COMMON and kb.findings[w].group is FindingGroup.locations]
    return (", ".join(sites) or "anywhere"), list(cond.findings.refs)


def _when(cond: Condition) -> tuple[str, list[str]]:
    low, high = cond.onset_days.min, cond.onset_days.max

    def human(days: int) -> str:
        if days == 0:
            return "birth"
        if days < 28:
            return f"{days} days"
        if days < 365:
            return f"{round(days / 30.4)} months"
        return f"{round(days / 365, 1):g} years"

    text = f"usually from {human(low)} to {human(high)} of age" if high else "at birth"
    return text, list(cond.findings.refs)


def cells(kb: KnowledgeBase, cond: Condition) -> dict[str, dict[str, Any]]:
    pairs = {
        "appearance": (cond.appearance.text, cond.appearance.refs),
        "where": _where(kb, cond),
        "when it starts": _when(cond),
        "cause": (cond.cause.text, cond.cause.refs),
        "how long it lasts": (cond.course.text.text, cond.course.text.refs),
        "contagious": (("Yes. " if cond.contagious.value else "No. ") + cond.contagious.text.text,
                       cond.contagious.text.refs),
        "what to do": (cond.home_care[0].text, cond.home_care[0].refs),
        "when to see a doctor": (cond.see_doctor[0].text, cond.see_doctor[0].refs),
    }
    return {row: {"text": text, "refs": list(refs)} for row, (text, refs) in pairs.items()}


def tell_apart(kb: KnowledgeBase, ids: list[str]) -> list[Comparison]:
    """The curated 'how to tell them apart' records for every compared pair that has one."""
    pairs = [pair_key(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
    return [kb.comparisons[key] for key in pairs if key in kb.comparisons]


def _tell_apart_json(comp: Comparison) -> dict[str, Any]:
    def statement(s: Any) -> dict[str, Any]:
        return {"text": s.text, "refs": list(s.refs)}

    return {"ids": list(comp.ids), "parent": statement(comp.parent),
            "clinician": statement(comp.clinician),
            "differences": [statement(d) for d in comp.differences]}


def compare(kb: KnowledgeBase, ids: list[str]) -> dict[str, Any]:
    unique = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not 2 <= len(unique) <= 4:
        raise InputError(f"compare needs 2 to 4 different condition ids, got {len(unique)}")
    conds = [kb.condition(i) for i in unique]
    columns = [{"id": c.id, "name": c.name, "icd10cm": c.icd10cm, "triage": c.triage.value,
                "cells": cells(kb, c)} for c in conds]
    apart = [_tell_apart_json(c) for c in tell_apart(kb, unique)]
    keys = [r for item in apart for s in (item["parent"], item["clinician"], *item["differences"])
            for r in s["refs"]]
    keys += [r for col in columns for cell in col["cells"].values() for r in cell["refs"]]
    refs = citations(kb, keys)
    return {"tell_apart": apart, "rows": list(ROWS), "conditions": columns,
            "references": [r.model_dump(mode="json") for r in refs]}
