"""A general question answered from a topic page (``kb/topics/<id>.yaml``).

The shape of a good answer to a general question: one sentence that answers it; the common causes,
ranked by how often parents meet them, each with why it fits; a small table to tell them apart; the
serious causes to rule out with the action; what to do; what not to do; when to worry, each with a
time frame. Every line is a topic statement with its references.
"""

from __future__ import annotations

from babyskin.answer.advice import citations, statement
from babyskin.answer.shape import Item, Section
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import ReviewStatus, Statement, Topic, TopicCause
from babyskin.models import Audience, Citation

MIN_TOPIC_SCORE = 2.0  # bm25 score below which a question is not routed to a topic page


def find_topic(kb: KnowledgeBase, text: str) -> Topic | None:
    """The topic page that best answers ``text``, if one fits well enough."""
    from babyskin.retrieve import get_index

    hits = get_index(kb).search(text, k=1, kinds=("topic",))
    if not hits or hits[0].score < MIN_TOPIC_SCORE:
        return None
    return kb.topics.get(hits[0].doc.condition or "")


def display_name(kb: KnowledgeBase, condition_id: str, audience: Audience) -> str:
    """'Heat rash (miliaria)' for parents, the clinical name for clinicians."""
    cond = kb.conditions[condition_id]
    lay = next((a for a in cond.also_called if a.lower() != cond.name.lower()), None)
    if audience is Audience.clinician or not lay or len(lay.split()) > 4:
        return cond.name
    return f"{lay[0].upper()}{lay[1:]} ({cond.name.lower()})"


def _item(kb: KnowledgeBase, text: str, refs: list[str], label: str | None = None) -> Item:
    s = statement(kb, text, list(dict.fromkeys(refs)))
    return Item(label=label, text=s.text, refs=s.refs, caution=s.caution)


def _causes(kb: KnowledgeBase, causes: list[TopicCause], audience: Audience) -> list[Item]:
    return [_item(kb, c.text, c.refs, display_name(kb, c.condition, audience)) for c in causes]


def _lines(kb: KnowledgeBase, items: list[Statement]) -> list[Item]:
    return [_item(kb, s.text, s.refs) for s in items]


def topic_sections(kb: KnowledgeBase, topic: Topic, audience: Audience) -> list[Section]:
    answer = topic.answer.clinician if audience is Audience.clinician else topic.answer.parent
    review = None if topic.review.status is ReviewStatus.approved else (
        f"This overview is {topic.review.status.value.replace('_', ' ')}: not yet reviewed by a clinician.")
    table = [_item(kb, c.looks, c.refs, display_name(kb, c.condition, audience))
             for c in topic.common if c.looks]
    parts = [
        Section(title="In short", items=(_item(kb, answer.text, answer.refs),), review=review, rank=0),
        Section(title="Most common causes (most often first)",
                items=tuple(_causes(kb, topic.common, audience)), rank=3),
        Section(title="How to tell them apart", items=tuple(table), rank=6, table=True),
        Section(title="Serious causes to rule out",
                items=tuple(_causes(kb, topic.serious, audience)), rank=2),
        Section(title="What to do", items=tuple(_lines(kb, topic.do)), rank=4),
        Section(title="What not to do", items=tuple(_lines(kb, topic.dont)), rank=5),
        Section(title="When to worry", items=tuple(_lines(kb, topic.worry)), rank=1),
    ]
    return [p for p in parts if p.items]


def topic_page(kb: KnowledgeBase, topic_id: str, audience: Audience) -> tuple[Topic, list[Section],
                                                                              tuple[Citation, ...]]:
    """A whole topic page (no trimming): the topic, its sections and its references, best first.
    An unknown id raises :class:`~babyskin.errors.NotFound` naming the nearest ids."""
    from babyskin.errors import NotFound
    from babyskin.text import nearest

    if topic_id not in kb.topics:
        hint = nearest(topic_id, kb.topics)
        raise NotFound(f"unknown topic '{topic_id}'" + (f"; did you mean: {', '.join(hint)}?" if hint else "")
                       + " (see `babyskin topics` for the list)")
    topic = kb.topics[topic_id]
    sections = topic_sections(kb, topic, audience)
    return topic, sections, citations(kb, [r for s in sections for i in s.items for r in i.refs])


def section_json(sections: list[Section]) -> list[dict[str, object]]:
    return [s.model_dump(mode="json") for s in sections]
