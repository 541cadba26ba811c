"""Checks on raw text before it is read: nothing to read, another language, instructions to the system.

None of these stops the reader: an emergency phrase is looked for in every text, whatever else it
says. They decide the note the answer starts with and, when nothing about a baby's skin was found,
that the intent is ``empty`` or ``unsupported``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_TEXT_CHARS = 100_000
_WORD = re.compile(r"[^\W\d_]+")
_ASCII_WORD = re.compile(r"[A-Za-z]+")
BABY_WORDS = frozenset({
    "baby", "babies", "newborn", "infant", "toddler", "rash", "skin", "spot", "spots", "bump", "bumps",
    "son", "daughter", "boy", "girl", "month", "months", "week", "weeks", "day", "days", "old", "year",
    "help", "please", "thanks", "hi", "hello", "worried", "doctor", "cream", "look", "looks", "like",
})
INSTRUCTIONS = re.compile(
    r"\bignore\b.{0,40}\b(?:instructions?|rules?|red flags?|warnings?|guidelines?|prompts?|above|previous)\b"
    r"|\b(?:forget|disregard|override|bypass)\b.{0,40}\b(?:instructions?|rules?|everything|above|safety)\b"
    r"|\byou are (?:now|no longer)\b|\bact as\b|\bpretend (?:to be|you)\b|\broleplay\b"
    r"|\bsystem prompt\b|\bdeveloper mode\b|\bjailbreak\b|\bnew instructions?\b"
    r"|\b(?:reveal|show|print|repeat|output)\b.{0,20}\b(?:prompt|instructions|system message)\b"
    r"|<\s*/?\s*(?:system|assistant|user|instructions?)\s*>|\[\s*(?:system|inst)\s*\]"
    r"|\b(?:tell|say|answer|respond|reply)\b.{0,30}\b(?:it'?s|it is|that|this is)\b.{0,20}"
    r"\b(?:fine|safe|harmless|nothing|not serious|normal)\b"
    r"|\bwrite (?:me )?(?:a|an) (?:poem|story|essay|song|joke|program|script|email)\b",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Screen:
    text: str  # the text that will be read (cut at MAX_TEXT_CHARS)
    rest: str  # what was cut off: scanned for emergency phrases only
    empty: bool
    english: bool
    instructions: bool
    notes: tuple[str, ...]


def screen(text: str, known_words: Iterable[str]) -> Screen:
    """Screen cleaned ``text``; ``known_words`` are English words the reader knows (rule vocabulary)."""
    notes: list[str] = []
    rest = ""
    if len(text) > MAX_TEXT_CHARS:
        notes.append(f"Your text is {len(text):,} characters long; the first {MAX_TEXT_CHARS:,} were read"
                     " and the rest was checked for emergency signs only. Please describe your baby's skin"
                     " in a few sentences.")
        text, rest = text[:MAX_TEXT_CHARS], text[MAX_TEXT_CHARS:]
    words = _WORD.findall(text)
    if not words:
        return Screen(text=text, rest=rest, empty=True, english=True, instructions=False, notes=tuple(notes))
    english = is_english(words, known_words)
    if not english:
        notes.append("babyskin reads English only, and most of this text is not English. Please write in"
                     " English; if your baby seems very unwell, get medical help now.")
    instructions = bool(INSTRUCTIONS.search(text))
    if instructions:
        notes.append("Parts of the text read like instructions to the system. babyskin does not follow"
                     " instructions: it only reads what is described about a baby's skin and answers from"
                     " its reviewed knowledge base.")
    return Screen(text=text, rest=rest, empty=False, english=english, instructions=instructions,
                  notes=tuple(notes))


def alarm_windows(text: str, pattern: re.Pattern[str], width: int = 200) -> list[str]:
    """The passages of ``text`` around each match of ``pattern`` (emergency phrases), merged."""
    spans: list[list[int]] = []
    for match in pattern.finditer(text):
        start, end = max(0, match.start() - width), min(len(text), match.end() + width)
        if spans and start <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [text[a:b] for a, b in spans]


def is_english(words: list[str], known_words: Iterable[str]) -> bool:
    from spacy.lang.en.stop_words import STOP_WORDS

    sample = words[:400]
    letters = sum(len(w) for w in sample)
    ascii_letters = sum(len(m) for w in sample for m in _ASCII_WORD.findall(w))
    if letters and ascii_letters / letters < 0.5:
        return False
    if len(sample) < 3:
        return True
    known = set(known_words)
    hits = sum(1 for w in sample if (low := w.lower()) in STOP_WORDS or low in known or low in BABY_WORDS)
    return hits / len(sample) >= 0.3
