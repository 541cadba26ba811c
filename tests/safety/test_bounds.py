"""The family bound behind "warning signs never lower the answer" (``engine/bounds.py``), checked against
brute force: every state of the family is enumerated and scored with the plain posterior."""

from __future__ import annotations

import itertools

from hypothesis import assume, given
from hypothesis import strategies as st

from babyskin.engine import bounds, red_flags
from babyskin.engine.assess import Engine
from babyskin.engine.rank import posterior
from babyskin.models import Findings, TriageLevel
from tests.safety.budget import BUDGET
from tests.safety.strategies import BUNDLED_FINDINGS, bundled_kb

MAX_WORDS = 5  # 3^5 states at most: brute force stays cheap
CONDITION_IDS = st.deferred(lambda: st.sampled_from(sorted(bundled_kb().conditions)))


def family_of(engine: Engine, case: Findings) -> bounds.Family:
    matched = red_flags.matching(engine._flags_by_urgency, case)
    return bounds.Family(engine.model, case, red_flags.warning_words(matched, case))


def every_state(family: bounds.Family) -> list[dict[str, bounds.Choice]]:
    options = [family.options(word) for word in family.words]
    return [dict(zip(family.words, combo, strict=True)) for combo in itertools.product(*options)]


@BUDGET
@given(BUNDLED_FINDINGS, CONDITION_IDS)
def test_the_bound_is_never_below_any_state_of_the_family(engine: Engine, case: Findings, cid: str) -> None:
    family = family_of(engine, case)
    assume(0 < len(family.words) <= MAX_WORDS)
    i = engine.model.ids.index(cid)
    rivals = list(range(len(engine.model.ids)))
    most = family.gaps({}).most(i, rivals, 1e-300)
    assert most is not None
    for choices in every_state(family):
        exact = dict(posterior(engine.model, family.state(choices)))[cid]
        assert most >= exact * (1 - 1e-9), (choices, most, exact)
        whole = family.gaps(choices).most(i, rivals, 1e-300)  # no open word: the bound is exact
        assert whole is not None and abs(whole - exact) <= 1e-9


@BUDGET
@given(BUNDLED_FINDINGS, CONDITION_IDS, st.sampled_from([0.03, 0.10, 0.15, 0.5]))
def test_the_search_finds_a_state_over_the_threshold_exactly_when_one_exists(
    engine: Engine, case: Findings, cid: str, threshold: float
) -> None:
    family = family_of(engine, case)
    assume(0 < len(family.words) <= MAX_WORDS)
    i = engine.model.ids.index(cid)
    rivals = list(range(len(engine.model.ids)))
    found = family.search(lambda gaps: gaps.most(i, rivals, threshold))
    assume(found is None or not found.gave_up)
    best = max(dict(posterior(engine.model, family.state(c)))[cid] for c in every_state(family))
    if found is None:
        assert best < threshold * (1 + 1e-9)
    else:
        assert best >= threshold * (1 - 1e-9)
        exact = dict(posterior(engine.model, family.state(found.choices)))[cid]
        assert exact >= threshold * (1 - 1e-9)
        assert found.most is not None and abs(found.most - exact) <= 1e-9


def test_an_empty_or_one_word_description_is_never_home(engine: Engine) -> None:
    """OF-5: an answer resting on next to nothing says 'soon' and asks for more."""
    for case in (Findings(), Findings(age_days=40), Findings(age_days=40, lesions=["papule"])):
        decision = engine.assess(case).triage
        assert decision.level is TriageLevel.soon
        assert decision.decided_by == "too_little"
        assert "too little was described" in decision.reasons[0]
    described = engine.assess(Findings(age_days=20, lesions=["papule"], colors=["white"], locations=["nose"]))
    assert described.triage.level is TriageLevel.home
