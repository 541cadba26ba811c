"""Reasons for and against a diagnosis: which findings moved it, and by how much.

A finding's weight for condition ``c`` is its log-likelihood ratio against the average condition:
``log L(w | c) - log mean_c' L(w | c')`` for a present word, and the same with ``1 - L`` for an absent
word. Positive weights support ``c``; negative weights argue against it. Age fit is reported too.

Every (condition, word, present/absent) reason is a constant of the knowledge base, so
:class:`Explainer` builds each one once and reuses it.
"""

from __future__ import annotations

import math

from babyskin.engine.rank import Model
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import Typicality
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


class Explainer:
    """Builds and caches the reasons of one knowledge base."""

    def __init__(self, kb: KnowledgeBase, model: Model) -> None:
        self.kb = kb
        self.model = model
        self._cache: dict[tuple[int, str, bool], Reason | None] = {}

    def _reason(self, index: int, word: str, present: bool) -> Reason | None:
        key = (index, word, present)
        if key in self._cache:
            return self._cache[key]
        model, kb = self.model, self.kb
        reason = None
        table = model.log_present if present else model.log_absent
        if word in table:
            mean = model.mean_present[word] if present else model.mean_absent[word]
            weight = round(table[word][index] - math.log(mean), 2)
            if abs(weight) >= MIN_WEIGHT:
                cond = kb.conditions[model.ids[index]]
                finding = kb.findings[word]
                level = cond.findings.typical.get(word, finding.default)
                reason = Reason(
                    finding=word if present else f"no {word}",
                    label=finding.label if present else f"no {finding.label}",
                    weight=weight,
                    note=f"{TYPICAL_WORDS[level]} seen with {cond.name.lower()}",
                )
        self._cache[key] = reason
        return reason

    def reasons(
        self, index: int, findings: Findings, fit: float | None
    ) -> tuple[tuple[Reason, ...], tuple[Reason, ...]]:
        """(supporting, against) for the condition at ``index``; ``fit`` is its age fit, if known."""
        present, absent = findings.observed()
        found = [self._reason(index, w, True) for w in present]
        found += [self._reason(index, w, False) for w in absent]
        out = [r for r in found if r is not None]
        if fit is not None:
            cond = self.kb.conditions[self.model.ids[index]]
            window = (f"usually starts between {cond.onset_days.min} and {cond.onset_days.max}"
                      " days of age")
            if fit >= 0.999:
                out.append(Reason(finding="age", label="age", weight=0.5, note=f"age fits: {window}"))
            elif math.log(fit) <= -MIN_WEIGHT:
                out.append(Reason(finding="age", label="age", weight=round(math.log(fit), 2),
                                  note=f"age or timing fits poorly: {window}"))
        supporting = tuple(sorted((r for r in out if r.weight > 0), key=lambda r: (-r.weight, r.finding)))
        against = tuple(sorted((r for r in out if r.weight < 0), key=lambda r: (r.weight, r.finding)))
        return supporting, against
