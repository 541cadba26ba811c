"""The spot diary's logic, pure: a child's entries -> episodes with an expected course and flags.

An *episode* is the run of entries a family files under one name (``main`` unless they say otherwise,
e.g. ``nappy area``). For each episode, from its latest leading diagnosis:

* **Expected course.** The episode started on the earliest of: the reported onset age, the first
  entry minus the reported duration, and the first entry. When nothing was reported and the child was
  already older than the condition's typical onset window (``onset_days.max``), the spots most likely
  began inside that window, so the start is taken at its beginning (``onset_days.min``) and the
  "check again by" date errs early rather than late. "Check again by" = start +
  ``course.duration_days.max``; the condition's ``course.text`` says the same in words. After a change
  of leading diagnosis the course still counts from the episode's start (the same spots, seen
  differently), so the check comes early rather than late; new spots belong in a new episode.
* **Flags**, each with the advice that follows (knowledge-base statements with their reference keys):

  - ``outlasts_course``: an entry after the "check again by" date still has that leading diagnosis
    (milia past about three months, baby acne that persists); advice = the condition's ``see_doctor``.
  - ``changed_character``: since the previous entry, a warning sign appeared (a *signs* finding that a
    red-flag rule tests, such as fever or spreading) or a finding that is rare or never seen in the
    diagnosis being followed (typicality ``rarely``/``never``, e.g. deep lumps in baby acne); advice =
    the current leading diagnosis's ``see_doctor``.
  - ``new_red_flag``: a red flag fired that had not fired on the previous entry (or on the first one);
    advice = that rule's text, as stored with the assessment.
  - ``changed_diagnosis``: the leading diagnosis differs from the previous entry's; advice = the new
    diagnosis's summary and ``see_doctor``.
  - ``grows_past_phase``: an entry reports the spot still growing at an age past the condition's
    ``course.growth_stops_days`` (a haemangioma still growing after about 5 months); advice = the
    course text and ``see_doctor``.

Nothing here writes medical advice: titles and reasons only name findings, conditions, dates and the
knowledge base's own numbers; every piece of advice is a knowledge-base statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from babyskin.answer.advice import citations, statement
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import Condition, FindingDef, Typicality
from babyskin.models import Citation, FindingGroup, Findings, FiredRedFlag, Statement, TriageLevel

DEFAULT_EPISODE = "main"
ATYPICAL = frozenset({Typicality.rarely, Typicality.never})
StartBasis = Literal["reported_onset", "reported_duration", "typical_onset", "first_entry"]
START_WORDS: dict[str, str] = {
    "reported_onset": "from the age the spots were said to start",
    "reported_duration": "from how long the spots were said to have been there",
    "typical_onset": "the earliest age this condition usually starts, as the child was older than"
                     " its usual age of onset when first noted",
    "first_entry": "the first diary entry",
}


class FlagKind(StrEnum):
    outlasts_course = "outlasts_course"
    changed_character = "changed_character"
    grows_past_phase = "grows_past_phase"
    new_red_flag = "new_red_flag"
    changed_diagnosis = "changed_diagnosis"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class DiaryFlag(Frozen):
    kind: FlagKind
    entry_id: int
    on: dt.date
    title: str
    reason: str
    triage: TriageLevel | None
    advice: tuple[Statement, ...]


class ExpectedCourse(Frozen):
    condition: str
    name: str
    duration_days: tuple[int, int]
    started_on: dt.date
    started_from: StartBasis
    usually_gone_from: dt.date
    check_again_by: dt.date
    text: Statement


class EpisodeReview(Frozen):
    episode: str
    entry_ids: tuple[int, ...]
    first_on: dt.date
    last_on: dt.date
    leading: str | None
    leading_name: str | None
    triage: TriageLevel
    course: ExpectedCourse | None
    check_due: bool
    flags: tuple[DiaryFlag, ...]
    references: tuple[Citation, ...]


@dataclass(frozen=True)
class EntryFacts:
    """What the diary logic needs from one saved entry."""

    id: int
    on: dt.date
    episode: str
    findings: Findings
    leading: str | None
    triage: TriageLevel
    red_flags: tuple[FiredRedFlag, ...] = ()


def warning_signs(kb: KnowledgeBase) -> frozenset[str]:
    """Sign findings that some red-flag rule tests: their appearance is a change of character."""
    words: set[str] = set()
    for flag in kb.red_flags.values():
        words.update(flag.when.all, flag.when.any, flag.when.and_any)
    return frozenset(w for w in words if w in kb.findings and kb.findings[w].group is FindingGroup.signs)


def typicality(kb: KnowledgeBase, cond: Condition, finding: str) -> Typicality:
    known: FindingDef | None = kb.findings.get(finding)
    default = known.default if known else Typicality.rarely
    return cond.findings.typical.get(finding, default)


def episode_start(
    birth_date: dt.date, cond: Condition, entries: Sequence[EntryFacts]
) -> tuple[dt.date, StartBasis]:
    """When the episode's spots began, and on what that estimate rests (see the module docstring)."""
    first = entries[0]
    candidates: list[tuple[dt.date, StartBasis]] = [(first.on, "first_entry")]
    for entry in entries:
        if entry.findings.onset_days is not None:
            candidates.append((birth_date + dt.timedelta(days=entry.findings.onset_days), "reported_onset"))
        if entry.findings.duration_days is not None:
            candidates.append((entry.on - dt.timedelta(days=entry.findings.duration_days),
                               "reported_duration"))
    start, basis = min(candidates, key=lambda c: c[0])
    if basis == "first_entry" and (first.on - birth_date).days > cond.onset_days.max:
        start, basis = birth_date + dt.timedelta(days=cond.onset_days.min), "typical_onset"
    return max(start, birth_date), basis


def expected_course(
    kb: KnowledgeBase, birth_date: dt.date, cond: Condition, entries: Sequence[EntryFacts]
) -> ExpectedCourse:
    start, basis = episode_start(birth_date, cond, entries)
    window = cond.course.duration_days
    return ExpectedCourse(
        condition=cond.id, name=cond.name, duration_days=(window.min, window.max),
        started_on=start, started_from=basis,
        usually_gone_from=start + dt.timedelta(days=window.min),
        check_again_by=start + dt.timedelta(days=window.max),
        text=statement(kb, cond.course.text.text, cond.course.text.refs),
    )


def _see_doctor(kb: KnowledgeBase, cond: Condition) -> tuple[Statement, ...]:
    return tuple(statement(kb, s.text, s.refs) for s in cond.see_doctor)


def _label(kb: KnowledgeBase, word: str) -> str:
    return kb.findings[word].label if word in kb.findings else word.replace("_", " ")


def _present(findings: Findings) -> set[str]:
    return findings.observed()[0]


def _red_flag_flags(
    kb: KnowledgeBase, entry: EntryFacts, before: Iterable[FiredRedFlag]
) -> list[DiaryFlag]:
    seen = {f.id for f in before}
    return [
        DiaryFlag(
            kind=FlagKind.new_red_flag, entry_id=entry.id, on=entry.on, title=f"Red flag: {flag.title}",
            reason=f"first noted on {entry.on}", triage=flag.triage,
            advice=(statement(kb, flag.parent_text, flag.refs),),
        )
        for flag in entry.red_flags if flag.id not in seen
    ]


def _character_flag(
    kb: KnowledgeBase, entry: EntryFacts, prev: EntryFacts, followed: Condition, current: Condition | None,
    signs: frozenset[str],
) -> DiaryFlag | None:
    new = sorted(_present(entry.findings) - _present(prev.findings))
    warnings = [w for w in new if w in signs]
    unusual = [w for w in new if w not in signs and typicality(kb, followed, w) in ATYPICAL]
    if not warnings and not unusual:
        return None
    parts = [f"{_label(kb, w)} (a warning sign)" for w in warnings]
    parts += [f"{_label(kb, w)} (unusual for {followed.name.lower()})" for w in unusual]
    return DiaryFlag(
        kind=FlagKind.changed_character, entry_id=entry.id, on=entry.on,
        title="The spots have changed: " + ", ".join(_label(kb, w) for w in warnings + unusual),
        reason=f"new since {prev.on}: " + "; ".join(parts), triage=entry.triage,
        advice=_see_doctor(kb, current or followed),
    )


def _diagnosis_flag(
    kb: KnowledgeBase, entry: EntryFacts, prev: EntryFacts, before: Condition | None, now: Condition | None
) -> DiaryFlag:
    old_name = before.name if before else prev.leading or "none"
    new_name = now.name if now else entry.leading or "none"
    advice: tuple[Statement, ...] = ()
    if now is not None:
        summary = now.summary.parent
        advice = (statement(kb, summary.text, summary.refs), *_see_doctor(kb, now))
    return DiaryFlag(
        kind=FlagKind.changed_diagnosis, entry_id=entry.id, on=entry.on,
        title=f"Most likely diagnosis changed: {old_name} -> {new_name}",
        reason=f"on {prev.on} the most likely diagnosis was {old_name}; on {entry.on} it is {new_name}",
        triage=entry.triage, advice=advice,
    )


def _outlast_flag(kb: KnowledgeBase, entry: EntryFacts, cond: Condition, course: ExpectedCourse) -> DiaryFlag:
    low, high = course.duration_days
    return DiaryFlag(
        kind=FlagKind.outlasts_course, entry_id=entry.id, on=entry.on,
        title=f"{cond.name} is lasting longer than expected",
        reason=(
            f"{cond.name} usually lasts {low} to {high} days; these spots began about {course.started_on}"
            f" ({START_WORDS[course.started_from]}) and were still there on {entry.on},"
            f" {(entry.on - course.started_on).days} days later (check-again date: {course.check_again_by})"
        ),
        triage=None, advice=(course.text, *_see_doctor(kb, cond)),
    )


def _growth_flag(kb: KnowledgeBase, birth_date: dt.date, entry: EntryFacts, cond: Condition
                 ) -> DiaryFlag | None:
    limit = cond.course.growth_stops_days
    age = (entry.on - birth_date).days
    if limit is None or age <= limit or "growing" not in _present(entry.findings):
        return None
    return DiaryFlag(
        kind=FlagKind.grows_past_phase, entry_id=entry.id, on=entry.on,
        title=f"{cond.name} still growing at {age} days old",
        reason=f"{cond.name} has usually stopped growing by about {limit} days of age; on {entry.on}"
               f" it was reported as still getting bigger",
        triage=entry.triage, advice=(statement(kb, cond.course.text.text, cond.course.text.refs),
                                     *_see_doctor(kb, cond)),
    )


def review_episode(
    kb: KnowledgeBase, birth_date: dt.date, entries: Sequence[EntryFacts], today: dt.date
) -> EpisodeReview:
    """Expected course, "check again by" and flags for one episode's entries (any order)."""
    if not entries:
        raise ValueError("an episode needs at least one entry")
    ordered = sorted(entries, key=lambda e: (e.on, e.id))
    signs = warning_signs(kb)
    flags: list[DiaryFlag] = _red_flag_flags(kb, ordered[0], ())
    outlast_noted: set[str] = set()
    growth_noted = False
    for i, entry in enumerate(ordered):
        current = kb.conditions.get(entry.leading or "")
        if current is not None and not growth_noted:
            growing = _growth_flag(kb, birth_date, entry, current)
            if growing is not None:
                flags.append(growing)
                growth_noted = True
        if i:
            prev = ordered[i - 1]
            flags += _red_flag_flags(kb, entry, prev.red_flags)
            followed = kb.conditions.get(prev.leading or "")
            if entry.leading != prev.leading:
                flags.append(_diagnosis_flag(kb, entry, prev, followed, current))
            if followed is not None:
                changed = _character_flag(kb, entry, prev, followed, current, signs)
                if changed is not None:
                    flags.append(changed)
        if current is not None and current.id not in outlast_noted:
            start, _ = episode_start(birth_date, current, ordered[: i + 1])
            if (entry.on - start).days > current.course.duration_days.max:
                outlast_noted.add(current.id)
                course = expected_course(kb, birth_date, current, ordered[: i + 1])
                flags.append(_outlast_flag(kb, entry, current, course))
    last = ordered[-1]
    lead = kb.conditions.get(last.leading or "")
    course = expected_course(kb, birth_date, lead, ordered) if lead else None
    keys = [r for flag in flags for item in flag.advice for r in item.refs]
    if course:
        keys += list(course.text.refs)
    return EpisodeReview(
        episode=last.episode, entry_ids=tuple(e.id for e in ordered),
        first_on=ordered[0].on, last_on=last.on, leading=last.leading,
        leading_name=lead.name if lead else None, triage=last.triage, course=course,
        check_due=bool(course and today >= course.check_again_by), flags=tuple(flags),
        references=citations(kb, keys),
    )


def review_entries(
    kb: KnowledgeBase, birth_date: dt.date, entries: Sequence[EntryFacts], today: dt.date
) -> tuple[EpisodeReview, ...]:
    """One review per episode, the episode with the most recent entry first."""
    episodes: dict[str, list[EntryFacts]] = {}
    for entry in entries:
        episodes.setdefault(entry.episode, []).append(entry)
    reviews = [review_episode(kb, birth_date, group, today) for group in episodes.values()]
    return tuple(sorted(reviews, key=lambda r: (r.last_on, r.entry_ids[-1]), reverse=True))
