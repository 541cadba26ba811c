"""``assess(findings, audience) -> Assessment``: the engine's one entry point.

Order of work: validate the words; rank the differential (:mod:`babyskin.engine.rank`); run the red
flags (:mod:`babyskin.engine.red_flags`); decide triage (:mod:`babyskin.engine.triage`); explain each
candidate (:mod:`babyskin.engine.explain`); compose advice and citations for the audience
(:mod:`babyskin.answer.advice`). Pure and deterministic for a given knowledge base.
"""

from __future__ import annotations

from collections import deque
from functools import cached_property, lru_cache

from babyskin.answer.advice import advice_refs, build_advice, citations
from babyskin.engine import explain, rank, red_flags, triage
from babyskin.errors import InputError, UnknownWordError
from babyskin.kb.loader import KnowledgeBase, load_kb
from babyskin.kb.schema import Condition, RedFlag
from babyskin.models import (
    MAX_AGE_DAYS,
    Advice,
    Assessment,
    Audience,
    Candidate,
    Citation,
    FindingGroup,
    Findings,
    FiredRedFlag,
    Triage,
    TriageLevel,
)
from babyskin.text import nearest

TOP_N = 5
MAX_REMOVALS = 12
FIELD_GROUP: dict[str, FindingGroup] = {
    "locations": FindingGroup.locations,
    "lesions": FindingGroup.lesions,
    "colors": FindingGroup.colors,
    "size": FindingGroup.size,
    "count": FindingGroup.count,
    "present": FindingGroup.signs,
    "absent": FindingGroup.signs,
}


def vocabulary(kb: KnowledgeBase) -> dict[str, dict[str, None]]:
    """The valid words of each findings field (an ordered set: a dict with no values)."""
    return {field: dict.fromkeys(w for w, f in kb.findings.items() if f.group is group)
            for field, group in FIELD_GROUP.items()}


def check_findings(kb: KnowledgeBase, findings: Findings,
                   vocab: dict[str, dict[str, None]] | None = None) -> None:
    """Raise :class:`UnknownWordError` naming every word outside the vocabulary, with near ones."""
    vocab = vocab or vocabulary(kb)
    problems: list[str] = []
    for field in FIELD_GROUP:
        value = getattr(findings, field)
        words = [value] if isinstance(value, str) else list(value or ())
        valid = vocab[field]
        for word in words:
            if word not in valid:
                hint = nearest(word, valid)
                problems.append(
                    f"{field}: unknown word '{word}'"
                    + (f"; did you mean: {', '.join(hint)}?" if hint else "")
                    + f" (valid: {', '.join(valid)})"
                )
    clash = set(findings.present) & set(findings.absent)
    if clash:
        problems.append(f"present and absent both list: {', '.join(sorted(clash))}; keep one")
    if findings.onset_days is not None and findings.age_days is not None and (
        findings.onset_days > findings.age_days
    ):
        problems.append(
            f"onset_days ({findings.onset_days}) is later than age_days ({findings.age_days})"
        )
    if problems:
        cls = UnknownWordError if any("unknown word" in p for p in problems) else InputError
        raise cls("; ".join(problems), problems=problems)


class Engine:
    """A knowledge base with its compiled model; cheap to call, safe to share."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._advice_cache: dict[tuple[str, Audience, tuple[str, ...]],
                                 tuple[Advice, tuple[Citation, ...], tuple[FiredRedFlag, ...]]] = {}

    @cached_property
    def model(self) -> rank.Model:
        return rank.compile_model(self.kb)

    @cached_property
    def _vocab(self) -> dict[str, dict[str, None]]:
        return vocabulary(self.kb)

    @cached_property
    def _explainer(self) -> explain.Explainer:
        return explain.Explainer(self.kb, self.model)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {cid: i for i, cid in enumerate(self.model.ids)}

    def _advice(self, lead: Condition, audience: Audience, fired: tuple[RedFlag, ...]
                ) -> tuple[Advice, tuple[Citation, ...], tuple[FiredRedFlag, ...]]:
        """Advice, citations and red-flag records: constants of (lead, audience, flags), cached."""
        key = (lead.id, audience, tuple(f.id for f in fired))
        cached = self._advice_cache.get(key)
        if cached is None:
            kb = self.kb
            advice = build_advice(kb, lead, audience, fired)
            refs = citations(kb, advice_refs(advice) + list(lead.findings.refs))
            flags = tuple(
                FiredRedFlag(
                    id=f.id, title=f.title, triage=f.triage,
                    parent_text=f.clinician_text if audience is Audience.clinician else f.parent_text,
                    refs=tuple(f.refs),
                )
                for f in fired
            )
            cached = (advice, refs, flags)
            if len(self._advice_cache) < 10_000:
                self._advice_cache[key] = cached
        return cached

    def assess(self, findings: Findings, audience: Audience = Audience.parent) -> Assessment:
        kb = self.kb
        check_findings(kb, findings, self._vocab)
        model = self.model
        ranked = rank.posterior(model, findings)
        probabilities = dict(ranked)
        fired = red_flags.fired_flags(kb.red_flags, findings, probabilities)
        conds = [(kb.conditions[cid], p) for cid, p in ranked]
        decision = triage.decide(fired, conds)
        decision = self._never_lower(findings, decision)
        fits = rank.age_fits(model, findings)
        candidates = []
        for cond, p in conds[:TOP_N]:
            i = self._index[cond.id]
            for_, against = self._explainer.reasons(i, findings, None if fits is None else fits[i])
            candidates.append(Candidate(
                id=cond.id, name=cond.name, icd10cm=cond.icd10cm, probability=round(p, 4),
                triage=cond.triage, for_=for_, against=against,
            ))
        lead = conds[0][0]
        advice, refs, flags = self._advice(lead, audience, tuple(fired))
        return Assessment(
            findings=findings,
            audience=audience,
            differential=tuple(candidates),
            triage=decision,
            red_flags=flags,
            advice=advice,
            cautions=self._cautions(findings, lead),
            references=refs,
            kb_version=kb.version,
        )

    def _never_lower(self, findings: Findings, decision: Triage) -> Triage:
        """Warning signs must never lower the answer.

        A red-flag finding is also evidence in the differential: it can move probability away from a
        serious condition that, without it, sat just above its safety threshold, or away from the
        condition a condition-scoped rule needs (``applies_to``). So the answer is also worked out with
        the words of every rule that matches the findings left out (all of a rule's words at once, then
        one word at a time; a breadth-first search over such removals, at most ``MAX_REMOVALS``
        states), and the most urgent answer is kept.
        Each state is judged plainly: its own red flags and its own differential.
        """
        if decision.level is TriageLevel.emergency:
            return decision
        kb, model = self.kb, self.model
        best, best_removed = decision.level, frozenset[str]()
        seen: set[frozenset[str]] = {frozenset()}
        queue: deque[frozenset[str]] = deque([frozenset()])
        while queue and len(seen) <= MAX_REMOVALS:
            removed = queue.popleft()
            state = without(findings, tuple(sorted(removed))) if removed else findings
            matched = red_flags.matching(self._flags_by_urgency, state)
            if removed:
                probabilities = dict(rank.posterior(model, state))
                level = max(red_flags.fired_level(matched, probabilities),
                            triage.condition_level_only(kb, probabilities), key=lambda t: t.rank)
                if level.rank > best.rank:
                    best, best_removed = level, removed
                    if level is TriageLevel.emergency:
                        break
            for words in red_flags.word_sets(matched, state):
                nxt = removed | words
                if nxt not in seen and len(seen) <= MAX_REMOVALS:
                    seen.add(nxt)
                    queue.append(nxt)
        if best.rank <= decision.level.rank:
            return decision
        state = without(findings, tuple(sorted(best_removed)))
        ranked = rank.posterior(model, state)
        other = triage.decide(red_flags.fired_flags(kb.red_flags, state, dict(ranked)),
                              [(kb.conditions[c], p) for c, p in ranked])
        return Triage(
            level=other.level, decided_by=other.decided_by, action=other.action,
            reasons=(f"without {', '.join(sorted(best_removed))}, the answer would already be"
                     f" '{other.level}'", *other.reasons, *decision.reasons),
        )

    @cached_property
    def _flags_by_urgency(self) -> list[RedFlag]:
        return sorted(self.kb.red_flags.values(), key=lambda f: (-f.triage.rank, f.id))

    def _cautions(self, findings: Findings, lead: object) -> tuple[str, ...]:
        out: list[str] = []
        if findings.age_days is not None and findings.age_days > MAX_AGE_DAYS:
            out.append(
                f"babyskin covers babies from birth to 24 months; this child is {findings.age_days}"
                " days old, so the answer may not fit. Ask a doctor or pharmacist."
            )
        for flag in red_flags.age_dependent_flags(self.kb.red_flags, findings):
            out.append(
                f"Age not given: '{flag.title}' would make this '{flag.triage}'."
                " Tell us the age, or act on it if it applies."
            )
        present, absent = findings.observed()
        if len(present) + len(absent) < 3:
            out.append(
                "Very little was described, so this differential is uncertain; answer a few more"
                " questions (`babyskin check`) for a better answer."
            )
        if findings.gestation_weeks is not None and findings.gestation_weeks < 37:
            out.append(
                f"Born at {findings.gestation_weeks} weeks: premature babies can be more vulnerable"
                " to infection, so a lower threshold for seeing a doctor applies."
            )
        return tuple(out)


def without(findings: Findings, words: tuple[str, ...]) -> Findings:
    """``findings`` with these present words left out."""
    drop = set(words)
    data = findings.model_dump()
    for field in ("locations", "lesions", "colors", "present"):
        data[field] = tuple(w for w in data[field] if w not in drop)
    for field in ("size", "count"):
        if data[field] in drop:
            data[field] = None
    return Findings.model_construct(**data)  # already validated: only words are left out


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    return Engine(load_kb())


def assess(
    findings: Findings, audience: Audience = Audience.parent, *, engine: Engine | None = None
) -> Assessment:
    """Assess ``findings`` for ``audience`` with the bundled knowledge base (or ``engine``)."""
    if not isinstance(findings, Findings):
        raise InputError(f"expected Findings, got {type(findings).__name__}")
    return (engine or default_engine()).assess(findings, audience)
