"""The diary pages (``/diary``): a family's children, each child's timeline, entries assessed on save.

Access: starting a diary creates a family and shows its key (the store's access token) once; opening
a diary takes the key in a POSTed form. Either way the key is then kept in a session cookie that is
HttpOnly, SameSite=Strict, scoped to ``/diary`` (and Secure over HTTPS): it is never put in a URL,
a page link or a log. Every read and write goes through the store's family-scoped service layer,
so one family's key can never reach another family's children or entries (they answer 404).

Nothing typed into the diary is logged. When the database is down every diary page answers 503 in
the app's error page style while the rest of the site keeps working; an engine crash while saving
an entry fails closed (:func:`~babyskin.web.pages.failsafe_page`).

Routes: ``GET /diary`` (start / open, or the family page) · ``POST /diary/start|open|close`` ·
``POST /diary/children`` · ``GET /diary/children/{id}`` (timeline) · ``POST .../{id}/entries`` ·
``GET|POST .../{id}/delete`` and ``/diary/delete`` (confirm, then delete) · ``GET /diary/export``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from babyskin.api.routes.diary import get_store
from babyskin.diary import DEFAULT_EPISODE, review_entries
from babyskin.errors import BabyskinError, InputError, NotFound, StorageError
from babyskin.models import Findings
from babyskin.parse import validation_problems
from babyskin.store.records import ChildRecord, FamilyRecord, NewChild
from babyskin.store.repository import DiaryStore
from babyskin.store.service import NOTE_MAX, TEXT_MAX, Diary, EntryDraft, check_child, facts
from babyskin.web import diary_view as dv
from babyskin.web.forms import Form, cross_site, days_from
from babyskin.web.pages import _form as read_page_form
from babyskin.web.pages import error_page, failsafe_page
from babyskin.web.templating import render

router = APIRouter(prefix="/diary", include_in_schema=False)
log = logging.getLogger("babyskin.web.diary")

COOKIE = "babyskin_diary"
COOKIE_PATH = "/diary"
NAME_MAX = 100
UNAVAILABLE = ("The diary's database is not available right now, so nothing can be read or saved."
               " Nothing in your diary is lost: please try again in a few minutes. The rest of babyskin"
               " (questions, the guided check, the conditions) still works.")
NOT_HERE = ("That is not in this diary. It may have been deleted, or it belongs to another diary; each"
            " diary's key opens only its own children and entries.")
NOTICES = {"closed": "Your diary is closed on this browser. Open it again with its key.",
           "child-deleted": "The child and all their entries were deleted."}
LENGTHS = {"text": ("What you see", TEXT_MAX), "note": ("The note", NOTE_MAX),
           "episode": ("Which spots", NAME_MAX)}


class NoDiaryOpen(BabyskinError):
    """No diary key in this visit's cookie, or a key that no longer opens a diary (``stale``)."""

    def __init__(self, message: str, *, stale: bool = False) -> None:
        super().__init__(message)
        self.stale = stale


# --- the key cookie and the guard every page runs under ------------------------------------------


def _keep_key(request: Request, response: Response, token: str) -> None:
    """A session cookie: gone when the browser closes; never readable by scripts or sent cross-site."""
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path=COOKIE_PATH,
                        secure=request.url.scheme == "https")


def _forget_key(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")


def _family(request: Request, store: DiaryStore) -> FamilyRecord:
    token = request.cookies.get(COOKIE, "").strip()
    if not token:
        raise NoDiaryOpen("No diary is open in this browser. Start a diary, or open yours with its key.")
    family = store.family_for_token(token)
    if family is None:
        raise NoDiaryOpen("The diary that was open here no longer exists (it may have been deleted)."
                          " Open another with its key, or start a new one.", stale=True)
    return family


def _diary(request: Request) -> Diary:
    return Diary(get_store(request), request.app.state.engine)


def _guard(request: Request, work: Callable[[], Response]) -> Response:
    """Run a page; the store's errors become the app's error pages (503, 401, 404)."""
    try:
        return work()
    except StorageError as error:
        log.error("diary page: %s", error)  # the store's messages never hold diary text
        return error_page(request, 503, UNAVAILABLE, title="The diary is not available right now")
    except NoDiaryOpen as error:
        response = error_page(request, 401, str(error), title="Open your diary first", back="/diary",
                              back_label="Start or open a diary")
        if error.stale:
            _forget_key(request, response)
        return response
    except NotFound:
        return error_page(request, 404, NOT_HERE, title="Not in this diary", back="/diary",
                          back_label="Back to your diary")


async def _posted(request: Request, work: Callable[[Form], Response]) -> Response:
    """Read a POSTed form (size-capped), then run ``work`` on it under :func:`_guard`, off the loop."""
    if cross_site(request):
        return error_page(request, 403, "This form was sent from another website, so it was not used."
                          " Use the forms on babyskin's own diary pages.", title="Form refused",
                          back="/diary", back_label="Go to the diary")
    form = await read_page_form(request)
    if isinstance(form, HTMLResponse):
        return form
    return await run_in_threadpool(_guard, request, lambda: work(form))


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --- form fields -> values -----------------------------------------------------------------------


def _date(value: str, what: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{what}: enter a date like 2026-11-01 (year-month-day)") from None


def _new_child(form: Form) -> NewChild:
    birth = _date(form.get("birth_date"), "Birth date")
    gestation = form.get("gestation").strip()
    problems = [] if birth else ["Birth date: please enter your baby's birth date"]
    if gestation and not gestation.isdecimal():
        problems.append("Born at: enter a whole number of weeks, like 38, or leave it blank")
    if problems:
        raise InputError("; ".join(problems), problems=problems)
    assert birth is not None
    return NewChild(name=" ".join(form.get("name").split()), birth_date=birth,
                    gestation_weeks=int(gestation) if gestation else None)


def _findings(form: Form) -> Findings | None:
    duration = days_from(form.get("duration"), form.get("duration_unit"),
                         what="How long the spots have been there")
    findings = Findings(**{name: form.getlist(name) for name, _, _ in dv.FORM_GROUPS},
                        duration_days=duration)
    return None if findings.is_empty() and duration is None else findings


def _draft(form: Form) -> EntryDraft:
    problems = [f"{label}: please keep it under {limit} characters (it has {len(form.get(name).strip())})"
                for name, (label, limit) in LENGTHS.items() if len(form.get(name).strip()) > limit]
    if problems:
        raise InputError("; ".join(problems), problems=problems)
    try:
        return EntryDraft(on=_date(form.get("on"), "Date"), text=form.get("text"), note=form.get("note"),
                          findings=_findings(form), episode=form.get("episode").strip() or DEFAULT_EPISODE)
    except ValidationError as error:
        problems = validation_problems(error, findings_level=False)
        raise InputError("; ".join(problems), problems=problems) from None


def _typed(form: Form, *names: str) -> dict[str, str]:
    return {name: form.get(name) for name in names}


# --- pages ---------------------------------------------------------------------------------------


def _landing(request: Request, *, notice: str | None = None, error: str | None = None,
             status: int = 200) -> HTMLResponse:
    return render(request, "diary_home.html", {"notice": notice, "error": error, "name_max": NAME_MAX},
                  status=status)


def _child_row(diary: Diary, child: ChildRecord) -> dv.ChildRow:
    today = diary.today()
    summaries = diary.store.list_summaries(child.family_id, child.id)
    reviews = review_entries(diary.engine.kb, child.birth_date, [facts(s) for s in summaries], today)
    return dv.child_row(child, reviews, len(summaries), today)


def _family_page(request: Request, diary: Diary, family: FamilyRecord, *, notice: str | None = None,
                 error: str | None = None, typed: dict[str, str] | None = None,
                 status: int = 200) -> HTMLResponse:
    today = diary.today()
    rows = [_child_row(diary, child) for child in diary.store.list_children(family.id)]
    return render(request, "diary_family.html", {
        "family": family, "rows": rows, "notice": notice, "error": error, "typed": typed or {},
        "today": today, "day": dv.day_words, "name_max": NAME_MAX,
    }, status=status)


def _child_page(request: Request, diary: Diary, family: FamilyRecord, child_id: int, *,
                error: str | None = None, typed: dict[str, str] | None = None,
                ticked: tuple[str, ...] = (), status: int = 200) -> HTMLResponse:
    today, kb = diary.today(), diary.engine.kb
    child = diary.store.get_child(family.id, child_id)
    entries = diary.store.list_entries(family.id, child.id)
    view = dv.timeline(kb, child, entries, diary.reviews(child, entries), today)
    fields = {"on": today.isoformat(), "episode": next(iter(view.episode_names), DEFAULT_EPISODE),
              "duration_unit": "days", **{k: v for k, v in (typed or {}).items() if v}}
    groups = [(name, title, dv.choices(kb, group, ticked)) for name, title, group in dv.FORM_GROUPS]
    return render(request, "diary_child.html", {
        "view": view, "fields": fields, "groups": groups, "error": error, "today": today,
        "day": dv.day_words, "text_max": TEXT_MAX, "note_max": NOTE_MAX, "name_max": NAME_MAX,
    }, status=status)


def _confirm_page(request: Request, what: str, counts: dict[str, int], *, child_name: str = "",
                  action: str, back: str) -> HTMLResponse:
    return render(request, "diary_confirm.html", {"what": what, "counts": counts, "child_name": child_name,
                                                  "action": action, "back": back})


# --- routes: start, open, close -----------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def diary_home(request: Request, done: str = "") -> Response:
    def work() -> Response:
        diary = _diary(request)
        notice = NOTICES.get(done)
        if not request.cookies.get(COOKIE):
            return _landing(request, notice=notice)
        try:
            family = _family(request, diary.store)
        except NoDiaryOpen as error:
            response = _landing(request, notice=str(error))
            _forget_key(request, response)
            return response
        return _family_page(request, diary, family, notice=notice)

    return _guard(request, work)


@router.post("/start", response_class=HTMLResponse)
async def start(request: Request) -> Response:
    def work(form: Form) -> Response:
        name = " ".join(form.get("name").split())[:NAME_MAX] or "family"
        family, token = get_store(request).create_family(name)
        response = render(request, "diary_token.html", {"family": family, "token": token}, status=201)
        _keep_key(request, response, token)
        return response

    return await _posted(request, work)


@router.post("/open", response_class=HTMLResponse)
async def open_diary(request: Request) -> Response:
    def work(form: Form) -> Response:
        token = "".join(form.get("token").split())
        if not token:
            return _landing(request, error="Please paste your diary key.", status=422)
        if get_store(request).family_for_token(token) is None:
            return _landing(request, status=401, error=(
                "That key does not open a diary here. Check that it was copied whole (no spaces"
                " missing), or start a new diary."))
        response = _see_other("/diary")
        _keep_key(request, response, token)
        return response

    return await _posted(request, work)


@router.post("/close")
async def close(request: Request) -> Response:
    def work(_form: Form) -> Response:
        response = _see_other("/diary?done=closed")
        _forget_key(request, response)
        return response

    return await _posted(request, work)


# --- routes: children and entries ---------------------------------------------------------------


@router.post("/children", response_class=HTMLResponse)
async def add_child(request: Request) -> Response:
    def work(form: Form) -> Response:
        diary = _diary(request)
        family = _family(request, diary.store)
        try:
            child = _new_child(form)
            check_child(child, diary.today())
            saved = diary.store.add_child(family.id, child)
        except InputError as error:
            return _family_page(request, diary, family, error=str(error), status=422,
                                typed=_typed(form, "name", "birth_date", "gestation"))
        return _see_other(f"/diary/children/{saved.id}")

    return await _posted(request, work)


@router.get("/children/{child_id}", response_class=HTMLResponse)
def child_page(request: Request, child_id: int) -> Response:
    def work() -> Response:
        diary = _diary(request)
        return _child_page(request, diary, _family(request, diary.store), child_id)

    return _guard(request, work)


@router.post("/children/{child_id}/entries", response_class=HTMLResponse)
async def add_entry(request: Request, child_id: int) -> Response:
    def work(form: Form) -> Response:
        diary = _diary(request)
        family = _family(request, diary.store)
        try:
            _, entry, _ = diary.add_entry(family.id, child_id, _draft(form))
        except InputError as error:
            typed = _typed(form, "on", "text", "note", "episode", "duration", "duration_unit")
            ticked = tuple(w for name, _, _ in dv.FORM_GROUPS for w in form.getlist(name))
            return _child_page(request, diary, family, child_id, error=str(error), typed=typed,
                               ticked=ticked, status=422)
        except BabyskinError:
            raise
        except Exception as crash:  # fail closed, whatever broke while assessing
            return failsafe_page(request, diary.engine, crash)
        return _see_other(f"/diary/children/{child_id}#entry-{entry.id}")

    return await _posted(request, work)


# --- routes: export and delete ------------------------------------------------------------------


@router.get("/export")
def export(request: Request) -> Response:
    def work() -> Response:
        store = get_store(request)
        data: dict[str, Any] = store.export_family(_family(request, store).id)
        name = f"babyskin-diary-{dt.date.today().isoformat()}.json"
        return JSONResponse(data, headers={"content-disposition": f'attachment; filename="{name}"',
                                           "cache-control": "no-store"})

    return _guard(request, work)


@router.get("/children/{child_id}/delete", response_class=HTMLResponse)
def confirm_delete_child(request: Request, child_id: int) -> Response:
    def work() -> Response:
        store = get_store(request)
        family = _family(request, store)
        child = store.get_child(family.id, child_id)
        counts = {"children": 1, "entries": len(store.list_summaries(family.id, child.id))}
        return _confirm_page(request, "child", counts, child_name=child.name,
                             action=f"/diary/children/{child.id}/delete", back=f"/diary/children/{child.id}")

    return _guard(request, work)


@router.post("/children/{child_id}/delete")
async def delete_child(request: Request, child_id: int) -> Response:
    def work(form: Form) -> Response:
        store = get_store(request)
        family = _family(request, store)
        if form.get("confirm") != "yes":
            return _see_other(f"/diary/children/{child_id}/delete")
        store.delete_child(family.id, child_id)
        return _see_other("/diary?done=child-deleted")

    return await _posted(request, work)


@router.get("/delete", response_class=HTMLResponse)
def confirm_delete_family(request: Request) -> Response:
    def work() -> Response:
        store = get_store(request)
        family = _family(request, store)
        children = store.list_children(family.id)
        counts = {"children": len(children),
                  "entries": sum(len(store.list_summaries(family.id, c.id)) for c in children)}
        return _confirm_page(request, "family", counts, action="/diary/delete", back="/diary")

    return _guard(request, work)


@router.post("/delete", response_class=HTMLResponse)
async def delete_family(request: Request) -> Response:
    def work(form: Form) -> Response:
        store = get_store(request)
        family = _family(request, store)
        if form.get("confirm") != "yes":
            return _see_other("/diary/delete")
        counts = store.delete_family(family.id)
        response = _landing(request, notice=(
            f"Your diary was deleted for good: {counts['children']} child record(s) and"
            f" {counts['entries']} entr{'y' if counts['entries'] == 1 else 'ies'}."))
        _forget_key(request, response)
        return response

    return await _posted(request, work)


# A POST page's address may be reloaded or revisited (e.g. after switching audience): go to the diary.
@router.get("/start")
@router.get("/open")
@router.get("/close")
@router.get("/children")
def back_to_diary() -> RedirectResponse:
    return _see_other("/diary")


@router.get("/children/{child_id}/entries")
def back_to_child(child_id: int) -> RedirectResponse:
    return _see_other(f"/diary/children/{child_id}")
