"""The guided check: safety questions first, 'not sure' handled, a stop rule, the API and the CLI."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from babyskin.api.app import create_app
from babyskin.cli import app
from babyskin.engine.assess import Engine
from babyskin.engine.guided import (
    MAX_QUESTIONS,
    SCREEN_ID,
    answer_screen,
    apply_answer,
    next_step,
    simulate,
)
from babyskin.models import Findings, TriageLevel
from babyskin.settings import Settings


def test_a_newborn_with_blisters_is_screened_first(engine: Engine) -> None:
    start = Findings(age_days=12, locations=["scalp"], lesions=["pustule"])
    step = next_step(engine, start)
    assert not step.done
    assert step.question is not None and step.question.why == "screen"
    assert step.question.finding == SCREEN_ID
    words = {o.finding for o in step.question.options}
    assert {"fever", "lethargic", "non_blanching", "breathing_difficulty"} <= words
    second = next_step(engine, answer_screen(start, "no"), (SCREEN_ID,))
    assert second.question is not None and second.question.finding != SCREEN_ID


def test_a_newborn_with_scalp_blisters_reaches_emergency_within_a_few_questions(engine: Engine) -> None:
    truth = Findings(age_days=10, locations=["scalp"], lesions=["vesicle"], count="few",
                     present=["grouped"])
    result, asked = simulate(engine, truth)
    assert result.triage.level is TriageLevel.emergency
    assert asked <= 3


def test_a_febrile_newborn_with_kawasaki_signs_is_never_home(engine: Engine) -> None:
    truth = Findings(age_days=27, locations=["trunk", "hands", "feet"], lesions=["macule"], colors=["red"],
                     present=["fever", "red_eyes", "cracked_lips", "swollen_hands_feet"], fever_days=3)
    result, _asked = simulate(engine, truth)
    assert result.triage.level.rank >= TriageLevel.urgent.rank


def test_the_screen_counts_as_one_question_and_is_asked_once(engine: Engine) -> None:
    start = Findings(age_days=200, locations=["cheeks"], lesions=["patch"], colors=["red"])
    after = answer_screen(start, "yes", ["fever"])
    assert "fever" in after.present and "lethargic" in after.absent
    unsure = answer_screen(start, "not_sure", ["fever"])
    assert "lethargic" not in unsure.absent
    step = next_step(engine, after, (SCREEN_ID,))
    assert step.question is None or step.question.finding != SCREEN_ID


def test_not_sure_leaves_the_finding_unknown_and_is_not_asked_again(engine: Engine) -> None:
    start = Findings(age_days=12, locations=["scalp"], lesions=["pustule"])
    first = next_step(engine, answer_screen(start, "no"), (SCREEN_ID,))
    assert first.question is not None
    word = first.question.finding
    start = answer_screen(start, "no")
    same = apply_answer(start, word, "not_sure")
    assert same == start
    second = next_step(engine, same, (SCREEN_ID, word))
    assert second.question is None or second.question.finding != word


def test_yes_and_no_record_the_answer(engine: Engine) -> None:
    start = Findings(age_days=40)
    assert "fever" in apply_answer(start, "fever", "yes").present
    assert "fever" in apply_answer(start, "fever", "no").absent


def test_the_check_stops(engine: Engine) -> None:
    findings = Findings(age_days=21, locations=["nose"], lesions=["papule"], colors=["white"])
    _result, asked = simulate(engine, findings)
    assert asked <= MAX_QUESTIONS


def test_simulation_finds_a_red_flag_the_person_would_report(engine: Engine) -> None:
    truth = Findings(age_days=152, locations=["chest"], lesions=["petechiae"], colors=["purple"],
                     present=["fever", "non_blanching", "lethargic"])
    result, _asked = simulate(engine, truth)
    assert result.triage.level is TriageLevel.emergency


def test_api_check_round_trip() -> None:
    client = TestClient(create_app(Settings(load_nlp=False)))
    body = {"findings": {"age_days": 12, "locations": ["scalp"], "lesions": ["pustule"]}}
    screen = client.post("/v1/check", json=body).json()
    assert screen["done"] is False and screen["question"]["why"] == "screen"
    first = client.post("/v1/check", json={"findings": screen["findings"], "asked": screen["asked"],
                                           "answer": {"finding": "screen", "answer": "no"}}).json()
    assert first["done"] is False and first["question"]["why"] in ("safety", "information")
    assert "lethargic" in first["findings"]["absent"] and first["asked"] == ["screen"]
    word = first["question"]["finding"]
    second = client.post("/v1/check", json={"findings": first["findings"], "asked": first["asked"],
                                            "answer": {"finding": word, "answer": "yes"}}).json()
    assert word in second["findings"]["present"] and word in second["asked"]
    bad = client.post("/v1/check", json={"answer": {"finding": "fever", "answer": "maybe"}})
    assert bad.status_code == 422


def test_cli_check_json_lines() -> None:
    runner = CliRunner()
    lines = json.dumps({"age_days": 21, "locations": ["nose"], "lesions": ["papule"],
                        "colors": ["white"]}) + "\n" + "\n".join(
        json.dumps({"answer": "not_sure"}) for _ in range(MAX_QUESTIONS + 2))
    result = runner.invoke(app, ["check", "--json"], input=lines + "\n")
    assert result.exit_code == 0, result.output
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last["done"] is True
    assert last["assessment"]["differential"][0]["id"] == "milia"


def test_adaptive_eval_reports_questions_beside_the_full_findings_run() -> None:
    from tests.conftest import DEV_CASES

    result = CliRunner().invoke(app, ["eval", str(DEV_CASES), "--adaptive", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "adaptive" and data["questions_median"] >= 1
    assert data["questions_p90"] <= MAX_QUESTIONS
    assert set(data["full_findings"]) == {"top1", "top3", "triage_exact", "under_triage", "over_triage"}
    assert data["under_triage"] == 0
