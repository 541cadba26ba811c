"""Free text -> :class:`Understood`: the findings, intent, conditions, emergency phrases and what is
still unknown, plus the conversation token that carries findings between turns.

``understand_text(text)`` cleans and screens the text (:mod:`babyskin.nlp.screen`), repairs misspelt
emergency words, reads mentions with medspaCy (:mod:`babyskin.nlp.extract`) and decides the intent
(:mod:`babyskin.nlp.intent`). It writes no medical text: the "I understood" line is built from the
findings vocabulary's labels.

Conversations keep no state on the server: :func:`encode_conversation` packs the findings so far into
a token (base64url JSON with a checksum) that the client sends back; :func:`decode_conversation`
validates it (an :class:`~babyskin.errors.InputError` names what is wrong).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from babyskin.errors import BabyskinError, InputError
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import FindingGroup, Findings, TriageLevel
from babyskin.nlp.intent import Intent

__all__ = ["Intent", "Understood", "decode_conversation", "encode_conversation", "understand_text"]

GUIDE = ("Tell babyskin about the spots in a sentence or two - your baby's age, where the spots are, what"
         " they look like and whether there is a fever - or ask a question such as 'what causes milia?'.")
MAX_TOKEN_CHARS = 4096
MAX_UNKNOWNS = 3
TOKEN_VERSION = 1


class Understood(BaseModel):
    """What babyskin read in a message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    intent: Intent
    findings: Findings
    conditions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    topic_findings: Findings = Findings()
    emergency: tuple[str, ...] = ()
    understood: str
    unknowns: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    kb_version: str = ""


def _default_kb() -> KnowledgeBase:
    from babyskin.engine.assess import default_engine

    return default_engine().kb


_KNOWN: dict[str, tuple[frozenset[str], Any, re.Pattern[str]]] = {}
NOT_FADING = r"\b(?:not|n't|nt)\W+(?:fade|fading|blanch|blanching)\b"


def _reader_words(kb: KnowledgeBase) -> tuple[frozenset[str], Any, re.Pattern[str]]:
    """(words the reader knows, the speller for emergency words, a regex of emergency phrases), built
    once per KB version."""
    cached = _KNOWN.get(kb.version)
    if cached is None:
        from babyskin.nlp.extract import vocabulary
        from babyskin.nlp.normalize import Speller
        from babyskin.nlp.pipeline import get_pipeline

        pipeline = get_pipeline(kb)
        words = frozenset(w for r in pipeline.rules.values()
                          for w in re.findall(r"[a-z]+", r.literal.lower()))
        vocab = vocabulary(kb)
        alone = vocab.alone | vocab.safety
        phrases = [r.literal for r in pipeline.rules.values()
                   if alone.intersection(r.findings) and not r.absent and r.pattern is None]
        alarm = vocab.alarm
        alarms = [r"\W+".join(map(re.escape, r.literal.split())) for r in pipeline.rules.values()
                  if alarm.intersection(r.findings) and not r.absent and r.pattern is None]
        pattern = re.compile(r"\b(?:" + "|".join([*alarms, NOT_FADING]) + r")\b", re.IGNORECASE)
        cached = _KNOWN[kb.version] = (words, Speller(phrases, words), pattern)
    return cached


def understand_text(text: str, *, previous: Findings | None = None,
                    kb: KnowledgeBase | None = None) -> Understood:
    """Read a parent's or clinician's message; ``previous`` are the findings of the conversation so far."""
    from babyskin.nlp import intent as intents
    from babyskin.nlp.extract import extract
    from babyskin.nlp.normalize import clean
    from babyskin.nlp.pipeline import get_pipeline
    from babyskin.nlp.screen import alarm_windows, screen

    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}")
    kb = kb or _default_kb()
    known, speller, alarm_pattern = _reader_words(kb)
    checked = screen(clean(text), known)
    notes = list(checked.notes)
    if checked.empty:
        findings = previous or Findings()
        return Understood(text="", intent=Intent.empty, findings=findings, notes=(*notes, GUIDE),
                          understood="I understood: nothing - the message has no words to read.",
                          kb_version=kb.version)
    read = "\n".join([checked.text, *alarm_windows(checked.rest, alarm_pattern)])
    fixed, corrections = speller.correct(read)
    notes += [f"Read '{wrote}' as '{meant}'." for wrote, meant in corrections]
    found = extract(fixed, kb, get_pipeline(kb))
    before = len(notes)
    found = _with_foreign(found, fixed, kb, notes)
    foreign = len(notes) > before
    topics = intents.topics(fixed)
    intent = intents.decide(fixed, found.findings, found.conditions, previous=previous,
                            empty=False, english=checked.english, asked=topics)
    if (found.alarms or foreign) and intent in (Intent.unsupported, Intent.empty):
        intent = Intent.assess
    findings = found.findings
    if previous is not None:
        findings = previous.merged(findings)
    if found.uncertain:
        notes.append("Not sure from the text, so counted as present to be safe: "
                     + ", ".join(_label(kb, f) for f in found.uncertain) + ".")
    if intent is Intent.unsupported:
        notes.append(GUIDE)
    assessing = intent in (Intent.assess, Intent.follow_up)
    return Understood(
        text=fixed,
        intent=intent,
        findings=findings,
        conditions=found.conditions,
        topics=topics,
        topic_findings=found.topic_findings,
        emergency=found.alarms,
        understood=understood_line(kb, intent, findings if assessing else found.topic_findings,
                                   found.conditions, topics, found.quantities.said),
        unknowns=unknowns(kb, findings) if assessing else (),
        uncertain=found.uncertain,
        notes=tuple(notes),
        kb_version=kb.version,
    )


def _with_foreign(found: Any, text: str, kb: KnowledgeBase, notes: list[str]) -> Any:
    """Add the findings named by red-flag phrases in other languages (never lowers anything)."""
    from dataclasses import replace

    from babyskin.nlp.extract import vocabulary
    from babyskin.nlp.foreign import foreign_findings

    foreign = foreign_findings(text, frozenset(kb.findings))
    new = {fid: langs for fid, langs in foreign.items() if fid not in found.findings.observed()[0]}
    if not new:
        return found
    vocab = vocabulary(kb)
    groups: dict[FindingGroup, list[str]] = {}
    for fid in new:
        groups.setdefault(vocab.group[fid], []).append(fid)
    f = found.findings
    findings = f.model_copy(update={
        "locations": (*f.locations, *groups.get(FindingGroup.locations, ())),
        "lesions": (*f.lesions, *groups.get(FindingGroup.lesions, ())),
        "colors": (*f.colors, *groups.get(FindingGroup.colors, ())),
        "present": (*f.present, *groups.get(FindingGroup.signs, ())),
        "absent": tuple(a for a in f.absent if a not in new),
    })
    alarms = tuple(fid.replace("_", " ") for fid in new if fid in vocab.alarm)
    langs = sorted({lang for langs in new.values() for lang in langs})
    notes.append("Warning signs were read in another language (" + ", ".join(langs) + "): "
                 + ", ".join(_label(kb, fid) for fid in new) + ".")
    return replace(found, findings=findings, alarms=(*found.alarms, *alarms))


def _label(kb: KnowledgeBase, finding: str) -> str:
    record = kb.findings.get(finding)
    label = record.label if record else finding.replace("_", " ")
    return re.sub(r"\s*\([^)]*\)", "", label).strip()


def age_words(days: int) -> str:
    if days < 14:
        return f"{days} day{'' if days == 1 else 's'} old"
    if days < 91:
        return f"{round(days / 7)} weeks old"
    if days < 730:
        return f"{round(days / 30.4375)} months old"
    years = days / 365.25
    return f"{years:.0f} years old" if abs(years - round(years)) < 0.05 else f"{years:.1f} years old"


def span_words(days: int) -> str:
    if days < 14:
        return f"{days} day{'' if days == 1 else 's'}"
    if days < 91:
        return f"{round(days / 7)} weeks"
    return f"{round(days / 30.4375)} months"


def describe(kb: KnowledgeBase, findings: Findings, said: dict[str, str] | None = None) -> list[str]:
    """The findings as short phrases, in the order a clinician would say them."""
    said = said or {}
    parts: list[str] = []
    if findings.age_days is not None:
        newborn = re.search(r"new\s*-?born|neonate", said.get("age_days", ""), re.IGNORECASE)
        parts.append("newborn (taken as about 1 week old)" if newborn else age_words(findings.age_days))
    if findings.gestation_weeks is not None:
        parts.append(f"born at {findings.gestation_weeks} weeks")
    if findings.onset_days == 0:
        parts.append("since birth")
    elif findings.onset_days is not None:
        parts.append(f"started at {age_words(findings.onset_days)}")
    if findings.duration_days is not None:
        parts.append(f"for {span_words(findings.duration_days)}")
    look = [findings.count, findings.size, *findings.colors, *findings.lesions]
    look_words = [_label(kb, w) for w in look if w]
    if look_words:
        parts.append(", ".join(look_words))
    if findings.locations:
        parts.append("on the " + ", ".join(_label(kb, w) for w in findings.locations))
    parts += [_label(kb, w) for w in findings.present]
    parts += [f"no {_label(kb, w)}" for w in findings.absent if w not in findings.present]
    return parts


def understood_line(kb: KnowledgeBase, intent: Intent, findings: Findings, conditions: tuple[str, ...],
                    topics: tuple[str, ...], said: dict[str, str]) -> str:
    names = [kb.conditions[c].name for c in conditions if c in kb.conditions]
    parts = describe(kb, findings, said)
    if intent is Intent.compare:
        head = "a comparison of " + " and ".join(names)
    elif intent is Intent.question:
        about = ", ".join(names) or "; ".join(parts) or "baby skin"
        asked = [t.replace("_", " ") for t in topics]
        head = f"a question about {about}" + (f" ({', '.join(asked)})" if asked else "")
        parts = [] if not names else parts
    elif intent is Intent.unsupported:
        return "I understood: nothing I can use about a baby's skin."
    else:
        head = ""
    pieces = [p for p in [head, *parts] if p]
    return "I understood: " + ("; ".join(pieces) if pieces else "no details about the skin yet") + "."


def unknowns(kb: KnowledgeBase, findings: Findings) -> tuple[str, ...]:
    """What is not yet known and would change the urgency: the age, then signs that are one answer
    away from firing an urgent or emergency red flag (most urgent first)."""
    out: list[str] = []
    if findings.age_days is None:
        out.append("age (several warning signs depend on it)")
    present, absent = findings.observed()
    known = present | absent
    candidates: list[tuple[int, str]] = []
    for flag in kb.red_flags.values():
        if flag.triage.rank < TriageLevel.urgent.rank or flag.applies_to:
            continue
        when = flag.when
        if any(w in present for w in when.none):
            continue
        if findings.age_days is not None and (
            (when.age_days_below is not None and findings.age_days >= when.age_days_below)
            or (when.age_days_at_least is not None and findings.age_days < when.age_days_at_least)
        ):
            continue
        missing = [[w] for w in when.all if w not in present]
        missing += [list(g) for g in (when.any, when.and_any) if g and not any(w in present for w in g)]
        if len(missing) != 1:
            continue
        askable = [w for w in missing[0] if w not in known and w in kb.findings
                   and kb.findings[w].group is FindingGroup.signs]
        if askable:
            candidates.append((-flag.triage.rank, askable[0]))
    for _, word in sorted(candidates, key=lambda c: c[0]):
        label = _label(kb, word)
        if label not in out:
            out.append(label)
    return tuple(out[:MAX_UNKNOWNS + (1 if findings.age_days is None else 0)])


def _checksum(payload: bytes) -> str:
    """An HMAC keyed with the server's secret (issue 17: a plain hash let anyone forge a token)."""
    from babyskin.settings import secret_key

    return hmac.new(secret_key(), b"babyskin-conversation:" + payload, hashlib.sha256).hexdigest()[:32]


def encode_conversation(findings: Findings) -> str:
    """A token carrying ``findings`` between turns: base64url JSON plus a checksum."""
    data = {"v": TOKEN_VERSION, "findings": findings.model_dump(mode="json", exclude_defaults=True)}
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _checksum(payload)


def decode_conversation(token: str, kb: KnowledgeBase | None = None) -> Findings:
    """The findings in a conversation token; :class:`InputError` if it is damaged, changed or invalid."""
    fix = "start a new conversation (send the message without 'conversation')"
    if not isinstance(token, str) or not token.strip():
        raise InputError(f"conversation: expected the token from the previous answer; {fix}")
    if len(token) > MAX_TOKEN_CHARS:
        raise InputError(
            f"conversation: the token is {len(token)} characters (limit {MAX_TOKEN_CHARS}); {fix}")
    body, _, check = token.strip().partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError):
        raise InputError(f"conversation: the token is not valid base64url; {fix}") from None
    if not hmac.compare_digest(_checksum(payload), check):
        raise InputError(f"conversation: the token was changed or damaged (checksum mismatch); {fix}")
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"conversation: the token does not hold JSON; {fix}") from None
    if (not isinstance(data, dict) or data.get("v") != TOKEN_VERSION
            or not isinstance(data.get("findings"), dict)):
        raise InputError(f"conversation: unknown token version (expected v{TOKEN_VERSION}); {fix}")
    try:
        findings = Findings.model_validate(data["findings"])
    except ValidationError as error:
        from babyskin.parse import validation_problems

        problems = [f"conversation: {p}" for p in validation_problems(error)]
        raise InputError("; ".join(problems), problems=problems) from None
    from babyskin.engine.assess import check_findings

    try:
        check_findings(kb or _default_kb(), findings)
    except BabyskinError as error:
        raise InputError(f"conversation: {error}; {fix}") from None
    return findings
