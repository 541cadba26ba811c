"""The safety net of issue 13 (hazards H29-H37 in ``docs/safety/hazard-log.md``): measured numbers, warning
signs, anaphylaxis, herpes contacts, bruising in a baby who is not mobile, and action wording that matches
the level. Each test builds the findings a parent or clinician would give and checks the real answer."""

from __future__ import annotations

import pytest

from babyskin.engine.assess import Engine
from babyskin.kb.checks import TOO_SLOW
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import Findings, TriageLevel


def answer(engine: Engine, **data):
    return engine.assess(Findings(**data))


def flags(result) -> set[str]:
    return {f.id for f in result.red_flags}


def at_least(result, level: TriageLevel) -> bool:
    return result.triage.level.rank >= level.rank


def test_a_measured_temperature_of_38_under_3_months_is_fever_with_the_two_hour_wording(
        engine: Engine) -> None:
    result = answer(engine, age_days=40, temperature_c=38.1, locations=("chest",), lesions=("macule",))
    assert "fever" in result.findings.present and "fever_under_3_months" in flags(result)
    assert at_least(result, TriageLevel.urgent)
    text = next(f.parent_text for f in result.red_flags if f.id == "fever_under_3_months")
    assert "within 2" in text and "hours" in text and "emergency department" in text and "GP" not in text


def test_37_9_is_not_fever_and_an_older_baby_with_fever_is_not_this_rule(engine: Engine) -> None:
    normal = answer(engine, age_days=40, temperature_c=37.9, locations=("chest",))
    assert "fever" not in normal.findings.present
    older = answer(engine, age_days=200, temperature_c=38.5, locations=("chest",), lesions=("macule",))
    assert "fever_under_3_months" not in flags(older)


def test_a_temperature_under_36_is_urgent_at_any_age(engine: Engine) -> None:
    for age in (10, 300):
        result = answer(engine, age_days=age, temperature_c=35.6, locations=("legs",), lesions=("macule",))
        assert "low_temperature" in flags(result) and at_least(result, TriageLevel.urgent)
    warm = answer(engine, age_days=300, temperature_c=36.4, locations=("legs",))
    assert "low_temperature" not in flags(warm)


def test_five_days_of_fever_is_urgent_and_brings_kawasaki_into_the_top_three(engine: Engine) -> None:
    result = answer(engine, age_days=150, fever_days=6, locations=("trunk",), lesions=("macule",),
                    colors=("pink",))
    assert "prolonged_fever" in flags(result) and at_least(result, TriageLevel.urgent)
    assert "kawasaki_disease" in [c.id for c in result.differential[:3]]
    assert "prolonged_fever" not in flags(answer(engine, age_days=150, fever_days=3, locations=("trunk",)))


@pytest.mark.parametrize("sign", ["vomiting", "breathing_difficulty", "wheezing", "lethargic",
                                  "pale_or_grey"])
def test_hives_with_a_systemic_sign_is_an_emergency(engine: Engine, sign: str) -> None:
    result = answer(engine, age_days=240, locations=("trunk",), lesions=("wheal",), present=(sign,))
    assert "anaphylaxis" in flags(result) and result.triage.level is TriageLevel.emergency


def test_hives_alone_are_not_anaphylaxis(engine: Engine) -> None:
    result = answer(engine, age_days=240, locations=("trunk",), lesions=("wheal",), colors=("pink",),
                    present=("itchy",))
    assert "anaphylaxis" not in flags(result) and result.triage.level is not TriageLevel.emergency


@pytest.mark.parametrize("age,lesion", [(9, "vesicle"), (10, "pustule"), (35, "vesicle"), (41, "vesicle")])
def test_blisters_or_pus_spots_under_6_weeks_with_a_cold_sore_contact_are_an_emergency_and_herpes_is_shown(
        engine: Engine, age: int, lesion: str) -> None:
    result = answer(engine, age_days=age, locations=("scalp",), lesions=(lesion,),
                    present=("herpes_contact",))
    assert "herpes_contact_with_skin_signs" in flags(result)
    assert result.triage.level is TriageLevel.emergency
    assert "neonatal_hsv" in [c.id for c in result.differential[:3]]


def test_the_cold_sore_contact_counts_for_herpes_not_against_it(engine: Engine) -> None:
    base = dict(age_days=9, locations=("scalp",), lesions=("vesicle",), present=("grouped",))
    without = answer(engine, **base)
    with_contact = answer(engine, **{**base, "present": ("grouped", "herpes_contact")})
    p = {c.id: c.probability for c in with_contact.differential}
    q = {c.id: c.probability for c in without.differential}
    assert with_contact.differential[0].id == "neonatal_hsv" and p["neonatal_hsv"] > q.get("neonatal_hsv", 0)


def test_the_herpes_contact_rule_ends_at_6_weeks(engine: Engine) -> None:
    result = answer(engine, age_days=42, locations=("face",), lesions=("vesicle",),
                    present=("herpes_contact",))
    assert "herpes_contact_with_skin_signs" not in flags(result)


def test_a_bruise_in_a_baby_who_is_not_mobile_gets_the_calm_safeguarding_rule(engine: Engine) -> None:
    result = answer(engine, age_days=90, locations=("back",), lesions=("purpura",), present=("not_mobile",))
    assert "bruise_in_baby_not_mobile" in flags(result) and at_least(result, TriageLevel.urgent)
    text = next(f.parent_text for f in result.red_flags if f.id == "bruise_in_baby_not_mobile")
    assert "keep babies safe" in text and "abuse" not in text.lower()


def test_a_mongolian_spot_answer_says_how_it_differs_from_a_bruise(kb: KnowledgeBase) -> None:
    summary = kb.conditions["congenital_dermal_melanocytosis"].summary.parent.text
    assert "bruise" in summary and "from birth" in summary and "today" in summary


@pytest.mark.parametrize("sign,level", [
    ("mottled_skin", TriageLevel.emergency), ("pale_or_grey", TriageLevel.emergency),
    ("high_pitched_cry", TriageLevel.emergency), ("bulging_fontanelle", TriageLevel.emergency),
    ("neck_stiffness", TriageLevel.emergency), ("seizure", TriageLevel.emergency),
    ("reduced_wet_nappies", TriageLevel.urgent), ("cold_hands_feet", TriageLevel.urgent),
])
def test_each_warning_sign_raises_the_answer_to_its_level(engine: Engine, sign: str,
                                                         level: TriageLevel) -> None:
    result = answer(engine, age_days=200, locations=("trunk",), lesions=("macule",), colors=("pink",),
                    present=(sign,))
    assert at_least(result, level), (sign, result.triage)


def test_the_glass_test_help_covers_brown_and_black_skin_and_says_emergency(kb: KnowledgeBase) -> None:
    help_text = kb.findings["non_blanching"].help.text
    for words in ("palms", "soles", "eyelids", "roof of the mouth", "emergency"):
        assert words in help_text
    flag = kb.red_flags["non_blanching_rash"]
    assert flag.triage is TriageLevel.emergency and flag.when.any == ["non_blanching"]


def test_medicine_advice_for_parents_names_the_ages_and_the_dehydration_caution(kb: KnowledgeBase) -> None:
    for cid in ("roseola", "viral_exanthem", "hand_foot_mouth"):
        texts = " ".join(s.text for s in kb.conditions[cid].home_care)
        assert "2 months" in texts and "3 months" in texts and "dehydrated" in texts, cid
        assert "mg" not in texts
    thrush = " ".join(s.text for s in kb.conditions["oral_thrush"].home_care)
    assert "4 months" in thrush and "front of the mouth" in thrush
    donts = " ".join(s.text for s in kb.conditions["oral_thrush"].donts)
    assert all(w in donts for w in ("lidocaine", "benzocaine", "salicylate"))
    management = " ".join(s.text for s in kb.conditions["scabies"].management)
    assert "2 months" in management


def test_corrected_statements(kb: KnowledgeBase) -> None:
    assert "milia en plaque" not in kb.conditions["milia"].also_called
    assert "2 days before" in kb.conditions["varicella"].contagious.text.text
    thrush = " ".join(s.text for s in kb.conditions["oral_thrush"].management)
    assert "Do not use gentian violet" in thrush
    eczema = " ".join(s.text for s in kb.conditions["atopic_dermatitis"].management)
    assert "not systemically unwell" in eczema and "nice-ng190-infected-eczema" in str(
        [s.refs for s in kb.conditions["atopic_dermatitis"].management])
    for cid in ("gonococcal_scalp_abscess", "meningococcal_disease"):
        assert "calcium" in " ".join(s.text for s in kb.conditions[cid].management), cid
    assert kb.conditions["congenital_infection"].onset_days.max > 28
    assert "D47.01" in (kb.conditions["cutaneous_mastocytosis"].sources_note or "")


def test_no_emergency_answer_tells_parents_to_wait(kb: KnowledgeBase) -> None:
    from babyskin.kb.checks import check_kb

    assert [p for p in check_kb(kb) if "expected wording" in p] == []
    for flag in kb.red_flags.values():
        if flag.triage is TriageLevel.emergency:
            assert not TOO_SLOW["emergency"].search(flag.parent_text), flag.id


def test_lint_catches_an_emergency_rule_that_says_today(kb: KnowledgeBase) -> None:
    from babyskin.kb.checks import check_kb

    flag = kb.red_flags["non_blanching_rash"]
    bad = flag.model_copy(update={"parent_text": "See your GP today."})
    broken = type(kb)(**{**kb.__dict__, "red_flags": {**kb.red_flags, flag.id: bad}})
    problems = check_kb(broken)
    assert any("non_blanching_rash:parent_text: says" in p for p in problems)


def test_a_rule_with_a_number_never_fires_when_the_number_is_unknown(engine: Engine) -> None:
    result = answer(engine, age_days=200, locations=("trunk",), lesions=("macule",), present=("fever",))
    assert not {"low_temperature", "prolonged_fever"} & flags(result)
