"""The guided check: which question to ask next, and when to stop.

The check opens with what anyone can say at once (age, where, what the spots look like, colour, size,
how many), then with one screening question, "any of these?", listing the warning signs for the baby's
age (:data:`SCREEN`: fever, floppy or hard to wake, a high-pitched cry, not feeding or fewer wet
nappies, breathing trouble, mottled, grey or blue skin, spots that do not fade). It counts as one
question and comes before any other. Then it asks yes / no / not-sure questions about signs, one at a
time. The red-flag rules are re-checked after every answer: a red flag that sets an emergency answer ends
the check at once, and one that sets any other answer ends it as soon as no more urgent red-flag
question is open (a red flag below a level already reached by a condition rule does not stop it: the
next answers may settle that condition).

Choosing the question
---------------------
1. **Safety first.** While any emergency or urgent condition is still plausible (probability at or
   above half its triage safety threshold, see :mod:`babyskin.engine.triage`), ask about the red-flag
   signs of those conditions (their ``red_flags`` lists) that are one answer away from firing and would
   raise the current triage level: the most severe flag first. A missed red flag is the costliest
   error, so these questions are not traded against information.
2. **Then information.** Ask the sign with the largest expected information gain about the
   differential: ``H(p) - [P(yes) H(p | yes) + P(no) H(p | no)]`` with ``P(yes) = Σ_c p(c) L(w | c)``
   under the same likelihoods as the ranking. Entropy reduction is preferred to "expected reduction in
   wrong triage" for this step because triage safety is already handled by step 1 and the differential
   is what the remaining questions must settle.

Stopping rule
-------------
Stop when an emergency red flag decides the answer (nothing can raise it), when a red flag decides it
and no safety question for a higher level is open, or when no safety question is left and either the
leading diagnosis holds at least ``SETTLED`` (85%) of the probability, or no question is worth
``MIN_GAIN`` bits, or ``MAX_QUESTIONS`` have been asked. "Not sure" leaves the finding unknown; the
question is not asked again.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict

from babyskin.engine.assess import Engine
from babyskin.engine.rank import posterior
from babyskin.engine.red_flags import present_words
from babyskin.engine.triage import SAFETY_THRESHOLD
from babyskin.errors import InputError
from babyskin.models import Assessment, Audience, FindingGroup, Findings, TriageLevel

SETTLED = 0.85
MIN_GAIN = 0.02
MAX_QUESTIONS = 12
Answer = Literal["yes", "no", "not_sure"]
OPENING_FIELDS = ("age_days", "onset_days", "duration_days", "gestation_weeks", "locations", "lesions",
                  "colors", "size", "count")
SCREEN_ID = "screen"  # in ``asked``: the screening question has been answered
# (word, oldest age in days it is asked at, or None for every age): the "any of these?" screen
SCREEN: tuple[tuple[str, int | None], ...] = (
    ("fever", None), ("lethargic", None), ("high_pitched_cry", None), ("poor_feeding", None),
    ("reduced_wet_nappies", None), ("breathing_difficulty", None), ("mottled_skin", None),
    ("pale_or_grey", None), ("non_blanching", None), ("bulging_fontanelle", 548), ("seizure", None),
)
SCREEN_TEXT = "Does your baby have any of these now? Tick all that apply."


class Option(BaseModel):
    model_config = ConfigDict(frozen=True)

    finding: str
    label: str
    help: str | None = None


class Question(BaseModel):
    """One question; the screening question (``finding`` = ``screen``) lists its ``options``."""

    model_config = ConfigDict(frozen=True)

    finding: str
    text: str
    label: str
    help: str | None = None
    why: Literal["screen", "safety", "information"]
    red_flag: str | None = None
    gain: float = 0.0
    options: tuple[Option, ...] = ()


class CheckStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    done: bool
    question: Question | None
    asked: tuple[str, ...]
    assessment: Assessment
    stop_reason: str | None = None


def _entropy(probs: list[float]) -> float:
    return -sum(p * math.log2(p) for p in probs if p > 0)


def _safety_question(engine: Engine, findings: Findings, probs: dict[str, float],
                     asked: set[str], level: TriageLevel) -> Question | None:
    kb = engine.kb
    present = present_words(findings)
    known = present | set(findings.absent) | asked
    flag_ids: list[str] = []
    for cid, p in probs.items():
        cond = kb.conditions[cid]
        if cond.triage.rank < TriageLevel.urgent.rank or p < SAFETY_THRESHOLD[cond.triage] / 2:
            continue
        if cond.red_flags != "none":
            flag_ids.extend(f for f in cond.red_flags if f not in flag_ids)
    flags = sorted((kb.red_flags[f] for f in flag_ids), key=lambda f: -f.triage.rank)
    age = findings.age_days
    for flag in flags:
        if flag.triage.rank <= level.rank:
            continue
        when = flag.when
        if when.age_days_below is not None and age is not None and age >= when.age_days_below:
            continue
        if when.age_days_at_least is not None and age is not None and age < when.age_days_at_least:
            continue
        if any(w in present for w in when.none):
            continue
        missing: list[list[str]] = []
        for word in when.all:
            if word not in present:
                missing.append([word])
        for group in (when.any, when.and_any):
            if group and not any(w in present for w in group):
                missing.append(list(group))
        if len(missing) != 1:
            continue
        askable = [w for w in missing[0]
                   if w not in known and kb.findings[w].group is FindingGroup.signs]
        if askable:
            word = askable[0]
            finding = kb.findings[word]
            return Question(finding=word, text=finding.question, label=finding.label,
                            help=finding.help.text if finding.help else None, why="safety",
                            red_flag=flag.id)
    return None


def _information_question(engine: Engine, probs: dict[str, float], asked: set[str],
                          findings: Findings) -> Question | None:
    model = engine.model
    present, absent = findings.observed()
    index = {cid: i for i, cid in enumerate(model.ids)}
    p = [0.0] * len(model.ids)
    for cid, value in probs.items():
        p[index[cid]] = value
    base = _entropy(p)
    best: tuple[float, str] | None = None
    for word, finding in engine.kb.findings.items():
        if finding.group is not FindingGroup.signs or word in asked or word in present or word in absent:
            continue
        likes = [math.exp(v) for v in model.log_present[word]]
        p_yes = sum(pi * li for pi, li in zip(p, likes, strict=True))
        if p_yes <= 0 or p_yes >= 1:
            continue
        yes = [pi * li / p_yes for pi, li in zip(p, likes, strict=True)]
        no = [pi * (1 - li) / (1 - p_yes) for pi, li in zip(p, likes, strict=True)]
        gain = base - (p_yes * _entropy(yes) + (1 - p_yes) * _entropy(no))
        if best is None or gain > best[0]:
            best = (gain, word)
    if best is None or best[0] < MIN_GAIN:
        return None
    finding = engine.kb.findings[best[1]]
    return Question(finding=best[1], text=finding.question, label=finding.label,
                    help=finding.help.text if finding.help else None, why="information",
                    gain=round(best[0], 3))


def screen_words(findings: Findings) -> list[str]:
    """The screening signs for the baby's age that are not known yet."""
    present, absent = findings.observed()
    age = findings.age_days
    return [w for w, oldest in SCREEN
            if w not in present and w not in absent and (oldest is None or age is None or age <= oldest)]


def _screen_question(engine: Engine, findings: Findings) -> Question | None:
    words = screen_words(findings)
    if not words:
        return None
    kb = engine.kb
    options = tuple(Option(finding=w, label=kb.findings[w].label,
                           help=kb.findings[w].help.text if kb.findings[w].help else None) for w in words)
    return Question(finding=SCREEN_ID, text=SCREEN_TEXT, label="warning signs", why="screen",
                    options=options)


def next_step(engine: Engine, findings: Findings, asked: tuple[str, ...] = (),
              audience: Audience = Audience.parent) -> CheckStep:
    """The next question for these findings, or the final answer when the check is settled."""
    assessment = engine.assess(findings, audience)
    level = assessment.triage.level
    if level is TriageLevel.emergency and assessment.triage.decided_by == "red_flag":
        why = assessment.triage.reasons[0]
        return CheckStep(done=True, question=None, asked=tuple(asked), assessment=assessment,
                         stop_reason=f"a red flag fired: the answer is an emergency ({why})")
    asked_set = set(asked)
    if SCREEN_ID not in asked_set:
        screen = _screen_question(engine, findings)
        if screen is not None:
            return CheckStep(done=False, question=screen, asked=tuple(asked), assessment=assessment)
    probs = dict(posterior(engine.model, findings))
    question = _safety_question(engine, findings, probs, asked_set, level)
    reason = None
    if question is None:
        if assessment.red_flags and assessment.triage.decided_by == "red_flag":
            reason = f"a red flag fired ({assessment.red_flags[0].title}) and no more urgent one is open"
        elif len(asked) >= MAX_QUESTIONS:
            reason = f"asked the most questions we ask ({MAX_QUESTIONS})"
        elif assessment.differential[0].probability >= SETTLED:
            reason = (f"the leading diagnosis holds {assessment.differential[0].probability:.0%}"
                      " and no red-flag question is open")
        else:
            question = _information_question(engine, probs, asked_set, findings)
            if question is None:
                reason = "no remaining question would change the answer much"
    return CheckStep(done=question is None, question=question, asked=tuple(asked),
                     assessment=assessment, stop_reason=reason)


def apply_answer(findings: Findings, word: str, answer: Answer) -> Findings:
    """Findings updated by a yes / no / not-sure answer about a sign."""
    if answer == "not_sure":
        return findings
    if answer == "yes":
        return findings.merged(Findings(present=(word,)))
    return findings.merged(Findings(absent=(word,)))


def apply_screen(findings: Findings, yes: list[str] | tuple[str, ...],
                 no: list[str] | tuple[str, ...] = ()) -> Findings:
    """Findings updated by the screening answer: ``yes`` ticked, ``no`` checked and not there."""
    words = dict(SCREEN)
    odd = [w for w in (*yes, *no) if w not in words]
    if odd:
        raise InputError(f"not a screening sign: {', '.join(odd)}; use: {', '.join(words)}")
    return findings.merged(Findings(present=tuple(yes), absent=tuple(w for w in no if w not in yes)))


def answer_screen(findings: Findings, answer: Answer, ticked: list[str] | tuple[str, ...] = ()
                  ) -> Findings:
    """The screening answer from a person: ``ticked`` are there; with ``yes`` or ``no`` the signs not
    ticked were checked and are not there ("none of these" is ``no``); with ``not_sure`` they stay
    unknown."""
    shown = screen_words(findings)
    if answer == "no" and ticked:
        raise InputError("a 'no' screening answer cannot tick signs; answer 'yes' with the ticked signs")
    rest = [] if answer == "not_sure" else [w for w in shown if w not in ticked]
    return apply_screen(findings, list(ticked), rest)


def opening(findings: Findings) -> Findings:
    """The part of a full description that the check's first screen collects."""
    return Findings(**{name: getattr(findings, name) for name in OPENING_FIELDS})


def simulate(engine: Engine, truth: Findings, audience: Audience = Audience.parent
             ) -> tuple[Assessment, int]:
    """Run the check against a person who answers from ``truth`` (unknown when it does not say)."""
    findings = opening(truth)
    asked: list[str] = []
    while True:
        step = next_step(engine, findings, tuple(asked), audience)
        if step.done or step.question is None:
            return step.assessment, len(asked)
        word = step.question.finding
        asked.append(word)
        if word == SCREEN_ID:
            options = [o.finding for o in step.question.options]
            findings = apply_screen(findings, [w for w in options if w in truth.present],
                                    [w for w in options if w in truth.absent])
            if "fever" in truth.present:  # the screen asks how high and for how long
                findings = findings.merged(Findings(temperature_c=truth.temperature_c,
                                                    fever_days=truth.fever_days))
            continue
        answer: Answer = ("yes" if word in truth.present
                          else "no" if word in truth.absent else "not_sure")
        findings = apply_answer(findings, word, answer)
