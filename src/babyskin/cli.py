"""The ``babyskin`` command line: a thin Typer layer over the engine, the KB and the evaluation.

Exit codes: 0 done; 1 the knowledge base or store failed (or ``kb lint`` found problems);
2 bad input (unknown word, impossible age, unknown id); 3 an unexpected internal failure.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from babyskin import cli_options as opt
from babyskin.cli_options import AudienceOpt, JsonOpt
from babyskin.cli_output import emit_json, err, fail, out
from babyskin.errors import BabyskinError, InputError
from babyskin.models import Audience

app = typer.Typer(
    help="babyskin: assessment and answers for small bumps and rashes on a baby's skin (0-24 months).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_subcommands() -> None:
    """Sub-apps live in their own modules; each imports its heavy libraries lazily."""
    from babyskin.cli_diary import diary_app
    from babyskin.cli_fhir import fhir_app
    from babyskin.cli_kb import kb_app

    app.add_typer(kb_app, name="kb")
    app.add_typer(diary_app, name="diary")
    app.add_typer(fhir_app, name="fhir")


@app.command()
def assess(
    age: Annotated[str | None, typer.Option(help="Age: 10d, 3w, 5m, 1y.")] = None,
    where: opt.Where = None,
    lesion: opt.Lesion = None,
    color: opt.Color = None,
    size: opt.Size = None,
    count: opt.Count = None,
    present: opt.Present = None,
    absent: opt.Absent = None,
    onset: opt.Onset = None,
    duration: opt.Duration = None,
    gestation: opt.Gestation = None,
    fever_days: opt.FeverDays = None,
    temperature: opt.Temperature = None,
    audience: AudienceOpt = Audience.parent,
    as_json: JsonOpt = False,
    as_fhir: Annotated[bool, typer.Option("--fhir", help="Print a FHIR R4 Bundle.")] = False,
) -> None:
    """Assess structured findings: a ranked differential, triage, advice and references."""
    from babyskin.engine.assess import assess as run_assess
    from babyskin.parse import findings_from_options

    try:
        findings = findings_from_options(
            age=age, where=where, lesion=lesion, color=color, size=size, count=count,
            present=present, absent=absent, onset=onset, duration=duration, gestation=gestation,
            fever_days=fever_days, temperature=temperature,
        )
        result = run_assess(findings, audience)
    except BabyskinError as error:
        fail(error)
    if as_fhir:
        from babyskin.interop.fhir import assessment_bundle
        from babyskin.settings import Settings

        emit_json(assessment_bundle(result, _kb(), Settings.from_env().public_url))
    elif as_json:
        from babyskin.answer.render import assessment_json

        emit_json(assessment_json(result))
    else:
        from babyskin.answer.render import print_assessment

        print_assessment(out, result)


@app.command()
def conditions(as_json: JsonOpt = False) -> None:
    """List the conditions the knowledge base covers."""
    from rich.table import Table

    kb = _kb()
    rows = [
        {"id": c.id, "name": c.name, "icd10cm": c.icd10cm, "triage": c.triage.value,
         "review": c.review.status.value}
        for c in kb.conditions.values()
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "name", "ICD-10-CM", "triage", "review", title=f"{len(rows)} conditions")
    for row in rows:
        table.add_row(*row.values())
    out.print(table)


@app.command()
def topics(
    topic_id: Annotated[str | None, typer.Argument(
        help="A topic id, e.g. small_bumps; none: the list.")] = None,
    audience: AudienceOpt = Audience.parent,
    as_json: JsonOpt = False,
) -> None:
    """List the topic pages (questions parents ask most), or show one with its references."""
    from babyskin.answer.topics import section_json, topic_page

    kb = _kb()
    if topic_id is None:
        rows = [{"id": t.id, "title": t.title, "review": t.review.status.value} for t in kb.topics.values()]
        if as_json:
            emit_json(rows)
            return
        for row in rows:
            out.print(f"{row['id']:<32} {row['title']} ({row['review']})", highlight=False)
        return
    try:
        topic, parts, refs = topic_page(kb, topic_id, audience)
    except BabyskinError as error:
        fail(error)
    if as_json:
        emit_json({"id": topic.id, "title": topic.title, "sections": section_json(parts),
                   "references": [c.model_dump(mode="json") for c in refs]})
        return
    from babyskin.answer.ask import print_sections

    out.print(f"[bold]{topic.title}[/]")
    print_sections(out, parts, refs)


@app.command()
def show(
    condition_id: Annotated[str, typer.Argument(help="A condition id, e.g. milia.")],
    audience: AudienceOpt = Audience.parent,
    as_json: JsonOpt = False,
) -> None:
    """Show one condition in full, with its references."""
    from babyskin.answer.render import condition_json, print_condition

    kb = _kb()
    try:
        cond = kb.condition(condition_id)
    except BabyskinError as error:
        fail(error)
    if as_json:
        emit_json(condition_json(kb, cond, audience))
    else:
        print_condition(out, kb, cond, audience)


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="Your question or description, in quotes; '-' reads stdin.")],
    audience: AudienceOpt = Audience.parent,
    conversation: Annotated[str | None, typer.Option(
        "--conversation", "-c", help="The token from a previous answer, to continue it.")] = None,
    full: Annotated[bool, typer.Option("--full", help="The long form: no word or reference limit.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ask in your own words: what was understood, then an answer from the knowledge base."""
    from babyskin.answer.ask import answer_text, print_answer

    try:
        result = answer_text(sys.stdin.read() if text == "-" else text, audience, conversation=conversation,
                             full=full)
    except BabyskinError as error:
        fail(error)
    if as_json:
        emit_json(result.model_dump(mode="json"))
    else:
        print_answer(out, result)


@app.command()
def compare(
    ids: Annotated[list[str], typer.Argument(help="Two to four condition ids.")],
    audience: AudienceOpt = Audience.parent,
    as_json: JsonOpt = False,
) -> None:
    """Compare two to four conditions side by side, with citations; pairs parents confuse start with
    how to tell them apart."""
    from babyskin.answer.compare import compare as run_compare

    kb = _kb()
    try:
        table = run_compare(kb, ids)
    except BabyskinError as error:
        fail(error)
    if as_json:
        emit_json(table)
        return
    from rich.table import Table

    numbers = {r["key"]: i for i, r in enumerate(table["references"], 1)}

    def cited(statement: dict) -> str:
        marks = sorted({numbers[r] for r in statement["refs"]})
        return statement["text"] + " " + "".join(f"[{n}]" for n in marks)

    for item in table["tell_apart"]:
        out.print("How to tell them apart: " + cited(item[audience.value]), markup=False)
        for difference in item["differences"]:
            out.print("  - " + cited(difference), markup=False)
    grid = Table("", *[c["name"] for c in table["conditions"]], show_lines=True,
                 title="Side by side")
    for row in table["rows"]:
        cells = []
        for col in table["conditions"]:
            cell = col["cells"][row]
            cells.append(cell["text"] + " " + "".join(f"[{numbers[r]}]" for r in cell["refs"]))
        grid.add_row(row, *cells)
    out.print(grid, markup=False)
    for ref in table["references"]:
        out.print(f"  [{numbers[ref['key']]}] {ref['title']}. {ref['publisher']}. Grade"
                  f" {ref['evidence']}.", markup=False)


@app.command()
def check(
    audience: AudienceOpt = Audience.parent,
    json_lines: Annotated[bool, typer.Option("--json", help="JSON lines in and out, for scripts.")] = False,
) -> None:
    """A guided check: a few questions, red flags first, then the answer."""
    from babyskin.guided_cli import run_check

    try:
        run_check(out, audience, json_lines=json_lines)
    except BabyskinError as error:
        fail(error)


@app.command("eval")
def evaluate(
    file: Annotated[Path, typer.Argument(help="A cases file in the schema of dev_cases.yaml, or a folder.")],
    text: Annotated[bool, typer.Option("--text", help="Assess from each case's question.")] = False,
    adaptive: Annotated[bool, typer.Option("--adaptive", help="Simulate the guided check.")] = False,
    leave_one_out: Annotated[bool, typer.Option(
        "--leave-one-out", help="Each case once per finding, that finding left out (robustness).")] = False,
    cv: Annotated[int | None, typer.Option(
        "--cv", help="K-fold cross-validation grouped by source (fit on the other folds).")] = None,
    strength: Annotated[float | None, typer.Option(
        "--strength", help="With --cv: pseudo-cases behind each KB typicality word.")] = None,
    tune_harm: Annotated[bool, typer.Option(
        "--tune-harm", help="With --cv: cross-validated figures for a grid of triage costs.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Also write an HTML report here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score the engine on cases: top-1/top-3, triage, under- and over-triage, Brier, reliability."""
    from babyskin.evaluation import Mode, evaluate_cases, load_cases, print_report

    flags: list[tuple[bool, Mode]] = [(text, "text"), (adaptive, "adaptive"),
                                      (leave_one_out, "leave_one_out")]
    chosen = [mode for on, mode in flags if on]
    if len(chosen) > 1:
        fail(InputError("choose one of --text, --adaptive and --leave-one-out"))
    if (tune_harm or strength is not None) and cv is None:
        fail(InputError("--tune-harm and --strength need --cv K (they are chosen on held-out folds)"))
    mode: Mode = chosen[0] if chosen else "findings"
    try:
        cases = load_cases(file)
        if cv is not None:
            from babyskin.evaluation_cv import cross_validate
            from babyskin.evaluation_cv import tune_harm as run_tuning

            if tune_harm:
                rows = run_tuning(cases, cv)
                emit_json(rows) if as_json else _print_rows(rows)
                return
            report = cross_validate(cases, cv, strength=strength, mode=mode)
        else:
            report = evaluate_cases(cases, mode)
    except BabyskinError as error:
        fail(error)
    if html is not None:
        from babyskin.eval_html import write_html

        write_html(report, html, title=f"babyskin eval: {file}")
    if as_json:
        emit_json({**report.summary(), "cases": report.case_rows()}, one_line=True)
    else:
        print_report(out, report)
        if html is not None:
            out.print(f"Wrote {html}", highlight=False)


def _print_rows(rows: list[dict]) -> None:
    from rich.table import Table

    table = Table(*rows[0].keys(), title="Triage costs on cross-validation (best first)")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    out.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Start the web app and API."""
    import uvicorn

    from babyskin.api.app import create_app
    from babyskin.settings import Settings

    settings = Settings.from_env()
    out.print(f"babyskin serving on http://{host}:{port} (API docs at /docs)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning",
                access_log=False)


def _kb():
    from babyskin.engine.assess import default_engine

    try:
        return default_engine().kb
    except BabyskinError as error:
        fail(error)


_register_subcommands()


def main() -> None:
    try:
        app()
    except typer.Exit:
        raise
    except BabyskinError as error:  # pragma: no cover - commands catch their own
        err.print(f"error: {error}", markup=False)
        sys.exit(1)
    except Exception as error:
        err.print(f"internal error: {type(error).__name__}: {error}. Please report it.", markup=False)
        sys.exit(3)


if __name__ == "__main__":
    main()
