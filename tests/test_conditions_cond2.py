"""Issue 20 (cond2): vignettes for the new birthmark, lump, psoriasis and reassuring conditions.

Each vignette is a few structured findings a parent could report; the new condition must rank in the
top three and get the triage its entry and red flags give, and the red flags added for these conditions
must fire on their rule and stay quiet without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from babyskin.answer.compare import compare
from babyskin.api.app import create_app
from babyskin.cli import app
from babyskin.engine.assess import Engine
from babyskin.kb.checks import check_comparisons
from babyskin.kb.loader import KnowledgeBase
from babyskin.kb.schema import Comparison, pair_key
from babyskin.models import Findings, TriageLevel
from babyskin.settings import Settings
from tests.conftest import SHARED

T = TriageLevel


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Settings(load_nlp=False)))

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
    ("infantile_psoriasis",  # as the free-text reader gives "red nappy rash in the creases, scaly scalp"
     dict(age_days=304, locations=["diaper_area", "skin_folds", "scalp"], lesions=["scale", "patch"],
          colors=["red"], count="many"), T.soon),
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


# --- comparisons: how to tell apart the pairs parents confuse (issue 20 item 4, issue 18) ---

NEXT_TSV = SHARED / "eval" / "conditions-next.tsv"


def test_compare_leads_with_how_to_tell_them_apart(kb: KnowledgeBase) -> None:
    table = compare(kb, ["nevus_simplex", "port_wine_stain"])
    (item,) = table["tell_apart"]
    assert set(item["ids"]) == {"nevus_simplex", "port_wine_stain"}
    assert "sharp edge" in item["parent"]["text"] and item["clinician"]["text"]
    assert 2 <= len(item["differences"]) <= 4
    keys = {r["key"] for r in table["references"]}
    for statement in (item["parent"], item["clinician"], *item["differences"]):
        assert statement["refs"] and set(statement["refs"]) <= keys


def test_pair_order_does_not_matter_and_unpaired_conditions_get_none(kb: KnowledgeBase) -> None:
    assert compare(kb, ["neonatal_acne", "milia"])["tell_apart"][0]["ids"] == ["milia", "neonatal_acne"]
    assert compare(kb, ["milia", "scabies"])["tell_apart"] == []
    three = compare(kb, ["diaper_dermatitis", "infantile_psoriasis", "seborrheic_dermatitis"])
    assert len(three["tell_apart"]) == 2


def test_every_pair_the_issue_names_on_this_branch_is_curated(kb: KnowledgeBase) -> None:
    wanted = [("port_wine_stain", "nevus_simplex"), ("infantile_psoriasis", "diaper_dermatitis"),
              ("infantile_psoriasis", "seborrheic_dermatitis"),
              ("cafe_au_lait_macules", "congenital_melanocytic_nevus"), ("milia", "neonatal_acne")]
    for a, b in wanted:
        assert pair_key(a, b) in kb.comparisons, (a, b)


def test_comparison_lint_names_unknown_ids_and_refs(kb: KnowledgeBase) -> None:
    bad = Comparison.model_validate({
        "ids": ["milia", "milia_x"],
        "parent": {"text": "one", "refs": ["nope-ref"]},
        "clinician": {"text": "two", "refs": ["aafp2008-newborn-rashes"]},
        "differences": [{"text": "first", "refs": ["aafp2008-newborn-rashes"]},
                        {"text": "second", "refs": ["aafp2008-newborn-rashes"]}]})
    problems = check_comparisons(kb, [bad], Path("comparisons.yaml"))
    assert any("unknown condition 'milia_x'" in p for p in problems)
    assert any("unknown reference key 'nope-ref'" in p for p in problems)


def test_a_pair_of_one_condition_is_refused() -> None:
    with pytest.raises(ValueError, match="two different conditions"):
        Comparison.model_validate({
            "ids": ["milia", "milia"], "parent": {"text": "one", "refs": ["x"]},
            "clinician": {"text": "two", "refs": ["x"]},
            "differences": [{"text": "first", "refs": ["x"]}, {"text": "second", "refs": ["x"]}]})


def test_the_issue_20_pairs_are_all_loaded(kb: KnowledgeBase) -> None:
    """The seven pairs issue 20 names, including the four on the cond1 conditions, are curated."""
    for a, b in [("congenital_dermal_melanocytosis", "inflicted_injury"),
                 ("port_wine_stain", "nevus_simplex"),
                 ("scarlet_fever", "viral_exanthem"), ("measles", "roseola"),
                 ("cellulitis", "papular_urticaria"), ("infantile_psoriasis", "diaper_dermatitis"),
                 ("infantile_psoriasis", "seborrheic_dermatitis")]:
        assert pair_key(a, b) in kb.comparisons, (a, b)


def test_compare_cli_api_and_web_show_the_line(client: TestClient) -> None:
    cli = CliRunner().invoke(app, ["compare", "milia", "neonatal_acne"])
    assert cli.exit_code == 0 and "How to tell them apart: Milia are tiny pearly" in cli.output
    clin = CliRunner().invoke(app, ["compare", "milia", "neonatal_acne", "--audience", "clinician"])
    assert "keratin cysts" in clin.output
    api = client.get("/v1/compare", params={"ids": "infantile_psoriasis,diaper_dermatitis"})
    assert api.status_code == 200 and api.json()["tell_apart"][0]["differences"]
    page = client.get("/compare", params={"ids": "port_wine_stain,nevus_simplex"})
    assert page.status_code == 200
    body = page.text
    assert "How to tell them apart" in body
    assert body.index("How to tell them apart") < body.index("Side by side")
    assert 'href="#ref-' in body.split("Side by side")[0]
