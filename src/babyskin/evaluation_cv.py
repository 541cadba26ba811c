"""``babyskin eval CASES --cv K``: k-fold cross-validation grouped by source.

Cases from one source (one article, quiz or guideline: the first web address in ``source``, or the
text before any bracket) are kept in one fold, so a fold is never scored with a model fitted to its
sibling cases. For each fold the likelihoods are fitted (:mod:`babyskin.engine.fit`) to the other
folds only and the held-out fold is scored; the outcomes of all folds make one report (top-1/top-3,
triage, under/over-triage, Brier score, reliability). ``tune_harm`` runs the same folds over a grid of
triage costs (:data:`babyskin.engine.triage.HARM`) and strengths: the rule is chosen where no held-out
case is under-triaged and over-triage is lowest.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from typing import Any

from babyskin.evaluation import Case, Mode, Report, evaluate_cases
from babyskin.models import TriageLevel

_URL = re.compile(r"https?://\S+")


def source_key(case: Case) -> str:
    """What makes two cases "the same source": the first address, else the text before a bracket."""
    found = _URL.search(case.source)
    if found:
        return found.group(0).rstrip(").,;").lower()
    return (case.source.split("(")[0].strip().lower() or case.id)


def folds(cases: list[Case], k: int) -> list[list[Case]]:
    """``k`` folds of whole sources, biggest sources first into the smallest fold (deterministic)."""
    if k < 2:
        from babyskin.errors import InputError

        raise InputError(f"--cv needs at least 2 folds, got {k}")
    groups: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        groups[source_key(case)].append(case)
    out: list[list[Case]] = [[] for _ in range(k)]
    for _key, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        min(out, key=len).extend(members)
    return [fold for fold in out if fold]


def cross_validate(cases: list[Case], k: int = 5, *, strength: float | None = None,
                   mode: Mode = "findings") -> Report:
    from babyskin.engine.assess import Engine, default_engine
    from babyskin.engine.fit import STRENGTH, counts_from_cases

    kb = default_engine().kb
    parts = folds(cases, k)
    report = Report(mode=mode)
    for i, held_out in enumerate(parts):
        train = [c for j, part in enumerate(parts) if j != i for c in part]
        counts = counts_from_cases(((c.id, c.expected.diagnosis, c.findings) for c in train),
                                   strength if strength is not None else STRENGTH)
        fold = evaluate_cases(held_out, mode, Engine(kb, counts))
        report.outcomes.extend(fold.outcomes)
        if fold.baseline is not None:
            report.baseline = report.baseline or Report(mode="findings")
            report.baseline.outcomes.extend(fold.baseline.outcomes)
    report.notes.append(f"{len(parts)}-fold cross-validation grouped by source "
                        f"({len({source_key(c) for c in cases})} sources): each fold scored with"
                        " likelihoods fitted to the other folds only")
    return report


HARM_GRID: dict[TriageLevel, tuple[float, ...]] = {  # cost of a miss, with over-calling costing 1
    TriageLevel.emergency: (12.0, 19.0, 97 / 3, 49.0),  # escalates from 7.7%, 5%, 3%, 2%
    TriageLevel.urgent: (4.0, 9.0, 19.0),  # 20%, 10%, 5%
    TriageLevel.soon: (2.0, 17 / 3, 9.0),  # 33%, 15%, 10%
}


def tune_harm(cases: list[Case], k: int = 5, strengths: tuple[float, ...] = (10.0,)
              ) -> list[dict[str, Any]]:
    """Cross-validated figures for each cost setting; the first row is the one to choose."""
    from babyskin.engine import triage
    from babyskin.engine.assess import default_engine

    shipped = dict(triage.HARM)
    rows = []
    try:
        for strength, (e, u, s) in itertools.product(strengths, itertools.product(*HARM_GRID.values())):
            triage.set_harm({TriageLevel.emergency: triage.Harm(e, 1.0),
                             TriageLevel.urgent: triage.Harm(u, 1.0),
                             TriageLevel.soon: triage.Harm(s, 1.0)})
            default_engine.cache_clear()
            summary = cross_validate(cases, k, strength=strength).summary()
            rows.append({"strength": strength, "miss_emergency": round(e, 2), "miss_urgent": u,
                         "miss_soon": round(s, 2),
                         **{key: summary[key] for key in ("top1", "top3", "triage_exact",
                                                          "under_triage", "over_triage", "brier")}})
    finally:
        triage.set_harm(shipped)
        default_engine.cache_clear()
    return sorted(rows, key=lambda r: (r["under_triage"], r["over_triage"], -r["triage_exact"],
                                       -r["top1"], -r["miss_emergency"]))
