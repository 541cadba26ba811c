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
