"""``assess(findings, audience) -> Assessment``: the engine's one entry point.

Order of work: validate the words; rank the differential (:mod:`babyskin.engine.rank`); run the red
flags (:mod:`babyskin.engine.red_flags`); decide triage (:mod:`babyskin.engine.triage`); explain each
candidate (:mod:`babyskin.engine.explain`); compose advice and citations for the audience
(:mod:`babyskin.answer.advice`). Pure and deterministic for a given knowledge base.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

from babyskin.answer.advice import advice_refs, build_advice, citations
from babyskin.engine import bounds, explain, fit, rank, red_flags, serious, triage
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

    def __init__(self, kb: KnowledgeBase, counts: fit.CaseCounts | None = None) -> None:
        self.kb = kb
        self._counts = counts  # the case counts the likelihoods are fitted to (None: the KB's own file)
        self._advice_cache: dict[tuple[str, Audience, tuple[str, ...]],
                                 tuple[Advice, tuple[Citation, ...], tuple[FiredRedFlag, ...]]] = {}

    @cached_property
    def counts(self) -> fit.CaseCounts:
        """The case counts in use: as given, or the knowledge base's ``case_counts.yaml`` (or none)."""
        return self._counts if self._counts is not None else fit.read_counts(self.kb.root / fit.COUNTS_FILE)

    @cached_property
    def model(self) -> rank.Model:
        return rank.compile_model(self.kb, self.counts)

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
        matched = red_flags.matching(self._flags_by_urgency, findings)
        fired = red_flags.plausible(matched, probabilities)
        conds = [(kb.conditions[cid], p) for cid, p in ranked]
        decision = triage.decide(fired, conds)
        warning = red_flags.warning_words(matched, findings)
        decision, also_fired = self._never_lower(findings, ranked, matched, warning, decision)
        if also_fired is not None:  # a condition-scoped rule that fires in a state of the family
            fired = [also_fired, *fired]  # more urgent than every rule that fired plainly
        decision = triage.too_little_described(findings, warning, decision)
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
            must_not_miss=serious.must_not_miss(kb, findings, ranked, fired, decision),
            advice=advice,
            cautions=self._cautions(findings, lead),
            references=refs,
            kb_version=kb.version,
        )

    def _never_lower(self, findings: Findings, ranked: list[tuple[str, float]],
                     matched: list[RedFlag], warning: frozenset[str], decision: Triage
                     ) -> tuple[Triage, RedFlag | None]:
        """Warning signs must never lower the answer (hazard H27; the reasoning is in :mod:`.bounds`).

        A warning word is also evidence in the differential, and can move probability away from a
        serious condition or from the condition a condition-scoped rule needs. So a condition also
        escalates when it could reach its safety threshold, or lead, with some of the warning words'
        evidence set aside; and a matching condition-scoped rule fires when its condition could reach
        plausibility so (it is returned too, so that the answer carries its advice). Only levels above
        the plain answer are looked for, most urgent first.
        """
        if decision.level is TriageLevel.emergency or not warning:
            return decision, None
        family = bounds.Family(self.model, findings, warning)
        index = self._index
        rivals = [index[cid] for cid, _p in ranked]
        root = family.gaps({})
        for level in (TriageLevel.emergency, TriageLevel.urgent, TriageLevel.soon):
            if level.rank <= decision.level.rank:
                break
            threshold = triage.SAFETY_THRESHOLD[level]
            for cond in self._conditions_at[level]:
                i = index[cond.id]
                # leading needs at least 1/len(rivals): one cheap look rules most conditions out
                if root.most(i, rivals, min(threshold, 1.0 / len(rivals))) is None:
                    continue
                found = family.search(lambda gaps, i=i, t=threshold: gaps.most(i, rivals, t))
                if found is None:
                    found = family.search(lambda gaps, i=i: gaps.can_lead(i, rivals))
                if found is not None:
                    why = f"{cond.name} cannot be ruled out: it could {found.could(self._label)}"
                    return triage.escalated(decision, level, "condition", why), None
            for flag in matched:
                if flag.triage is not level or not flag.applies_to:
                    continue
                forced = frozenset(flag.when.all)
                for cid in flag.applies_to:
                    i = index[cid]
                    found = family.search(
                        lambda gaps, i=i: gaps.most(i, rivals, red_flags.PLAUSIBLE), forced,
                        lambda state, flag=flag: red_flags.matches(
                            flag.when, red_flags.present_words(state), state))
                    if found is not None:
                        why = (f"red flag: {flag.title} ({level}), as {self.kb.conditions[cid].name}"
                               f" could {found.could(self._label)}")
                        return triage.escalated(decision, level, "red_flag", why), flag
        return decision, None

    def _label(self, word: str) -> str:
        return self.kb.findings[word].label

    @cached_property
    def _conditions_at(self) -> dict[TriageLevel, list[Condition]]:
        by_level: dict[TriageLevel, list[Condition]] = {level: [] for level in TriageLevel}
        for cond in self.kb.conditions.values():
            by_level[cond.triage].append(cond)
        return by_level

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


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    """The shipped knowledge base with the shipped case counts (``kb/data/case_counts.yaml``)."""
    return Engine(load_kb())


def assess(
    findings: Findings, audience: Audience = Audience.parent, *, engine: Engine | None = None
) -> Assessment:
    """Assess ``findings`` for ``audience`` with the bundled knowledge base (or ``engine``)."""
    if not isinstance(findings, Findings):
        raise InputError(f"expected Findings, got {type(findings).__name__}")
    return (engine or default_engine()).assess(findings, audience)
