"""``assess(findings, audience) -> Assessment``: the engine's one entry point.

Order of work: validate the words; rank the differential (:mod:`babyskin.engine.rank`); run the red
flags (:mod:`babyskin.engine.red_flags`); decide triage (:mod:`babyskin.engine.triage`); explain each
candidate (:mod:`babyskin.engine.explain`); compose advice and citations for the audience
(:mod:`babyskin.answer.advice`). Pure and deterministic for a given knowledge base.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

from babyskin.answer.advice import advice_refs, build_advice, citations
from babyskin.engine import explain, rank, red_flags, triage
from babyskin.errors import InputError, UnknownWordError
from babyskin.kb.loader import KnowledgeBase, load_kb
from babyskin.models import (
    MAX_AGE_DAYS,
    Assessment,
    Audience,
    Candidate,
    FindingGroup,
    Findings,
    FiredRedFlag,
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


def check_findings(kb: KnowledgeBase, findings: Findings) -> None:
    """Raise :class:`UnknownWordError` naming every word outside the vocabulary, with near ones."""
    problems: list[str] = []
    for field, group in FIELD_GROUP.items():
        value = getattr(findings, field)
        words = [value] if isinstance(value, str) else list(value or ())
        valid = [w for w, f in kb.findings.items() if f.group is group]
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

    @cached_property
    def model(self) -> rank.Model:
        return rank.compile_model(self.kb)

    def assess(self, findings: Findings, audience: Audience = Audience.parent) -> Assessment:
        kb = self.kb
        check_findings(kb, findings)
        model = self.model
        ranked = rank.posterior(model, findings)
        probabilities = dict(ranked)
        fired = red_flags.fired_flags(kb.red_flags, findings, probabilities)
        conds = [(kb.conditions[cid], p) for cid, p in ranked]
        decision = triage.decide(fired, conds)
        index = {cid: i for i, cid in enumerate(model.ids)}
        candidates = []
        for cond, p in conds[:TOP_N]:
            for_, against = explain.reasons(kb, model, cond, index[cond.id], findings)
            candidates.append(Candidate(
                id=cond.id, name=cond.name, icd10cm=cond.icd10cm, probability=round(p, 4),
                triage=cond.triage, for_=for_, against=against,
            ))
        lead = conds[0][0]
        advice = build_advice(kb, lead, audience, fired)
        refs = advice_refs(advice) + list(lead.findings.refs)
        cautions = self._cautions(findings, lead)
        return Assessment(
            findings=findings,
            audience=audience,
            differential=tuple(candidates),
            triage=decision,
            red_flags=tuple(
                FiredRedFlag(
                    id=f.id, title=f.title, triage=f.triage,
                    parent_text=f.clinician_text if audience is Audience.clinician else f.parent_text,
                    refs=tuple(f.refs),
                )
                for f in fired
            ),
            advice=advice,
            cautions=cautions,
            references=citations(kb, refs),
            kb_version=kb.version,
        )

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
    return Engine(load_kb())


def assess(
    findings: Findings, audience: Audience = Audience.parent, *, engine: Engine | None = None
) -> Assessment:
    """Assess ``findings`` for ``audience`` with the bundled knowledge base (or ``engine``)."""
    if not isinstance(findings, Findings):
        raise InputError(f"expected Findings, got {type(findings).__name__}")
    return (engine or default_engine()).assess(findings, audience)
