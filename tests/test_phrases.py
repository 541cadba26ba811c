"""Each parent phrase in ``tests/corpus/phrases.tsv`` reads as its line says.

The second column lists finding ids the reader must give, ``-id`` ids it must not give, ``?id`` ids
counted only to be safe (uncertain) and ``!`` when the text must be read as an emergency.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from babyskin.understand import understand_text

TABLE = Path(__file__).parent / "corpus" / "phrases.tsv"


def _rows() -> list[tuple[str, str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, expect = line.split("\t")
            rows.append((codecs.decode(text, "unicode_escape"), expect))
    return rows


@pytest.mark.parametrize(("text", "expect"), _rows())
def test_phrase(text: str, expect: str) -> None:
    understood = understand_text(text)
    f = understood.findings
    given = {*f.locations, *f.lesions, *f.colors, *f.present}
    for word in expect.split():
        if word == "!":
            assert understood.emergency, text
        elif word.startswith("-"):
            assert word[1:] not in given, (text, given)
        elif word.startswith("?"):
            assert word[1:] in given and word[1:] in understood.uncertain, (text, given)
        else:
            assert word in given, (text, given)


def test_an_emergency_at_the_end_of_a_long_message_escalates() -> None:
    from babyskin.answer.ask import answer_text
    from babyskin.models import TriageLevel

    hives = ("My 9 month old came out in hives yesterday after trying egg for the first time. They are"
             " raised welts on his tummy and arms and they move around. ") * 40
    text = hives + ("Tonight he is breathing really fast, the skin sucks in under his ribs and there is a"
                    " noise when he breathes. Anyway my question was about the hives, how long do they last?")
    assert answer_text(text).triage.level is TriageLevel.emergency


def test_pressing_not_understood_is_never_home() -> None:
    from babyskin.answer.ask import answer_text
    from babyskin.models import TriageLevel

    result = answer_text("5 month old, red dots on her legs, I pressed them but I don't know")
    assert result.triage.level is not TriageLevel.home


@pytest.mark.parametrize(("text", "field", "value"), [
    ("fever of 39.2 and a rash", "temperature_c", 39.2),
    ("temp 102F, spots on chest", "temperature_c", 38.9),
    ("a fever over 38 yesterday, up to 39.3 in the evening", "temperature_c", 39.3),
    ("fever for 5 days and red eyes", "fever_days", 5),
    ("5 days of fever, rash for 2 days", "fever_days", 5),
    ("5 days of fever, rash for 2 days", "duration_days", 2),
    ("fever for 70 days", "fever_days", 60),
])
def test_numbers_about_the_fever(text: str, field: str, value: float) -> None:
    findings = understand_text(text).findings
    assert getattr(findings, field) == value
    assert "fever" in findings.present
