"""The web guided check, stateless: one screen at a time, the answers so far carried in the page.

The state is a *trail*: the answers in order, one entry per screen, kept in a hidden form field as
compact JSON. The first screens are fixed (:data:`OPENING`: age, where, what they look like, colour,
size, how many, other signs); then come the engine's yes / no / not-sure questions
(:func:`babyskin.engine.guided.next_step`), recorded as ``["q", [word, answer]]``; the first of them is
the "any of these?" warning-sign screen, recorded as ``["q", ["screen", answer, [ticked words]]]``.
Replaying the trail gives the findings and the questions asked, so "back" is simply the trail without
its last entry, and the flow works with JavaScript off. Everything here is pure; the routes live in
:mod:`.pages`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from pydantic import ValidationError

from babyskin.engine.guided import MAX_QUESTIONS, SCREEN_ID, Answer, answer_screen, apply_answer
from babyskin.errors import InputError
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import FindingGroup, Findings
from babyskin.web.forms import AGE_UNITS, Form, days_from

Kind = Literal["age", "multi", "single", "signs", "question", "screen"]
Entry = tuple[str, Any]
ANSWERS: tuple[Answer, ...] = ("yes", "no", "not_sure")
ANSWER_LABELS: dict[str, str] = {"yes": "Yes", "no": "No", "not_sure": "Not sure"}
MAX_TRAIL_CHARS = 8000
BROKEN_TRAIL = "the check's saved answers could not be read; please start the check again"


@dataclass(frozen=True)
class Screen:
    id: str
    kind: Kind
    title: str
    hint: str
    group: FindingGroup | None = None


OPENING: tuple[Screen, ...] = (
    Screen("age", "age", "How old is your baby?",
           "Leave it blank if you prefer not to say. You can also say how long the spots have been"
           " there."),
    Screen("locations", "multi", "Where are the spots?", "Tick every place you see them.",
           FindingGroup.locations),
    Screen("lesions", "multi", "What do the spots look like?", "Tick all that fit.",
           FindingGroup.lesions),
    Screen("colors", "multi", "What colour are they?", "Tick all that fit.", FindingGroup.colors),
    Screen("size", "single", "How big is the biggest spot?",
           "A grain of rice is about 5 mm; a small coin about 20 mm.", FindingGroup.size),
    Screen("count", "single", "How many spots are there?", "A rough idea is enough.",
           FindingGroup.count),
    Screen("signs", "signs", "Have you noticed any of these?",
           "Tick only what you have noticed. Anything left unticked counts as 'not sure'.",
           FindingGroup.signs),
)
OPENING_IDS = tuple(s.id for s in OPENING)
SCREENS = {s.id: s for s in OPENING}
OPENING_SHARE = 60  # the progress bar (out of 100): the fixed screens fill 60, the questions the rest
# How the "other signs" checklist is laid out (presentation only; labels come from the KB).
SIGN_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("How your baby seems", (
        "fever", "unwell", "lethargic", "poor_feeding", "irritable", "breathing_difficulty",
        "wheezing", "swollen_lips_tongue", "seizure", "vomiting", "diarrhea", "flushing")),
    ("The spots", (
        "non_blanching", "blanching", "itchy", "painful", "spreading", "growing", "grouped",
        "ring_shaped", "umbilicated", "fragile_blisters", "honey_crust", "greasy_scale", "dry_scale",
        "satellite_lesions", "skin_peeling", "raised_vascular", "darier_sign",
        "improves_with_cooling", "hair_loss", "mouth_sores", "red_eyes", "cracked_lips",
        "swollen_hands_feet")),
    ("Before or around the rash", (
        "present_at_birth", "overheated", "sick_contact", "eczema_history", "insect_exposure",
        "maternal_herpes", "fetal_scalp_electrode")),
)
OPEN_SECTIONS = 2  # the first sections are shown open; the rest fold away (<details>)


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    clinical: str
    checked: bool = False
    help: str | None = None
    help_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    title: str
    options: tuple[Option, ...]
    open: bool = True


@dataclass(frozen=True)
class Progress:
    """``value`` out of 100 for the bar; ``text`` says where you are in words."""

    value: int
    text: str


@dataclass(frozen=True)
class ScreenView:
    """Everything the check template needs to draw one screen."""

    id: str
    kind: Kind
    title: str
    hint: str
    trail: str
    progress: Progress
    sections: tuple[Section, ...] = ()
    prefill: dict[str, str] = field(default_factory=dict)
    question: dict[str, Any] | None = None
    error: str | None = None
    can_go_back: bool = False


def dump_trail(trail: Sequence[Entry]) -> str:
    return json.dumps([list(e) for e in trail], separators=(",", ":"), ensure_ascii=False)


def _words(value: Any, kb: KnowledgeBase, group: FindingGroup) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise InputError(BROKEN_TRAIL)
    for word in value:
        finding = kb.findings.get(word)
        if finding is None or finding.group is not group:
            raise InputError(f"'{word}' is not one of the check's choices; please start again")
    return list(dict.fromkeys(value))


def _entry(raw: Any, position: int, kb: KnowledgeBase) -> Entry:
    if not (isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], str)):
        raise InputError(BROKEN_TRAIL)
    name, value = raw
    expected = OPENING_IDS[position] if position < len(OPENING) else "q"
    if name != expected:
        raise InputError(BROKEN_TRAIL)
    if name == "age":
        if not (isinstance(value, list) and len(value) == 2
                and all(v is None or (isinstance(v, int) and 0 <= v <= 5 * 366) for v in value)):
            raise InputError(BROKEN_TRAIL)
        return name, [value[0], value[1]]
    if name == "q":
        if isinstance(value, list) and len(value) == 3 and value[0] == SCREEN_ID and value[1] in ANSWERS:
            return name, [SCREEN_ID, value[1], _words(value[2], kb, FindingGroup.signs)]
        if not (isinstance(value, list) and len(value) == 2 and value[1] in ANSWERS):
            raise InputError(BROKEN_TRAIL)
        return name, [_words([value[0]], kb, FindingGroup.signs)[0], value[1]]
    screen = SCREENS[name]
    assert screen.group is not None
    if screen.kind == "single":
        if value is None:
            return name, None
        return name, _words([value], kb, screen.group)[0]
    return name, _words(value, kb, screen.group)


def parse_trail(raw: str, kb: KnowledgeBase) -> list[Entry]:
    """The hidden ``trail`` field -> entries, checking order and every word against the KB."""
    if not raw.strip():
        return []
    if len(raw) > MAX_TRAIL_CHARS:
        raise InputError(BROKEN_TRAIL)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        raise InputError(BROKEN_TRAIL) from None
    if not isinstance(data, list) or len(data) > len(OPENING) + MAX_QUESTIONS:
        raise InputError(BROKEN_TRAIL)
    trail = [_entry(item, i, kb) for i, item in enumerate(data)]
    asked = [e[1][0] for e in trail if e[0] == "q"]
    if len(asked) != len(set(asked)):
        raise InputError(BROKEN_TRAIL)
    return trail


def replay(trail: Sequence[Entry]) -> tuple[Findings, tuple[str, ...]]:
    """The findings and the questions asked after these answers."""
    data: dict[str, Any] = {}
    asked: list[str] = []
    questions: list[list[Any]] = []
    for name, value in trail:
        if name == "age":
            data["age_days"], data["duration_days"] = value
        elif name == "signs":
            data["present"] = value
        elif name == "q":
            questions.append(value)
        else:
            data[name] = value
    try:
        findings = Findings(**data)
    except ValidationError as error:
        problems = [str(e["msg"]).removeprefix("Value error, ") for e in error.errors()]
        raise InputError("; ".join(problems), problems=problems) from None
    for word, answer, *ticked in questions:
        if word == SCREEN_ID:
            findings = answer_screen(findings, cast(Answer, answer), ticked[0] if ticked else [])
        else:
            findings = apply_answer(findings, word, cast(Answer, answer))
        asked.append(word)
    return findings, tuple(asked)


def opening_done(trail: Sequence[Entry]) -> bool:
    return len(trail) >= len(OPENING)


def asked_words(trail: Sequence[Entry]) -> set[str]:
    return {value[0] for name, value in trail if name == "q"}


def current_screen(trail: Sequence[Entry]) -> Screen | None:
    """The fixed screen to show next, or None once the engine's questions take over."""
    return None if opening_done(trail) else OPENING[len(trail)]


def entry_from_form(screen_id: str, form: Form, kb: KnowledgeBase) -> Entry:
    """The answer to one screen, read from its form fields (raises InputError to re-ask)."""
    if screen_id == "age":
        age = days_from(form.get("age"), form.get("age_unit"), what="Age")
        duration = days_from(form.get("duration"), form.get("duration_unit"),
                             what="How long the spots have been there")
        if age is not None and duration is not None and duration > age:
            raise InputError("The spots cannot have been there longer than your baby's age; please"
                             " check both numbers.")
        return "age", [age, duration]
    if screen_id == f"q:{SCREEN_ID}":
        answer = form.get("answer")
        if answer not in ANSWERS:
            raise InputError("Please choose 'Next', 'None of these' or 'Not sure'.")
        ticked = _words(form.getlist(screen_id), kb, FindingGroup.signs)
        return "q", [SCREEN_ID, "yes" if ticked and answer == "no" else answer, ticked]
    if screen_id.startswith("q:"):
        word = screen_id[2:]
        answer = form.get("answer")
        if answer not in ANSWERS:
            raise InputError("Please choose Yes, No or Not sure.")
        return "q", [_words([word], kb, FindingGroup.signs)[0], answer]
    screen = SCREENS.get(screen_id)
    if screen is None or screen.group is None:
        raise InputError(BROKEN_TRAIL)
    if screen.kind == "single":
        value = form.get(screen_id)
        return screen_id, (_words([value], kb, screen.group)[0] if value else None)
    return screen_id, _words(form.getlist(screen_id), kb, screen.group)


def _in_units(days: int) -> tuple[str, str]:
    """Days back into the unit a person most likely typed (21 -> 3 weeks, 91 -> 3 months)."""
    if days and days % 7 == 0 and days < 91:
        return str(days // 7), "weeks"
    months = round(days / AGE_UNITS["months"])
    if days >= 28 and round(months * AGE_UNITS["months"]) == days:
        return str(months), "months"
    return str(days), "days"


def _prefill(entry: Entry | None) -> tuple[dict[str, str], set[str]]:
    """Form values to show again after "back": (text fields, ticked words)."""
    if entry is None:
        return {}, set()
    name, value = entry
    if name == "age":
        fields: dict[str, str] = {}
        for key, days in zip(("age", "duration"), value, strict=True):
            if days is not None:
                fields[key], fields[f"{key}_unit"] = _in_units(days)
        return fields, set()
    if name == "q":
        return {"answer": value[1]}, set(value[2]) if len(value) > 2 else set()
    if isinstance(value, list):
        return {}, set(value)
    return ({name: value} if value else {}), ({value} if value else set())


def _option(kb: KnowledgeBase, word: str, ticked: set[str]) -> Option:
    finding = kb.findings[word]
    return Option(id=word, label=finding.label, clinical=finding.clinical, checked=word in ticked,
                  help=finding.help.text if finding.help else None,
                  help_refs=tuple(finding.help.refs) if finding.help else ())


def _sections(kb: KnowledgeBase, screen: Screen, ticked: set[str]) -> tuple[Section, ...]:
    words = [w for w, f in kb.findings.items() if f.group is screen.group]
    if screen.kind != "signs":
        return (Section("", tuple(_option(kb, w, ticked) for w in words)),)
    out: list[Section] = []
    placed: set[str] = set()
    for i, (title, members) in enumerate(SIGN_SECTIONS):
        present = [w for w in members if w in kb.findings]
        placed.update(present)
        options = tuple(_option(kb, w, ticked) for w in present)
        is_open = i < OPEN_SECTIONS or any(o.checked for o in options)
        if options:
            out.append(Section(title, options, is_open))
    rest = tuple(_option(kb, w, ticked) for w in words if w not in placed)
    if rest:
        out.append(Section("Other signs", rest, any(o.checked for o in rest)))
    return tuple(out)


def opening_view(kb: KnowledgeBase, trail: Sequence[Entry], *, prefill: Entry | None = None,
                 error: str | None = None, typed: dict[str, str] | None = None) -> ScreenView:
    """A fixed screen; ``prefill`` is the answer being revisited, ``typed`` what was just entered."""
    screen = current_screen(trail)
    assert screen is not None
    fields, ticked = _prefill(prefill)
    fields.update({k: v for k, v in (typed or {}).items() if v})
    step = len(trail) + 1
    return ScreenView(
        id=screen.id, kind=screen.kind, title=screen.title, hint=screen.hint,
        trail=dump_trail(trail),
        progress=Progress(round(OPENING_SHARE * (step - 1) / len(OPENING)),
                          f"Step {step} of {len(OPENING)}"),
        sections=_sections(kb, screen, ticked), prefill=fields, error=error,
        can_go_back=bool(trail),
    )


def question_view(kb: KnowledgeBase, trail: Sequence[Entry], question: dict[str, Any], *,
                  prefill: Entry | None = None, error: str | None = None) -> ScreenView:
    """A yes / no / not-sure screen for the engine's next question (``Question.model_dump()``)."""
    number = len(trail) - len(OPENING) + 1
    fields, ticked = _prefill(prefill)
    progress = Progress(OPENING_SHARE + round((100 - OPENING_SHARE) * (number - 1) / MAX_QUESTIONS),
                        f"Question {number} (at most {MAX_QUESTIONS})")
    if question["finding"] == SCREEN_ID:
        options = tuple(_option(kb, o["finding"], ticked) for o in question["options"])
        return ScreenView(
            id=f"q:{SCREEN_ID}", kind="screen", title=question["text"],
            hint="We ask this first because these signs need a doctor quickly.",
            trail=dump_trail(trail), progress=progress, sections=(Section("", options),),
            prefill=fields, question=question, error=error, can_go_back=True,
        )
    finding = kb.findings.get(question["finding"])
    question = {**question, "help_refs": tuple(finding.help.refs) if finding and finding.help else ()}
    return ScreenView(
        id=f"q:{question['finding']}", kind="question", title=question["text"],
        hint="We stop asking as soon as the answer is clear.", trail=dump_trail(trail),
        progress=Progress(OPENING_SHARE + round((100 - OPENING_SHARE) * (number - 1) / MAX_QUESTIONS),
                          f"Question {number} (at most {MAX_QUESTIONS})"),
        prefill=fields, question=question, error=error, can_go_back=True,
    )
