"""What a condition could be with some warning signs' evidence set aside: what keeps triage monotone.

Why
---
A warning word (a word of a red-flag rule whose pattern matches the findings) is also evidence in the
differential, and evidence can move probability away from a serious condition. Without care, adding a
warning sign could push that condition below its safety threshold, or below the plausibility that a
condition-scoped rule needs (``applies_to``), and the answer would fall: a sicker baby, a calmer answer
(hazard H27 in ``docs/safety/hazard-log.md``).

What
----
Split the findings into the *base* (everything that is not a warning word) and the *warning words*.
The *family* of states is the base with each warning word kept, left out, or (a sign only) read as
absent. Triage escalates for condition ``c`` when ``c`` reaches its safety threshold, or leads, in some
state of the family (for a condition-scoped rule: some state in which the rule's pattern still holds).
Adding a warning word only adds states: a base word that becomes a warning word because a rule now
matches is kept in some of them, and a sign once reported absent can still be read as absent. So the
answer never falls when a warning sign is added: monotone by construction, not by a bounded search.

How
---
Whether some state reaches a threshold is decided exactly by branch and bound over the warning words. The
bound is exact rival by rival: with ``gap_k = score_k - score_c`` (the log scores of
:func:`babyskin.engine.rank.posterior`),

    P(c | state)  =  1 / Σ_k exp(gap_k(state))  <=  1 / Σ_k exp(min over the states of gap_k)

and the minimum is separable: by group, and within a damped group (sites, lesions, colours, whose summed
log-likelihood is scaled by :func:`babyskin.engine.rank.damping`) the best choice of ``m`` words is the
``m`` most favourable.
A branch whose bound falls short is cut; a state with no open words is judged exactly. A search that
would run past ``MAX_NODES`` answers yes: in doubt, escalate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from babyskin.engine import rank
from babyskin.kb.schema import age_band
from babyskin.models import FindingGroup, Findings

MAX_NODES = 400
_EXP_LIMIT = 700.0  # exp() of more than this overflows; such a rival alone rules the condition out
_TIE = 1e-12
_DAMPED = (FindingGroup.locations, FindingGroup.lesions, FindingGroup.colors)

Row = tuple[float, ...]


class Choice(Enum):
    keep = "kept"
    leave_out = "left out"
    absent = "read as absent"


def _add(vector: list[float], row: Sequence[float]) -> list[float]:
    return [s + v for s, v in zip(vector, row, strict=True)]


@dataclass(frozen=True)
class _Group:
    """A damped group: the summed rows of its settled words, how many, and the rows of its open words."""

    summed: tuple[float, ...]
    settled: int
    open_rows: tuple[Row, ...]


class Gaps:
    """The smallest score gaps between conditions over the states left open."""

    def __init__(self, base: list[float], groups: Sequence[_Group],
                 singles: Sequence[tuple[Row, Row | None]]) -> None:
        self.base = base
        self.groups = groups
        self.singles = singles

    def gap(self, k: int, c: int) -> float:
        """The smallest ``score_k - score_c`` over the open states."""
        total = self.base[k] - self.base[c]
        for group in self.groups:
            acc = group.summed[k] - group.summed[c]
            n = group.settled
            best = acc * rank.damping(n) if n else 0.0
            for m, delta in enumerate(sorted(row[k] - row[c] for row in group.open_rows), start=1):
                acc += delta
                best = min(best, acc * rank.damping(n + m))
            total += best
        for present_row, absent_row in self.singles:
            delta = present_row[k] - present_row[c]
            if absent_row is not None:
                delta = min(delta, absent_row[k] - absent_row[c])
            total += min(0.0, delta)
        return total

    def most(self, c: int, rivals: Sequence[int], reach: float) -> float | None:
        """An upper bound on the probability of ``c``, or None when it cannot reach ``reach``.

        ``rivals`` are all condition indexes, likeliest first, so a hopeless ``c`` is dismissed after a
        rival or two.
        """
        limit = (1.0 / reach) * (1 + 1e-9)
        total = 0.0
        for k in rivals:
            if k == c:
                total += 1.0
            else:
                gap = self.gap(k, c)
                if gap > _EXP_LIMIT:
                    return None
                total += math.exp(gap)
            if total > limit:
                return None
        return 1.0 / total

    def can_lead(self, c: int, rivals: Sequence[int]) -> bool:
        """Whether no rival outscores ``c`` in every open state."""
        return all(k == c or self.gap(k, c) <= _TIE for k in rivals)


class Family:
    """The states of ``findings`` with each of the ``warning`` words kept, left out or read as absent."""

    def __init__(self, model: rank.Model, findings: Findings, warning: frozenset[str]) -> None:
        self.model = model
        self.findings = findings
        band = age_band(findings.age_days) if findings.age_days is not None else None
        base = list(model.log_prior[band])
        fits = rank.age_fits(model, findings)
        if fits is not None:
            base = [s + math.log(f) for s, f in zip(base, fits, strict=True)]
        for word in sorted(filter(None, (findings.size, findings.count, *findings.present))):
            if word not in warning:
                base = _add(base, model.log_present[word])
        present = set(findings.present)
        for word in sorted(findings.absent):
            if word not in present:
                base = _add(base, model.log_absent[word])
        # a damped group with no warning word is settled once; the others keep their base words' sum
        self.damped: dict[FindingGroup, tuple[list[float], int]] = {}
        for group in _DAMPED:
            words = sorted(getattr(findings, group.value))
            rows = [model.log_present[w] for w in words if w not in warning]
            summed = [sum(column) for column in zip(*rows, strict=True)] if rows else [0.0] * len(base)
            if len(rows) < len(words):
                self.damped[group] = (summed, len(rows))
            elif rows:
                base = _add(base, [v * rank.damping(len(rows)) for v in summed])
        self.base = base
        self.words: tuple[str, ...] = tuple(sorted(warning))
        self._gaps: dict[frozenset[tuple[str, Choice]], Gaps] = {}

    def gaps(self, choices: dict[str, Choice]) -> Gaps:
        """The gaps over the states that agree with ``choices`` (the other warning words open)."""
        key = frozenset(choices.items())
        gaps = self._gaps.get(key)
        if gaps is None:
            gaps = self._gaps[key] = self._build(choices)
        return gaps

    def _build(self, choices: dict[str, Choice]) -> Gaps:
        model = self.model
        base = self.base
        kept: dict[FindingGroup, list[Row]] = {group: [] for group in self.damped}
        open_rows: dict[FindingGroup, list[Row]] = {group: [] for group in self.damped}
        singles: list[tuple[Row, Row | None]] = []
        for word in self.words:
            choice = choices.get(word)
            group = model.group_of[word]
            if choice is Choice.leave_out:
                continue
            if choice is Choice.absent:
                base = _add(base, model.log_absent[word])
            elif group in open_rows:
                (kept if choice is Choice.keep else open_rows)[group].append(model.log_present[word])
            elif choice is Choice.keep:
                base = _add(base, model.log_present[word])
            else:
                signs = group is FindingGroup.signs
                singles.append((model.log_present[word], model.log_absent[word] if signs else None))
        groups: list[_Group] = []
        for group, (summed, n) in self.damped.items():
            if kept[group]:
                summed = [sum(column) for column in zip(summed, *kept[group], strict=True)]
                n += len(kept[group])
            if open_rows[group]:
                groups.append(_Group(tuple(summed), n, tuple(open_rows[group])))
            elif n:
                base = _add(base, [v * rank.damping(n) for v in summed])
        return Gaps(base, groups, singles)

    def options(self, word: str) -> tuple[Choice, ...]:
        if self.model.group_of[word] is FindingGroup.signs:
            return (Choice.keep, Choice.leave_out, Choice.absent)
        return (Choice.keep, Choice.leave_out)

    def state(self, choices: dict[str, Choice]) -> Findings:
        """The findings of one whole state."""
        out = {w for w, c in choices.items() if c is not Choice.keep}
        absent = [w for w, c in choices.items() if c is Choice.absent]
        data = self.findings.model_dump()
        for field in ("locations", "lesions", "colors", "present"):
            data[field] = tuple(w for w in data[field] if w not in out)
        for field in ("size", "count"):
            if data[field] in out:
                data[field] = None
        data["absent"] = (*data["absent"], *absent)
        return Findings.model_construct(**data)  # only words moved: still valid

    def search(self, test: Callable[[Gaps], float | bool | None], forced: frozenset[str] = frozenset(),
               whole: Callable[[Findings], bool] | None = None) -> Found | None:
        """The first state for which ``test`` holds, or None when there is none.

        ``test`` must be a bound: true (a probability, or True) of a set of states whenever it is true of
        one of them. Words in ``forced`` are always kept; ``whole``, when given, must also hold of the
        state's findings.
        """
        nodes = 0
        stack: list[dict[str, Choice]] = [{w: Choice.keep for w in forced if w in self.words}]
        while stack:
            choices = stack.pop()
            nodes += 1
            if nodes > MAX_NODES:
                return Found(choices, None, gave_up=True)
            result = test(self.gaps(choices))
            if result is None or result is False:
                continue
            open_words = [w for w in self.words if w not in choices]
            if not open_words:
                if whole is None or whole(self.state(choices)):
                    return Found(choices, result if isinstance(result, float) else None)
                continue
            word = open_words[0]
            stack.extend({**choices, word: option} for option in reversed(self.options(word)))
        return None


@dataclass(frozen=True)
class Found:
    """A state of the family that passed a search's test."""

    choices: dict[str, Choice]
    most: float | None  # the condition's probability there, for a threshold test
    gave_up: bool = False  # the search reached MAX_NODES first: taken as found (in doubt, escalate)

    def could(self, label: Callable[[str], str] = str) -> str:
        """What the condition could do, for a reason: 'be 12% with fever left out'."""
        if self.gave_up:
            return "not be ruled out within the search limit"
        what = f"be {self.most:.0%}" if self.most is not None else "lead"
        changed = [f"'{label(word)}' {choice.value}" for word, choice in sorted(self.choices.items())
                   if choice is not Choice.keep]
        return f"{what} with {', '.join(changed)}" if changed else f"{what} with the findings as given"
