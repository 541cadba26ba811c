"""``Diary``: the diary's use cases, shared by the CLI and the API.

Saving an entry: check the input, read the free text (``babyskin.understand``, imported only when an
entry has text), add the child's age on that day and gestation, assess with the engine, then write the
child (if new) and the entry in one transaction. Reading: entries with their saved assessments, and a
review of each episode (expected course, "check again by", flags) from :mod:`babyskin.diary`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from babyskin.answer.render import assessment_json
from babyskin.diary import DEFAULT_EPISODE, EntryFacts, EpisodeReview, review_entries
from babyskin.engine.assess import Engine
from babyskin.errors import InputError
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import Audience, Findings, TriageLevel
from babyskin.store.records import ChildRecord, EntryRecord, EntrySummary, NewChild, NewEntry
from babyskin.store.repository import DiaryStore
from babyskin.text import control_characters, refuse_control_characters

log = logging.getLogger("babyskin.diary")
TEXT_MAX = 4000
PAGE_DEFAULT = 100
PAGE_MAX = 500
NOTE_MAX = 2000


class EntryDraft(BaseModel):
    """What a parent writes: a date, free text and/or findings, an optional note."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    on: dt.date | None = Field(default=None, description="the day the spots were seen (default today)")
    text: str | None = Field(default=None, max_length=TEXT_MAX, description="what you see, in words")
    findings: Findings | None = Field(default=None, description="structured findings, as for /v1/assess")
    note: str | None = Field(default=None, max_length=NOTE_MAX, description="a private note, not assessed")
    episode: str = Field(default=DEFAULT_EPISODE, min_length=1, max_length=100,
                         description="which spots this follows, e.g. 'nose' or 'nappy area'")

    @field_validator("text", "note", "episode", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("text", "note", "episode")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return None if value is None else refuse_control_characters(value, "the text", multiline=True)


def check_child(child: NewChild, today: dt.date) -> None:
    problems = []
    if not child.name.strip() or len(child.name) > 100:
        problems.append("the child's name or nickname must be 1 to 100 characters")
    if control_characters(child.name):
        problems.append("the child's name has control characters that cannot be saved; remove them")
    if child.birth_date > today:
        problems.append(f"birth date {child.birth_date} is in the future (today is {today})")
    if child.gestation_weeks is not None and not 22 <= child.gestation_weeks <= 44:
        problems.append(f"gestation must be between 22 and 44 weeks, got {child.gestation_weeks}")
    if problems:
        raise InputError("; ".join(problems), problems=problems)


def read_text(text: str, kb: KnowledgeBase) -> Findings:
    try:
        from babyskin.understand import understand_text
    except ImportError:
        raise InputError(
            "free-text entries need the text reader (babyskin.understand), which this build does not"
            " have yet; describe the spots with findings instead (--where, --lesion, --color, ...)"
        ) from None
    return understand_text(text, kb=kb).findings


def entry_findings(
    kb: KnowledgeBase, draft: EntryDraft, child_birth: dt.date, gestation: int | None, on: dt.date
) -> Findings:
    """Text findings, then explicit findings (which win), then the child's age that day and gestation."""
    findings = Findings()
    if draft.text:
        findings = findings.merged(read_text(draft.text, kb))
    if draft.findings is not None:
        findings = findings.merged(draft.findings)
    data = findings.model_dump()
    data["age_days"] = (on - child_birth).days
    if gestation is not None:
        data["gestation_weeks"] = gestation
    return Findings(**data)


class Diary:
    """The diary for one store and one engine; holds no data between calls."""

    def __init__(self, store: DiaryStore, engine: Engine, *, today: Callable[[], dt.date] = dt.date.today):
        self.store = store
        self.engine = engine
        self.today = today

    def add_entry(
        self, family_id: int, child: int | NewChild, draft: EntryDraft, *, idempotency_key: str | None = None
    ) -> tuple[ChildRecord, EntryRecord, EpisodeReview]:
        today = self.today()
        target: ChildRecord | NewChild
        if isinstance(child, NewChild):
            known = self.store.find_child(family_id, child.name)
            if known is None:
                check_child(child, today)
            elif known.birth_date != child.birth_date:
                raise InputError(
                    f"{known.name} is in the diary with birth date {known.birth_date}, not"
                    f" {child.birth_date}; leave out --born or use another name"
                )
            target = known or child
        else:
            target = self.store.get_child(family_id, child)
        on = draft.on or today
        problems = []
        if not draft.text and (draft.findings is None or draft.findings.is_empty()):
            problems.append("an entry needs a description: free text, findings, or both")
        if on > today:
            problems.append(f"the entry date {on} is in the future (today is {today})")
        if on < target.birth_date:
            problems.append(f"the entry date {on} is before {target.name}'s birth date {target.birth_date}")
        if problems:
            raise InputError("; ".join(problems), problems=problems)
        findings = entry_findings(self.engine.kb, draft, target.birth_date, target.gestation_weeks, on)
        result = self.engine.assess(findings, Audience.parent)
        new = NewEntry(
            episode=draft.episode, on=on, text=draft.text, note=draft.note, findings=findings,
            assessment=assessment_json(result), kb_version=result.kb_version,
            leading=result.differential[0].id if result.differential else None,
            triage=result.triage.level.value, red_flags=result.red_flags,
        )
        ref = target.id if isinstance(target, ChildRecord) else target
        saved_child, saved = self.store.add_entry(family_id, ref, new, idempotency_key=idempotency_key)
        episode = [facts(e) for e in self.store.list_summaries(family_id, saved_child.id, saved.episode)]
        return saved_child, saved, review_entries(self.engine.kb, saved_child.birth_date, episode, today)[0]

    def reviews(self, child: ChildRecord, entries: Sequence[EntrySummary]) -> tuple[EpisodeReview, ...]:
        """Each episode's review; an episode whose review fails is left out (see :meth:`unreviewed`)."""
        return self._reviews(child, entries)[0]

    def _reviews(self, child: ChildRecord, entries: Sequence[EntrySummary]
                 ) -> tuple[tuple[EpisodeReview, ...], list[str]]:
        groups: dict[str, list[EntryFacts]] = {}
        for entry in entries:
            groups.setdefault(entry.episode, []).append(facts(entry))
        done: list[EpisodeReview] = []
        failed: list[str] = []
        for name, group in groups.items():
            try:
                done.extend(review_entries(self.engine.kb, child.birth_date, group, self.today()))
            except Exception as error:  # one saved entry must never make the page fail (issue 17)
                log.error("an episode could not be reviewed: %s", type(error).__name__)
                failed.append(name)
        done.sort(key=lambda r: (r.last_on, r.entry_ids[-1]), reverse=True)
        return tuple(done), failed

    def timeline(self, family_id: int, child_id: int, *, limit: int = PAGE_DEFAULT,
                 offset: int = 0) -> dict[str, Any]:
        """The child, each episode's review (newest first, from every entry) and one page of entries
        with their assessments (``limit`` from ``offset``, oldest first; ``next_offset`` for more)."""
        child = self.store.get_child(family_id, child_id)
        summaries = self.store.list_summaries(family_id, child_id)
        reviews, failed = self._reviews(child, summaries)
        entries = self.store.list_entries(family_id, child_id, limit=limit, offset=offset)
        more = offset + len(entries) < len(summaries)
        return {
            "child": child_json(child, self.today()),
            "episodes": [r.model_dump(mode="json") for r in reviews],
            "unreviewed_episodes": failed,
            "entries": [entry_json(e) for e in entries],
            "entries_total": len(summaries),
            "next_offset": offset + len(entries) if more else None,
        }


def facts(entry: EntrySummary) -> EntryFacts:
    return EntryFacts(id=entry.id, on=entry.on, episode=entry.episode, findings=entry.findings,
                      leading=entry.leading, triage=TriageLevel(entry.triage), red_flags=entry.red_flags)


def child_json(child: ChildRecord, today: dt.date) -> dict[str, Any]:
    return {"id": child.id, "name": child.name, "birth_date": child.birth_date.isoformat(),
            "gestation_weeks": child.gestation_weeks, "age_days": child.age_days(today)}


def entry_json(entry: EntryRecord) -> dict[str, Any]:
    return {
        "id": entry.id, "child_id": entry.child_id, "episode": entry.episode, "date": entry.on.isoformat(),
        "text": entry.text, "note": entry.note,
        "findings": entry.findings.model_dump(mode="json", exclude_defaults=True),
        "kb_version": entry.kb_version, "leading": entry.leading, "triage": entry.triage,
        "assessment": entry.assessment, "created_at": entry.created_at.isoformat(),
    }
