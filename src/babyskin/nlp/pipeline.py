"""The spaCy pipeline: ``spacy.blank("en")`` + sentencizer + medspaCy TargetMatcher + ConText.

No model is downloaded: the tokenizer is spaCy's rule-based English one, sentences are split on
punctuation and line breaks, targets come from :mod:`babyskin.nlp.rules` and ConText modifiers from
``rules/context_rules.json``. Matching uses the token ``NORM``, so "don't", "dont" and "do not" read
the same. Spans are written to a span group (they may overlap: a condition name and the findings inside
it); :mod:`babyskin.nlp.extract` resolves overlaps.

Built once per knowledge-base version and cached (:func:`get_pipeline`); never at import.

**Bounded memory.** spaCy keeps every new string it sees (its ``StringStore`` and ``Vocab`` grow with
each new word typed), so the text given to spaCy is first *masked* (:meth:`Pipeline.mask`): a word the
rules cannot use (not in any rule, context rule, stop-word or tokenizer-exception list, all fixed at
start-up) becomes a same-length placeholder ("qqqq"), long runs of digits or symbols likewise. Offsets
are kept, no rule can match an unknown word anyway, and what people typed never enters spaCy's
memory. As a backstop, should odd joins ("rash.itchy") still add strings, the pipeline is rebuilt once
the string store has grown by ``REBUILD_AFTER`` strings.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from babyskin.kb.derived import PerKb
from babyskin.kb.loader import KnowledgeBase
from babyskin.nlp.rules import RuleInfo, build_rules

SPAN_GROUP = "babyskin_targets"
SENTENCE_ENDS = [".", "!", "?", ";", "\n", "\n\n", "…"]
REBUILD_AFTER = 20_000
PLACEHOLDER_RUN = 24  # a placeholder never has more letters in a row than this
_PIECE = re.compile(r"[^\W_]+")
_MASKED = re.compile(r"[^\W_]+|[^\w\s]{4,}|[^\w\s\x00-\x7f]")


def _placeholder(length: int, letter: str) -> str:
    run = letter * (PLACEHOLDER_RUN - 1) + " "
    return (run * (length // PLACEHOLDER_RUN + 1))[:length]


@dataclass
class Pipeline:
    nlp: Any  # spacy.language.Language
    rules: dict[str, RuleInfo]
    kb_version: str
    known: frozenset[str] = frozenset()  # lower-case words the rules can use
    build: Any = field(default=None, compare=False, repr=False)  # () -> spacy Language, for rebuilds
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)
    strings_at_start: int = 0

    def __post_init__(self) -> None:
        self.strings_at_start = len(self.nlp.vocab.strings)

    def mask(self, text: str) -> str:
        """``text`` with every word the rules cannot use replaced by a placeholder of the same length
        (so character offsets are kept); long runs of symbols, and symbols outside ASCII, become spaces."""

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            if word[0].isalnum() or word[0] == "_":
                if word.lower() in self.known:
                    return word
                return _placeholder(len(word), "0" if word.isdigit() else "q")
            return word[0] + " " * (len(word) - 1) if word.isascii() else " " * len(word)

        return _MASKED.sub(swap, text)

    def docs(self, texts: list[str]) -> list[Any]:
        """Run the pipeline on masked texts (one caller at a time: spaCy's string store is shared)."""
        with self.lock:
            if self.build is not None and len(self.nlp.vocab.strings) > self.strings_at_start + REBUILD_AFTER:
                self.nlp = self.build()
                self.strings_at_start = len(self.nlp.vocab.strings)
            return list(self.nlp.pipe([self.mask(t) for t in texts]))


def _words(texts: Iterable[str]) -> set[str]:
    return {piece.lower() for text in texts for piece in _PIECE.findall(text)}


def _pattern_words(pattern: list[dict[str, Any]] | None) -> set[str]:
    out: set[str] = set()
    for token in pattern or ():
        for attr, value in token.items():
            if attr == "OP":
                continue
            values = value.get("IN", []) if isinstance(value, dict) else [value]
            out |= _words(v for v in values if isinstance(v, str))
    return out


def known_words(nlp: Any, rules: list[RuleInfo], context_rules: list[dict[str, Any]]) -> frozenset[str]:
    """Every word a target or context rule, the stop-word list or a tokenizer exception can use."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from babyskin.nlp.extract import FILLER, LIST_WORDS

    words = _words(r.literal for r in rules) | _words(r["literal"] for r in context_rules)
    for record in [*context_rules, *({"pattern": r.pattern} for r in rules)]:
        words |= _pattern_words(record.get("pattern"))
    words |= _words(STOP_WORDS) | _words(nlp.tokenizer.rules or {}) | set(FILLER) | set(LIST_WORDS)
    return frozenset(words)


def build_pipeline(kb: KnowledgeBase) -> Pipeline:
    rules = build_rules(kb)
    nlp = _build_nlp(rules)
    path = resources.files("babyskin.nlp") / "rules" / "context_rules.json"
    context_rules = json.loads(path.read_text(encoding="utf-8"))["context_rules"]
    return Pipeline(nlp=nlp, rules={r.key: r for r in rules}, kb_version=kb.version,
                    known=known_words(nlp, rules, context_rules), build=lambda: _build_nlp(rules))


def _build_nlp(rules: list[RuleInfo]) -> Any:
    import spacy
    from medspacy.context import ConTextRule
    from medspacy.target_matcher import TargetRule

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer", config={"punct_chars": SENTENCE_ENDS})
    matcher = nlp.add_pipe(
        "medspacy_target_matcher",
        config={"phrase_matcher_attr": "NORM", "result_type": "group", "span_group_name": SPAN_GROUP,
                "prune": False},
    )
    matcher.add([TargetRule(literal=r.literal, category=r.key, pattern=r.pattern) for r in rules])
    context = nlp.add_pipe(
        "medspacy_context",
        config={"rules": None, "phrase_matcher_attr": "NORM", "input_span_type": "group",
                "span_group_name": SPAN_GROUP, "prune_on_target_overlap": True, "span_attrs": None},
    )
    path = resources.files("babyskin.nlp") / "rules" / "context_rules.json"
    with resources.as_file(path) as file:
        context.add(ConTextRule.from_json(str(file)))
    return nlp


_pipelines: PerKb[Pipeline] = PerKb(build_pipeline)


def get_pipeline(kb: KnowledgeBase) -> Pipeline:
    """The pipeline for this knowledge base (built on first use, then shared)."""
    return _pipelines.get(kb)
