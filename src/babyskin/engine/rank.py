"""Findings -> ranked differential, with a tempered naive-Bayes model.

The model
---------
For each condition ``c`` and the observed findings ``F``::

    P(c | F)  ∝  prior(c | age band) · age_fit(c) · Π_groups  L_g(F_g | c)

* ``prior`` comes from the condition's frequency in the baby's age band (``Frequency`` ->
  ``FREQUENCY_PRIOR``); with no age, the mean over the four bands.
* ``age_fit`` is 1 inside the condition's onset window and decays exponentially with the days
  outside it (floor 0.02). With onset unknown, the onset must lie between 0 and the age, so only an age
  below the window or beyond ``onset.max + duration.max`` is penalised; a known duration longer than the
  course also counts.
* Every finding word has a likelihood ``L(w | c)`` from the condition's typicality ordinal
  (``TYPICALITY_LIKELIHOOD``), or from the finding's ``default`` when the condition does not list it.
  That value is the *prior*: when the model is fitted to a case library (``kb/data/case_counts.yaml``)
  it is updated by the case counts with Beta pseudo-counts,
  ``L = (STRENGTH * L0 + k) / (STRENGTH + n)`` for ``k`` cases with the word out of ``n`` that could show
  it (the method and what counts as a trial: :mod:`babyskin.engine.fit`).
  A word reported present contributes ``log L``; a word reported absent contributes ``log (1 - L)``.
  Words not mentioned are unknown and contribute nothing (the eval contract: absent only when checked).

Assumptions and the one departure from plain naive Bayes: findings are treated as conditionally
independent given the condition, which over-counts correlated words. Sites, lesion types and colours
are strongly correlated with each other (a parent listing seven body sites is describing one widespread
rash, not seven pieces of evidence), so within those three groups the summed log-likelihood of ``k``
listed words is divided by ``sqrt(k)``: one word counts fully and many words count about like
``sqrt(k)`` words. Signs (fever, itchy...), size and count are counted fully.

Everything is compiled once per knowledge base into plain dicts of floats (``Model``) so that scoring
is a few hundred additions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from babyskin.engine.fit import CaseCounts
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import (
    FREQUENCY_PRIOR,
    TYPICALITY_LIKELIHOOD,
    AgeBand,
    Condition,
    age_band,
)
from babyskin.models import FindingGroup, Findings

AGE_FIT_FLOOR = 0.02
GROUP_DAMPING = 0.5  # k words of one damped group count like k ** (1 - GROUP_DAMPING) words


def damping(k: int) -> float:
    """The factor on the summed log-likelihood of ``k`` words of a damped group (``1/sqrt(k)``)."""
    return k ** -GROUP_DAMPING


@dataclass(frozen=True, eq=False)
class Model:
    """The knowledge base compiled into log-likelihood tables."""

    ids: tuple[str, ...]
    log_prior: dict[AgeBand | None, tuple[float, ...]]
    log_present: dict[str, tuple[float, ...]]  # word -> per-condition log L
    log_absent: dict[str, tuple[float, ...]]  # word -> per-condition log (1 - L)
    group_of: dict[str, FindingGroup]
    onset: tuple[tuple[int, int], ...]
    duration_max: tuple[int, ...]
    # explanation baselines: mean likelihood over conditions
    mean_present: dict[str, float]
    mean_absent: dict[str, float]


def compile_model(kb: KnowledgeBase, counts: CaseCounts | None = None) -> Model:
    """The tables of ``kb``; with ``counts``, the likelihoods fitted to a case library."""
    conditions = list(kb.conditions.values())
    ids = tuple(c.id for c in conditions)
    log_prior: dict[AgeBand | None, tuple[float, ...]] = {}
    for band in AgeBand:
        weights = [FREQUENCY_PRIOR[c.prior[band]] for c in conditions]
        total = sum(weights)
        log_prior[band] = tuple(math.log(w / total) for w in weights)
    mean_weights = [sum(FREQUENCY_PRIOR[c.prior[b]] for b in AgeBand) / len(AgeBand) for c in conditions]
    total = sum(mean_weights)
    log_prior[None] = tuple(math.log(w / total) for w in mean_weights)
    log_present: dict[str, tuple[float, ...]] = {}
    log_absent: dict[str, tuple[float, ...]] = {}
    mean_present: dict[str, float] = {}
    mean_absent: dict[str, float] = {}
    for word, finding in kb.findings.items():
        likelihoods = [_likelihood(c, word, finding.default) for c in conditions]
        if counts is not None and counts.conditions:
            likelihoods = [counts.likelihood(c.id, word, finding.group, p)
                           for c, p in zip(conditions, likelihoods, strict=True)]
        log_present[word] = tuple(math.log(p) for p in likelihoods)
        log_absent[word] = tuple(math.log(1 - p) for p in likelihoods)
        mean_present[word] = sum(likelihoods) / len(likelihoods)
        mean_absent[word] = sum(1 - p for p in likelihoods) / len(likelihoods)
    return Model(
        ids=ids,
        log_prior=log_prior,
        log_present=log_present,
        log_absent=log_absent,
        group_of={word: f.group for word, f in kb.findings.items()},
        onset=tuple((c.onset_days.min, c.onset_days.max) for c in conditions),
        duration_max=tuple(c.course.duration_days.max for c in conditions),
        mean_present=mean_present,
        mean_absent=mean_absent,
    )


def _likelihood(cond: Condition, word: str, default: object) -> float:
    level = cond.findings.typical.get(word, default)
    return TYPICALITY_LIKELIHOOD[level]  # type: ignore[index]


def _decay(days_outside: int, scale: float) -> float:
    if days_outside <= 0:
        return 1.0
    return max(AGE_FIT_FLOOR, math.exp(-days_outside / scale))


def age_fit(onset: tuple[int, int], duration_max: int, findings: Findings) -> float:
    """How well the baby's age, onset and duration fit a condition's course (1 = fits)."""
    low, high = onset
    scale = max(7.0, 0.25 * high)
    age, onset_days, duration = findings.age_days, findings.onset_days, findings.duration_days
    if onset_days is None and age is not None and duration is not None:
        onset_days = max(0, age - duration)
    fit = 1.0
    if onset_days is not None:
        fit *= _decay(max(low - onset_days, onset_days - high), scale)
    elif age is not None:
        fit *= _decay(low - age, scale)
        fit *= _decay(age - (high + duration_max), max(7.0, 0.25 * (high + duration_max)))
    if duration is not None:
        fit *= _decay(duration - duration_max, max(7.0, 0.25 * duration_max))
    return fit


def age_fits(model: Model, findings: Findings) -> tuple[float, ...] | None:
    """Each condition's :func:`age_fit`, or None when nothing about age or timing is known."""
    if findings.age_days is None and findings.onset_days is None and findings.duration_days is None:
        return None
    return _age_fits(model, findings.age_days, findings.onset_days, findings.duration_days)


@lru_cache(maxsize=4096)
def _age_fits(model: Model, age: int | None, onset: int | None, duration: int | None
              ) -> tuple[float, ...]:
    timing = Findings(age_days=age, onset_days=onset, duration_days=duration)
    return tuple(age_fit(window, longest, timing)
                 for window, longest in zip(model.onset, model.duration_max, strict=True))


def posterior(model: Model, findings: Findings) -> list[tuple[str, float]]:
    """(condition id, probability) for every condition, most likely first; sums to 1."""
    band = age_band(findings.age_days) if findings.age_days is not None else None
    scores = model.log_prior[band]
    for words in (findings.locations, findings.lesions, findings.colors):
        known = [model.log_present[w] for w in sorted(words) if w in model.log_present]
        if len(known) == 1:
            scores = [s + v for s, v in zip(scores, known[0], strict=True)]
        elif known:
            factor = damping(len(known))
            columns = zip(*known, strict=True)
            scores = [s + factor * sum(column) for s, column in zip(scores, columns, strict=True)]
    # sorted: the same findings in any order give the same floating-point sums
    rows = [model.log_present[w] for w in sorted(filter(None, (findings.size, findings.count,
                                                              *findings.present)))
            if w in model.log_present]
    present = set(findings.present)
    rows += [model.log_absent[w] for w in sorted(findings.absent)
             if w in model.log_absent and w not in present]
    for row in rows:
        scores = [s + v for s, v in zip(scores, row, strict=True)]
    fits = age_fits(model, findings)
    if fits is not None:
        scores = [s + math.log(f) for s, f in zip(scores, fits, strict=True)]
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    total = sum(weights)
    return sorted(zip(model.ids, (w / total for w in weights), strict=True),
                  key=lambda item: (-item[1], item[0]))
