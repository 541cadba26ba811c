"""The engine: the issue's reference cases, red flags one by one, and the triage rules."""

from __future__ import annotations

import math

import pytest

from babyskin.engine.assess import Engine
from babyskin.errors import InputError, UnknownWordError
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import RedFlag
from babyskin.models import Audience, Findings, TriageLevel

MILIA = Findings(age_days=21, locations=["nose", "cheeks"], lesions=["papule"], colors=["white"],
                 present=["grouped"], absent=["fever", "itchy"])
HSV = Findings(age_days=10, locations=["scalp"], lesions=["vesicle"], present=["grouped", "fever"])


def test_milia_case_is_milia_at_home(engine: Engine) -> None:
    result = engine.assess(MILIA)
    assert result.differential[0].id == "milia"
    assert result.triage.level is TriageLevel.home
    assert not result.red_flags


def test_newborn_with_grouped_scalp_vesicles_and_fever_is_an_emergency_naming_herpes(
    engine: Engine,
) -> None:
    result = engine.assess(HSV)
    assert result.triage.level is TriageLevel.emergency
    assert result.triage.decided_by == "red_flag"
    assert "neonatal_hsv" in [c.id for c in result.differential[:3]]
    assert {"blisters_in_newborn", "fever_under_3_months"} <= {f.id for f in result.red_flags}


def test_probabilities_are_finite_and_sum_to_one(engine: Engine) -> None:
    from babyskin.engine.rank import posterior

    ranked = posterior(engine.model, MILIA)
    assert len(ranked) == len(engine.kb.conditions)
    assert all(math.isfinite(p) and p >= 0 for _c, p in ranked)
    assert sum(p for _c, p in ranked) == pytest.approx(1.0)


def test_reasons_for_and_against_are_findings_of_the_case(engine: Engine) -> None:
    result = engine.assess(MILIA)
    milia = result.differential[0]
    assert "white" in {r.finding for r in milia.for_}
    assert all(r.weight > 0 for r in milia.for_)
    assert all(r.weight < 0 for c in result.differential for r in c.against)


def example(flag: RedFlag, kb: KnowledgeBase) -> dict:
    """Findings that meet a red flag's rule exactly."""
    words = [*flag.when.all, *flag.when.any[:1], *flag.when.and_any[:1]]
    data: dict = {"locations": [], "lesions": [], "colors": [], "present": []}
    group_field = {"locations": "locations", "lesions": "lesions", "colors": "colors",
                   "signs": "present"}
    for word in words:
        group = kb.findings[word].group.value
        if group in ("size", "count"):
            data[group] = word
        else:
            data[group_field[group]].append(word)
    if flag.when.min_locations:
        data["locations"] = ["face", "trunk", "legs", "arms"][: flag.when.min_locations]
    if flag.when.age_days_below is not None:
        data["age_days"] = flag.when.age_days_below - 1
    if flag.when.temperature_c_below is not None:
        data["temperature_c"] = flag.when.temperature_c_below - 0.5
    if flag.when.temperature_c_at_least is not None:
        data["temperature_c"] = flag.when.temperature_c_at_least
    if flag.when.fever_days_at_least is not None:
        data["fever_days"] = flag.when.fever_days_at_least
    for cid in flag.applies_to[:1]:  # make the condition plausible: its most typical findings
        cond = kb.conditions[cid]
        typical = [w for w, t in cond.findings.typical.items() if t.value in ("always", "usually")]
        for word in typical:
            group = kb.findings[word].group.value
            if group in ("size", "count"):
                data.setdefault(group, word)
            elif word not in flag.when.none:
                data[group_field[group]].append(word)
        data.setdefault("age_days", max(cond.onset_days.min, 1))
    return data


def flag_ids(kb: KnowledgeBase) -> list[str]:
    from babyskin.kb.loader import load_kb

    return list(load_kb().red_flags)


@pytest.mark.parametrize("flag_id", flag_ids(None))  # type: ignore[arg-type]
def test_each_red_flag_fires_on_its_rule_and_not_without_it(
    engine: Engine, kb: KnowledgeBase, flag_id: str
) -> None:
    flag = kb.red_flags[flag_id]
    data = example(flag, kb)
    result = engine.assess(Findings(**data))
    assert flag_id in {f.id for f in result.red_flags}
    assert result.triage.level.rank >= flag.triage.rank
    # negative: take away the key word of the rule
    key = (flag.when.all or flag.when.any)[0] if (flag.when.all or flag.when.any) else None
    if key is not None:
        for field in ("locations", "lesions", "colors", "present"):
            data[field] = [w for w in data.get(field, []) if w not in (*flag.when.any, key)]
        for field in ("size", "count"):
            if data.get(field) in (*flag.when.any, key):
                data.pop(field)
        assert flag_id not in {f.id for f in engine.assess(Findings(**data)).red_flags}


def test_age_limited_flag_does_not_fire_above_its_age(engine: Engine) -> None:
    older = engine.assess(Findings(age_days=200, locations=["face"], present=["fever"]))
    assert "fever_under_3_months" not in {f.id for f in older.red_flags}


def test_unknown_age_with_fever_gives_a_caution(engine: Engine) -> None:
    result = engine.assess(Findings(locations=["trunk"], present=["fever"]))
    assert any("Fever in a baby under 3 months" in c for c in result.cautions)


def test_a_red_flag_overrides_a_benign_leading_diagnosis(engine: Engine) -> None:
    worse = MILIA.model_copy(update={"present": ("grouped", "non_blanching")})
    result = engine.assess(worse)
    assert result.triage.level is TriageLevel.emergency
    assert result.triage.decided_by == "red_flag"
    assert "do not fade" in result.advice.see_doctor[0].text  # the action now comes first (issue 16)


def test_unknown_word_names_it_and_suggests_near_ones(engine: Engine) -> None:
    with pytest.raises(UnknownWordError) as info:
        engine.assess(Findings(locations=["nosee"]))
    assert "unknown word 'nosee'" in str(info.value)
    assert "did you mean: nose" in str(info.value)


def test_a_word_both_present_and_absent_is_refused(engine: Engine) -> None:
    with pytest.raises(InputError, match="present and absent both list: fever"):
        engine.assess(Findings(present=["fever"], absent=["fever"]))


def test_age_over_24_months_gets_a_caution(engine: Engine) -> None:
    result = engine.assess(Findings(age_days=1000, locations=["face"]))
    assert any("birth to 24 months" in c for c in result.cautions)


def test_parent_advice_has_no_management_and_clinician_advice_has(engine: Engine) -> None:
    parent = engine.assess(MILIA, Audience.parent)
    clinician = engine.assess(MILIA, Audience.clinician)
    assert parent.advice.management == ()
    assert clinician.advice.management


def test_references_are_deduplicated_and_best_graded_first(engine: Engine) -> None:
    refs = engine.assess(MILIA).references
    keys = [r.key for r in refs]
    assert len(keys) == len(set(keys))
    grades = [r.evidence for r in refs]
    assert grades == sorted(grades)


def test_every_cited_key_is_listed_in_the_references(engine: Engine) -> None:
    result = engine.assess(HSV, Audience.clinician)
    listed = {r.key for r in result.references}
    advice = result.advice
    for group in (advice.summary, advice.do, advice.dont, advice.see_doctor, advice.management):
        for item in group:
            assert set(item.refs) <= listed


def test_unreviewed_content_says_so(engine: Engine) -> None:
    result = engine.assess(MILIA)
    assert "Pending clinical review" in result.advice.review


def test_assessment_is_deterministic(engine: Engine) -> None:
    assert engine.assess(MILIA) == engine.assess(MILIA)


def test_an_overdue_review_is_said_in_the_answer(kb: KnowledgeBase) -> None:
    import datetime as dt

    from babyskin.answer.advice import review_line
    from babyskin.kb.schema import Review, ReviewStatus

    milia = kb.conditions["milia"]
    approved = milia.model_copy(update={"review": Review(
        status=ReviewStatus.approved, reviewer="Dr Lee", reviewed_on=dt.date(2024, 1, 1),
        updated_on=dt.date(2024, 1, 1))})
    assert "Review overdue" in review_line(approved, dt.date(2026, 11, 23))
    assert "Review overdue" not in review_line(approved, dt.date(2024, 6, 1))
