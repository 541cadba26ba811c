"""A bm25s index over the knowledge base's statements and FAQs, for questions that name no condition.

Every document is one KB sentence with its reference keys: a condition's summary, appearance, cause,
course, contagiousness, home care, don'ts, when to see a doctor, management and FAQs; each red flag's
parent and clinician text; each finding's help text; each topic page (kind ``topic``, indexed by the
ways parents ask it, its id in ``condition``). A document is indexed with its condition's names
and lay terms and, for FAQs, the question, so "is baby acne contagious" finds the right answer.

Built once per knowledge-base version (:func:`get_index`); bm25s is imported only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from babyskin.kb.derived import PerKb
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import FAQ_QUESTIONS
from babyskin.models import Audience

_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours baby babies baby's child
"""
STOP = frozenset(_STOP_WORDS.split())


def stem(word: str) -> str:
    """A light English stemmer: enough to match 'bumps'/'bump', 'causes'/'cause', 'itching'/'itch'."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("ing", ""),
                         ("ed", ""), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith(("ss", "us", "is")):
            return word[: -len(suffix)] + keep
    return word


def tokens(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOP]


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    refs: tuple[str, ...]
    kind: str
    title: str
    condition: str | None = None
    audience: Audience | None = None  # None: for everyone


@dataclass(frozen=True)
class Hit:
    doc: Doc
    score: float


def documents(kb: KnowledgeBase) -> list[Doc]:
    docs: list[Doc] = []
    for cond in kb.conditions.values():
        def add(kind: str, text: str, refs: list[str], title: str, audience: Audience | None = None,
                cid: str = cond.id) -> None:
            docs.append(Doc(id=f"{cid}:{kind}:{len(docs)}", text=text, refs=tuple(refs), kind=kind,
                            title=title, condition=cid, audience=audience))

        name = cond.name
        add("summary", cond.summary.parent.text, cond.summary.parent.refs, name, Audience.parent)
        add("summary", cond.summary.clinician.text, cond.summary.clinician.refs, name, Audience.clinician)
        add("appearance", cond.appearance.text, cond.appearance.refs, f"{name}: what it looks like")
        add("cause", cond.cause.text, cond.cause.refs, f"{name}: cause")
        add("duration", cond.course.text.text, cond.course.text.refs, f"{name}: how long it lasts")
        add("contagious", cond.contagious.text.text, cond.contagious.text.refs, f"{name}: is it contagious?")
        for item in cond.home_care:
            add("home_care", item.text, item.refs, f"{name}: what to do")
        for item in cond.donts:
            add("dont", item.text, item.refs, f"{name}: what not to do")
        for item in cond.see_doctor:
            add("see_doctor", item.text, item.refs, f"{name}: when to see a doctor")
        for item in cond.management:
            add("management", item.text, item.refs, f"{name}: management", Audience.clinician)
        for faq in cond.faqs:
            add(f"faq_{faq.topic.value}", faq.text, faq.refs, f"{name}: {FAQ_QUESTIONS[faq.topic]}")
    for flag in kb.red_flags.values():
        docs.append(Doc(id=f"red_flag:{flag.id}:parent", text=flag.parent_text, refs=tuple(flag.refs),
                        kind="red_flag", title=flag.title, audience=Audience.parent))
        docs.append(Doc(id=f"red_flag:{flag.id}:clinician", text=flag.clinician_text, refs=tuple(flag.refs),
                        kind="red_flag", title=flag.title, audience=Audience.clinician))
    for finding in kb.findings.values():
        if finding.help:
            docs.append(Doc(id=f"finding:{finding.id}", text=finding.help.text, refs=tuple(finding.help.refs),
                            kind="help", title=finding.label))
    for topic in kb.topics.values():
        lead = topic.answer.parent
        docs.append(Doc(id=f"topic:{topic.id}", text=lead.text, refs=tuple(lead.refs), kind="topic",
                        title=topic.title, condition=topic.id, audience=Audience.parent))
    return docs


def _index_text(kb: KnowledgeBase, doc: Doc) -> str:
    words = [doc.title, doc.text, doc.kind.replace("_", " ")]
    if doc.kind == "topic" and doc.condition in kb.topics:  # a topic: the ways parents ask it
        topic = kb.topics[doc.condition]
        return " ".join([topic.title, *topic.questions, *topic.questions])
    if doc.condition and doc.condition in kb.conditions:
        cond = kb.conditions[doc.condition]
        words += [cond.name, *cond.also_called, *cond.lay_terms]
    return " ".join(words)


class Index:
    """bm25 over :func:`documents`; ``search`` filters by audience, condition and kind."""

    def __init__(self, kb: KnowledgeBase) -> None:
        import bm25s

        self.kb_version = kb.version
        self.docs = documents(kb)
        self._bm25: Any = bm25s.BM25()
        self._bm25.index([tokens(_index_text(kb, d)) or ["_"] for d in self.docs], show_progress=False)

    def search(self, query: str, k: int = 5, *, audience: Audience | None = None,
               conditions: tuple[str, ...] = (), kinds: tuple[str, ...] = ()) -> list[Hit]:
        words = tokens(query)
        if not words or not self.docs:
            return []
        ids, scores = self._bm25.retrieve([words], k=len(self.docs), show_progress=False, n_threads=0)
        hits = []
        for index, score in zip(ids[0], scores[0], strict=True):
            doc = self.docs[int(index)]
            if score <= 0:
                break
            if audience is not None and doc.audience not in (None, audience):
                continue
            if conditions and doc.condition not in conditions:
                continue
            if kinds and not any(doc.kind.startswith(kind) for kind in kinds):
                continue
            hits.append(Hit(doc=doc, score=float(score)))
            if len(hits) >= k:
                break
        return hits


_indexes: PerKb[Index] = PerKb(Index)


def get_index(kb: KnowledgeBase) -> Index:
    """The search index for this knowledge base (built on first use, then shared)."""
    return _indexes.get(kb)
