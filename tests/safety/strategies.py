"""Hypothesis strategies for valid findings, built from a knowledge base's vocabulary.

``findings(kb)`` draws any :class:`~babyskin.models.Findings` that the engine accepts: words only from
the right vocabulary group, ``present`` and ``absent`` disjoint, onset no later than the age. Ages run
past the 24-month coverage on purpose (the engine must answer them with a caution, not crash).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import RedFlag
from babyskin.models import FindingGroup, Findings

MAX_TEST_AGE_DAYS = 1500


def vocabulary(kb: KnowledgeBase) -> dict[FindingGroup, list[str]]:
    """The finding words of each group, in file order."""
    groups: dict[FindingGroup, list[str]] = {group: [] for group in FindingGroup}
    for word, finding in kb.findings.items():
        groups[finding.group].append(word)
    return groups


def _words(words: list[str], max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(words), max_size=max_size, unique=True)


@st.composite
def findings_data(draw: st.DrawFn, kb: KnowledgeBase) -> dict[str, Any]:
    """A JSON-ready dict that :class:`Findings` and the engine accept."""
    vocab = vocabulary(kb)
    data: dict[str, Any] = {}
    age = draw(st.none() | st.integers(0, MAX_TEST_AGE_DAYS))
    if age is not None:
        data["age_days"] = age
        onset = draw(st.none() | st.integers(0, age))
        if onset is not None:
            data["onset_days"] = onset
    if draw(st.booleans()):
        data["duration_days"] = draw(st.integers(0, 400))
    if draw(st.booleans()):
        data["gestation_weeks"] = draw(st.integers(22, 44))
    for field, group in (("locations", FindingGroup.locations), ("lesions", FindingGroup.lesions),
                         ("colors", FindingGroup.colors)):
        data[field] = draw(_words(vocab[group], 6))
    for field, group in (("size", FindingGroup.size), ("count", FindingGroup.count)):
        data[field] = draw(st.none() | st.sampled_from(vocab[group]))
    signs = draw(_words(vocab[FindingGroup.signs], 12))
    split = draw(st.integers(0, len(signs)))
    data["present"], data["absent"] = signs[:split], signs[split:]
    return data


def findings(kb: KnowledgeBase) -> st.SearchStrategy[Findings]:
    return findings_data(kb).map(lambda data: Findings(**data))


def bundled_kb() -> KnowledgeBase:
    """The bundled knowledge base, loaded on first use (never when a test module is imported)."""
    from babyskin.engine.assess import default_engine

    return default_engine().kb


BUNDLED_FINDINGS: st.SearchStrategy[Findings] = st.deferred(lambda: findings(bundled_kb()))
"""Valid findings for the bundled KB; the KB loads when Hypothesis first draws, not at import."""
BUNDLED_FINDINGS_DATA: st.SearchStrategy[dict[str, Any]] = st.deferred(lambda: findings_data(bundled_kb()))


def trigger(flag: RedFlag, kb: KnowledgeBase, base: Findings, pick: int = 0
            ) -> tuple[Findings, Findings]:
    """(before, after): ``base`` made ready for ``flag``, then with the rule's words added.

    *Before* is ``base`` with what the rule needs that is not a finding word met: its ``none`` words
    removed, an age outside its limits moved inside them (an onset later than the new age dropped), enough
    body sites for ``min_locations``, a measured temperature or days of fever that the rule's number
    limits need, and a size or count the rule names cleared (those fields hold one
    word, so setting them would replace a finding, not add one). *After* adds the rule's words (``all``,
    and one of ``any`` and of ``and_any``, the ``pick``-th modulo their length; a sign reported absent
    becomes present), so the two differ
    only by red-flag findings.
    """
    when = flag.when
    data = base.model_dump()
    for word in when.none:
        for field in ("locations", "lesions", "colors", "present"):
            data[field] = tuple(w for w in data[field] if w != word)
        for field in ("size", "count"):
            if data[field] == word:
                data[field] = None
    age = data["age_days"]
    if when.age_days_below is not None and (age is None or age >= when.age_days_below):
        data["age_days"] = max(0, when.age_days_below - 1)
    if when.age_days_at_least is not None and (data["age_days"] is None
                                                or data["age_days"] < when.age_days_at_least):
        data["age_days"] = when.age_days_at_least
    if data["onset_days"] is not None and data["age_days"] is not None and (
        data["onset_days"] > data["age_days"]
    ):
        data["onset_days"] = None
    if when.temperature_c_below is not None and (data["temperature_c"] is None
                                                 or data["temperature_c"] >= when.temperature_c_below):
        data["temperature_c"] = when.temperature_c_below - 0.5
    if when.temperature_c_at_least is not None and (data["temperature_c"] is None
                                                    or data["temperature_c"] < when.temperature_c_at_least):
        data["temperature_c"] = when.temperature_c_at_least
    if when.fever_days_at_least is not None and (data["fever_days"] is None
                                                 or data["fever_days"] < when.fever_days_at_least):
        data["fever_days"] = when.fever_days_at_least
    if when.numbers():  # a measured fever makes the words present: they cannot also be absent
        data["absent"] = tuple(w for w in data["absent"] if w not in ("fever", "fever_5_days"))
    if when.min_locations:
        sites = [w for w, f in kb.findings.items() if f.group is FindingGroup.locations]
        extra = [w for w in sites if w not in data["locations"] and w != "generalized"]
        missing = max(0, when.min_locations - len(data["locations"]))
        data["locations"] = (*data["locations"], *extra[:missing])
    words = [*when.all, *(group[pick % len(group)] for group in (when.any, when.and_any) if group)]
    for word in words:
        group = kb.findings[word].group
        if group in (FindingGroup.size, FindingGroup.count):
            data[group.value] = None
    before = Findings(**data)
    for word in words:
        group = kb.findings[word].group
        if group in (FindingGroup.size, FindingGroup.count):
            data[group.value] = word
        else:
            field = "present" if group is FindingGroup.signs else group.value
            if word not in data[field]:
                data[field] = (*data[field], word)
            if group is FindingGroup.signs:
                data["absent"] = tuple(w for w in data["absent"] if w != word)
    return before, Findings(**data)


def red_flag_words(kb: KnowledgeBase) -> list[str]:
    """Every finding word that some red-flag rule tests for presence."""
    words = {w for flag in kb.red_flags.values()
             for w in (*flag.when.all, *flag.when.any, *flag.when.and_any)}
    return sorted(words)
