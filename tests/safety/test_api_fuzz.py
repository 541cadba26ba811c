"""The API under random and adversarial input: never a 500, always the one error shape.

Schemathesis drives every operation of the OpenAPI document (valid and invalid inputs); Hypothesis
sends arbitrary JSON, arbitrary bytes and odd paths. ``make test`` runs a small fixed budget in-process;
``make safety`` runs the full budget against a live loopback server (``safety/run.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from safety.schema_fuzz import error_shape_problem, fuzz_schema
from tests.safety.budget import BUDGET, PROFILE, budget

SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=30))
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children,
                                                                      max_size=5),
    max_leaves=25,
)
FINDINGS_KEYS = ["age_days", "onset_days", "gestation_weeks", "duration_days", "locations", "lesions",
                 "colors", "size", "count", "present", "absent"]
BORN = (dt.date.today() - dt.timedelta(days=60)).isoformat()
POST_ENDPOINTS = ["/v1/assess", "/v1/check", "/v1/diary/families"]


def diary_auth(client: TestClient):
    """Headers for schemathesis: one family's token, and a fresh family for 'delete this family'."""
    token = client.post("/v1/diary/families", json={"name": "fuzz"}).json()["token"]
    child = client.post("/v1/diary/children", json={"name": "Ada", "birth_date": BORN},
                        headers={"Authorization": f"Bearer {token}"})
    assert child.status_code == 201, child.text

    def auth(method: str, path: str) -> dict[str, str]:
        if method.lower() == "delete" and path == "/v1/diary/family":
            fresh = client.post("/v1/diary/families", json={}).json()["token"]
            return {"Authorization": f"Bearer {fresh}"}
        return {"Authorization": f"Bearer {token}"}

    return auth


def assert_ok_or_error_shape(response: Any, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    assert error_shape_problem(response.status_code, response.content) is None


def test_schemathesis_finds_no_server_error_and_one_error_shape_on_every_operation(
    api: TestClient,
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    examples = 8 if PROFILE == "fast" else 50
    report = fuzz_schema(schema, examples=examples, auth=diary_auth(api), derandomize=PROFILE == "fast")
    assert len(report.operations) >= 10
    assert report.tried >= 10 * examples
    assert not report.failures, "\n".join(report.failures)


@BUDGET
@given(st.sampled_from(POST_ENDPOINTS), JSON)
def test_arbitrary_json_bodies_get_an_answer_or_a_422(api: TestClient, path: str, body: Any) -> None:
    response = api.post(path, content=json.dumps(body), headers={"content-type": "application/json"})
    assert_ok_or_error_shape(response, {200, 201, 422})


@BUDGET
@given(st.fixed_dictionaries({}, optional={k: JSON for k in FINDINGS_KEYS}))
def test_findings_of_any_json_type_get_an_answer_or_a_422(api: TestClient, findings: dict) -> None:
    response = api.post("/v1/assess", json={"findings": findings})
    assert_ok_or_error_shape(response, {200, 422})


@BUDGET
@given(st.binary(max_size=2000), st.sampled_from(["application/json", "text/plain", "", "x/y"]))
def test_arbitrary_bytes_get_a_422_never_a_crash(api: TestClient, body: bytes, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = api.post("/v1/assess", content=body, headers=headers)
    assert_ok_or_error_shape(response, {200, 422})


@budget(60)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=60))
def test_odd_condition_ids_and_compare_lists_get_a_404_or_422(api: TestClient, word: str) -> None:
    quoted = word.replace("%", "%25").replace("/", "%2F").replace("?", "%3F").replace("#", "%23")
    response = api.get(f"/v1/conditions/{quoted}")
    assert_ok_or_error_shape(response, {200, 404, 422})
    response = api.get("/v1/compare", params={"ids": word})
    assert_ok_or_error_shape(response, {200, 404, 422})


@pytest.mark.parametrize("ident", [0, -1, 2**31, 2**63 - 1, 2**63, 10**30])
def test_out_of_range_ids_on_every_diary_path_are_404_or_422_never_500(api: TestClient, ident: int) -> None:
    """Found by Schemathesis: an id past the database's 64-bit integers must not crash the server."""
    headers = {"Authorization": f"Bearer {api.post('/v1/diary/families', json={}).json()['token']}"}
    paths = api.get("/openapi.json").json()["paths"]
    tried = 0
    for path, operations in paths.items():
        names = re.findall(r"{(\w+_id)}", path)
        if not path.startswith("/v1/diary/") or not names:
            continue
        for method in operations:
            body = {"findings": {"locations": ["nose"]}} if method == "post" else None
            response = api.request(method.upper(), path.format(**dict.fromkeys(names, ident)),
                                   headers=headers, json=body)
            assert_ok_or_error_shape(response, {404, 422})
            tried += 1
    assert tried >= 5


@pytest.mark.parametrize("depth", [50, 1000, 20_000])
def test_deeply_nested_json_is_refused_cleanly(api: TestClient, depth: int) -> None:
    body = "[" * depth + "]" * depth
    response = api.post("/v1/assess", content=body, headers={"content-type": "application/json"})
    assert_ok_or_error_shape(response, {413, 422})


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(api: TestClient) -> None:
    limit = api.app.state.settings.max_body_bytes
    body = json.dumps({"findings": {"present": ["x" * (limit + 10)]}})
    response = api.post("/v1/assess", content=body, headers={"content-type": "application/json"})
    assert_ok_or_error_shape(response, {413})
    assert str(limit) in response.json()["error"]


def test_long_word_lists_are_answered_with_every_unknown_word_named(api: TestClient) -> None:
    words = [f"word{i}" for i in range(500)]
    response = api.post("/v1/assess", json={"findings": {"locations": words}})
    assert_ok_or_error_shape(response, {422})
    assert "word499" in response.json()["error"]
