"""The database fails while the server runs: assessments keep working, the diary answers 503 with a
clear message and saves nothing, and everything works again when the database returns.

SQLite (the default store) fails through :func:`~tests.safety.faults.failing_sqlite`; PostgreSQL
through :class:`~tests.safety.faults.TcpProxy`, which cuts the network path to the shared test server
(the PostgreSQL half is skipped, with the reason, when no server answers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from babyskin.api.app import create_app
from babyskin.settings import Settings
from tests import test_diary_support as support
from tests.safety.faults import TcpProxy, failing_sqlite

postgres_scratch = support.postgres_scratch
BORN = (dt.date.today() - dt.timedelta(days=40)).isoformat()
MILIA = {"age_days": 21, "locations": ["nose", "cheeks"], "lesions": ["papule"], "colors": ["white"]}
SECRET = "private-diary-words-3kq"
ENTRY = {"findings": {"locations": ["nose"], "lesions": ["papule"], "colors": ["white"]}, "note": SECRET}
UNAVAILABLE = "the diary database is not available"


def assert_503(response) -> str:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == 503 and body["errors"]
    assert UNAVAILABLE in body["error"] and "BABYSKIN_DATABASE_URL" in body["error"]
    assert "Traceback" not in response.text and SECRET not in response.text  # no diary text in errors
    assert "password" not in response.text.lower()
    return body["error"]


def start_diary(client: TestClient) -> tuple[dict[str, str], int]:
    token = client.post("/v1/diary/families", json={"name": "fault"})
    assert token.status_code == 201, token.text
    auth = {"Authorization": f"Bearer {token.json()['token']}"}
    child = client.post("/v1/diary/children", json={"name": "Noor", "birth_date": BORN}, headers=auth)
    assert child.status_code == 201, child.text
    entry = client.post(f"/v1/diary/children/{child.json()['id']}/entries", json=ENTRY, headers=auth)
    assert entry.status_code == 201, entry.text
    return auth, child.json()["id"]


def assert_assessments_work(client: TestClient) -> None:
    response = client.post("/v1/assess", json={"findings": MILIA})
    assert response.status_code == 200 and response.json()["differential"][0]["id"] == "milia"
    assert client.get("/v1/conditions/milia").status_code == 200
    assert client.get("/healthz").status_code == 200


def assert_outage_then_recovery(client: TestClient, outage, auth: dict[str, str], child_id: int) -> None:
    entries = f"/v1/diary/children/{child_id}/entries"
    with outage():
        assert_assessments_work(client)
        assert_503(client.get(entries, headers=auth))
        assert_503(client.post(entries, json=ENTRY, headers=auth))
        assert_503(client.post("/v1/diary/families", json={}))
        assert_assessments_work(client)
    listed = client.get(entries, headers=auth)
    assert listed.status_code == 200, listed.text
    assert len(listed.json()) == 1, "the write refused during the outage must not have been saved"
    assert client.post(entries, json=ENTRY, headers=auth).status_code == 201
    assert len(client.get(entries, headers=auth).json()) == 2


def test_sqlite_failing_mid_service_gives_503_then_recovers(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'diary.db'}", load_nlp=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        auth, child_id = start_diary(client)
        store = client.app.state.diary_store
        assert_outage_then_recovery(client, lambda: failing_sqlite(store.engine), auth, child_id)


@pytest.fixture()
def postgres_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    with support.fresh_database("postgresql", tmp_path, request) as url:
        yield url


def test_postgres_going_away_mid_service_gives_503_then_recovers(postgres_url: str) -> None:
    target = make_url(postgres_url)
    with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with TestClient(create_app(Settings(database_url=url, load_nlp=False)),
                        raise_server_exceptions=False) as client:
            auth, child_id = start_diary(client)

            class Outage:
                def __enter__(self) -> None:
                    proxy.down()

                def __exit__(self, *_exc: object) -> None:
                    proxy.up()

            assert_outage_then_recovery(client, Outage, auth, child_id)


def test_postgres_down_at_start_serves_assessments_and_the_diary_once_it_is_up(postgres_url: str) -> None:
    target = make_url(postgres_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.up()
    proxy.down()  # a port that refuses connections: the database is down when the server starts
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        with TestClient(create_app(Settings(database_url=url, load_nlp=False)),
                        raise_server_exceptions=False) as client:
            assert_assessments_work(client)
            assert_503(client.post("/v1/diary/families", json={}))
            proxy.up()
            auth, child_id = start_diary(client)  # migrations run on first use, then it all works
            assert len(client.get(f"/v1/diary/children/{child_id}/entries", headers=auth).json()) == 1
    finally:
        proxy.down()
