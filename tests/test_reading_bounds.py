"""The text reader's memory stays fixed, and look-alike letters cannot hide an emergency word."""

from __future__ import annotations

import random
import string

import pytest

from babyskin.engine.assess import default_engine
from babyskin.nlp.normalize import clean
from babyskin.nlp.pipeline import get_pipeline
from babyskin.understand import understand_text


def _random_text(rng: random.Random, words: int) -> str:
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 12)))
                    for _ in range(words))


def test_vocabulary_does_not_grow_with_new_words() -> None:
    kb = default_engine().kb
    understand_text("warm up: a red rash on his legs", kb=kb)
    pipeline = get_pipeline(kb)
    before = len(pipeline.nlp.vocab.strings)
    rng = random.Random(7)
    texts = [_random_text(rng, 300) + " 123456789 ★☃ " + str(rng.random()) for _ in range(20)]
    for text in texts:
        understand_text("my baby has spots. " + text, kb=kb)
    assert len(pipeline.nlp.vocab.strings) - before < 50
    typed = texts[0].split()[0]
    assert typed not in pipeline.nlp.vocab.strings  # what people typed does not stay


def test_masking_keeps_offsets_and_rule_words() -> None:
    pipeline = get_pipeline(default_engine().kb)
    text = "Zorblax has purple spots that don't fade!!!!! 98765"
    masked = pipeline.mask(text)
    assert len(masked) == len(text)
    assert "purple spots that don't fade" in masked
    assert "Zorblax" not in masked and "98765" not in masked


@pytest.mark.parametrize("text", [
    "he is n\u043et breathing",  # Cyrillic o
    "he is not bre\u0430thing",  # Cyrillic a
    "he is not breathi\u0301ng",  # combining accent
    "he is not brea\x00thing",  # NUL inside the word
    "he is n\u03bft breathing",  # Greek omicron
    "he is not br\u00e9athing",  # accent
])
def test_disguised_emergency_words_are_read(text: str) -> None:
    understood = understand_text(text)
    assert "breathing_difficulty" in understood.findings.present
    assert understood.emergency


def test_folding_leaves_other_scripts_alone() -> None:
    assert clean("\u043d\u043e\u0441") == "\u043d\u043e\u0441"  # Russian "nose" is not "hoc"
    assert clean("respiraci\u00f3n") == "respiracion"
    assert clean("a\x01 b") == "a b"
