"""The server-rendered pages: home, ``/ask``, the guided check, answers, conditions and compare.

Every page works without JavaScript. User text only ever reaches the templates (autoescaped) and is
never logged; forms are POSTed so descriptions stay out of URLs and access logs. When the engine
fails, the page fails closed: it says it cannot assess and lists the red flags (never a blank answer).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from babyskin.answer.compare import compare as run_compare
from babyskin.answer.render import condition_json
from babyskin.api.throttle import Busy
from babyskin.engine.assess import Engine
from babyskin.engine.guided import next_step
from babyskin.engine.triage import fail_safe
from babyskin.errors import BabyskinError, InputError, NotFound
from babyskin.kb.schema import ReviewStatus
from babyskin.models import Assessment, Audience, Findings, Statement
from babyskin.parse import findings_from_options
from babyskin.web import check_flow as flow
from babyskin.web.forms import (
    MAX_QUESTION_CHARS,
    Form,
    TooLarge,
    audience_from,
    cross_site,
    local_path,
    question_text,
    read_form,
)
from babyskin.web.templating import audience_of, render
from babyskin.web.understanding import ReaderUnavailable, Reading, escalates, question_answer, read_text
from babyskin.web.view import (
    Reference,
    answer_view,
    line,
    lines,
    numbered,
    reference_list,
    review_of,
)

router = APIRouter(include_in_schema=False)
log = logging.getLogger("babyskin.web")


def mount_static(app: FastAPI) -> None:
    """Serve ``babyskin/web/static`` at ``/static`` (CSS and the icon; nothing from other origins)."""
    app.mount("/static", StaticFiles(packages=[("babyskin.web", "static")]), name="static")


def _engine(request: Request) -> Engine:
    return request.app.state.engine


def error_page(request: Request, status: int, message: str, *, title: str = "Something went wrong",
               back: str = "/", back_label: str = "Back to the start") -> HTMLResponse:
    return render(request, "error.html", {"title": title, "message": message, "back": back,
                                          "back_label": back_label}, status=status)


def failsafe_page(request: Request, engine: Engine, error: Exception) -> HTMLResponse:
    """Fail closed: cannot assess, so show what to act on (the red flags) and urge a clinician."""
    log.error("web: could not assess (%s)", type(error).__name__)
    triage = fail_safe("the assessment engine failed on this description")
    flags = sorted(engine.kb.red_flags.values(), key=lambda f: (-f.triage.rank, f.title))
    return render(request, "failsafe.html", {"triage": triage, "flags": flags}, status=500)


async def _form(request: Request) -> Form | HTMLResponse:
    if cross_site(request):  # every state-changing form of these pages comes through here
        return error_page(request, 403, "This form was sent from another website, so it was not used."
                          " Use the forms on babyskin's own pages.", title="Form refused")
    try:
        return await read_form(request)
    except TooLarge as error:
        return error_page(request, 413, str(error), title="That was too long")
    except InputError as error:
        return error_page(request, 415, str(error), title="That form could not be read")


def _answer(request: Request, engine: Engine, findings: Findings, audience: Audience,
            context: dict[str, Any], *, understood: str | None = None,
            unknowns: tuple[str, ...] = ()) -> HTMLResponse:
    try:
        result: Assessment = engine.assess(findings, audience)
    except InputError as error:
        return error_page(request, 422, str(error), title="We could not use that description")
    except Exception as error:  # fail closed, whatever broke
        return failsafe_page(request, engine, error)
    view = answer_view(engine.kb, result, understood=understood, unknowns=unknowns)
    return render(request, "answer.html", {"view": view, **context}, audience=audience)


@router.get("/answer", response_class=HTMLResponse)
def answer_from_link(request: Request) -> HTMLResponse:
    """The answer page for findings carried in the link (the CDS Hooks cards link here): the same
    parameters as ``babyskin assess`` (age, where, lesion, color, size, count, present, absent, onset,
    duration, gestation, fever_days, temperature)."""
    q = request.query_params
    allowed = {"age", "where", "lesion", "color", "size", "count", "present", "absent", "onset",
               "duration", "gestation", "fever_days", "temperature", "audience"}
    unknown = sorted(set(q) - allowed)
    engine = _engine(request)
    audience = audience_from(q.get("audience", ""), audience_of(request))
    try:
        if unknown:
            raise InputError(f"unknown link parameter(s): {', '.join(unknown)};"
                             f" allowed: {', '.join(sorted(allowed))}")
        findings = findings_from_options(
            age=q.get("age"), where=q.get("where"), lesion=q.get("lesion"), color=q.get("color"),
            size=q.get("size"), count=q.get("count"), present=q.get("present"), absent=q.get("absent"),
            onset=q.get("onset"), duration=q.get("duration"),
            gestation=_number(q.get("gestation"), "gestation", int),
            fever_days=_number(q.get("fever_days"), "fever_days", int),
            temperature=_number(q.get("temperature"), "temperature", float))
    except InputError as error:
        return error_page(request, 422, str(error), title="We could not use that link")
    params = [(k, v) for k, v in q.items() if k != "audience"]
    return _answer(request, engine, findings, audience, {"origin": "link", "link_params": params})


def _number(value: str | None, name: str, kind: type) -> Any:
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except ValueError:
        raise InputError(f"{name}: expected a number, got {value!r}") from None


# --- home and free text -------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html", {"q": "", "error": None, "max_chars": MAX_QUESTION_CHARS})


@router.get("/ask")
def ask_get() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


@router.post("/ask", response_class=HTMLResponse)
async def ask(request: Request) -> Response:
    form = await _form(request)
    if isinstance(form, HTMLResponse):
        return form
    engine = _engine(request)
    audience = audience_from(form.get("audience"), audience_of(request))
    raw = form.get("q")
    conversation = form.get("conversation")
    home_again = {"q": raw[:MAX_QUESTION_CHARS], "max_chars": MAX_QUESTION_CHARS}
    try:
        text = question_text(raw)
        # the reader runs on the app's bounded text pool, off the event loop (issue 17)
        reading = await request.app.state.text_pool.run(lambda: read_text(text, engine.kb, conversation))
    except (ReaderUnavailable, Busy) as error:
        return render(request, "home.html", {**home_again, "error": str(error)}, status=503,
                      audience=audience)
    except InputError as error:
        return render(request, "home.html", {**home_again, "error": str(error)}, status=422,
                      audience=audience)
    except Exception as error:
        return failsafe_page(request, engine, error)
    known = [c for c in reading.conditions if c in engine.kb.conditions]
    if not (reading.emergency or escalates(reading, engine.kb)):
        if reading.intent == "compare" and len(known) >= 2:
            return RedirectResponse("/compare?" + urlencode({"ids": ",".join(known[:4])}),
                                    status_code=303)
        if reading.intent == "question":
            return _question_page(request, engine, reading, audience, text, conversation)
        if reading.findings.is_empty() or reading.intent in ("empty", "unsupported"):
            message = (f"{reading.understood} Say where the spots are, what they look like and your"
                       " baby's age, or use the guided check.")
            return render(request, "home.html", {**home_again, "error": message}, status=422,
                          audience=audience)
    context = {"origin": "ask", "q": text, "conversation": conversation,
               "next_conversation": reading.conversation, "notes": reading.notes}
    return _answer(request, engine, reading.findings, audience, context,
                   understood=reading.understood, unknowns=reading.unknowns)


def _sections_view(sections: Any, numbers: dict[str, int]) -> list[dict[str, Any]]:
    """Composed answer sections (:mod:`babyskin.answer`) -> what the templates render."""
    return [{"title": s.title, "review": s.review, "table": s.table,
             "items": [(i.label, line(Statement(text=i.text, refs=i.refs, caution=i.caution), numbers))
                       for i in s.items]}
            for s in sections]


def _question_page(request: Request, engine: Engine, reading: Reading, audience: Audience, text: str,
                   conversation: str) -> HTMLResponse:
    """A general question ("what causes milia?"): the knowledge base's answer, in sections."""
    try:
        result = question_answer(reading, audience, engine)
    except InputError as error:
        return error_page(request, 422, str(error), title="We could not answer that")
    except Exception as error:
        return failsafe_page(request, engine, error)
    numbers = numbered([c.key for c in result.references])
    sections = _sections_view(result.sections, numbers)
    return render(request, "question.html", {
        "reading": reading, "sections": sections, "q": text, "conversation": conversation,
        "references": tuple(Reference(numbers[c.key], c) for c in result.references),
    }, audience=audience)


@router.post("/audience")
async def set_audience(request: Request) -> Response:
    form = await _form(request)
    if isinstance(form, HTMLResponse):
        return form
    audience = audience_from(form.get("audience"), audience_of(request))
    response = RedirectResponse(local_path(form.get("next")), status_code=303)
    response.set_cookie("babyskin_audience", audience.value, httponly=True, samesite="lax", path="/")
    return response


# --- the guided check ---------------------------------------------------------------------------


def _check_screen(request: Request, trail: list[flow.Entry], audience: Audience, *,
                  prefill: flow.Entry | None = None, error: str | None = None,
                  typed: dict[str, str] | None = None) -> HTMLResponse:
    engine = _engine(request)
    kb = engine.kb
    status = 422 if error else 200
    if not flow.opening_done(trail):
        view = flow.opening_view(kb, trail, prefill=prefill, error=error, typed=typed)
        return render(request, "check.html", _check_context(engine, view), status=status,
                      audience=audience)
    try:
        findings, asked = flow.replay(trail)
        step = next_step(engine, findings, asked, audience)
    except InputError as error_:
        return error_page(request, 422, str(error_), title="We could not use those answers",
                          back="/check", back_label="Start the check again")
    except Exception as crash:
        return failsafe_page(request, engine, crash)
    if step.done or step.question is None:
        view = answer_view(kb, step.assessment)
        context = {"view": view, "origin": "check", "trail": flow.dump_trail(trail),
                   "stop_reason": step.stop_reason, "asked": len(asked)}
        return render(request, "answer.html", context, audience=audience)
    question = step.question.model_dump()
    screen = flow.question_view(kb, trail, question, prefill=prefill, error=error)
    return render(request, "check.html", _check_context(engine, screen), status=status,
                  audience=audience)


def _check_context(engine: Engine, view: flow.ScreenView) -> dict[str, Any]:
    keys = [r for s in view.sections for o in s.options for r in o.help_refs]
    if view.question:
        keys += list(view.question.get("help_refs", ()))
    refs = reference_list(engine.kb, keys)
    return {"screen": view, "help_refs": refs, "ref_numbers": {r.citation.key: r.number for r in refs},
            "answer_labels": flow.ANSWER_LABELS}


@router.get("/check", response_class=HTMLResponse)
def check_start(request: Request) -> HTMLResponse:
    return _check_screen(request, [], audience_of(request))


@router.post("/check", response_class=HTMLResponse)
async def check_step(request: Request) -> Response:
    form = await _form(request)
    if isinstance(form, HTMLResponse):
        return form
    kb = _engine(request).kb
    audience = audience_from(form.get("audience"), audience_of(request))
    try:
        trail = flow.parse_trail(form.get("trail"), kb)
    except InputError as error:
        return error_page(request, 422, str(error), title="We could not continue the check",
                          back="/check", back_label="Start the check again")
    action = form.get("action", "next")
    if action == "back":
        if not trail:
            return RedirectResponse("/check", status_code=303)
        previous = trail.pop()
        return _check_screen(request, trail, audience, prefill=previous)
    if action != "next":
        return _check_screen(request, trail, audience)
    screen_id = form.get("screen")
    expected = flow.current_screen(trail)
    stale = (screen_id != expected.id) if expected else not screen_id.startswith("q:")
    if stale or screen_id[2:] in flow.asked_words(trail):
        return _check_screen(request, trail, audience)  # an old or repeated form: show where we are
    try:
        entry = flow.entry_from_form(screen_id, form, kb)
    except InputError as error:
        typed = {k: form.get(k) for k in ("age", "age_unit", "duration", "duration_unit")}
        return _check_screen(request, trail, audience, error=str(error), typed=typed)
    return _check_screen(request, [*trail, entry], audience)


# --- conditions and compare ---------------------------------------------------------------------


def _statement(data: dict[str, Any]) -> Statement:
    return Statement.model_validate(data)


@router.get("/topics", response_class=HTMLResponse)
def topics_page(request: Request) -> HTMLResponse:
    topics = sorted(_engine(request).kb.topics.values(), key=lambda t: t.title.lower())
    return render(request, "topic.html", {"title": "Questions parents ask", "topics": topics})


@router.get("/topics/{topic_id}", response_class=HTMLResponse)
def topic_page(request: Request, topic_id: str) -> HTMLResponse:
    from babyskin.answer.topics import topic_page as compose

    kb = _engine(request).kb
    try:
        topic, parts, refs = compose(kb, topic_id, audience_of(request))
    except NotFound as error:
        return error_page(request, 404, str(error), title="No such topic", back="/topics",
                          back_label="All topics")
    numbers = numbered([c.key for c in refs])
    return render(request, "topic.html", {
        "title": topic.title, "topics": None, "sections": _sections_view(parts, numbers),
        "references": tuple(Reference(numbers[c.key], c) for c in refs)})


@router.get("/conditions", response_class=HTMLResponse)
def conditions_page(request: Request) -> HTMLResponse:
    kb = _engine(request).kb
    rows = sorted(kb.conditions.values(), key=lambda c: c.name.lower())
    return render(request, "conditions.html", {
        "conditions": rows, "approved": ReviewStatus.approved, "selected": [], "error": None})


@router.get("/conditions/{condition_id}", response_class=HTMLResponse)
def condition_page(request: Request, condition_id: str) -> HTMLResponse:
    kb = _engine(request).kb
    audience = audience_of(request)
    try:
        cond = kb.condition(condition_id)
    except NotFound as error:
        return error_page(request, 404, str(error), title="No such condition", back="/conditions",
                          back_label="All conditions")
    data = condition_json(kb, cond, audience)
    numbers = numbered([r["key"] for r in data["references"]])
    advice = data["advice"]

    def section(key: str) -> tuple[Any, ...]:
        return lines([_statement(s) for s in advice[key]], numbers)

    return render(request, "condition.html", {
        "cond": cond, "data": data, "review": review_of(kb, cond.id),
        "summary": section("summary"), "do": section("do"), "dont": section("dont"),
        "see_doctor": section("see_doctor"), "management": section("management"),
        "appearance": lines([_statement(data["appearance"])], numbers),
        "cause": lines([_statement(data["cause"])], numbers),
        "faqs": [(f["question"], lines([_statement(f)], numbers)[0]) for f in data["faqs"]],
        "references": reference_list(kb, [r["key"] for r in data["references"]]),
        "clinician": audience is Audience.clinician,
    })


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, ids: list[str] = Query(default=[])) -> HTMLResponse:  # noqa: B008
    kb = _engine(request).kb
    wanted = [i.strip() for value in ids for i in value.split(",") if i.strip()]
    rows = sorted(kb.conditions.values(), key=lambda c: c.name.lower())
    picker = {"conditions": rows, "selected": wanted, "approved": ReviewStatus.approved}
    if not wanted:
        return render(request, "compare.html", {**picker, "table": None, "error": None})
    try:
        table = run_compare(kb, wanted)
    except NotFound as error:
        return render(request, "compare.html", {**picker, "table": None, "error": str(error)},
                      status=404)
    except BabyskinError as error:
        return render(request, "compare.html", {**picker, "table": None, "error": str(error)},
                      status=422)
    numbers = numbered([r["key"] for r in table["references"]])
    audience = audience_of(request)

    def cited(statement: dict[str, Any]) -> Any:
        return line(Statement(text=statement["text"], refs=tuple(statement["refs"])), numbers)

    apart = [{"line": cited(item[audience.value]),
              "differences": [cited(d) for d in item["differences"]]} for item in table["tell_apart"]]
    columns = []
    for col in table["conditions"]:
        cells = {row: lines([Statement(text=c["text"], refs=tuple(c["refs"]))], numbers)[0]
                 for row, c in col["cells"].items()}
        columns.append({**col, "cells": cells, "review": review_of(kb, col["id"])})
    return render(request, "compare.html", {
        **picker, "table": table, "columns": columns, "error": None, "tell_apart": apart,
        "references": reference_list(kb, [r["key"] for r in table["references"]]),
        "clinician": audience is Audience.clinician,
    })
