"""Issue 20 (cond2): vignettes for the new birthmark, lump, psoriasis and reassuring conditions.

Each vignette is a few structured findings a parent could report; the new condition must rank in the
top three and get the triage its entry and red flags give, and the red flags added for these conditions
must fire on their rule and stay quiet without it.
"""

from __future__ import annotations

import pytest

from babyskin.engine.assess import Engine
from babyskin.models import Findings, TriageLevel

T = TriageLevel

VIGNETTES: list[tuple[str, dict, TriageLevel]] = [
    ("congenital_melanocytic_nevus",
     dict(age_days=10, locations=["back"], lesions=["plaque"], colors=["brown"], size="medium",
          count="single", present=["present_at_birth"], absent=["fever", "itchy"]), T.home),
    ("congenital_melanocytic_nevus",
     dict(age_days=5, locations=["back", "lumbosacral"], lesions=["plaque"], colors=["brown"],
          size="large", present=["present_at_birth"]), T.soon),
    ("port_wine_stain",
     dict(age_days=20, locations=["cheeks"], lesions=["patch"], colors=["purple"], size="large",
          count="single", present=["present_at_birth"], absent=["growing"]), T.soon),
    ("port_wine_stain",
     dict(age_days=3, locations=["forehead", "eyelids"], lesions=["patch"], colors=["purple"],
          size="large", count="single", present=["present_at_birth"], absent=["growing"]), T.urgent),
    ("infantile_psoriasis",
     dict(age_days=300, locations=["diaper_area", "skin_folds", "scalp"], lesions=["plaque"],
          colors=["red"], present=["dry_scale"], absent=["satellite_lesions", "fever"]), T.soon),
    ("infantile_psoriasis",
     dict(age_days=400, locations=["trunk", "diaper_area"], lesions=["plaque", "pustule"],
          colors=["red"], count="many", present=["fever", "unwell", "dry_scale"]), T.emergency),
    ("pyogenic_granuloma",
     dict(age_days=500, locations=["cheeks"], lesions=["papule", "crust"], colors=["red"],
          size="small", count="single", present=["raised_vascular", "growing"]), T.soon),
    ("subcutaneous_fat_necrosis",
     dict(age_days=8, locations=["back", "arms"], lesions=["nodule", "plaque"], colors=["red"],
          present=["tender"], absent=["fever"]), T.soon),
    ("subcutaneous_fat_necrosis",
     dict(age_days=20, locations=["back", "legs"], lesions=["nodule", "plaque"], colors=["red"],
          present=["vomiting"], absent=["fever"]), T.urgent),
    ("juvenile_xanthogranuloma",
     dict(age_days=200, locations=["scalp"], lesions=["papule"], colors=["yellow"], size="small",
          count="single", absent=["itchy", "fever"]), T.soon),
    ("newborn_skin_peeling",
     dict(age_days=5, locations=["hands", "feet"], present=["skin_peeling", "dry_scale"],
          absent=["fever", "unwell"]), T.home),
    ("cafe_au_lait_macules",
     dict(age_days=120, locations=["trunk"], lesions=["macule"], colors=["brown"], size="medium",
          count="single", absent=["itchy"]), T.home),
    ("cafe_au_lait_macules",
     dict(age_days=240, locations=["trunk", "legs", "back"], lesions=["patch"], colors=["brown"],
          count="many", absent=["itchy"]), T.soon),
    ("gianotti_crosti",
     dict(age_days=500, locations=["cheeks", "arms", "legs", "diaper_area"], lesions=["papule"],
          colors=["pink"], count="many", present=["runny_nose"], absent=["fever", "mouth_sores"]),
     T.home),
]


@pytest.mark.parametrize(("expected", "data", "triage"), VIGNETTES,
                         ids=[f"{c}-{t.value}" for c, _d, t in VIGNETTES])
def test_new_condition_ranks_top3_with_its_triage(engine: Engine, expected: str, data: dict,
                                                  triage: TriageLevel) -> None:
    result = engine.assess(Findings(**data))
    top3 = [c.id for c in result.differential[:3]]
    assert expected in top3, top3
    assert result.triage.level is triage, (result.triage.level, [f.id for f in result.red_flags])


def test_port_wine_stain_on_the_forehead_is_never_below_urgent(engine: Engine) -> None:
    result = engine.assess(Findings(age_days=1, locations=["forehead"], lesions=["patch"],
                                    colors=["purple"], size="large", count="single",
                                    present=["present_at_birth"]))
    assert result.triage.level.rank >= T.urgent.rank
    assert "port_wine_forehead_or_eyelid" in {f.id for f in result.red_flags}


def test_one_or_two_cafe_au_lait_spots_do_not_raise_the_nf1_flag(engine: Engine) -> None:
    result = engine.assess(Findings(age_days=100, locations=["trunk"], lesions=["macule"],
                                    colors=["brown"], count="few"))
    assert "many_cafe_au_lait_spots" not in {f.id for f in result.red_flags}


def test_plain_psoriasis_without_fever_is_not_an_emergency(engine: Engine) -> None:
    result = engine.assess(Findings(age_days=300, locations=["diaper_area", "skin_folds"],
                                    lesions=["plaque"], colors=["red"], present=["dry_scale"]))
    assert "generalized_pustules_with_fever" not in {f.id for f in result.red_flags}
    assert result.triage.level is T.soon
