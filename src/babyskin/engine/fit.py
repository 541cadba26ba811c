"""Fitting the likelihoods to a case library: the KB's typicality words as priors, case counts as data.

The method (Beta pseudo-counts)
-------------------------------
For a condition ``c`` and a finding word ``w`` the knowledge base gives a typicality word, mapped to a
likelihood ``L0 = P(w | c)`` (:data:`babyskin.kb.schema.TYPICALITY_LIKELIHOOD`). That is the prior mean
of a Beta distribution with ``STRENGTH`` pseudo-cases::

    L(w | c)  ~  Beta(STRENGTH * L0, STRENGTH * (1 - L0))

The cases of ``c`` are the data: ``k`` cases with ``w`` present out of ``n`` cases in which ``w``
could be seen. The fitted likelihood is the posterior mean

    L(w | c)  =  (STRENGTH * L0 + k) / (STRENGTH + n),   kept within [``FLOOR``, 1 - ``FLOOR``]

so a condition with few cases stays close to the clinical text and one with many moves towards its
case frequencies. What counts as a trial ``n``: for the words of a group a case always describes
when it describes the rash at all (sites, lesion types, colours, size, count), every case of ``c`` that
fills that group (a site not listed is taken as not there); for a sign, only the cases that state it
present or absent (the eval contract: a sign is absent only when checked). Priors over conditions stay
the KB's frequency words. ``STRENGTH`` is chosen by cross-validation (``babyskin eval CASES --cv 5``).

The counts are a generated, reviewable data file (``kb/data/case_counts.yaml``, written by
``babyskin kb fit CASES_DIR``); :func:`counts_from_cases` is pure, :func:`read_counts` and
:func:`write_counts` are the file edges.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babyskin.models import FindingGroup, Findings

STRENGTH = 10.0
FLOOR = 0.005
COUNTS_FILE = "case_counts.yaml"
_GROUP_FIELDS = {FindingGroup.locations: "locations", FindingGroup.lesions: "lesions",
                 FindingGroup.colors: "colors", FindingGroup.size: "size", FindingGroup.count: "count"}


@dataclass
class ConditionCounts:
    n: int = 0
    described: dict[str, int] = field(default_factory=dict)  # group field -> cases that fill it
    present: dict[str, int] = field(default_factory=dict)
    absent: dict[str, int] = field(default_factory=dict)


@dataclass
class CaseCounts:
    """Per condition, how often each word was seen in the case library (empty: the KB alone)."""

    strength: float = STRENGTH
    case_ids: tuple[str, ...] = ()
    conditions: dict[str, ConditionCounts] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n".join(sorted(self.case_ids)).encode()).hexdigest()[:12]

    def likelihood(self, condition: str, word: str, group: FindingGroup, prior: float) -> float:
        """The fitted ``L(word | condition)``: the Beta posterior mean (module docstring)."""
        counts = self.conditions.get(condition)
        if counts is None or not counts.n:
            return prior
        k = counts.present.get(word, 0)
        if group is FindingGroup.signs:
            n = k + counts.absent.get(word, 0)
        else:
            n = counts.described.get(_GROUP_FIELDS[group], 0)
        value = (self.strength * prior + k) / (self.strength + n)
        return min(1 - FLOOR, max(FLOOR, value))


def counts_from_cases(cases: Iterable[tuple[str, str, Findings]], strength: float = STRENGTH
                      ) -> CaseCounts:
    """(case id, diagnosis, findings) -> counts. Pure: the same cases give the same counts."""
    out = CaseCounts(strength=strength)
    ids: list[str] = []
    for case_id, diagnosis, findings in cases:
        ids.append(case_id)
        c = out.conditions.setdefault(diagnosis, ConditionCounts())
        c.n += 1
        for name in _GROUP_FIELDS.values():
            value = getattr(findings, name)
            words = [value] if isinstance(value, str) else list(value or ())
            if words:
                c.described[name] = c.described.get(name, 0) + 1
            for word in words:
                c.present[word] = c.present.get(word, 0) + 1
        for word in findings.present:
            c.present[word] = c.present.get(word, 0) + 1
        for word in findings.absent:
            if word not in findings.present:
                c.absent[word] = c.absent.get(word, 0) + 1
    out.case_ids = tuple(sorted(ids))
    return out


def counts_data(counts: CaseCounts) -> dict[str, Any]:
    """The counts as plain, sorted data for the YAML file (stable, so diffs are reviewable)."""
    return {
        "generated_by": "babyskin kb fit CASES_DIR (do not edit by hand)",
        "method": "Beta pseudo-counts: L = (strength * L0 + present) / (strength + trials); "
                  "see babyskin.engine.fit",
        "strength": counts.strength,
        "cases": len(counts.case_ids),
        "cases_digest": counts.digest,
        "case_ids": list(counts.case_ids),
        "conditions": {
            cid: {"n": c.n, "described": dict(sorted(c.described.items())),
                  "present": dict(sorted(c.present.items())), "absent": dict(sorted(c.absent.items()))}
            for cid, c in sorted(counts.conditions.items())
        },
    }


def counts_from_data(data: dict[str, Any]) -> CaseCounts:
    conditions = {
        cid: ConditionCounts(n=int(row.get("n", 0)), described=dict(row.get("described") or {}),
                             present=dict(row.get("present") or {}), absent=dict(row.get("absent") or {}))
        for cid, row in (data.get("conditions") or {}).items()
    }
    return CaseCounts(strength=float(data.get("strength", STRENGTH)),
                      case_ids=tuple(data.get("case_ids") or ()), conditions=conditions)


def read_counts(path: Path) -> CaseCounts:
    """The counts file, or empty counts (the KB alone) when there is none."""
    import yaml

    if not path.exists():
        return CaseCounts()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return counts_from_data(yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {})


def write_counts(path: Path, counts: CaseCounts) -> None:
    import yaml

    header = "# Generated by `babyskin kb fit CASES_DIR`; do not edit. Method: babyskin.engine.fit.\n"
    path.write_text(header + yaml.safe_dump(counts_data(counts), sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
