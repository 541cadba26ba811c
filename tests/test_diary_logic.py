"""The diary's pure logic: expected course, "check again by" and flags, from knowledge-base records.

Expected dates are computed here from the condition records themselves (``onset_days``,
``course.duration_days``), so the tests follow the knowledge base when its numbers are revised.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from babyskin.diary import (
    EntryFacts,
    FlagKind,
    episode_start,
    review_entries,
    review_episode,
    typicality,
    warning_signs,
)
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import FindingGroup, Findings, FiredRedFlag, TriageLevel
from tests.test_diary_support import BIRTH

TODAY = dt.date(2027, 6, 1)


def day(n: int) -> dt.date:
    return BIRTH + dt.timedelta(days=n)


def entry(
    id: int, age: int, leading: str | None = "milia", *, episode: str = "main",
    triage: TriageLevel = TriageLevel.home, red_flags: tuple[FiredRedFlag, ...] = (), **findings: object
) -> EntryFacts:
    base = {"locations": ("nose",), "lesions": ("papule",), "colors": ("white",)}
    seen = Findings(age_days=age, **{**base, **findings})
    return EntryFacts(id=id, on=day(age), episode=episode, findings=seen, leading=leading, triage=triage,
                      red_flags=red_flags)


def fired(kb: KnowledgeBase, flag_id: str) -> FiredRedFlag:
    rule = kb.red_flags[flag_id]
    return FiredRedFlag(id=rule.id, title=rule.title, triage=rule.triage, parent_text=rule.parent_text,
                        refs=tuple(rule.refs))


def kinds(review) -> list[FlagKind]:
    return [flag.kind for flag in review.flags]


def kb_statements(kb: KnowledgeBase) -> set[str]:
    texts = {flag.parent_text for flag in kb.red_flags.values()}
    for cond in kb.conditions.values():
        texts |= {s.text for s in cond.see_doctor} | {cond.course.text.text, cond.summary.parent.text}
    return texts


def test_milia_first_noted_after_its_usual_onset_are_dated_from_the_earliest_onset(kb: KnowledgeBase) -> None:
    milia = kb.conditions["milia"]
    late = milia.onset_days.max + 5
    review = review_episode(kb, BIRTH, [entry(1, late)], TODAY)
    assert review.course is not None
    assert review.course.started_from == "typical_onset"
    assert review.course.started_on == day(milia.onset_days.min)
    assert review.course.check_again_by == day(milia.onset_days.min + milia.course.duration_days.max)
    assert review.course.text.text == milia.course.text.text


def test_spots_noted_inside_the_onset_window_are_dated_from_the_first_entry(kb: KnowledgeBase) -> None:
    acne = kb.conditions["neonatal_acne"]
    first = acne.onset_days.min + 1
    start, basis = episode_start(BIRTH, acne, [entry(1, first, "neonatal_acne")])
    assert (start, basis) == (day(first), "first_entry")


def test_a_reported_onset_or_duration_moves_the_start_earlier(kb: KnowledgeBase) -> None:
    acne = kb.conditions["neonatal_acne"]
    age = acne.onset_days.min + 20
    assert episode_start(BIRTH, acne, [entry(1, age, "neonatal_acne", onset_days=age - 10)]) == (
        day(age - 10), "reported_onset")
    assert episode_start(BIRTH, acne, [entry(1, age, "neonatal_acne", duration_days=12)]) == (
        day(age - 12), "reported_duration")
    assert episode_start(BIRTH, acne, [entry(1, 3, "neonatal_acne", duration_days=30)])[0] == BIRTH


def test_milia_still_there_after_their_course_are_flagged_with_the_kb_advice(kb: KnowledgeBase) -> None:
    milia = kb.conditions["milia"]
    last_day = milia.onset_days.min + milia.course.duration_days.max
    within = review_episode(kb, BIRTH, [entry(1, 20), entry(2, last_day)], day(last_day - 1))
    assert FlagKind.outlasts_course not in kinds(within) and within.check_due is False
    past = review_episode(kb, BIRTH, [entry(1, 20), entry(2, last_day), entry(3, last_day + 1),
                                      entry(4, last_day + 30)], TODAY)
    [flag] = [f for f in past.flags if f.kind is FlagKind.outlasts_course]
    assert flag.entry_id == 3 and past.check_due is True
    assert [a.text for a in flag.advice] == [milia.course.text.text, *(s.text for s in milia.see_doctor)]
    assert {r for s in milia.see_doctor for r in s.refs} <= {c.key for c in past.references}
    assert str(milia.course.duration_days.max) in flag.reason


def test_acne_that_persists_is_flagged(kb: KnowledgeBase) -> None:
    acne = kb.conditions["neonatal_acne"]
    first = acne.onset_days.min
    later = first + acne.course.duration_days.max + 1
    review = review_episode(kb, BIRTH, [entry(1, first, "neonatal_acne"), entry(2, later, "neonatal_acne")],
                            TODAY)
    assert kinds(review) == [FlagKind.outlasts_course]
    assert review.flags[0].advice[1].text == acne.see_doctor[0].text


def test_a_new_fever_or_spreading_changes_the_character(kb: KnowledgeBase) -> None:
    signs = warning_signs(kb)
    assert {"fever", "spreading"} <= signs
    assert all(kb.findings[w].group is FindingGroup.signs for w in signs)
    review = review_episode(kb, BIRTH, [entry(1, 20), entry(2, 25, present=("fever", "spreading"))], TODAY)
    [flag] = [f for f in review.flags if f.kind is FlagKind.changed_character]
    assert flag.entry_id == 2
    assert kb.findings["fever"].label in flag.reason and "warning sign" in flag.reason
    assert [a.text for a in flag.advice] == [s.text for s in kb.conditions["milia"].see_doctor]


def test_a_finding_rare_for_the_diagnosis_changes_the_character(kb: KnowledgeBase) -> None:
    acne = kb.conditions["neonatal_acne"]
    signs = warning_signs(kb)
    rare = next(w for w, t in acne.findings.typical.items()
                if t.value in ("rarely", "never") and w not in signs
                and kb.findings[w].group is FindingGroup.lesions)
    typical = next(w for w, t in acne.findings.typical.items()
                   if t.value in ("usually", "always") and kb.findings[w].group is FindingGroup.locations)
    assert typicality(kb, acne, rare).value in ("rarely", "never")
    quiet = review_episode(kb, BIRTH, [entry(1, 20, "neonatal_acne"),
                                       entry(2, 22, "neonatal_acne", locations=("nose", typical))], TODAY)
    assert FlagKind.changed_character not in kinds(quiet)
    changed = review_episode(kb, BIRTH, [entry(1, 20, "neonatal_acne"),
                                         entry(2, 22, "neonatal_acne", lesions=("papule", rare))], TODAY)
    [flag] = [f for f in changed.flags if f.kind is FlagKind.changed_character]
    assert f"unusual for {acne.name.lower()}" in flag.reason


def test_a_new_red_flag_is_flagged_once_with_its_own_text(kb: KnowledgeBase) -> None:
    fever = fired(kb, "fever_under_3_months")
    review = review_episode(kb, BIRTH, [
        entry(1, 20), entry(2, 22, red_flags=(fever,), triage=fever.triage),
        entry(3, 23, red_flags=(fever,), triage=fever.triage),
    ], TODAY)
    flags = [f for f in review.flags if f.kind is FlagKind.new_red_flag]
    assert [(f.entry_id, f.triage) for f in flags] == [(2, fever.triage)]
    assert flags[0].advice[0].text == kb.red_flags["fever_under_3_months"].parent_text
    first = review_episode(kb, BIRTH, [entry(1, 20, red_flags=(fever,))], TODAY)
    assert kinds(first) == [FlagKind.new_red_flag]


def test_a_changed_leading_diagnosis_is_flagged_with_the_new_advice(kb: KnowledgeBase) -> None:
    acne = kb.conditions["neonatal_acne"]
    review = review_episode(kb, BIRTH, [entry(1, 20), entry(2, 24, "neonatal_acne")], TODAY)
    [flag] = [f for f in review.flags if f.kind is FlagKind.changed_diagnosis]
    assert "Milia" in flag.title and acne.name in flag.title
    assert flag.advice[0].text == acne.summary.parent.text
    assert review.leading == "neonatal_acne" and review.course and review.course.condition == "neonatal_acne"


def test_episodes_are_reviewed_apart_newest_first(kb: KnowledgeBase) -> None:
    reviews = review_entries(kb, BIRTH, [entry(1, 20), entry(2, 40, "neonatal_acne", episode="cheeks"),
                                         entry(3, 30)], TODAY)
    assert [(r.episode, r.entry_ids) for r in reviews] == [("cheeks", (2,)), ("main", (1, 3))]
    assert all(FlagKind.changed_diagnosis not in kinds(r) for r in reviews)


def test_the_order_entries_arrive_in_does_not_matter(kb: KnowledgeBase) -> None:
    entries = [entry(1, 20), entry(2, 30, present=("fever",)), entry(3, 60, "neonatal_acne"), entry(4, 200)]
    expected = review_episode(kb, BIRTH, entries, TODAY)
    for seed in range(5):
        shuffled = entries[:]
        random.Random(seed).shuffle(shuffled)
        assert review_episode(kb, BIRTH, shuffled, TODAY) == expected


def test_all_advice_is_knowledge_base_text_with_references(kb: KnowledgeBase) -> None:
    fever = fired(kb, "fever_under_3_months")
    entries = [entry(1, 20), entry(2, 30, present=("fever", "spreading"), red_flags=(fever,)),
               entry(3, 60, "neonatal_acne"), entry(4, 300, "neonatal_acne"),
               entry(5, 320, "infantile_hemangioma", present=("growing",))]
    review = review_episode(kb, BIRTH, entries, TODAY)
    assert len(set(kinds(review))) == len(FlagKind)
    statements = kb_statements(kb)
    for flag in review.flags:
        assert flag.advice, flag.title
        for item in flag.advice:
            assert item.text in statements and item.refs


def test_an_unknown_leading_diagnosis_has_no_course(kb: KnowledgeBase) -> None:
    review = review_episode(kb, BIRTH, [entry(1, 20, "retired_condition"), entry(2, 400, None)], TODAY)
    assert review.course is None and review.check_due is False
    with pytest.raises(ValueError, match="at least one entry"):
        review_episode(kb, BIRTH, [], TODAY)


def test_a_haemangioma_still_growing_after_its_growth_phase_is_flagged(kb: KnowledgeBase) -> None:
    hemangioma = kb.conditions["infantile_hemangioma"]
    limit = hemangioma.course.growth_stops_days
    assert limit is not None
    mark = {"locations": ("forehead",), "lesions": ("nodule",), "colors": ("red",)}
    young = review_episode(kb, BIRTH, [entry(1, 40, "infantile_hemangioma", present=("growing",), **mark)],
                           TODAY)
    assert FlagKind.grows_past_phase not in kinds(young)
    older = review_episode(kb, BIRTH, [
        entry(1, 40, "infantile_hemangioma", present=("growing",), **mark),
        entry(2, limit + 30, "infantile_hemangioma", present=("growing",), **mark),
        entry(3, limit + 60, "infantile_hemangioma", present=("growing",), **mark),
    ], TODAY)
    [flag] = [f for f in older.flags if f.kind is FlagKind.grows_past_phase]
    assert flag.entry_id == 2 and str(limit) in flag.reason
    assert flag.advice[1].text == hemangioma.see_doctor[0].text
    stopped = review_episode(kb, BIRTH, [entry(1, limit + 30, "infantile_hemangioma", **mark)], TODAY)
    assert FlagKind.grows_past_phase not in kinds(stopped)
