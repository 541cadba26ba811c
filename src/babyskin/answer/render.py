"""Assessments and conditions -> JSON-ready dicts and rich terminal output."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from babyskin.answer.advice import build_advice, citations, review_line, statement
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import FAQ_QUESTIONS, Condition
from babyskin.models import DISCLAIMER, Assessment, Audience, Statement, TriageLevel

TRIAGE_STYLE = {
    TriageLevel.emergency: "bold white on red",
    TriageLevel.urgent: "bold black on dark_orange",
    TriageLevel.soon: "bold black on yellow",
    TriageLevel.home: "bold white on green4",
}
TRIAGE_TITLE = {
    TriageLevel.emergency: "EMERGENCY - act now",
    TriageLevel.urgent: "URGENT - a doctor today",
    TriageLevel.soon: "SOON - see a doctor within days",
    TriageLevel.home: "HOME CARE - see a doctor if it persists or worsens",
}


def assessment_json(result: Assessment) -> dict[str, Any]:
    return result.model_dump(mode="json", by_alias=True)


def _refs(item: Statement, numbers: dict[str, int]) -> str:
    return "".join(f"[{numbers[r]}]" for r in item.refs if r in numbers)


def _lines(console: Console, title: str, items: tuple[Statement, ...], numbers: dict[str, int]) -> None:
    if not items:
        return
    console.print(f"[bold]{title}[/]")
    for item in items:
        caution = f" [italic]({item.caution})[/]" if item.caution else ""
        console.print(f"  - {item.text} {_refs(item, numbers)}{caution}", highlight=False)


def print_assessment(console: Console, result: Assessment) -> None:
    numbers = {c.key: i for i, c in enumerate(result.references, 1)}
    level = result.triage.level
    body = result.triage.action + "\n" + "\n".join(f"- {r}" for r in result.triage.reasons)
    console.print(Panel(body, title=TRIAGE_TITLE[level], style=TRIAGE_STYLE[level]))
    for flag in result.red_flags:
        console.print(f"[bold red]Red flag:[/] {flag.title}. {flag.parent_text}")
    for caution in result.cautions:
        console.print(f"[yellow]Caution:[/] {caution}")
    table = Table("", "condition", "likelihood", "for", "against", title="Most likely")
    clinician = result.audience is Audience.clinician
    for i, cand in enumerate(result.differential, 1):
        name = f"{cand.name} ({cand.icd10cm})" if clinician else cand.name
        table.add_row(
            str(i), name, f"{cand.probability:.0%}",
            ", ".join(r.label for r in cand.for_[:4]) or "-",
            ", ".join(r.label for r in cand.against[:3]) or "-",
        )
    console.print(table)
    if result.must_not_miss:
        console.print("[bold]Serious causes to rule out[/]")
        for item in result.must_not_miss:
            console.print(f"  - {item.name} ({item.triage}): {item.why}. {item.action}", highlight=False)
    advice = result.advice
    _lines(console, "About it", advice.summary, numbers)
    _lines(console, "What to do", advice.do, numbers)
    _lines(console, "What not to do", advice.dont, numbers)
    _lines(console, "When to get help", advice.see_doctor, numbers)
    _lines(console, "Management (clinicians)", advice.management, numbers)
    console.print(f"[italic]{advice.review}[/]")
    console.print("[bold]References[/] (best evidence first)")
    for i, ref in enumerate(result.references, 1):
        year = f" {ref.year}" if ref.year else ""
        console.print(f"  [{i}] {ref.title}. {ref.publisher}{year}. Grade {ref.evidence} ({ref.kind})."
                      f" {ref.url or ''}", highlight=False, markup=False)
    console.print(f"[dim]{DISCLAIMER}[/]")


def condition_json(kb: KnowledgeBase, cond: Condition, audience: Audience) -> dict[str, Any]:
    advice = build_advice(kb, cond, audience, [])
    faqs = [
        {"topic": f.topic.value, "question": FAQ_QUESTIONS[f.topic],
         **statement(kb, f.text, f.refs).model_dump(mode="json")}
        for f in cond.faqs
    ]
    keys = [r for s in (*advice.summary, *advice.do, *advice.dont, *advice.see_doctor,
                        *advice.management) for r in s.refs]
    keys += [r for f in cond.faqs for r in f.refs] + list(cond.findings.refs)
    keys += list(cond.appearance.refs) + list(cond.cause.refs) + list(cond.contagious.text.refs)
    return {
        "id": cond.id,
        "name": cond.name,
        "also_called": cond.also_called,
        "icd10cm": cond.icd10cm,
        "triage": cond.triage.value,
        "onset_days": cond.onset_days.model_dump(),
        "duration_days": cond.course.duration_days.model_dump(),
        "contagious": cond.contagious.value,
        "appearance": statement(kb, cond.appearance.text, cond.appearance.refs).model_dump(),
        "cause": statement(kb, cond.cause.text, cond.cause.refs).model_dump(),
        "advice": advice.model_dump(mode="json"),
        "red_flags": [] if cond.red_flags == "none" else [
            {"id": f, "title": kb.red_flags[f].title, "triage": kb.red_flags[f].triage.value}
            for f in cond.red_flags
        ],
        "faqs": faqs,
        "review": {**cond.review.model_dump(mode="json", exclude={"history"}),
                   "line": review_line(cond)},
        # where sources differ: a note for reviewers and clinicians (it may quote doses)
        "sources_note": cond.sources_note if audience is Audience.clinician else None,
        "references": [c.model_dump(mode="json") for c in citations(kb, keys)],
    }


def print_condition(console: Console, kb: KnowledgeBase, cond: Condition, audience: Audience) -> None:
    data = condition_json(kb, cond, audience)
    numbers = {c["key"]: i for i, c in enumerate(data["references"], 1)}
    console.print(Panel(f"{cond.name} ({cond.icd10cm}); also called: {', '.join(cond.also_called)}",
                        title=cond.id))
    advice = build_advice(kb, cond, audience, [])
    _lines(console, "About it", advice.summary, numbers)
    _lines(console, "What it looks like", (statement(kb, cond.appearance.text, cond.appearance.refs),),
           numbers)
    _lines(console, "Cause", (statement(kb, cond.cause.text, cond.cause.refs),), numbers)
    _lines(console, "What to do", advice.do, numbers)
    _lines(console, "What not to do", advice.dont, numbers)
    _lines(console, "When to get help", advice.see_doctor, numbers)
    _lines(console, "Management (clinicians)", advice.management, numbers)
    if cond.faqs:
        console.print("[bold]Questions parents ask[/]")
        for faq in cond.faqs:
            refs = "".join(f"[{numbers[r]}]" for r in faq.refs if r in numbers)
            console.print(f"  [italic]{FAQ_QUESTIONS[faq.topic]}[/] {faq.text} {refs}")
    console.print(f"[italic]{data['review']['line']}[/]")
    for i, ref in enumerate(data["references"], 1):
        console.print(f"  [{i}] {ref['title']}. {ref['publisher']}. Grade {ref['evidence']}.",
                      markup=False)
