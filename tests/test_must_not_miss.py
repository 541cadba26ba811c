"""must_not_miss: a condition that raises the triage is in the top three or named as a serious cause."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from babyskin.engine.assess import default_engine, vocabulary
from babyskin.engine.triage import HARM, SAFETY_THRESHOLD
from babyskin.evaluation import load_cases
from babyskin.models import Findings, TriageLevel

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev_cases.yaml"


def _check(findings: Findings) -> None:
    engine = default_engine()
    result = engine.assess(findings)
    shown = {c.id for c in result.differential[:3]} | {m.id for m in result.must_not_miss}
    names = {cond.name: cid for cid, cond in engine.kb.conditions.items()}
    for reason in result.triage.reasons:
        for name, cid in names.items():
            if reason.startswith(f"{name} cannot be ruled out"):
                assert cid in shown, (findings, reason)
    for item in result.must_not_miss:
        assert item.why and item.action
        assert item.id not in {c.id for c in result.differential[:3]}


def _random_findings(rng: random.Random, vocab: dict[str, dict[str, None]]) -> Findings:
    pick = lambda field, k: rng.sample(list(vocab[field]), k)  # noqa: E731
    signs = list(vocab["present"])
    present = rng.sample(signs, rng.randint(0, 3))
    absent = [w for w in rng.sample(signs, rng.randint(0, 3)) if w not in present]
    return Findings(age_days=rng.randint(0, 700), locations=pick("locations", rng.randint(1, 3)),
                    lesions=pick("lesions", rng.randint(1, 2)), colors=pick("colors", rng.randint(0, 2)),
                    present=present, absent=absent)


def test_raising_condition_always_shown_on_random_findings() -> None:
    rng = random.Random(13)
    vocab = vocabulary(default_engine().kb)
    for _ in range(300):
        _check(_random_findings(rng, vocab))


@pytest.mark.skipif(not DEV.exists(), reason="shared dev cases not present")
def test_raising_condition_always_shown_on_dev_cases() -> None:
    for case in load_cases(DEV):
        _check(case.findings)


def test_neonatal_blisters_name_herpes() -> None:
    result = default_engine().assess(Findings(age_days=10, locations=["scalp"], lesions=["vesicle"],
                                              count="few"))
    ids = {c.id for c in result.differential[:3]} | {m.id for m in result.must_not_miss}
    assert "neonatal_hsv" in ids
    assert result.model_dump(mode="json")["must_not_miss"] is not None


def test_thresholds_follow_from_harm() -> None:
    for level, harm in HARM.items():
        assert SAFETY_THRESHOLD[level] == pytest.approx(harm.over / (harm.over + harm.miss))
    assert SAFETY_THRESHOLD[TriageLevel.emergency] < SAFETY_THRESHOLD[TriageLevel.urgent]
    assert SAFETY_THRESHOLD[TriageLevel.urgent] < SAFETY_THRESHOLD[TriageLevel.soon]
