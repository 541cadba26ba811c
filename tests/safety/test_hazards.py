"""One test (or a few) per hazard of ``docs/safety/hazard-log.md`` not proven elsewhere, and the meta-test
that every hazard names a test that exists.

Each test states the hazard it guards in its docstring (``H<n>``); the log points back here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from babyskin.api.app import create_app
from babyskin.engine import triage
from babyskin.engine.assess import Engine
from babyskin.errors import KnowledgeBaseError
from babyskin.kb.checks import iter_statements
from babyskin.kb.loader import KnowledgeBase, default_kb_dir, load_kb
from babyskin.kb.review import is_stale, write_review
from babyskin.kb.schema import Review, ReviewStatus, Verdict
from babyskin.models import Audience, Findings, TriageLevel
from babyskin.understand import understand_text
from tests.safety.budget import budget
from tests.safety.conftest import app_settings
from tests.safety.strategies import BUNDLED_FINDINGS

ROOT = Path(__file__).resolve().parents[2]
HAZARD_LOG = ROOT / "docs" / "safety" / "hazard-log.md"
FINDINGS = BUNDLED_FINDINGS
DOSE = re.compile(r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|micrograms?|ml|g|units?)(?:\s*/\s*kg)?\b|\bmg\s*/\s*kg\b",
                  re.IGNORECASE)


# --- H02: a serious condition that cannot be ruled out escalates past a harmless leader -----------------

@pytest.mark.parametrize(("p", "expected"), [(0.03, TriageLevel.emergency), (0.029, TriageLevel.home)])
def test_a_plausible_emergency_condition_escalates_past_a_harmless_leader(
    kb: KnowledgeBase, p: float, expected: TriageLevel
) -> None:
    """H02: the leading diagnosis is harmless but an emergency condition reaches its 3% threshold."""
    ranked = [(kb.conditions["milia"], 1 - p), (kb.conditions["neonatal_hsv"], p)]
    decision = triage.decide([], ranked)
    assert decision.level is expected
    if expected is TriageLevel.emergency:
        assert decision.decided_by == "condition"
        assert any("cannot be ruled out" in r for r in decision.reasons)


def test_the_fail_safe_answer_is_never_home_care() -> None:
    """H17: the answer the engine gives when it cannot assess."""
    decision = triage.fail_safe("engine failed")
    assert decision.level.rank >= TriageLevel.urgent.rank and decision.decided_by == "fail_safe"


# --- H04, H06: negation-like wording and uncertainty never hide a warning sign --------------------------

@pytest.mark.parametrize("text", [
    "he is not breathing properly",
    "the spots won't fade when I press a glass on them",
    "she isn't responding and is floppy",
    "I can't wake him up properly",
    "no rash on his face but he is very floppy",
    "no fever, no vomiting, but she had a fit",
    "not eating, not crying, just floppy",
])
def test_negation_like_wording_of_a_warning_sign_still_escalates(engine: Engine, text: str) -> None:
    """H04: a negation word next to a warning sign ("not breathing") is read as the sign, not its absence."""
    understood = understand_text(text, kb=engine.kb)
    assert engine.assess(understood.findings).triage.level is TriageLevel.emergency, understood.findings


@pytest.mark.parametrize("text", [
    "I'm not sure if the spots fade under a glass",
    "maybe a bit floppy? hard to tell",
    "she might have had a seizure, not sure",
])
def test_an_uncertain_warning_sign_counts_as_present(engine: Engine, text: str) -> None:
    """H06: "maybe", "not sure" about a warning sign counts it as present, and the answer says so."""
    understood = understand_text(text, kb=engine.kb)
    assert engine.assess(understood.findings).triage.level is TriageLevel.emergency, understood.findings


# --- H07: a rejected claim is never shown as advice ---------------------------------------------------

def copy_kb(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(default_kb_dir(), target)
    return target


def test_a_kb_that_repeats_any_rejected_claim_does_not_load(kb: KnowledgeBase, tmp_path: Path) -> None:
    """H07: writing a rejected claim into its condition's advice makes the whole KB refuse to load;
    tried for every rejected claim whose own wording its pattern catches."""
    rejected = [c for c in kb.claims.values() if c.verdict is Verdict.rejected and c.pattern
                and c.conditions and re.search(c.pattern, c.claim, re.IGNORECASE)]
    assert len(rejected) >= 10, "the guard must be exercised on a real number of rejected claims"
    root = copy_kb(tmp_path)
    for claim in rejected:
        path = root / "conditions" / f"{claim.conditions[0]}.yaml"
        original = path.read_text(encoding="utf-8")
        data = yaml.safe_load(original)
        data["home_care"].append({"text": claim.claim, "refs": list(claim.refs)})
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        try:
            with pytest.raises(KnowledgeBaseError) as caught:
                load_kb(root)
        finally:
            path.write_text(original, encoding="utf-8")
        assert any(f"repeats rejected claim '{claim.id}'" in p for p in caught.value.problems), claim.id
    load_kb(root)  # restored: loads again


@budget(60)
@given(FINDINGS, st.sampled_from(list(Audience)))
def test_no_answer_repeats_a_rejected_claim(engine: Engine, case: Findings, audience: Audience) -> None:
    """H07: no advice statement of any assessment matches a rejected claim's pattern (a claim about
    named conditions is checked on the advice about those conditions, as the KB check does)."""
    advice = engine.assess(case, audience).advice
    patterns = [re.compile(c.pattern, re.IGNORECASE) for c in engine.kb.claims.values()
                if c.verdict is Verdict.rejected and c.pattern
                and (not c.conditions or advice.condition in c.conditions)]
    for group in (advice.summary, advice.do, advice.dont, advice.see_doctor, advice.management):
        for item in group:
            assert not any(p.search(item.text) for p in patterns), item.text


# --- H08, H09: unreviewed or stale content is never shown as reviewed ------------------------------------

def test_unapproved_content_says_pending_review_on_every_condition_page(api: TestClient) -> None:
    """H08: every condition page states its review status; anything not approved says 'Pending'."""
    for item in api.get("/v1/conditions").json():
        page = api.get(f"/v1/conditions/{item['id']}").json()
        line = page["review"]["line"]
        if item["review_status"] == "approved":
            assert line.startswith("Reviewed by"), line
        else:
            assert line.startswith("Pending clinical review")
            assert item["review_status"].replace("_", " ") in line


@budget(60)
@given(FINDINGS)
def test_every_assessment_carries_the_leading_conditions_review_status(
    engine: Engine, case: Findings
) -> None:
    """H08: the answer's review line matches the review status of the condition it is about."""
    result = engine.assess(case)
    status = engine.kb.conditions[result.advice.condition].review.status
    approved = status is ReviewStatus.approved
    assert result.advice.review.startswith("Reviewed by" if approved else "Pending clinical review")


def test_a_stale_review_shows_its_date_and_kb_status_flags_it(tmp_path: Path) -> None:
    """H09: a review over 12 months old is flagged by `babyskin kb status`; answers show its date."""
    from babyskin.answer.advice import review_line
    from babyskin.cli import app

    root = copy_kb(tmp_path)
    old = dt.date.today() - dt.timedelta(days=500)
    review = Review(status=ReviewStatus.approved, reviewer="Dr Test", reviewed_on=old, updated_on=old)
    write_review(root / "conditions" / "milia.yaml", review)
    kb = load_kb(root)
    assert is_stale(kb.conditions["milia"].review, dt.date.today())
    assert str(old) in review_line(kb.conditions["milia"])
    result = CliRunner().invoke(app, ["kb", "status", "--path", str(root), "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["milia"]["stale"] is True and rows["milia"]["days_since_review"] == 500


# --- H10: a dose is never shown to a parent -----------------------------------------------------------

def test_the_dose_pattern_finds_the_doses_clinicians_see(kb: KnowledgeBase) -> None:
    """H10: the guard below is not vacuous: clinician management text does hold doses."""
    doses = [text for c in kb.conditions.values() for _w, text, _r in iter_statements(c.management)
             if DOSE.search(text)]
    assert len(doses) >= 3


def test_parents_never_see_a_dose_on_any_condition_page(api: TestClient) -> None:
    """H10: no parent-facing condition page contains a dose; clinician pages keep the management."""
    for item in api.get("/v1/conditions").json():
        parent = api.get(f"/v1/conditions/{item['id']}", params={"audience": "parent"}).json()
        assert parent["advice"]["management"] == []
        found = DOSE.search(json.dumps(parent))
        assert found is None, f"{item['id']}: {found.group(0) if found else ''}"
        clinician = api.get(f"/v1/conditions/{item['id']}", params={"audience": "clinician"}).json()
        assert clinician["advice"]["management"]


@budget(80)
@given(FINDINGS)
def test_parents_never_see_a_dose_in_an_assessment(engine: Engine, case: Findings) -> None:
    """H10: a parent's assessment (advice, red flags, cautions) holds no dose."""
    result = engine.assess(case, Audience.parent)
    assert result.advice.management == ()
    shown = result.model_dump(mode="json", exclude={"findings"})
    found = DOSE.search(json.dumps(shown))
    assert found is None, found.group(0) if found else ""


# --- H11: every sentence of an answer is a knowledge-base statement with references --------------------

def kb_sentences(kb: KnowledgeBase) -> set[str]:
    texts = {text for c in kb.conditions.values() for _w, text, _r in iter_statements(c)}
    for flag in kb.red_flags.values():
        texts |= {flag.parent_text, flag.clinician_text}
    return texts


@budget(80)
@given(FINDINGS, st.sampled_from(list(Audience)))
def test_every_sentence_of_an_answer_is_a_kb_statement_with_references(
    engine: Engine, case: Findings, audience: Audience
) -> None:
    """H11: advice and red-flag texts are the KB's own sentences, each with known reference keys."""
    sentences = kb_sentences(engine.kb)
    result = engine.assess(case, audience)
    advice = result.advice
    cited = {c.key for c in result.references}
    for item in (*advice.summary, *advice.do, *advice.dont, *advice.see_doctor, *advice.management):
        assert item.text in sentences, item.text
        assert item.refs and set(item.refs) <= set(engine.kb.references) and set(item.refs) <= cited
    for flag in result.red_flags:
        assert flag.parent_text in sentences and flag.refs
    assert result.triage.action in triage.ACTION.values() or result.triage.action.startswith("We could not")


# --- H12: one family's diary is never seen by another ---------------------------------------------------

def test_a_family_token_never_reaches_another_familys_ids_on_any_diary_endpoint(api: TestClient) -> None:
    """H12: every diary path with an id in the OpenAPI document answers 404 to another family."""
    born = (dt.date.today() - dt.timedelta(days=30)).isoformat()

    def family() -> dict[str, str]:
        return {"Authorization": f"Bearer {api.post('/v1/diary/families', json={}).json()['token']}"}

    owner, other = family(), family()
    child = api.post("/v1/diary/children", json={"name": "Private", "birth_date": born}, headers=owner).json()
    entry = api.post(f"/v1/diary/children/{child['id']}/entries", headers=owner,
                     json={"findings": {"locations": ["nose"]}, "note": "private-note-7xq"}).json()
    ids = {"child_id": child["id"], "entry_id": entry["entry"]["id"]}
    paths = api.get("/openapi.json").json()["paths"]
    tried = 0
    for path, operations in paths.items():
        names = re.findall(r"{(\w+)}", path)
        if not path.startswith("/v1/diary/") or not names:
            continue
        url = path.format(**{n: ids[n] for n in names})
        for method in operations:
            body: Any = {"findings": {"locations": ["nose"]}} if method == "post" else None
            response = api.request(method.upper(), url, headers=other, json=body)
            assert response.status_code == 404, (method, url, response.status_code)
            assert "private-note-7xq" not in response.text and "Private" not in response.text
            tried += 1
    assert tried >= 5
    kept = api.get(f"/v1/diary/children/{child['id']}/entries", headers=owner).json()
    assert [e["note"] for e in kept] == ["private-note-7xq"]
    assert api.get("/v1/diary/children", headers=other).json() == []


# --- H15, H16, H22, H25: ages, words and contradictions ------------------------------------------------

@pytest.mark.parametrize(("present", "lesions", "title"), [
    (["fever"], [], "Fever in a baby under 3 months"),
    ([], ["vesicle"], "Blisters in a baby under 4 weeks"),
])
def test_an_unknown_age_names_the_red_flag_it_could_fire(
    engine: Engine, present: list[str], lesions: list[str], title: str
) -> None:
    """H15: without an age, an age-limited red flag cannot fire, so the answer names it and asks."""
    result = engine.assess(Findings(present=present, lesions=lesions, locations=["scalp"]))
    assert any(title in c and "Tell us the age" in c for c in result.cautions), result.cautions


def test_the_reader_asks_for_the_age_first(engine: Engine) -> None:
    """H15: the free-text answer lists the age as the first unknown that matters."""
    understood = understand_text("he has a fever and spots", kb=engine.kb)
    assert understood.unknowns and understood.unknowns[0].startswith("age")


@pytest.mark.parametrize(("findings", "fragment"), [
    ({"present": ["non_blanchng"]}, "non_blanching"),
    ({"lesions": ["purpra"]}, "purpura"),
    ({"present": ["floppy"]}, "unknown word 'floppy'"),
])
def test_an_unknown_word_is_refused_with_a_suggestion_not_ignored(
    api: TestClient, findings: dict, fragment: str
) -> None:
    """H16: a misspelt structured word is a 422 naming it (and near words), never silently dropped."""
    response = api.post("/v1/assess", json={"findings": findings})
    assert response.status_code == 422 and fragment in response.json()["error"]


def test_a_sign_both_present_and_absent_is_refused(api: TestClient) -> None:
    """H22: contradictory findings are refused rather than resolved towards 'absent'."""
    response = api.post("/v1/assess", json={"findings": {"present": ["fever"], "absent": ["fever"]}})
    assert response.status_code == 422 and "fever" in response.json()["error"]


def test_a_premature_baby_gets_the_lower_threshold_caution(engine: Engine) -> None:
    """H25: prematurity is named in the answer."""
    result = engine.assess(Findings(age_days=20, gestation_weeks=32, locations=["nose"]))
    assert any("Born at 32 weeks" in c for c in result.cautions)


# --- H17: an engine crash is answered with the warning signs, never a silent or 'home' answer ----------

def test_an_engine_crash_answers_with_the_warning_signs_and_no_trace(tmp_path: Path) -> None:
    """H17: an unexpected failure inside the engine is a 500 that tells the parent when to get help."""
    app = create_app(app_settings(tmp_path))

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("secret internal detail")

    app.state.engine.assess = broken  # type: ignore[method-assign]
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/assess", json={"findings": {"locations": ["nose"]}})
    assert response.status_code == 500
    body = response.json()
    assert body["ok"] is False and "get medical help" in body["error"]
    assert "does not fade" in body["error"] and "secret internal detail" not in response.text
    assert "Traceback" not in response.text


# --- H18: a broken knowledge base never loads ----------------------------------------------------------

def test_a_broken_kb_refuses_to_load_listing_every_problem(tmp_path: Path) -> None:
    """H18: two independent mistakes are both reported, and nothing loads."""
    root = copy_kb(tmp_path)
    flags = root / "red_flags.yaml"
    flags.write_text(flags.read_text(encoding="utf-8").replace("any: [non_blanching]", "any: [non_blanchin]"),
                     encoding="utf-8")
    cond = root / "conditions" / "milia.yaml"
    data = yaml.safe_load(cond.read_text(encoding="utf-8"))
    data["see_doctor"][0]["refs"] = ["no-such-reference"]
    cond.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb(root)
    problems = "\n".join(caught.value.problems)
    assert "non_blanchin" in problems and "no-such-reference" in problems


# --- the hazard log itself ------------------------------------------------------------------------------

def hazard_rows(text: str) -> list[dict[str, str]]:
    """The rows of the hazard tables (every Markdown table whose header starts with 'ID': the main one,
    and those appended at the end of the log, e.g. issue 17's)."""
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            if cells and cells[0] == "ID":
                header = cells
            continue
        if set(cells[0]) <= {"-", ":"}:
            continue
        rows.append(dict(zip(header, cells, strict=False)))
    return rows


TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def test_every_hazard_names_a_mitigation_and_an_existing_test() -> None:
    """The log: at least 15 hazards, each with a mitigation in the code and a test that exists."""
    rows = hazard_rows(HAZARD_LOG.read_text(encoding="utf-8"))
    assert len(rows) >= 15
    for row in rows:
        assert row["Mitigation in the code"] and "`src/babyskin/" in row["Mitigation in the code"], row["ID"]
        refs = TEST_REF.findall(row["Test that proves it"])
        assert refs, f"{row['ID']}: no test named as `tests/...py::test_name`"
        for path, name in refs:
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^def {name}\(", source, re.MULTILINE), f"{row['ID']}: {path}::{name} missing"
        for module in re.findall(r"`(src/babyskin/[\w/]+\.py)", row["Mitigation in the code"]):
            assert (ROOT / module).is_file(), f"{row['ID']}: {module} does not exist"
