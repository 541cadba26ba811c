"""What the diary pages show, built from the store's records and the diary's reviews (pure functions).

Nothing here writes medical text: triage titles and actions, diagnoses, flags and their advice come
from the saved assessments and :mod:`babyskin.diary` (which takes them from the knowledge base); this
module only orders them, formats dates, numbers the citations and attaches each flag to its entry.
Each entry's "check again by" is the episode's as it stood on that entry (the entries up to it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from babyskin.answer.render import TRIAGE_TITLE
from babyskin.diary import START_WORDS, DiaryFlag, EntryFacts, EpisodeReview, review_episode
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import FindingGroup, TriageLevel
from babyskin.store.records import ChildRecord, EntryRecord
from babyskin.store.service import facts
from babyskin.web.view import (
    Line,
    Reference,
    Review,
    age_words,
    describe_findings,
    line,
    lines,
    reference_list,
    review_of,
)

# The few signs the entry form offers as ticks (labels come from the KB; the free text covers the rest).
FORM_SIGNS = ("fever", "unwell", "itchy", "painful", "spreading", "growing", "non_blanching")
FORM_GROUPS: tuple[tuple[str, str, FindingGroup], ...] = (
    ("locations", "Where are the spots?", FindingGroup.locations),
    ("lesions", "What do they look like?", FindingGroup.lesions),
    ("colors", "What colour are they?", FindingGroup.colors),
    ("present", "Have you noticed any of these?", FindingGroup.signs),
)


def day_words(day: dt.date) -> str:
    """2026-02-03 -> '3 February 2026' (no leading zero, month in words: no day/month confusion)."""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class FlagView:
    kind: str
    title: str
    reason: str
    triage: str | None
    advice: tuple[Line, ...]


@dataclass(frozen=True)
class Leading:
    id: str
    name: str
    probability: float


@dataclass(frozen=True)
class EntryView:
    id: int
    on: dt.date
    age: str
    episode: str
    level: str
    title: str
    action: str
    red_flags: tuple[str, ...]
    leading: Leading | None
    others: tuple[Leading, ...]
    check_again_by: dt.date | None
    text: str | None
    note: str | None
    understood: str
    flags: tuple[FlagView, ...]
    kb_version: str
    review: Review | None

    @property
    def loud(self) -> bool:
        return self.level in (TriageLevel.emergency.value, TriageLevel.urgent.value)


@dataclass(frozen=True)
class EpisodeView:
    name: str
    entries: int
    first_on: dt.date
    last_on: dt.date
    level: str
    leading_name: str | None
    course: Line | None
    started_on: dt.date | None
    started_from: str
    usually_gone_from: dt.date | None
    check_again_by: dt.date | None
    due: bool
    flags: int
    review: Review | None


@dataclass(frozen=True)
class Timeline:
    child: ChildRecord
    age: str
    episodes: tuple[EpisodeView, ...]
    entries: tuple[EntryView, ...]
    references: tuple[Reference, ...]
    episode_names: tuple[str, ...]

    @property
    def latest(self) -> EntryView | None:
        return max(self.entries, key=lambda e: (e.on, e.id), default=None)


@dataclass(frozen=True)
class ChildRow:
    child: ChildRecord
    age: str
    entries: int
    last_on: dt.date | None
    level: str | None
    check_again_by: dt.date | None
    due: bool
    flags: int


def _leading(item: dict[str, Any]) -> Leading:
    return Leading(id=str(item.get("id", "")), name=str(item.get("name", "")),
                   probability=float(item.get("probability", 0.0)))


def _flag(flag: DiaryFlag, numbers: dict[str, int]) -> FlagView:
    return FlagView(kind=flag.kind.value, title=flag.title, reason=flag.reason,
                    triage=flag.triage.value if flag.triage else None, advice=lines(flag.advice, numbers))


def entry_checks(
    kb: KnowledgeBase, birth: dt.date, entries: Iterable[EntryFacts], today: dt.date
) -> dict[int, dt.date | None]:
    """Each entry's "check again by", as its episode stood on that entry."""
    so_far: dict[str, list[EntryFacts]] = {}
    out: dict[int, dt.date | None] = {}
    for entry in sorted(entries, key=lambda e: (e.on, e.id)):
        episode = so_far.setdefault(entry.episode, [])
        episode.append(entry)
        course = review_episode(kb, birth, episode, today).course
        out[entry.id] = course.check_again_by if course else None
    return out


def entry_view(kb: KnowledgeBase, child: ChildRecord, entry: EntryRecord, flags: tuple[FlagView, ...],
               check_again_by: dt.date | None) -> EntryView:
    saved = entry.assessment
    triage = saved.get("triage", {})
    level = TriageLevel(entry.triage)
    ranked = [_leading(c) for c in saved.get("differential", ())]
    return EntryView(
        id=entry.id, on=entry.on, age=age_words(max(0, child.age_days(entry.on))), episode=entry.episode,
        level=level.value, title=TRIAGE_TITLE[level], action=str(triage.get("action", "")),
        red_flags=tuple(str(f.get("title", "")) for f in saved.get("red_flags", ())),
        leading=ranked[0] if ranked else None, others=tuple(ranked[1:4]),
        check_again_by=check_again_by, text=entry.text, note=entry.note,
        understood=describe_findings(kb, entry.findings), flags=flags, kb_version=entry.kb_version,
        review=review_of(kb, ranked[0].id) if ranked else None,
    )


def episode_view(kb: KnowledgeBase, review: EpisodeReview, numbers: dict[str, int]) -> EpisodeView:
    course = review.course
    return EpisodeView(
        name=review.episode, entries=len(review.entry_ids), first_on=review.first_on,
        last_on=review.last_on, level=review.triage.value, leading_name=review.leading_name,
        course=line(course.text, numbers) if course else None,
        started_on=course.started_on if course else None,
        started_from=START_WORDS[course.started_from] if course else "",
        usually_gone_from=course.usually_gone_from if course else None,
        check_again_by=course.check_again_by if course else None, due=review.check_due,
        flags=len(review.flags), review=review_of(kb, review.leading) if review.leading else None,
    )


def timeline(kb: KnowledgeBase, child: ChildRecord, entries: Sequence[EntryRecord],
             reviews: Sequence[EpisodeReview], today: dt.date) -> Timeline:
    """The child's page: episodes (newest first), entries (newest first), one numbered source list."""
    refs = reference_list(kb, [c.key for r in reviews for c in r.references])
    numbers = {r.citation.key: r.number for r in refs}
    by_entry: dict[int, list[FlagView]] = {}
    for review in reviews:
        for flag in review.flags:
            by_entry.setdefault(flag.entry_id, []).append(_flag(flag, numbers))
    checks = entry_checks(kb, child.birth_date, [facts(e) for e in entries], today)
    views = [entry_view(kb, child, e, tuple(by_entry.get(e.id, ())), checks.get(e.id)) for e in entries]
    views.sort(key=lambda e: (e.on, e.id), reverse=True)
    return Timeline(
        child=child, age=age_words(max(0, child.age_days(today))),
        episodes=tuple(episode_view(kb, r, numbers) for r in reviews), entries=tuple(views),
        references=refs, episode_names=tuple(dict.fromkeys(e.episode for e in views)),
    )


def child_row(child: ChildRecord, reviews: Sequence[EpisodeReview], entries: int, today: dt.date) -> ChildRow:
    """One line of the family page: the latest episode's state and the soonest "check again by"."""
    dates = [r.course.check_again_by for r in reviews if r.course]
    latest = reviews[0] if reviews else None
    return ChildRow(
        child=child, age=age_words(max(0, child.age_days(today))), entries=entries,
        last_on=latest.last_on if latest else None, level=latest.triage.value if latest else None,
        check_again_by=min(dates) if dates else None, due=any(r.check_due for r in reviews),
        flags=sum(len(r.flags) for r in reviews),
    )


Choice = tuple[str, str, bool]


def choices(kb: KnowledgeBase, group: FindingGroup, ticked: Iterable[str]) -> tuple[Choice, ...]:
    """(word, label, ticked) for one group of the entry form; signs are limited to :data:`FORM_SIGNS`."""
    chosen = set(ticked)
    words = ([w for w in FORM_SIGNS if w in kb.findings] if group is FindingGroup.signs
             else [w for w, f in kb.findings.items() if f.group is group])
    return tuple((w, kb.findings[w].label, w in chosen) for w in words)
