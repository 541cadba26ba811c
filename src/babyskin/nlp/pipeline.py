"""The spaCy pipeline: ``spacy.blank("en")`` + sentencizer + medspaCy TargetMatcher + ConText.

No model is downloaded: the tokenizer is spaCy's rule-based English one, sentences are split on
punctuation and line breaks, targets come from :mod:`babyskin.nlp.rules` and ConText modifiers from
``rules/context_rules.json``. Matching uses the token ``NORM``, so "don't", "dont" and "do not" read
the same. Spans are written to a span group (they may overlap: a condition name and the findings inside
it); :mod:`babyskin.nlp.extract` resolves overlaps.

Built once per knowledge-base version and cached (:func:`get_pipeline`); never at import.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from babyskin.kb.derived import PerKb
from babyskin.kb.loader import KnowledgeBase
from babyskin.nlp.rules import RuleInfo, build_rules

SPAN_GROUP = "babyskin_targets"
SENTENCE_ENDS = [".", "!", "?", ";", "\n", "\n\n", "…"]


@dataclass(frozen=True)
class Pipeline:
    nlp: Any  # spacy.language.Language
    rules: dict[str, RuleInfo]
    kb_version: str
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def docs(self, texts: list[str]) -> list[Any]:
        """Run the pipeline (one caller at a time: spaCy's string store is shared state)."""
        with self.lock:
            return list(self.nlp.pipe(texts))


def build_pipeline(kb: KnowledgeBase) -> Pipeline:
    import spacy
    from medspacy.context import ConTextRule
    from medspacy.target_matcher import TargetRule

    rules = build_rules(kb)
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
    return Pipeline(nlp=nlp, rules={r.key: r for r in rules}, kb_version=kb.version)


_pipelines: PerKb[Pipeline] = PerKb(build_pipeline)


def get_pipeline(kb: KnowledgeBase) -> Pipeline:
    """The pipeline for this knowledge base (built on first use, then shared)."""
    return _pipelines.get(kb)
