"""The HTTP API: answers, one error shape on every endpoint, OpenAPI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from babyskin.api.app import create_app
from babyskin.settings import Settings

MILIA = {"age_days": 21, "locations": ["nose", "cheeks"], "lesions": ["papule"],
         "colors": ["white"], "present": ["grouped"], "absent": ["fever", "itchy"]}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Settings(load_nlp=False)))


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status
    body = response.json()
    assert body["ok"] is False and body["status"] == status
    assert body["errors"] and body["error"] == "; ".join(body["errors"])
    return body


def test_assess(client: TestClient) -> None:
    response = client.post("/v1/assess", json={"findings": MILIA})
    assert response.status_code == 200
    data = response.json()
    assert data["differential"][0]["id"] == "milia"
    assert data["triage"]["level"] == "home"


def test_a_body_answered_before_is_answered_from_the_cache_with_the_same_bytes_and_headers() -> None:
    app = create_app(Settings(load_nlp=False))
    calls = []
    engine = app.state.engine
    real = engine.assess
    engine.assess = lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs)
    client = TestClient(app)
    body = b'{"findings": {"age_days": 21, "locations": ["nose"], "lesions": ["papule"]}}'
    headers = {"content-type": "application/json"}
    first = client.post("/v1/assess", content=body, headers=headers)
    second = client.post("/v1/assess", content=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and len(calls) == 1  # the engine ran once
    for name in ("content-type", "content-security-policy", "x-content-type-options"):
        assert second.headers[name] == first.headers[name], name
    assert int(second.headers["content-length"]) == len(second.content)
    bad = b'{"findings": {"locations": ["nosee"]}}'
    for _ in range(2):  # a refused body is never stored
        assert_error_shape(client.post("/v1/assess", content=bad, headers=headers), 422)
    assert app.state.answers.get(bad) is None
    huge = b'{"findings": {}, "pad": "' + b"x" * (app.state.settings.max_body_bytes + 1) + b'"}'
    assert_error_shape(client.post("/v1/assess", content=huge, headers=headers), 413)


def test_assess_unknown_word_is_422_with_the_cli_message(client: TestClient) -> None:
    body = assert_error_shape(
        client.post("/v1/assess", json={"findings": {"locations": ["nosee"]}}), 422)
    assert "unknown word 'nosee'" in body["error"] and "nose" in body["error"]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"findings": {"age_days": -3}}, "findings.age_days: must be 0 or more days"),
        ({"findings": {"colour": ["red"]}}, "findings.colour: unknown field"),
        ({"findings": MILIA, "audience": "doctor"}, "audience"),
        ({}, "findings: Field required"),
    ],
)
def test_assess_bad_bodies_are_422(client: TestClient, payload: dict, fragment: str) -> None:
    body = assert_error_shape(client.post("/v1/assess", json=payload), 422)
    assert fragment in body["error"]


def test_assess_not_json_is_422(client: TestClient) -> None:
    response = client.post("/v1/assess", content=b"{not json",
                           headers={"content-type": "application/json"})
    assert "not valid JSON" in assert_error_shape(response, 422)["error"]


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post("/v1/assess", content=b"x" * 70_000,
                           headers={"content-type": "application/json"})
    assert_error_shape(response, 413)


def test_conditions(client: TestClient) -> None:
    listing = client.get("/v1/conditions").json()
    assert "milia" in {c["id"] for c in listing}
    one = client.get("/v1/conditions/milia").json()
    assert one["icd10cm"] == "L72.0" and one["faqs"] and one["references"]
    body = assert_error_shape(client.get("/v1/conditions/milai"), 404)
    assert "did you mean: milia" in body["error"]


def test_unknown_route_has_the_same_error_shape(client: TestClient) -> None:
    assert_error_shape(client.get("/v1/nothing-here"), 404)


def test_healthz_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json()["ok"] is True
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/assess", "/v1/conditions", "/v1/conditions/{condition_id}", "/healthz"} <= set(paths)


def test_the_same_body_gets_the_same_answer_and_bad_bodies_are_not_cached(client: TestClient) -> None:
    body = b'{"findings": {"age_days": 12, "locations": ["scalp"], "lesions": ["vesicle"]}}'
    first = client.post("/v1/assess", content=body, headers={"content-type": "application/json"})
    second = client.post("/v1/assess", content=body, headers={"content-type": "application/json"})
    assert first.status_code == 200 and first.content == second.content
    assert first.json()["triage"]["level"] == "emergency"
    bad = b'{"findings": {"locations": ["nosee"]}}'
    for _ in range(2):
        response = client.post("/v1/assess", content=bad, headers={"content-type": "application/json"})
        assert response.status_code == 422
