"""The shape limits of an answer: few words, few references, the essentials kept.

A parent reads at most :data:`PARENT_WORDS` words before the references, a clinician at most
:data:`CLINICIAN_WORDS`; an answer cites at most :data:`MAX_REFERENCES` references, best-graded first.
``full`` keeps the long form. Trimming never removes a protected section (the one-sentence answer, red
flags, warning signs): it drops the last items of the least important sections first, then references
that cover the fewest statements. Every item left keeps at least one of its own references.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from babyskin.kb.loader import KnowledgeBase
from babyskin.models import Audience

PARENT_WORDS = 450
CLINICIAN_WORDS = 700
MAX_REFERENCES = 8
MAX_ITEMS = 5  # per section, before counting words
GRADE_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3}


class Item(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str | None = None
    text: str
    refs: tuple[str, ...]
    caution: str | None = None


class Section(BaseModel):
    """A titled part of an answer. ``rank`` orders what trimming drops first (higher first; 0 is
    never trimmed); ``table`` asks renderers for a two-column table (label | text)."""

    model_config = ConfigDict(frozen=True)

    title: str
    items: tuple[Item, ...]
    review: str | None = None
    rank: int = 5
    table: bool = False


def word_limit(audience: Audience) -> int:
    return CLINICIAN_WORDS if audience is Audience.clinician else PARENT_WORDS


def words(text: str | None) -> int:
    return len(text.split()) if text else 0


def choose_references(kb: KnowledgeBase, items: Sequence[tuple[str, ...]], protected: set[int],
                      limit: int = MAX_REFERENCES) -> tuple[set[str], set[int]]:
    """Greedy cover: pick references (most statements covered, then best grade) until every item has
    one or ``limit`` is reached; protected items are covered first, whatever the limit.
    Returns the chosen keys and the indices of items left uncovered."""

    def grade(key: str) -> int:
        ref = kb.references.get(key)
        return GRADE_ORDER.get(ref.evidence, 9) if ref else 9

    chosen: set[str] = set()
    uncovered = {i for i, refs in enumerate(items) if refs}
    for must in (True, False):
        while True:
            pool = [i for i in uncovered if (i in protected) == must]
            if not pool or (not must and len(chosen) >= limit):
                break
            counts: dict[str, int] = {}
            for i in pool:
                for key in items[i]:
                    counts[key] = counts.get(key, 0) + 1
            best = min(counts, key=lambda k: (-counts[k], grade(k), k))
            chosen.add(best)
            uncovered = {i for i in uncovered if best not in items[i]}
    spare = sorted({k for refs in items for k in refs} - chosen,  # room left: best-graded first
                   key=lambda k: (grade(k), -sum(k in refs for refs in items), k))
    chosen.update(spare[:max(0, limit - len(chosen))])
    return chosen, uncovered


def section_words(section: Section) -> int:
    return words(section.title) + sum(words(i.label) + words(i.text) for i in section.items)


def trim(sections: Sequence[Section], limit: int) -> list[Section]:
    """Drop items from the least important sections (highest ``rank``; rank 0 is protected) until the
    words before the references are within ``limit``; a section keeps one item as long as it can."""
    out = [s.model_copy(update={"items": s.items[:MAX_ITEMS]}) if s.rank else s for s in sections]
    while sum(section_words(s) for s in out) > limit:
        open_ = [i for i, s in enumerate(out) if s.rank]
        if not open_:
            break
        roomy = [i for i in open_ if len(out[i].items) > 1]
        index = max(roomy or open_, key=lambda i: (out[i].rank, i))
        if len(out[index].items) > 1:
            out[index] = out[index].model_copy(update={"items": out[index].items[:-1]})
        else:
            del out[index]
    return out


def limit_references(kb: KnowledgeBase, sections: Sequence[Section],
                     limit: int = MAX_REFERENCES) -> list[Section]:
    """Keep at most ``limit`` references (protected statements may force more): each item shows only
    the chosen ones; an unprotected item none of whose references is chosen is left out."""
    if len({r for s in sections for i in s.items for r in i.refs}) <= limit:
        return list(sections)
    flat = [(si, ii, item) for si, s in enumerate(sections) for ii, item in enumerate(s.items)]
    protected = {n for n, (si, _ii, _item) in enumerate(flat) if not sections[si].rank}
    chosen, uncovered = choose_references(kb, [i.refs for _s, _i, i in flat], protected, limit)
    out = []
    for si, section in enumerate(sections):
        items = tuple(item.model_copy(update={"refs": tuple(r for r in item.refs if r in chosen)})
                      for n, (sj, _ii, item) in enumerate(flat) if sj == si and n not in uncovered)
        if items:
            out.append(section.model_copy(update={"items": items}))
    return out
