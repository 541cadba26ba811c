"""FHIR R4 in and out, and the CDS Hooks service: every resource validates with fhir.resources (R4B
models, wire-compatible with R4); the hook requests follow the shape of the CDS Hooks 2.0
specification's patient-view examples (hookInstance, fhirServer, hook, context, prefetch)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from typer.testing import CliRunner

from babyskin.api.app import create_app
from babyskin.cli import app as cli_app
from babyskin.engine.assess import Engine
from babyskin.errors import InputError
from babyskin.interop import cds, fhir
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import Findings
from babyskin.settings import Settings
from tests.conftest import SHARED

BASE = "http://127.0.0.1:8000"
MILIA_ARGS = ["--age", "3w", "--where", "nose,cheeks", "--lesion", "papule", "--color", "white",
              "--absent", "fever"]
HSV = Findings(age_days=10, locations=("scalp",), lesions=("vesicle",), present=("grouped",))


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Settings(load_nlp=False)))


def hook_request(prefetch: dict) -> dict:
    return {
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": "https://ehr.example.org/fhir",
        "hook": "patient-view",
        "context": {"userId": "Practitioner/example", "patientId": "1288992", "encounterId": "89284"},
        "prefetch": prefetch,
    }


def test_the_questionnaire_has_one_item_per_findings_field_with_the_kb_words(kb: KnowledgeBase) -> None:
    resource = fhir.questionnaire(kb, BASE)
    Questionnaire.model_validate(resource)
    fields = [line.split("\t")[0] for line in (SHARED / "eval" / "findings.tsv").read_text().splitlines()[1:]]
    assert sorted(item["linkId"] for item in resource["item"]) == sorted(fields)
    for item in resource["item"]:
        if item["type"] == "choice":
            codes = {o["valueCoding"]["code"] for o in item["answerOption"]}
            group = fhir.CHOICES[item["linkId"]][0]
            assert codes == {w for w, f in kb.findings.items() if f.group is group}
    temperature = next(i for i in resource["item"] if i["linkId"] == "temperature_c")
    assert temperature["type"] == "decimal" and temperature["extension"][0]["valueCoding"]["code"] == "Cel"


def test_the_code_systems_validate_and_carry_lay_and_clinical_words(kb: KnowledgeBase) -> None:
    findings = fhir.findings_codesystem(kb, BASE)
    CodeSystem.model_validate(findings)
    CodeSystem.model_validate(fhir.triage_codesystem(BASE))
    nb = next(c for c in findings["concept"] if c["code"] == "non_blanching")
    assert nb["display"] == kb.findings["non_blanching"].label
    assert nb["designation"][0]["value"] == kb.findings["non_blanching"].clinical


def test_findings_survive_a_round_trip_through_a_questionnaire_response(kb: KnowledgeBase) -> None:
    findings = Findings(age_days=40, duration_days=3, fever_days=2, temperature_c=38.6,
                        locations=("chest", "back"), lesions=("macule",), colors=("pink",), size="small",
                        count="many", present=("fever", "runny_nose"), absent=("non_blanching",))
    response = fhir.questionnaire_response(findings, kb, BASE, dt.date(2026, 12, 1))
    QuestionnaireResponse.model_validate(response)
    assert fhir.findings_from_response(json.loads(json.dumps(response))) == findings


def test_a_response_to_another_questionnaire_or_field_gets_a_clear_error() -> None:
    with pytest.raises(InputError, match="babyskin reads answers to its own"):
        fhir.findings_from_response({"resourceType": "QuestionnaireResponse", "status": "completed",
                                     "questionnaire": "http://other.example/Questionnaire/phq9"})
    with pytest.raises(InputError, match="'mood' is not a babyskin findings field"):
        fhir.findings_from_response({"resourceType": "QuestionnaireResponse", "status": "completed",
                                     "item": [{"linkId": "mood", "answer": [{"valueInteger": 1}]}]})
    with pytest.raises(InputError, match="expected a FHIR QuestionnaireResponse"):
        fhir.findings_from_response({"resourceType": "Patient"})


def test_the_age_comes_from_the_birth_date_when_the_answers_lack_it() -> None:
    response = {"resourceType": "QuestionnaireResponse", "status": "completed", "authored": "2026-12-11",
                "item": [{"linkId": "locations", "answer": [{"valueCoding": {"code": "scalp"}}]}]}
    assert fhir.findings_from_response(response, dt.date(2026, 12, 1)).age_days == 10


def test_cli_assess_fhir_prints_a_valid_bundle_with_milia_first() -> None:
    result = CliRunner().invoke(cli_app, ["assess", *MILIA_ARGS, "--fhir"])
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.output)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[:3] == ["QuestionnaireResponse", "RiskAssessment", "Observation"] and "Citation" in kinds
    risk = bundle["entry"][1]["resource"]
    first = risk["prediction"][0]
    assert first["outcome"]["coding"][0] == {"system": fhir.ICD10CM, "code": "L72.0", "display": "Milia"}
    assert 0 < first["probabilityDecimal"] <= 1 and "for: " in first["rationale"]
    assert risk["basis"] == [{"reference": bundle["entry"][0]["fullUrl"]}]
    triage = bundle["entry"][2]["resource"]["valueCodeableConcept"]["coding"][0]
    assert triage["code"] == "home" and triage["system"].endswith("/fhir/CodeSystem/babyskin-triage")


def test_cli_questionnaire_and_response() -> None:
    runner = CliRunner()
    q = runner.invoke(cli_app, ["fhir", "questionnaire"])
    assert q.exit_code == 0 and Questionnaire.model_validate(json.loads(q.output))
    r = runner.invoke(cli_app, ["fhir", "questionnaire-response", *MILIA_ARGS])
    assert r.exit_code == 0, r.output
    QuestionnaireResponse.model_validate(json.loads(r.output))
    bad = runner.invoke(cli_app, ["fhir", "questionnaire-response", "--where", "elbow"])
    assert bad.exit_code == 2 and "elbow" in bad.output


def test_http_assess_answers_fhir_when_asked_and_json_otherwise(client: TestClient) -> None:
    body = {"findings": {"age_days": 21, "locations": ["nose"], "lesions": ["papule"], "colors": ["white"]}}
    for _ in range(2):  # the answer cache must never serve one format for the other
        plain = client.post("/v1/assess", json=body)
        assert plain.headers["content-type"].startswith("application/json")
        assert plain.json()["differential"][0]["id"] == "milia"
        fhir_answer = client.post("/v1/assess", json=body, headers={"Accept": "application/fhir+json"})
        assert fhir_answer.headers["content-type"].startswith("application/fhir+json")
        Bundle.model_validate(fhir_answer.json())


def test_http_fhir_endpoints(client: TestClient, kb: KnowledgeBase) -> None:
    q = client.get("/fhir/Questionnaire/babyskin-findings")
    assert q.status_code == 200 and q.headers["content-type"].startswith("application/fhir+json")
    Questionnaire.model_validate(q.json())
    CodeSystem.model_validate(client.get("/fhir/CodeSystem/babyskin-findings").json())
    response = fhir.questionnaire_response(HSV, kb, BASE)
    bundle = client.post("/fhir/QuestionnaireResponse/$assess", json=response)
    assert bundle.status_code == 200
    Bundle.model_validate(bundle.json())
    level = bundle.json()["entry"][2]["resource"]["valueCodeableConcept"]["coding"][0]["code"]
    assert level == "emergency"
    bad = client.post("/fhir/QuestionnaireResponse/$assess", json={"resourceType": "Patient"})
    assert bad.status_code == 422 and bad.json()["ok"] is False


def test_discovery_lists_the_patient_view_service(client: TestClient) -> None:
    services = client.get("/cds-services").json()["services"]
    assert [(s["hook"], s["id"]) for s in services] == [("patient-view", cds.SERVICE_ID)]
    assert set(services[0]["prefetch"]) == {"patient", "questionnaireResponse"}


def assert_well_formed(cards: list[dict]) -> None:
    for card in cards:
        assert len(card["summary"]) <= 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"] and card["source"]["url"].startswith("http")
        assert card["links"] and card["links"][0]["type"] == "absolute"
        assert card["links"][0]["url"].startswith(f"{BASE}/answer?")


def test_a_ten_day_old_with_grouped_scalp_blisters_gets_a_critical_card(client: TestClient,
                                                                         kb: KnowledgeBase) -> None:
    prefetch = {"patient": {"resourceType": "Patient", "id": "1288992", "birthDate": "2026-11-20"},
                "questionnaireResponse": fhir.questionnaire_response(HSV, kb, BASE)}
    answer = client.post(f"/cds-services/{cds.SERVICE_ID}", json=hook_request(prefetch))
    assert answer.status_code == 200
    cards = answer.json()["cards"]
    assert_well_formed(cards)
    assert cards[0]["indicator"] == "critical"
    assert any("Most likely" in c["summary"] for c in cards)


def test_the_prefetch_may_be_a_search_bundle_and_the_age_may_come_from_the_birth_date(
        engine: Engine, kb: KnowledgeBase) -> None:
    old = fhir.questionnaire_response(Findings(locations=("nose",), lesions=("papule",), colors=("white",)),
                                      kb, BASE, dt.date(2026, 1, 1))
    new = fhir.questionnaire_response(Findings(locations=("scalp",), lesions=("vesicle",),
                                               present=("grouped",)), kb, BASE, dt.date(2026, 12, 1))
    search = {"resourceType": "Bundle", "type": "searchset",
              "entry": [{"resource": old}, {"resource": new}]}
    Bundle.model_validate(search)
    prefetch = {"patient": {"resourceType": "Patient", "birthDate": "2026-11-21"}, "qr": search}
    cards = cds.hook_response(hook_request(prefetch), engine, BASE, dt.date(2026, 12, 3))["cards"]
    assert_well_formed(cards)
    assert cards[0]["indicator"] == "critical"  # the newest response: 10 days old, grouped blisters
    assert "age=10" in cards[0]["links"][0]["url"]


def test_a_request_without_the_needed_prefetch_gets_no_cards(client: TestClient) -> None:
    # the specification's own first example prefetches only the patient
    patient_only = {"patientToGreet": {"resourceType": "Patient", "gender": "male", "birthDate": "1925-12-23",
                                       "id": "1288992", "active": True}}
    for prefetch in (patient_only, {}, None):
        answer = client.post(f"/cds-services/{cds.SERVICE_ID}", json=hook_request(prefetch))
        assert answer.status_code == 200 and answer.json() == {"cards": []}


def test_a_child_over_24_months_gets_no_cards(engine: Engine, kb: KnowledgeBase) -> None:
    response = fhir.questionnaire_response(Findings(locations=("cheeks",), lesions=("papule",)), kb, BASE)
    prefetch = {"patient": {"resourceType": "Patient", "birthDate": "2020-01-01"}, "qr": response}
    assert cds.hook_response(hook_request(prefetch), engine, BASE, dt.date(2026, 12, 3)) == {"cards": []}


def test_bad_hook_calls_get_the_error_shape(client: TestClient) -> None:
    assert client.post("/cds-services/nope", json=hook_request({})).status_code == 404
    wrong = client.post(f"/cds-services/{cds.SERVICE_ID}", json={"hook": "order-select"})
    assert wrong.status_code == 422 and "missing" in wrong.json()["error"]


def test_the_card_link_opens_the_answer_page(client: TestClient, kb: KnowledgeBase) -> None:
    link = cds.answer_link(BASE, HSV).removeprefix(BASE)
    page = client.get(link)
    assert page.status_code == 200
    assert 'triage-emergency' in page.text
    assert client.get("/answer?age=10d&where=elbow").status_code == 422
    assert client.get("/answer?age=10d&colour=red").status_code == 422


def test_serious_causes_to_rule_out_get_their_own_card(engine: Engine, kb: KnowledgeBase) -> None:
    findings = Findings(age_days=40, locations=("trunk",), lesions=("vesicle", "erosion"), colors=("red",))
    serious = engine.assess(findings).must_not_miss
    assert serious
    prefetch = {"qr": fhir.questionnaire_response(findings, kb, BASE)}
    cards = cds.hook_response(hook_request(prefetch), engine, BASE, dt.date(2026, 12, 3))["cards"]
    assert_well_formed(cards)
    rule_out = [c for c in cards if c["summary"].startswith("Rule out:")]
    assert len(rule_out) == 1 and all(s.name in rule_out[0]["detail"] for s in serious)
