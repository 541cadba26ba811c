"""``babyskin ask`` and ``POST /v1/ask``: a message in, an answer composed from knowledge-base statements.

Every answer starts with what was understood and what is still unknown that matters. Then, by intent:

* **assess / follow_up**: the engine's assessment (triage, red flags, differential, advice), plus what
  the KB says about any condition the person asked about;
* **question** about named conditions: the KB's answers to the topics asked (cause, treatment, ...);
* **question** about a finding ("small fine bumps"): an overview like a guideline summary - initial
  assessment (age, where, what it looks like), common harmless causes, causes that need a doctor, red
  flags - over the conditions those findings fit;
* **question** about anything else: the best bm25 matches among KB statements and FAQs;
* **compare**: the conditions side by side, and the findings that tell them apart;
* **empty / unsupported**: why, and the KB's emergency warning signs.

An emergency phrase anywhere runs the assessment and puts its red flags first, whatever the intent.
Every item is a KB sentence (or a KB field such as an onset window) with its reference keys; nothing
medical is generated here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from babyskin.answer.advice import citations, review_line, statement
from babyskin.answer.render import DISCLAIMER, TRIAGE_STYLE, TRIAGE_TITLE, assessment_json
from babyskin.answer.shape import Item, Section, limit_references, trim, word_limit
from babyskin.answer.topics import find_topic, topic_sections
from babyskin.engine.assess import Engine
from babyskin.engine.red_flags import fired_flags
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import FAQ_QUESTIONS, Condition, FaqTopic, ReviewStatus, Typicality
from babyskin.models import Assessment, Audience, Citation, FindingGroup, Findings, Triage, TriageLevel
from babyskin.understand import Intent, Understood, encode_conversation

OVERVIEW_PER_GROUP = 5  # harmless causes, and causes that need a doctor
OVERVIEW_MIN_P = 0.001
OVERVIEW_FLAGS = 8
COMMON = (Typicality.always, Typicality.usually, Typicality.often)
RARE = (Typicality.rarely, Typicality.never)
TOPIC_KINDS = {  # which KB statements answer a topic when no condition is named
    "cause": ("cause", "faq_cause"), "treatment": ("home_care", "management", "faq_treatment"),
    "contagious": ("contagious", "faq_contagious"), "duration": ("duration", "faq_duration"),
    "see_doctor": ("red_flag", "see_doctor"), "appearance": ("appearance", "summary"),
    "squeeze": ("dont", "faq_squeeze"), "bathing": ("faq_bathing", "home_care"), "feeding": ("faq_feeding",),
    "prevention": ("faq_prevention",), "marks": ("faq_marks",),
}


class AskAnswer(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool = True
    intent: Intent
    audience: Audience
    understood: str
    unknowns: tuple[str, ...]
    notes: tuple[str, ...]
    emergency: tuple[str, ...]
    findings: Findings
    conditions: tuple[str, ...]
    triage: Triage | None
    sections: tuple[Section, ...]
    references: tuple[Citation, ...]
    assessment: dict[str, Any] | None
    conversation: str
    kb_version: str
    disclaimer: str = DISCLAIMER


def _item(kb: KnowledgeBase, text: str, refs: Sequence[str], label: str | None = None) -> Item:
    s = statement(kb, text, list(dict.fromkeys(refs)))
    return Item(label=label, text=s.text, refs=s.refs, caution=s.caution)


def _review(cond: Condition) -> str | None:
    return None if cond.review.status is ReviewStatus.approved else review_line(cond)


def _section(title: str, items: Iterable[Item], review: str | None = None, rank: int = 5,
             table: bool = False) -> Section | None:
    items = tuple(items)
    return Section(title=title, items=items, review=review, rank=rank, table=table) if items else None


# --- answers about named conditions -------------------------------------------------------------------

def _topic_items(kb: KnowledgeBase, cond: Condition, topic: str, audience: Audience) -> list[Item]:
    clinician = audience is Audience.clinician
    faq = {f.topic.value: f for f in cond.faqs}
    if topic in faq and not (topic == "treatment" and clinician):
        f = faq[topic]
        treat = topic == "treatment"  # the FAQ answer, then what to do and what not to do
        extra = [_item(kb, s.text, s.refs, "What to do") for s in (cond.home_care[:1] if treat else [])]
        extra += [_item(kb, s.text, s.refs, "What not to do") for s in (cond.donts[:1] if treat else [])]
        return [_item(kb, f.text, f.refs, FAQ_QUESTIONS[FaqTopic(topic)]), *extra]
    if topic == "cause":
        return [_item(kb, cond.cause.text, cond.cause.refs, "Cause")]
    if topic == "duration":
        return [_item(kb, cond.course.text.text, cond.course.text.refs, "How long it lasts")]
    if topic == "contagious":
        return [_item(kb, cond.contagious.text.text, cond.contagious.text.refs, "Is it contagious?")]
    if topic == "treatment":
        items = cond.management if clinician else cond.home_care
        out = [_item(kb, s.text, s.refs, "Management" if clinician else "What to do") for s in items]
        return out + [_item(kb, s.text, s.refs, "What not to do") for s in cond.donts[:1]]
    if topic == "squeeze":
        return [_item(kb, s.text, s.refs, "What not to do") for s in cond.donts]
    if topic == "appearance":
        return [_item(kb, cond.appearance.text, cond.appearance.refs, "What it looks like")]
    if topic == "see_doctor":
        return [_item(kb, s.text, s.refs, "When to see a doctor") for s in cond.see_doctor]
    return []


def condition_section(kb: KnowledgeBase, cond: Condition, topics: Sequence[str], audience: Audience,
                      title: str | None = None) -> Section:
    summary = cond.summary.clinician if audience is Audience.clinician else cond.summary.parent
    items = [_item(kb, summary.text, summary.refs, "In short")]
    wanted = list(topics) or ["treatment", "see_doctor", "cause", "appearance", "duration"]
    for topic in wanted:
        items += [i for i in _topic_items(kb, cond, topic, audience) if i.text not in {x.text for x in items}]
    return Section(title=title or cond.name, items=tuple(items), review=_review(cond), rank=2)


# --- overview of a finding ("small fine bumps") -------------------------------------------------------

def _onset_words(cond: Condition) -> str:
    from babyskin.understand import age_words

    low, high = cond.onset_days.min, cond.onset_days.max
    start = "birth" if low == 0 else age_words(low)
    return f"usually starts between {start} and {age_words(high)}" if high else "present at birth"


def _sites(kb: KnowledgeBase, cond: Condition) -> str:
    sites = [kb.findings[w].label for w, t in cond.findings.typical.items()
             if t in COMMON and w in kb.findings and kb.findings[w].group is FindingGroup.locations]
    return ", ".join(sites)


def overview(kb: KnowledgeBase, engine: Engine, findings: Findings, audience: Audience) -> list[Section]:
    from babyskin.engine.rank import posterior

    ranked = [kb.conditions[c] for c, p in posterior(engine.model, findings) if p >= OVERVIEW_MIN_P]
    home = [c for c in ranked if c.triage is TriageLevel.home][:OVERVIEW_PER_GROUP]
    other = [c for c in ranked if c.triage is not TriageLevel.home][:OVERVIEW_PER_GROUP]
    conds = [c for c in ranked if c in home or c in other]
    clinician = audience is Audience.clinician
    by_onset = sorted(conds, key=lambda c: c.onset_days.min)
    age = [_item(kb, _onset_words(c), c.findings.refs, c.name) for c in by_onset]
    where = [_item(kb, s, c.findings.refs, c.name) for c in conds if (s := _sites(kb, c))]
    look = [_item(kb, c.appearance.text, c.appearance.refs, c.name) for c in conds]
    benign, doctor = [], []
    for c in conds:
        summary = c.summary.clinician if clinician else c.summary.parent
        items = [_item(kb, summary.text, summary.refs, c.name),
                 _item(kb, c.cause.text, c.cause.refs, "Cause")]
        care = {f.topic: f for f in c.faqs}.get(FaqTopic.treatment)
        if clinician:
            items.append(_item(kb, c.management[0].text, c.management[0].refs, "Management"))
        elif c.triage is not TriageLevel.home:
            items.append(_item(kb, c.see_doctor[0].text, c.see_doctor[0].refs, "When to see a doctor"))
        elif care:
            items.append(_item(kb, care.text, care.refs, FAQ_QUESTIONS[FaqTopic.treatment]))
        else:
            items.append(_item(kb, c.home_care[0].text, c.home_care[0].refs, "What to do"))
        (benign if c.triage is TriageLevel.home else doctor).extend(items)
    flag_ids = [f for c in conds if c.red_flags != "none" for f in c.red_flags]
    flag_ids += [f.id for f in kb.red_flags.values()
                 if f.triage is TriageLevel.emergency and not f.applies_to]
    flags = sorted({f: kb.red_flags[f] for f in flag_ids if f in kb.red_flags}.values(),
                   key=lambda f: (-f.triage.rank, f.id))
    warn = [_item(kb, f.clinician_text if clinician else f.parent_text, f.refs, f.title)
            for f in flags[:OVERVIEW_FLAGS]]
    pending = sorted({c.name for c in conds if _review(c)})
    review = ("Pending clinical review: " + ", ".join(pending) + ".") if pending else None
    parts = [
        _section("Initial assessment: age when it starts", age),
        _section("Initial assessment: where on the body", where),
        _section("Initial assessment: what the spots look like", look),
        _section("Common, harmless causes", benign, review),
        _section("Causes that need a doctor", doctor, review),
        _section("Red flags: get help", warn),
    ]
    return [p for p in parts if p]


# --- comparison ---------------------------------------------------------------------------------------

def compare_sections(kb: KnowledgeBase, conds: list[Condition], audience: Audience) -> list[Section]:
    from babyskin.answer.compare import cells, tell_apart

    out = []
    for comp in tell_apart(kb, [c.id for c in conds]):  # curated pairs lead (kb/comparisons.yaml)
        line = comp.clinician if audience is Audience.clinician else comp.parent
        items = [_item(kb, line.text, line.refs, "In short")]
        items += [_item(kb, d.text, d.refs, None) for d in comp.differences]
        out.append(Section(title="How to tell them apart", items=tuple(items)))
    for cond in conds:
        items = [_item(kb, cell["text"], cell["refs"], row.capitalize())
                 for row, cell in cells(kb, cond).items()]
        out.append(Section(title=cond.name, items=tuple(items), review=_review(cond)))
    apart = []
    for word, finding in kb.findings.items():
        levels = [c.findings.typical.get(word, finding.default) for c in conds]
        if any(t in COMMON[:2] for t in levels) and any(t in RARE for t in levels):
            text = "; ".join(f"{c.name}: {t.value}" for c, t in zip(conds, levels, strict=True))
            apart.append(_item(kb, text, [r for c in conds for r in c.findings.refs], finding.label))
    if apart:
        out.append(Section(title="How to tell them apart (how often each sign is seen)", items=tuple(apart)))
    return out


# --- assessment ---------------------------------------------------------------------------------------

def assessment_sections(kb: KnowledgeBase, result: Assessment, audience: Audience) -> list[Section]:
    """A case: one sentence that answers first, then the most likely conditions with why, the serious
    causes to rule out with the action, what to do, what not to do and when to get help."""
    clinician = audience is Audience.clinician
    flags = [Item(label=f.title, text=f.clinician_text if clinician else f.parent_text, refs=f.refs)
             for f in result.red_flags]
    likely = []
    top = result.differential[:3]
    for cand in top:
        cond = kb.conditions[cand.id]
        summary = cond.summary.clinician if clinician else cond.summary.parent
        why = ", ".join(r.label for r in cand.for_[:3])
        label = ("Most likely: " if cand is top[0] else "") + f"{cand.name} ({cand.probability:.0%}" + (
            f"; fits: {why})" if why else ")")
        likely.append(_item(kb, summary.text, summary.refs, label))
    shown = {c.id for c in top}
    serious = []
    for cand in result.differential[3:8]:
        cond = kb.conditions[cand.id]
        if cand.id not in shown and cond.triage.rank > TriageLevel.soon.rank and cond.see_doctor:
            act = cond.management[0] if clinician else cond.see_doctor[-1]
            serious.append(_item(kb, act.text, act.refs, f"{cand.name} ({cand.probability:.0%})"))
    advice = result.advice

    def items(group: Iterable[Any]) -> list[Item]:
        return [Item(text=s.text, refs=s.refs, caution=s.caution) for s in group]

    lead, likely = likely[:1], likely[1:]  # the answer first: the most likely condition, with why
    review = advice.review if "Pending" in advice.review else None
    parts = [
        _section("Red flags", flags, rank=0),
        _section("In short", lead, rank=0),
        _section("Other possibilities, and why", likely, rank=3),
        _section("Serious causes to rule out", serious, rank=2),
        _section("What to do", items(advice.do), review, rank=4),
        _section("What not to do", items(advice.dont), rank=5),
        _section("When to get help", items(advice.see_doctor), rank=1),
        _section("Management (clinicians)", items(advice.management), rank=6),
    ]
    return [p for p in parts if p]


def warning_signs(kb: KnowledgeBase, audience: Audience,
                  least: TriageLevel = TriageLevel.emergency) -> Section | None:
    flags = sorted((f for f in kb.red_flags.values() if f.triage.rank >= least.rank and not f.applies_to),
                   key=lambda f: -f.triage.rank)
    text = (lambda f: f.clinician_text) if audience is Audience.clinician else (lambda f: f.parent_text)
    return _section("Warning signs that need help now", [_item(kb, text(f), f.refs, f.title) for f in flags])


def retrieved(kb: KnowledgeBase, query: str, audience: Audience, topics: Sequence[str] = ()) -> list[Item]:
    from babyskin.retrieve import get_index

    index = get_index(kb)
    kinds = tuple(k for t in topics for k in TOPIC_KINDS.get(t, ()))
    hits = index.search(query, k=5, audience=audience, kinds=kinds) if kinds else []
    hits = hits or index.search(query, k=5, audience=audience)
    best = hits[0].score if hits else 0.0
    return [_item(kb, h.doc.text, h.doc.refs, h.doc.title) for h in hits if h.score >= 0.5 * best]


# --- the entry points ---------------------------------------------------------------------------------

def escalates(kb: KnowledgeBase, understood: Understood) -> bool:
    """An emergency phrase or a red flag in the message: every surface runs the assessment and shows
    its triage first, whatever was asked (a question, a comparison)."""
    return bool(understood.emergency) or bool(fired_flags(kb.red_flags, understood.findings, {}))


def answer(understood: Understood, audience: Audience = Audience.parent, *,
           engine: Engine | None = None, full: bool = False) -> AskAnswer:
    """Compose the answer to an understood message (pure given the engine's knowledge base): the one
    composer behind ``babyskin ask``, ``POST /v1/ask`` and the web's answer pages. Unless ``full``,
    the answer keeps to the word and reference limits of :mod:`babyskin.answer.shape`."""
    from babyskin.engine.assess import default_engine

    engine = engine or default_engine()
    kb = engine.kb
    intent = understood.intent
    named = [kb.conditions[c] for c in understood.conditions if c in kb.conditions]
    sections: list[Section] = []
    result: Assessment | None = None
    if intent in (Intent.assess, Intent.follow_up) or escalates(kb, understood):
        result = engine.assess(understood.findings, audience)
        sections += assessment_sections(kb, result, audience)
    if intent in (Intent.assess, Intent.follow_up):
        lead = {c.id for c in result.differential[:1]} if result else set()
        sections += [condition_section(kb, c, understood.topics, audience, f"You asked about {c.name}")
                     for c in named[:3] if c.id not in lead]
    elif intent is Intent.compare:
        sections += compare_sections(kb, named[:4], audience)
    elif intent is Intent.question and named:
        sections += [condition_section(kb, c, understood.topics, audience) for c in named[:3]]
    elif intent is Intent.question and (topic := find_topic(kb, understood.text)) is not None:
        sections += topic_sections(kb, topic, audience)
        if full and not understood.topic_findings.is_empty():
            sections += overview(kb, engine, understood.topic_findings, audience)
    elif intent is Intent.question and not understood.topic_findings.is_empty():
        sections += overview(kb, engine, understood.topic_findings, audience)
    elif intent is Intent.question:
        if "see_doctor" in understood.topics and (signs := warning_signs(kb, audience, TriageLevel.urgent)):
            sections.append(signs)
        found = retrieved(kb, understood.text, audience, understood.topics)
        covered = ", ".join(c.name for c in kb.conditions.values())
        sections.append(_section("From the knowledge base", found) or Section(
            title="Not in the knowledge base",
            items=(Item(text="babyskin found nothing on this in its knowledge base. It covers bumps and"
                             f" rashes on a baby's skin: {covered}.", refs=()),)))
    if intent in (Intent.empty, Intent.unsupported) and (signs := warning_signs(kb, audience)):
        sections.append(signs)
    if not full:
        sections = limit_references(kb, trim(sections, word_limit(audience)))
    keys = [r for s in sections for i in s.items for r in i.refs]
    if result is not None and full:
        keys += [c.key for c in result.references]
    return AskAnswer(
        intent=intent, audience=audience, understood=understood.understood, unknowns=understood.unknowns,
        notes=understood.notes, emergency=understood.emergency, findings=understood.findings,
        conditions=understood.conditions, triage=result.triage if result else None, sections=tuple(sections),
        references=citations(kb, keys), assessment=assessment_json(result) if result else None,
        conversation=encode_conversation(understood.findings), kb_version=kb.version,
    )


def answer_text(text: str, audience: Audience = Audience.parent, *, conversation: str | None = None,
                engine: Engine | None = None, full: bool = False) -> AskAnswer:
    """Understand ``text`` (continuing ``conversation`` when given) and answer it."""
    from babyskin.engine.assess import default_engine
    from babyskin.understand import decode_conversation, understand_text

    engine = engine or default_engine()
    previous = decode_conversation(conversation, engine.kb) if conversation else None
    understood = understand_text(text, previous=previous, kb=engine.kb)
    return answer(understood, audience, engine=engine, full=full)


def warm_up(kb: KnowledgeBase) -> None:
    """Build the NLP pipeline, the reader's word lists and the bm25 index now (server start-up)."""
    from babyskin.retrieve import get_index
    from babyskin.understand import understand_text

    understand_text("warm up: 3 week old, white bumps on the nose, no fever", kb=kb)
    get_index(kb)


# --- terminal output ----------------------------------------------------------------------------------

def print_answer(console: Console, result: AskAnswer) -> None:
    console.print(f"[bold]{result.understood}[/]", highlight=False)
    if result.unknowns:
        console.print("[bold]Still unknown, and it matters:[/] " + "; ".join(result.unknowns),
                      highlight=False)
    for note in result.notes:
        console.print(f"[yellow]Note:[/] {note}", highlight=False)
    if result.emergency:
        console.print("[bold red]Emergency words found:[/] " + "; ".join(result.emergency), highlight=False)
    if result.triage is not None:
        level = result.triage.level
        body = result.triage.action + "\n" + "\n".join(f"- {r}" for r in result.triage.reasons)
        console.print(Panel(body, title=TRIAGE_TITLE[level], style=TRIAGE_STYLE[level]))
    print_sections(console, result.sections, result.references)
    if result.intent in (Intent.assess, Intent.follow_up):
        console.print("\n[dim]To add to this, run: babyskin ask --conversation"
                      f" {result.conversation} \"...\"[/]")
    console.print(f"[dim]{DISCLAIMER}[/]")


def _escape(text: str) -> str:
    return re.sub(r"(\[)", r"\\\1", text)


def print_sections(console: Console, sections: Sequence[Section], references: Sequence[Citation]) -> None:
    """Render composed sections and their numbered references in the terminal."""
    numbers = {c.key: i for i, c in enumerate(references, 1)}
    for section in sections:
        console.print(f"\n[bold]{section.title}[/]")
        if section.table:
            table = Table("", "What it looks like", show_edge=False)
            for item in section.items:
                refs = "".join(f"[{numbers[r]}]" for r in item.refs if r in numbers)
                table.add_row(item.label or "", f"{_escape(item.text)} {_escape(refs)}")
            console.print(table)
            continue
        for item in section.items:
            refs = "".join(f"[{numbers[r]}]" for r in item.refs if r in numbers)
            label = f"[italic]{item.label}:[/] " if item.label else ""
            caution = f" [italic]({item.caution})[/]" if item.caution else ""
            console.print(f"  - {label}{_escape(item.text)} {refs}{caution}", highlight=False)
        if section.review:
            console.print(f"  [italic]{section.review}[/]")
    if references:
        console.print("\n[bold]References[/] (best evidence first)")
        for i, ref in enumerate(references, 1):
            year = f" {ref.year}" if ref.year else ""
            console.print(f"  [{i}] {ref.title}. {ref.publisher}{year}. Grade {ref.evidence} ({ref.kind})."
                          f" {ref.url or ''}", highlight=False, markup=False)
