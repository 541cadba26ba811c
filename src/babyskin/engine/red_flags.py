"""Red flags: fixed rules over the findings, run before the differential.

A rule fires when every ``all`` word is present, at least one ``any`` word and one ``and_any`` word
are present (when given), no ``none`` word is present, the age limits hold, the measured-number limits
hold (a temperature or days of fever that were not given never satisfy one) and, for rules with
``applies_to``, one of those conditions is plausible (probability >= ``PLAUSIBLE``). An age limit
cannot be checked without an age, so such a rule does not fire then; the assessment instead carries a
caution naming the rule (see :func:`age_dependent_flags`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from babyskin.kb.schema import RedFlag, When
from babyskin.models import Findings

PLAUSIBLE = 0.10


def present_words(findings: Findings) -> set[str]:
    return findings.observed()[0]


def matches(when: When, present: set[str], findings: Findings, *, ignore_age: bool = False) -> bool:
    if when.all and not all(word in present for word in when.all):
        return False
    if when.any and not any(word in present for word in when.any):
        return False
    if when.and_any and not any(word in present for word in when.and_any):
        return False
    if when.none and any(word in present for word in when.none):
        return False
    if when.min_locations is not None:
        sites = len(findings.locations) + (when.min_locations if "generalized" in findings.locations else 0)
        if sites < when.min_locations:
            return False
    if when.numbers() and not _numbers_hold(when, findings):
        return False
    if not ignore_age:
        age = findings.age_days
        if when.age_days_below is not None and (age is None or age >= when.age_days_below):
            return False
        if when.age_days_at_least is not None and (age is None or age < when.age_days_at_least):
            return False
    return True


def _numbers_hold(when: When, findings: Findings) -> bool:
    """The rule's measured-number limits hold; an unmeasured number never satisfies a limit."""
    temperature, days = findings.temperature_c, findings.fever_days
    if when.temperature_c_at_least is not None and (temperature is None
                                                    or temperature < when.temperature_c_at_least):
        return False
    if when.temperature_c_below is not None and (temperature is None
                                                 or temperature >= when.temperature_c_below):
        return False
    return not (when.fever_days_at_least is not None and (days is None or days < when.fever_days_at_least))


def fired_flags(
    flags: Mapping[str, RedFlag], findings: Findings, probabilities: Mapping[str, float]
) -> list[RedFlag]:
    """The red flags these findings trigger, most urgent first."""
    present = present_words(findings)
    matched = [flag for flag in flags.values() if matches(flag.when, present, findings)]
    matched.sort(key=lambda f: -f.triage.rank)
    return plausible(matched, probabilities)


def plausible(matched: Sequence[RedFlag], probabilities: Mapping[str, float]) -> list[RedFlag]:
    """The matched rules that fire: those with no ``applies_to``, or with one of its conditions
    plausible (in the given order)."""
    return [flag for flag in matched
            if not flag.applies_to or any(probabilities.get(c, 0.0) >= PLAUSIBLE for c in flag.applies_to)]


def matching(flags: Sequence[RedFlag], findings: Findings) -> list[RedFlag]:
    """The rules (in the given order) whose finding pattern matches, plausible condition or not."""
    present = present_words(findings)
    return [flag for flag in flags if matches(flag.when, present, findings)]


def warning_words(matched: Sequence[RedFlag], findings: Findings) -> frozenset[str]:
    """The present words acting as warning signs: the ``all``, ``any`` and ``and_any`` words, present in
    ``findings``, of the rules whose pattern matches them."""
    present = present_words(findings)
    return frozenset(w for flag in matched for w in (*flag.when.all, *flag.when.any, *flag.when.and_any)
                     if w in present)


def age_dependent_flags(flags: Mapping[str, RedFlag], findings: Findings) -> list[RedFlag]:
    """Rules that would fire at some age when the age is unknown."""
    if findings.age_days is not None:
        return []
    present = present_words(findings)
    return [
        flag
        for flag in flags.values()
        if (flag.when.age_days_below is not None or flag.when.age_days_at_least is not None)
        and not flag.applies_to
        and matches(flag.when, present, findings, ignore_age=True)
    ]
