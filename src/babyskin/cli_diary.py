"""``babyskin diary ...``: the spot diary from the command line (see :mod:`babyskin.store`).

The store is chosen by ``BABYSKIN_DATABASE_URL`` (default: a SQLite file in the user's data
directory). The command line works as one family, ``local`` unless ``--family`` names another; a
child is created the first time an entry names it (give ``--born`` then). Every command takes
``--json``. Heavy libraries (SQLAlchemy, the engine) are imported inside the commands.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from babyskin import cli_options as opt
from babyskin.cli_options import JsonOpt
from babyskin.cli_output import emit_json, fail, out
from babyskin.errors import BabyskinError, InputError, NotFound

if TYPE_CHECKING:
    from babyskin.store.records import ChildRecord
    from babyskin.store.repository import DiaryStore
    from babyskin.store.service import Diary, EntryDraft

diary_app = typer.Typer(help="Follow spots over time in a diary.", no_args_is_help=True)

FamilyOpt = Annotated[str, typer.Option("--family", help="Which local family's diary to use.")]
ChildOpt = Annotated[str, typer.Option("--child", help="The child's name or nickname.")]
LOCAL_FAMILY = "local"


def _date(option: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            f"{option}: expected a date like 2026-11-01 (year-month-day), got {value!r}"
        ) from None


def _open_store() -> DiaryStore:
    from babyskin.settings import Settings
    from babyskin.store.repository import DiaryStore

    store = DiaryStore(Settings.from_env().resolved_database_url())
    store.migrate()
    return store


def _open_diary() -> Diary:
    from babyskin.engine.assess import Engine, default_engine
    from babyskin.kb.loader import load_kb
    from babyskin.settings import Settings
    from babyskin.store.service import Diary

    settings = Settings.from_env()
    engine = Engine(load_kb(settings.kb_dir)) if settings.kb_dir else default_engine()
    return Diary(_open_store(), engine)


def _child(store: DiaryStore, family_id: int, name: str, *, hint: str = "") -> ChildRecord:
    child = store.find_child(family_id, name)
    if child is None:
        raise NotFound(f"no child called '{name}' in this diary; "
                       + (hint or f"add one with `babyskin diary add --child {name} --born YYYY-MM-DD`"))
    return child


def _draft(**fields: Any) -> EntryDraft:
    from pydantic import ValidationError

    from babyskin.parse import validation_problems
    from babyskin.store.service import EntryDraft

    try:
        return EntryDraft(**fields)
    except ValidationError as error:
        problems = [f"--{p}" for p in validation_problems(error)]
        raise InputError("; ".join(problems), problems=problems) from None


@diary_app.command()
def add(
    child: ChildOpt,
    born: Annotated[str | None, typer.Option(help="Birth date, 2026-11-01 (needed for a new child).")] = None,
    gestation: Annotated[int | None, typer.Option(help="Weeks of gestation at birth (new child).")] = None,
    date: Annotated[str | None, typer.Option(help="Day the spots were seen (default today).")] = None,
    text: Annotated[str | None, typer.Option(help="What you see, in your own words.")] = None,
    where: opt.Where = None,
    lesion: opt.Lesion = None,
    color: opt.Color = None,
    size: opt.Size = None,
    count: opt.Count = None,
    present: opt.Present = None,
    absent: opt.Absent = None,
    onset: opt.Onset = None,
    duration: opt.Duration = None,
    note: Annotated[str | None, typer.Option(help="A private note (not assessed).")] = None,
    episode: Annotated[str, typer.Option(help="Which spots this follows, e.g. 'nappy area'.")] = "main",
    family: FamilyOpt = LOCAL_FAMILY,
    as_json: JsonOpt = False,
) -> None:
    """Add an entry (creating the child on first use); it is assessed when saved."""
    from babyskin.parse import findings_from_options
    from babyskin.store.records import NewChild
    from babyskin.store.service import child_json, entry_json

    try:
        findings = findings_from_options(
            where=where, lesion=lesion, color=color, size=size, count=count, present=present,
            absent=absent, onset=onset, duration=duration,
        )
        draft = _draft(on=_date("--date", date), text=text, findings=findings, note=note, episode=episode)
        birth = _date("--born", born)
        diary = _open_diary()
        family_id = diary.store.cli_family(family).id
        target: int | NewChild
        if birth is not None:
            target = NewChild(name=child, birth_date=birth, gestation_weeks=gestation)
        else:
            target = _child(diary.store, family_id, child, hint="give the birth date with --born").id
        saved_child, entry, review = diary.add_entry(family_id, target, draft)
    except BabyskinError as error:
        fail(error)
    if as_json:
        emit_json({"child": child_json(saved_child, diary.today()), "entry": entry_json(entry),
               "episode": review.model_dump(mode="json")})
        return
    age = saved_child.age_days(entry.on)
    out.print(f"Saved entry {entry.id} for {saved_child.name} ({age} days old) on {entry.on},"
              f" episode '{entry.episode}'.", markup=False)
    _print_episode(out, review.model_dump(mode="json"))


@diary_app.command("list")
def list_(
    child: Annotated[str | None, typer.Option("--child", help="List this child's entries.")] = None,
    family: FamilyOpt = LOCAL_FAMILY,
    as_json: JsonOpt = False,
) -> None:
    """List the children, or one child's entries with their assessments."""
    from babyskin.store.service import child_json, entry_json

    try:
        store = _open_store()
        family_id = store.cli_family(family).id
        today = dt.date.today()
        if child is None:
            rows = [{**child_json(c, today), "entries": len(store.list_summaries(family_id, c.id))}
                    for c in store.list_children(family_id)]
        else:
            record = _child(store, family_id, child)
            rows = [entry_json(e) for e in store.list_entries(family_id, record.id)]
    except BabyskinError as error:
        fail(error)
    if as_json:
        emit_json(rows)
        return
    from rich.table import Table

    if child is None:
        table = Table("name", "born", "age (days)", "entries", title=f"{len(rows)} children")
        for row in rows:
            table.add_row(row["name"], row["birth_date"], str(row["age_days"]), str(row["entries"]))
    else:
        table = Table("id", "date", "episode", "most likely", "triage", "text", title=record.name)
        for row in rows:
            lead = row["assessment"]["differential"][0]["name"] if row["assessment"]["differential"] else "-"
            table.add_row(str(row["id"]), row["date"], row["episode"], lead, row["triage"],
                          (row["text"] or "")[:60])
    out.print(table)


@diary_app.command()
def show(
    child: ChildOpt,
    entry: Annotated[int | None, typer.Option("--entry", help="Show one entry in full.")] = None,
    family: FamilyOpt = LOCAL_FAMILY,
    as_json: JsonOpt = False,
) -> None:
    """Show a child's timeline: each episode's expected course, "check again by" date and flags."""
    from babyskin.store.service import entry_json

    try:
        diary = _open_diary()
        family_id = diary.store.cli_family(family).id
        record = _child(diary.store, family_id, child)
        if entry is not None:
            found = diary.store.get_entry(family_id, entry)
            if found.child_id != record.id:
                raise NotFound(f"entry {entry} is not one of {record.name}'s entries")
            data: dict[str, Any] = entry_json(found)
        else:
            data = diary.timeline(family_id, record.id)
    except BabyskinError as error:
        fail(error)
    if as_json:
        emit_json(data)
        return
    if entry is not None:
        from babyskin.answer.render import print_assessment
        from babyskin.models import Assessment

        out.print(f"Entry {data['id']} on {data['date']}, episode '{data['episode']}': {data['text'] or ''}",
                  markup=False)
        print_assessment(out, Assessment.model_validate(data["assessment"]))
        return
    kid = data["child"]
    out.print(f"[bold]{kid['name']}[/], born {kid['birth_date']} ({kid['age_days']} days old):"
              f" {len(data['entries'])} entries")
    for review in data["episodes"]:
        _print_episode(out, review)


@diary_app.command()
def export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    family: FamilyOpt = LOCAL_FAMILY,
    as_json: JsonOpt = False,
) -> None:
    """Export everything this family's diary holds, as JSON (to stdout, or to --output)."""
    import json

    try:
        store = _open_store()
        data = store.export_family(store.cli_family(family).id)
    except BabyskinError as error:
        fail(error)
    if output is None:
        emit_json(data)
        return
    output.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    entries = sum(len(c["entries"]) for c in data["children"])
    summary = {"ok": True, "path": str(output), "children": len(data["children"]), "entries": entries}
    if as_json:
        emit_json(summary)
    else:
        out.print(f"Wrote {entries} entries for {len(data['children'])} children to {output}")


@diary_app.command()
def delete(
    child: Annotated[str | None, typer.Option("--child", help="Delete this child and its entries.")] = None,
    entry: Annotated[int | None, typer.Option("--entry", help="Delete one entry.")] = None,
    everything: Annotated[bool, typer.Option("--everything", help="Delete the whole family diary.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    family: FamilyOpt = LOCAL_FAMILY,
    as_json: JsonOpt = False,
) -> None:
    """Delete a child, one entry or the whole family diary, for real (there is no undo)."""
    chosen = [name for name, on in (("--child", child), ("--entry", entry), ("--everything", everything))
              if on not in (None, False)]
    if len(chosen) != 1:
        fail(InputError("say what to delete: exactly one of --child NAME, --entry ID or --everything"))
    try:
        store = _open_store()
        family_id = store.cli_family(family).id
        what = f"the whole '{family}' diary" if everything else f"entry {entry}"
        record = _child(store, family_id, child) if child else None
        if record:
            what = f"{record.name} and all of {record.name}'s entries"
        if not yes and not typer.confirm(f"Delete {what}? This cannot be undone."):
            raise typer.Exit(1)
        if record:
            counts = store.delete_child(family_id, record.id)
        elif entry is not None:
            counts = store.delete_entry(family_id, entry)
        else:
            counts = store.delete_family(family_id)
    except BabyskinError as error:
        fail(error)
    if as_json:
        emit_json({"ok": True, "deleted": counts})
    else:
        out.print(f"Deleted {counts['children']} children and {counts['entries']} entries.")


def _print_episode(out: Any, review: dict[str, Any]) -> None:
    numbers: dict[str, int] = {ref["key"]: i for i, ref in enumerate(review["references"], 1)}

    def cite(item: dict[str, Any]) -> str:
        return "".join(f"[{numbers[r]}]" for r in item["refs"] if r in numbers)

    lead = review["leading_name"] or "no leading diagnosis"
    out.print(f"[bold]Episode '{review['episode']}'[/]: {review['first_on']} to {review['last_on']},"
              f" most likely {lead} (triage: {review['triage']})")
    course = review["course"]
    if course:
        low, high = course["duration_days"]
        due = " [bold red](due now)[/]" if review["check_due"] else ""
        out.print(f"  Expected course: {low}-{high} days from about {course['started_on']};"
                  f" check again by [bold]{course['check_again_by']}[/]{due}")
        out.print(f"  {course['text']['text']} {cite(course['text'])}", markup=False)
    for flag in review["flags"]:
        level = f" ({flag['triage']})" if flag["triage"] else ""
        out.print(f"  [bold yellow]! {flag['title']}[/]{level}: {flag['reason']}", highlight=False)
        for item in flag["advice"]:
            out.print(f"      - {item['text']} {cite(item)}", markup=False)
    for i, ref in enumerate(review["references"], 1):
        out.print(f"  [{i}] {ref['title']}. {ref['publisher']}. {ref['url'] or ''}", markup=False)
