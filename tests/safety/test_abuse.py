"""Issue 17 ("hold under abuse and faults"): each finding reproduced as a test, on SQLite and PostgreSQL
where the diary is involved. Each failed before its fix (see docs/safety/hazard-log.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from babyskin.api.app import create_app
from babyskin.errors import StorageError
from babyskin.settings import Settings
from babyskin.store.gate import Gate
from tests import test_diary_support as support

module_db_url = support.module_db_url
postgres_scratch = support.postgres_scratch
BORN = (dt.date.today() - dt.timedelta(days=60)).isoformat()
ENTRY = {"findings": {"locations": ["nose"], "lesions": ["papule"], "colors": ["white"]}}
HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")


@pytest.fixture(scope="module")
def client(module_db_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=module_db_url, load_nlp=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def diary(client: TestClient) -> tuple[dict[str, str], int]:
    token = client.post("/v1/diary/families", json={"name": "abuse"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    child = client.post("/v1/diary/children", json={"name": "Ada", "birth_date": BORN}, headers=auth)
    assert child.status_code == 201, child.text
    return auth, child.json()["id"]


def entries_of(client: TestClient, auth: dict[str, str], child_id: int) -> list[dict]:
    response = client.get(f"/v1/diary/children/{child_id}/entries", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


# -- finding 3: validation before storage -------------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("duration_days", 1_000_000), ("age_days", 10**9), ("onset_days", 10**7), ("fever_days", 10**6),
    ("temperature_c", 1e9), ("temperature_c", -40),
])
def test_an_out_of_range_number_is_a_422_and_nothing_is_saved(client: TestClient, field: str,
                                                               value: float) -> None:
    auth, child_id = diary(client)
    body = {"findings": {**ENTRY["findings"], field: value}}
    response = client.post(f"/v1/diary/children/{child_id}/entries", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]
    assert entries_of(client, auth, child_id) == []
    assessed = client.post("/v1/assess", json={"findings": body["findings"]})
    assert assessed.status_code == 422


@pytest.mark.parametrize("where", ["text", "note", "episode"])
def test_nul_and_control_characters_are_422_on_both_back_ends(client: TestClient, where: str) -> None:
    auth, child_id = diary(client)
    body = {**ENTRY, where: "spots\x00 here\x07"}
    response = client.post(f"/v1/diary/children/{child_id}/entries", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert "control characters" in response.json()["error"]
    assert entries_of(client, auth, child_id) == []
    named = client.post("/v1/diary/children", json={"name": "Bo\x00b", "birth_date": BORN}, headers=auth)
    assert named.status_code == 422
    assert client.post("/v1/diary/families", json={"name": "x\x00"}).status_code == 422


def test_a_damaged_saved_entry_never_makes_a_page_fail(client: TestClient, module_db_url: str) -> None:
    auth, child_id = diary(client)
    for _ in range(2):
        saved = client.post(f"/v1/diary/children/{child_id}/entries", json=ENTRY, headers=auth)
        assert saved.status_code == 201, saved.text
    first = saved.json()["entry"]["id"]
    engine = create_engine(module_db_url)  # an entry saved before the bound existed, or changed by hand
    with engine.begin() as conn:
        findings = '{"duration_days": 1000000, "locations": ["nose"], "lesions": ["papule"]}'
        if engine.dialect.name == "postgresql":
            conn.execute(text("UPDATE entries SET findings = CAST(:f AS JSON) WHERE id = :id"),
                         {"f": findings, "id": first})
        else:
            conn.execute(text("UPDATE entries SET findings = :f WHERE id = :id"),
                         {"f": findings, "id": first})
    engine.dispose()
    timeline = client.get(f"/v1/diary/children/{child_id}", headers=auth)
    assert timeline.status_code == 200, timeline.text
    assert len(timeline.json()["entries"]) == 2
    assert client.get(f"/v1/diary/entries/{first}", headers=auth).status_code == 200
    later = client.post(f"/v1/diary/children/{child_id}/entries", json=ENTRY, headers=auth)
    assert later.status_code == 201, later.text


def test_an_unhandled_error_still_carries_the_security_headers(module_db_url: str) -> None:
    app = create_app(Settings(database_url=module_db_url, load_nlp=False))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert all(name in response.headers for name in HEADERS)
    assert "boom" not in response.text and response.json()["status"] == 500


def test_the_json_api_is_never_cached(client: TestClient) -> None:
    assert client.get("/healthz").headers["cache-control"] == "no-store"
    auth, child_id = diary(client)
    assert client.get(f"/v1/diary/children/{child_id}", headers=auth).headers["cache-control"] == "no-store"


# -- finding 2: fault isolation -----------------------------------------------------------------

def test_the_gate_refuses_at_once_when_full_and_is_reentrant() -> None:
    gate = Gate(1)
    with gate.slot(), gate.slot():  # the same thread may nest
        import threading

        refused: list[BaseException] = []

        def other() -> None:
            try:
                with gate.slot():
                    pass
            except StorageError as error:
                refused.append(error)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert len(refused) == 1 and "busy" in str(refused[0])
    with gate.slot():  # released again
        pass


def test_a_hung_database_stalls_nothing_else() -> None:
    """A listener that accepts connections and never answers; 50 concurrent diary requests."""
    from safety.hung import hung_database_run

    run = hung_database_run(50, load_nlp=False)
    assert run.diary_statuses == [503] * 50  # every diary request got an answer
    assert run.diary_bodies_leaking == 0  # the generic body: no driver, user, host, port or database
    assert all(status == 200 for status in run.other_statuses.values()), run.other_statuses
    assert run.other_while_waiting > 0  # the other pages answered while diary requests were waiting


def test_the_503_body_names_no_driver_user_host_port_or_database() -> None:
    down = Settings(database_url="postgresql+psycopg://babyuser:pw@127.0.0.1:1/secretdb", load_nlp=False)
    with TestClient(create_app(down)) as client:
        response = client.post("/v1/diary/families", json={})
    assert response.status_code == 503
    assert not any(part in response.text for part in ("psycopg", "babyuser", "127.0.0.1", ":1", "secretdb"))


# -- finding 5: cross-site forms ----------------------------------------------------------------

@pytest.mark.parametrize("path,form", [
    ("/audience", {"audience": "clinician", "next": "/"}),
    ("/ask", {"q": "white spots on the nose, 3 weeks old"}),
    ("/check", {"trail": ""}),
])
def test_a_form_from_another_site_is_refused(client: TestClient, path: str, form: dict[str, str]) -> None:
    response = client.post(path, data=form, headers={"sec-fetch-site": "cross-site"}, follow_redirects=False)
    assert response.status_code == 403
    assert "babyskin_audience" not in response.headers.get("set-cookie", "")
    same = client.post("/audience", data={"audience": "clinician", "next": "/"},
                       headers={"sec-fetch-site": "same-origin"}, follow_redirects=False)
    assert same.status_code == 303 and "babyskin_audience=clinician" in same.headers["set-cookie"]


# -- finding 5: idempotent writes and token rotation ---------------------------------------------

def test_a_retried_write_with_an_idempotency_key_is_saved_once(client: TestClient) -> None:
    auth, child_id = diary(client)
    keyed = {**auth, "Idempotency-Key": "3f1c9a7e-retry-1"}
    first = client.post(f"/v1/diary/children/{child_id}/entries", json=ENTRY, headers=keyed)
    again = client.post(f"/v1/diary/children/{child_id}/entries", json=ENTRY, headers=keyed)
    assert first.status_code == again.status_code == 201, again.text
    assert first.json()["entry"]["id"] == again.json()["entry"]["id"]
    other = client.post(f"/v1/diary/children/{child_id}/entries", json=ENTRY,
                        headers={**auth, "Idempotency-Key": "another-key"})
    assert other.json()["entry"]["id"] != first.json()["entry"]["id"]
    assert len(entries_of(client, auth, child_id)) == 2
    bad = client.post(f"/v1/diary/children/{child_id}/entries", json=ENTRY,
                      headers={**auth, "Idempotency-Key": "x" * 101})
    assert bad.status_code == 422


def test_concurrent_retries_with_one_key_save_one_row(client: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    auth, child_id = diary(client)
    keyed = {**auth, "Idempotency-Key": "race-key"}

    def post(_: int) -> int:
        response = client.post(f"/v1/diary/children/{child_id}/entries", json=ENTRY, headers=keyed)
        assert response.status_code == 201, response.text
        return response.json()["entry"]["id"]

    with ThreadPoolExecutor(6) as pool:
        ids = set(pool.map(post, range(6)))
    assert len(ids) == 1
    assert len(entries_of(client, auth, child_id)) == 1


def test_a_token_can_be_rotated_and_the_old_one_stops_working(client: TestClient) -> None:
    auth, child_id = diary(client)
    rotated = client.post("/v1/diary/token", headers=auth)
    assert rotated.status_code == 200, rotated.text
    fresh = {"Authorization": f"Bearer {rotated.json()['token']}"}
    assert client.get("/v1/diary/family", headers=auth).status_code == 401
    assert client.get(f"/v1/diary/children/{child_id}", headers=fresh).status_code == 200


# -- finding 4 and 5: free text off the event loop, rate limits ---------------------------------

def test_family_creation_is_rate_limited_per_client(module_db_url: str) -> None:
    app = create_app(Settings(database_url=module_db_url, load_nlp=False, rate_limits=True))
    with TestClient(app) as client:
        statuses = [client.post("/v1/diary/families", json={"name": "burst"}).status_code for _ in range(31)]
        assert statuses[:30] == [201] * 30
        refused = client.post("/v1/diary/families", json={"name": "burst"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["status"] == 429 and "too many requests" in refused.json()["error"]
        assert all(name in refused.headers for name in HEADERS)
        assert client.get("/healthz").status_code == 200  # other routes are not counted


def test_a_full_text_pool_answers_busy_at_once() -> None:
    import asyncio
    import threading

    from babyskin.api.throttle import Busy, TextPool

    pool = TextPool(workers=1, queue=1)
    release = threading.Event()

    async def scenario() -> list[str]:
        first = asyncio.ensure_future(pool.run(release.wait))
        second = asyncio.ensure_future(pool.run(lambda: "queued"))
        await asyncio.sleep(0)
        outcomes = []
        try:
            await pool.run(lambda: "third")
        except Busy as error:
            outcomes.append(str(error))
        release.set()
        outcomes.append(str(await first))
        outcomes.append(await second)
        outcomes.append(await pool.run(lambda: "after"))
        return outcomes

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as runner:  # its own thread: another test may leave a loop running here
        outcomes = runner.submit(asyncio.run, scenario()).result()
    pool.close()
    assert "busy" in outcomes[0] and outcomes[1:] == ["True", "queued", "after"]


def test_the_ask_routes_run_on_the_text_pool(module_db_url: str) -> None:
    from babyskin.api.throttle import TextPool

    app = create_app(Settings(database_url=module_db_url, load_nlp=False, text_workers=1, text_queue=0))
    blocked = TextPool(workers=1, queue=0)
    gate = __import__("threading").Event()
    blocked._executor.submit(gate.wait)  # occupy the only worker
    blocked._slots.acquire()
    app.state.text_pool = blocked
    with TestClient(app) as client:
        api = client.post("/v1/ask", json={"text": "white spots on the nose"})
        web = client.post("/ask", data={"q": "white spots on the nose"})
        health = client.get("/healthz")
    gate.set()
    blocked.close()
    assert api.status_code == 503 and api.headers["retry-after"] == "5" and "busy" in api.json()["error"]
    assert web.status_code == 503 and "busy" in web.text
    assert health.status_code == 200


# -- finding 5: the conversation token is signed with the server's key ---------------------------

def test_a_conversation_token_cannot_be_forged(kb, tmp_path, monkeypatch) -> None:
    import base64
    import hashlib
    import json
    import os

    from babyskin import settings
    from babyskin.errors import InputError
    from babyskin.models import Findings
    from babyskin.understand import decode_conversation, encode_conversation

    monkeypatch.delenv("BABYSKIN_SECRET_KEY", raising=False)
    monkeypatch.setenv("BABYSKIN_DATA_DIR", str(tmp_path))
    settings.use_secret_key(None)
    try:
        token = encode_conversation(Findings(locations=("nose",)))
        key_file = tmp_path / settings.KEY_FILE
        assert key_file.exists() and oct(os.stat(key_file).st_mode & 0o777) == "0o600"
        assert decode_conversation(token, kb).locations == ("nose",)
        # the old, unkeyed checksum: anyone could build a token with findings the parent never gave
        payload = json.dumps({"findings": {"locations": ["nose"], "absent": ["fever"]}, "v": 1},
                             separators=(",", ":"), sort_keys=True).encode()
        for check in (hashlib.sha256(b"babyskin-conversation:" + payload).hexdigest()[:16],
                      hashlib.sha256(b"babyskin-conversation:" + payload).hexdigest()[:32]):
            forged = base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + check
            with pytest.raises(InputError, match="changed or damaged"):
                decode_conversation(forged, kb)
        settings.use_secret_key("another-server-key-" + "x" * 32)
        with pytest.raises(InputError, match="changed or damaged"):
            decode_conversation(token, kb)
    finally:
        settings.use_secret_key(None)


# -- finding 5: on PostgreSQL, deleted means gone from the table files -------------------------

def raw_table_bytes(url: str, table: str) -> bytes:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            size = f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int"
            blocks = conn.scalar(text(size))
            return b"".join(conn.scalar(text(f"SELECT get_raw_page('{table}', {n})")) for n in range(blocks))
    finally:
        engine.dispose()


def test_on_postgresql_a_deleted_entry_leaves_no_bytes_in_the_table_files(
    client: TestClient, module_db_url: str
) -> None:
    if not module_db_url.startswith("postgresql"):
        pytest.skip("SQLite overwrites deleted content itself (secure_delete; tests/test_diary_store.py)")
    auth, child_id = diary(client)
    secret = "gone-for-good-7hq2x"
    saved = client.post(f"/v1/diary/children/{child_id}/entries", json={**ENTRY, "note": secret},
                        headers=auth)
    assert saved.status_code == 201
    assert secret.encode() in raw_table_bytes(module_db_url, "entries")
    deleted = client.delete(f"/v1/diary/entries/{saved.json()['entry']['id']}", headers=auth)
    assert deleted.status_code == 200
    assert secret.encode() not in raw_table_bytes(module_db_url, "entries")


def test_the_answer_cache_is_keyed_on_the_parsed_request(client: TestClient) -> None:
    import json

    answers = client.app.state.answers
    findings = {"locations": ["nose"], "lesions": ["papule"], "colors": ["white"], "age_days": 21}
    first = client.post("/v1/assess", json={"findings": findings})
    before = sum(len(key) for key in answers._data)
    for pad in range(1, 41):  # the same request padded with whitespace: 40 bodies of ~40 KB
        body = json.dumps({"findings": findings}).replace(":", ":" + " " * (1000 * pad // 4))
        response = client.post("/v1/assess", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 200 and response.content == first.content
    assert sum(len(key) for key in answers._data) - before < 4096  # padded bodies pinned nothing


# -- finding 5: local files ---------------------------------------------------------------------

class Planted:
    """A pickle that runs code when loaded (writes a marker file)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_planted_kb_cache_file_is_never_unpickled(tmp_path, monkeypatch) -> None:
    import pickle

    from babyskin.kb import loader

    monkeypatch.setenv("BABYSKIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BABYSKIN_KB_CACHE", "1")
    root = loader.default_kb_dir()
    cache = loader._cache_file(loader.kb_digest(root))
    assert cache is not None and str(cache).startswith(str(tmp_path))  # never the home folder in tests
    cache.parent.mkdir(parents=True)
    marker = tmp_path / "code-ran"
    cache.write_bytes(pickle.dumps(Planted(str(marker))))
    kb = loader.load_kb(root)
    assert not marker.exists() and kb.conditions
    assert cache.read_bytes().startswith(loader.CACHE_MAGIC)  # replaced by a sealed copy
    assert loader.load_kb(root).version == kb.version  # and the sealed copy is used
    sealed = cache.read_bytes()
    cache.write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))  # one bit changed
    assert loader.load_kb(root).version == kb.version


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd",
                                 "ftp://example.org/x", "https//missing-colon"])
def test_kb_lint_allows_only_http_urls(tmp_path, url: str) -> None:
    import shutil

    from babyskin.kb import loader
    from babyskin.kb.checks import check_kb

    root = tmp_path / "kb"
    shutil.copytree(loader.default_kb_dir(), root)
    refs = root / "references.yaml"
    text_ = refs.read_text(encoding="utf-8")
    first_url = next(line for line in text_.splitlines() if line.strip().startswith("url:"))
    refs.write_text(text_.replace(first_url, first_url.split("url:")[0] + f"url: '{url}'", 1),
                    encoding="utf-8")
    problems = check_kb(loader.load_kb(root, check=False))
    assert any("is not an http(s) address" in p for p in problems), problems


# -- finding 5: pagination and quotas -----------------------------------------------------------

def test_timelines_and_entries_come_in_pages(client: TestClient) -> None:
    auth, child_id = diary(client)
    path = f"/v1/diary/children/{child_id}/entries"
    ids = [client.post(path, json=ENTRY, headers=auth).json()["entry"]["id"] for _ in range(5)]
    page = client.get(f"/v1/diary/children/{child_id}?limit=2", headers=auth).json()
    assert [e["id"] for e in page["entries"]] == ids[:2]
    assert page["entries_total"] == 5 and page["next_offset"] == 2 and page["episodes"]
    last = client.get(f"/v1/diary/children/{child_id}?limit=2&offset=4", headers=auth).json()
    assert [e["id"] for e in last["entries"]] == ids[4:] and last["next_offset"] is None
    listed = client.get(f"/v1/diary/children/{child_id}/entries?limit=3&offset=1", headers=auth).json()
    assert [e["id"] for e in listed] == ids[1:4]
    assert client.get(f"/v1/diary/children/{child_id}/entries?limit=100000", headers=auth).status_code == 422


def test_quotas_bound_children_and_entries(client: TestClient, monkeypatch) -> None:
    from babyskin.store import repository

    monkeypatch.setattr(repository, "MAX_ENTRIES_PER_CHILD", 2)
    monkeypatch.setattr(repository, "MAX_CHILDREN_PER_FAMILY", 1)
    auth, child_id = diary(client)
    path = f"/v1/diary/children/{child_id}/entries"
    assert [client.post(path, json=ENTRY, headers=auth).status_code for _ in range(2)] == [201, 201]
    refused = client.post(path, json=ENTRY, headers=auth)
    assert refused.status_code == 422 and "the most one child's diary keeps" in refused.json()["error"]
    second = client.post("/v1/diary/children", json={"name": "Two", "birth_date": BORN}, headers=auth)
    assert second.status_code == 422 and "children" in second.json()["error"]
    assert len(entries_of(client, auth, child_id)) == 2
