"""``babyskin kb ...``: lint, claims, review workflow and review status of the knowledge base."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from babyskin.cli_options import AudienceOpt, JsonOpt
from babyskin.cli_output import emit_json, err, fail, out
from babyskin.errors import BabyskinError, KnowledgeBaseError
from babyskin.models import Audience

kb_app = typer.Typer(help="Check and review the knowledge base.", no_args_is_help=True)
PathOpt = Annotated[Path | None, typer.Option("--path", help="A knowledge-base folder (default: bundled).")]


def _load(path: Path | None, *, full: bool = False):
    from babyskin.kb.loader import load_kb

    try:
        return load_kb(path, full=full)
    except BabyskinError as error:
        fail(error)


@kb_app.command("lint")
def lint(path: PathOpt = None, as_json: JsonOpt = False) -> None:
    """Validate the knowledge base; print every problem as path:record:field: problem."""
    from babyskin.kb.loader import load_kb

    try:
        kb = load_kb(path, full=True)
    except KnowledgeBaseError as error:
        if as_json:
            emit_json({"ok": False, "problems": error.problems})
            raise typer.Exit(1) from None
        for problem in error.problems:
            err.print(problem, markup=False, highlight=False)
        err.print(f"[red]{len(error.problems)} problem(s)[/]")
        raise typer.Exit(1) from None
    from babyskin.kb.texts import reading_warnings

    warnings = reading_warnings(kb)
    if as_json:
        emit_json({"ok": True, "problems": [], "warnings": warnings, "version": kb.version,
                   "counts": {"conditions": len(kb.conditions), "findings": len(kb.findings),
                              "red_flags": len(kb.red_flags), "references": len(kb.references),
                              "claims": len(kb.claims), "topics": len(kb.topics)}})
        return
    out.print(
        f"ok: {len(kb.conditions)} conditions, {len(kb.findings)} findings, {len(kb.red_flags)}"
        f" red flags, {len(kb.references)} references, {len(kb.claims)} claims, {len(kb.topics)} topics"
        f" (version {kb.version})" + (f"; {len(warnings)} reading warning(s)" if warnings else "")
    )
    for warning in warnings:  # after the verdict: warnings never fail the lint
        err.print(f"warning: {warning}", markup=False, highlight=False)


@kb_app.command("texts")
def texts_command(
    audience: AudienceOpt = Audience.parent,
    grades: Annotated[bool, typer.Option("--grades", help="Add each text's reading grade and the"
                                          " figures (median, share above 8).")] = False,
    path: PathOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every statement shown to an audience, as {id, text} (parent: plain words, goal grade 6)."""
    from babyskin.kb.texts import grade, reading_figures, texts

    kb = _load(path)
    rows: list[dict[str, object]] = [{"id": i, "text": t} for i, t in texts(kb, audience)]
    if grades:
        for row in rows:
            row["grade"] = grade(str(row["text"]))
    if as_json:
        emit_json({"texts": rows, "figures": reading_figures(kb, audience)} if grades else rows)
        return
    for row in rows:
        extra = f" [grade {row['grade']}]" if grades else ""
        out.print(f"{row['id']}{extra}: {row['text']}", markup=False, highlight=False)
    if grades:
        out.print(f"figures: {reading_figures(kb, audience)}", markup=False, highlight=False)


@kb_app.command("claims")
def claims(
    verdict: Annotated[str | None, typer.Option(help="supported, contested or rejected.")] = None,
    path: PathOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the seed articles' claims with our verdicts and the references that decide them."""
    from babyskin.errors import InputError
    from babyskin.kb.schema import Verdict

    kb = _load(path)
    if verdict is not None and verdict not in Verdict.__members__:
        fail(InputError(f"unknown verdict '{verdict}'; use one of: {', '.join(Verdict.__members__)}"))
    rows = [c for c in kb.claims.values() if verdict is None or c.verdict.value == verdict]
    if as_json:
        emit_json([c.model_dump(mode="json") for c in rows])
        return
    for claim in rows:
        out.print(f"{claim.id} [{claim.verdict.value}] {claim.claim}", markup=False)
        out.print(f"  why: {claim.reason}", markup=False)
        out.print(f"  seeds: {', '.join(claim.seeds)}; decided by: {', '.join(claim.refs)}",
                  markup=False)
    out.print(f"{len(rows)} claim(s)")


@kb_app.command("review")
def review(
    action: Annotated[str, typer.Argument(help="submit, start, approve or reject.")],
    condition_id: Annotated[str, typer.Argument(help="The condition id.")],
    reviewer: Annotated[str, typer.Option(help="Who makes this move.")],
    note: Annotated[str | None, typer.Option(help="A note (required to reject).")] = None,
    path: PathOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move an entry through draft -> submitted -> under_review -> approved (or back to draft)."""
    from babyskin.kb.review import move, write_review

    kb = _load(path)
    try:
        cond = kb.condition(condition_id)
        new = move(cond.review, action, reviewer, note, dt.date.today())
        write_review(kb.condition_files[cond.id], new)
    except BabyskinError as error:
        fail(error)
    if as_json:
        emit_json({"id": cond.id, "from": cond.review.status.value, "to": new.status.value,
                   "review": new.model_dump(mode="json")})
        return
    out.print(f"{cond.id}: {cond.review.status.value} -> {new.status.value} (by {reviewer})")


@kb_app.command("status")
def status(path: PathOpt = None, as_json: JsonOpt = False) -> None:
    """Every entry by review status and age of its last review; flags reviews over 12 months old."""
    from rich.table import Table

    from babyskin.kb.review import is_stale

    kb = _load(path)
    today = dt.date.today()
    rows = []
    for cond in sorted(kb.conditions.values(), key=lambda c: (c.review.status.value, c.id)):
        last = cond.review.reviewed_on
        rows.append({
            "id": cond.id, "status": cond.review.status.value,
            "reviewer": cond.review.reviewer, "reviewed_on": str(last) if last else None,
            "days_since_review": (today - last).days if last else None,
            "stale": is_stale(cond.review, today),
        })
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "status", "reviewer", "reviewed on", "days", "flag", title="Review status")
    for row in rows:
        table.add_row(row["id"], row["status"], row["reviewer"] or "-", row["reviewed_on"] or "never",
                      str(row["days_since_review"] if row["days_since_review"] is not None else "-"),
                      "[red]review overdue[/]" if row["stale"] else "")
    out.print(table)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    out.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


@kb_app.command("fit")
def fit_cases(
    cases_dir: Annotated[Path, typer.Argument(help="The case library: a folder (or file) of cases.")],
    strength: Annotated[float | None, typer.Option(
        "--strength", help="Pseudo-cases behind each KB typicality word (default: the shipped one).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", help="Where to write the counts (default: kb/data/case_counts.yaml).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit the likelihoods to a case library: write the case counts (Beta pseudo-counts, engine/fit.py)."""
    from babyskin.engine.fit import COUNTS_FILE, STRENGTH, counts_from_cases, write_counts
    from babyskin.evaluation import load_cases
    from babyskin.kb.loader import default_kb_dir

    kb = _load(None)
    try:
        cases = load_cases(cases_dir)
    except BabyskinError as error:
        fail(error)
    unknown = sorted({c.expected.diagnosis for c in cases} - set(kb.conditions))
    if unknown:
        fail(KnowledgeBaseError(f"cases name conditions the knowledge base lacks: {', '.join(unknown)}"))
    counts = counts_from_cases(((c.id, c.expected.diagnosis, c.findings) for c in cases),
                               STRENGTH if strength is None else strength)
    target = output or default_kb_dir() / COUNTS_FILE
    write_counts(target, counts)
    summary = {"written": str(target), "cases": len(cases), "conditions": len(counts.conditions),
               "strength": counts.strength, "cases_digest": counts.digest}
    if as_json:
        emit_json(summary)
    else:
        out.print(f"Wrote {target}: {len(cases)} cases over {len(counts.conditions)} conditions"
                  f" (strength {counts.strength:g}).", highlight=False)
