"""The diary pages in-process (TestClient) on SQLite in ``tmp_path``: the whole flow, family isolation,
escaping, the key kept out of URLs and logs, form errors, the 503 page and failing closed.

Each family is its own ``TestClient`` (its own cookie jar) over one app; entries use ticked findings
except one test that uses the real free-text reader when it is installed.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from babyskin.api.app import create_app
from babyskin.settings import Settings
from babyskin.web.diary_pages import COOKIE
from babyskin.web.diary_view import day_words
from babyskin.web.security import CSP
from tests.test_web import READER_WARNING, Controls

TODAY = dt.date.today()
BORN = TODAY - dt.timedelta(days=60)
MILIA = {"locations": ["nose", "cheeks"], "lesions": ["papule"], "colors": ["white"]}
SECRET = "secret-note-qx9 near the left ear"
ATTACK = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    url = f"sqlite:///{tmp_path_factory.mktemp('diary-web') / 'diary.db'}"
    application = create_app(Settings(database_url=url, load_nlp=False))
    with TestClient(application):  # runs the lifespan: migrations, then the store is closed at the end
        yield application


def family(app: FastAPI, name: str = "Smith") -> tuple[TestClient, str]:
    """A browser of its own (cookie jar) with a new diary open in it, and the key it was shown."""
    client = TestClient(app)
    page = client.post("/diary/start", data={"name": name})
    assert page.status_code == 201, page.text
    match = re.search(r'<p class="key" id="diary-key"><code>([^<]+)</code>', page.text)
    assert match
    return client, html.unescape(match.group(1))


def add_child(client: TestClient, name: str = "Mia", born: dt.date = BORN) -> int:
    response = client.post("/diary/children", data={"name": name, "birth_date": born.isoformat(),
                                                    "gestation": "38"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/diary/children/(\d+)", response.headers["location"])
    assert match
    return int(match.group(1))


def add_entry(client: TestClient, child_id: int, days_old: int, **fields: object) -> Response:
    data = {"on": (BORN + dt.timedelta(days=days_old)).isoformat(), **MILIA, **fields}
    return client.post(f"/diary/children/{child_id}/entries", data=data, follow_redirects=False)


def saved_entry(response: Response) -> int:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/diary/children/\d+#entry-(\d+)", response.headers["location"])
    assert match
    return int(match.group(1))


def entry_html(page: str, entry_id: int) -> str:
    start = page.index(f'id="entry-{entry_id}"')
    end = page.find('<li class="card entry"', start)
    return page[start:end if end > 0 else page.index('id="add"')]


# --- the whole flow ------------------------------------------------------------------------------


def test_a_family_keeps_a_diary_on_the_web(app: FastAPI) -> None:
    landing = TestClient(app).get("/diary")
    assert landing.status_code == 200 and "Start a diary" in landing.text and "Open my diary" in landing.text

    client, key = family(app)
    cookie = client.cookies.get(COOKIE)
    assert cookie == key
    child_id = add_child(client)
    first = saved_entry(add_entry(client, child_id, 19, note=SECRET))
    second = saved_entry(add_entry(client, child_id, 25, present="fever"))
    page = client.get(f"/diary/children/{child_id}").text

    one, two = entry_html(page, first), entry_html(page, second)
    assert page.index(f'id="entry-{second}"') < page.index(f'id="entry-{first}"')  # newest first
    assert "entry-banner banner triage-home" in one and "HOME CARE" in one
    assert "entry-banner banner triage-urgent" in two and "Fever in a baby under 3 months" in two
    assert re.search(r'Most likely: <a href="/conditions/milia">Milia</a>', one)
    assert re.search(r'<span class="pct">\d+%</span>', one)
    assert "Check again by" in one and SECRET in one
    assert 'class="flag flag-new_red_flag"' in two and 'class="flag flag-changed_character"' in two
    assert "flag-" not in one.replace("flag-count", "")
    assert 'id="triage" class="banner triage-urgent" role="alert"' in page  # the latest entry is loud
    assert "Expected course:" in page and "Pending clinical review" in page
    cited = set(re.findall(r'href="#ref-(\d+)"', two))
    listed = set(re.findall(r'<li id="ref-(\d+)"', page))
    assert cited and cited <= listed

    overview = client.get("/diary").text
    assert f'href="/diary/children/{child_id}"' in overview and "2 entries" in overview
    assert f"born {day_words(BORN)}" in overview

    exported = client.get("/diary/export")
    assert exported.headers["content-type"].startswith("application/json")
    assert exported.headers["content-disposition"].startswith("attachment;")
    assert exported.headers["cache-control"] == "no-store"
    data = exported.json()
    assert data["children"][0]["name"] == "Mia" and data["children"][0]["entries"][0]["note"] == SECRET


def test_deleting_needs_a_confirmation_step(app: FastAPI) -> None:
    client, key = family(app)
    child_id = add_child(client)
    saved_entry(add_entry(client, child_id, 19))
    confirm = client.get(f"/diary/children/{child_id}/delete")
    assert confirm.status_code == 200 and "Yes, delete Mia and the 1 entry" in confirm.text
    unconfirmed = client.post(f"/diary/children/{child_id}/delete", follow_redirects=False)
    assert unconfirmed.headers["location"] == f"/diary/children/{child_id}/delete"
    assert client.get(f"/diary/children/{child_id}").status_code == 200  # still there
    gone = client.post(f"/diary/children/{child_id}/delete", data={"confirm": "yes"})
    assert gone.status_code == 200 and "were deleted" in gone.text
    assert client.get(f"/diary/children/{child_id}").status_code == 404

    add_child(client, "Leo")
    assert "Yes, delete the whole diary" in client.get("/diary/delete").text
    assert client.post("/diary/delete", follow_redirects=False).headers["location"] == "/diary/delete"
    deleted = client.post("/diary/delete", data={"confirm": "yes"})
    assert "deleted for good: 1 child record(s) and 0 entries" in deleted.text
    forget = deleted.headers["set-cookie"]
    assert forget.startswith(f'{COOKIE}=""') and "Max-Age=0" in forget and "Path=/diary" in forget
    reopened = TestClient(app).post("/diary/open", data={"token": key})
    assert reopened.status_code == 401 and "does not open a diary" in reopened.text


def test_a_key_opens_its_diary_in_another_browser_and_close_forgets_it(app: FastAPI) -> None:
    client, key = family(app)
    add_child(client, "Ada")
    other = TestClient(app)
    opened = other.post("/diary/open", data={"token": f"  {key}\n"}, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/diary"
    assert "Ada" in other.get("/diary").text
    closed = other.post("/diary/close", follow_redirects=False)
    assert closed.headers["location"] == "/diary?done=closed"
    assert "Max-Age=0" in closed.headers["set-cookie"]
    assert "Ada" not in other.get("/diary").text and "Ada" in client.get("/diary").text


def test_the_key_cookie_is_httponly_strict_scoped_and_for_the_visit_only(app: FastAPI) -> None:
    client = TestClient(app)
    cookie = client.post("/diary/start").headers["set-cookie"]
    parts = {p.strip().split("=")[0].lower() for p in cookie.split(";")}
    assert {"httponly", "samesite", "path"} <= parts and "samesite=strict" in cookie.lower()
    assert "Path=/diary" in cookie and "expires" not in parts and "max-age" not in parts
    assert "secure" not in parts  # plain http here; over https the cookie is Secure too


# --- isolation -----------------------------------------------------------------------------------


def test_one_familys_key_can_never_see_anothers_child_or_entries(app: FastAPI) -> None:
    alice, _ = family(app, "A")
    bob, _ = family(app, "B")
    child_id = add_child(alice, "Alicechild")
    saved_entry(add_entry(alice, child_id, 19, note=SECRET))
    for path in (f"/diary/children/{child_id}", f"/diary/children/{child_id}/delete"):
        response = bob.get(path)
        assert response.status_code == 404, path
        assert "Alicechild" not in response.text and SECRET not in response.text
    assert add_entry(bob, child_id, 20).status_code == 404
    assert bob.post(f"/diary/children/{child_id}/delete", data={"confirm": "yes"}).status_code == 404
    assert "Alicechild" not in bob.get("/diary").text
    assert "Alicechild" not in bob.get("/diary/export").text and SECRET not in bob.get("/diary/export").text
    bob.post("/diary/delete", data={"confirm": "yes"})
    page = alice.get(f"/diary/children/{child_id}")
    assert page.status_code == 200 and SECRET in page.text and page.text.count('class="card entry"') == 1


def test_pages_without_an_open_diary_ask_for_one(app: FastAPI) -> None:
    stranger = TestClient(app)
    for path in ("/diary/children/1", "/diary/export", "/diary/delete", "/diary/children/1/delete"):
        response = stranger.get(path)
        assert response.status_code == 401 and "Open your diary first" in response.text, path
    assert stranger.post("/diary/children", data={"name": "X", "birth_date": "2026-01-01"}).status_code == 401
    stale = TestClient(app, cookies={COOKIE: "not-a-real-key"})
    response = stale.get("/diary/children/1")
    assert response.status_code == 401 and "Max-Age=0" in response.headers["set-cookie"]
    landing = TestClient(app, cookies={COOKIE: "not-a-real-key"}).get("/diary")
    assert landing.status_code == 200 and "no longer exists" in landing.text


# --- escaping, URLs and logs ---------------------------------------------------------------------


def test_user_text_is_escaped_everywhere(app: FastAPI) -> None:
    client = TestClient(app)
    client.post("/diary/start", data={"name": ATTACK})
    child_id = add_child(client, ATTACK)
    saved_entry(add_entry(client, child_id, 19, note=ATTACK, episode=ATTACK))
    for path in ("/diary", f"/diary/children/{child_id}", f"/diary/children/{child_id}/delete"):
        page = client.get(path).text
        assert "<script>alert(1)" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_the_key_never_appears_in_a_url_or_a_log(app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    urls: list[str] = []
    with caplog.at_level(logging.DEBUG):
        client, key = family(app)
        client.event_hooks["request"] = [lambda request: urls.append(str(request.url))]
        child_id = add_child(client, "Zelda")
        saved_entry(add_entry(client, child_id, 19, note=SECRET))
        other = TestClient(app)
        other.event_hooks["request"] = [lambda request: urls.append(str(request.url))]
        other.post("/diary/open", data={"token": key})
        pages = [client.get(p).text for p in ("/diary", f"/diary/children/{child_id}", "/diary/delete")]
        client.get("/diary/export")
    assert urls and not [u for u in urls if key in u]
    for page in pages:
        assert key not in page
        links = re.findall(r'(?:href|action|src)="([^"]*)"', page)
        assert links and not [link for link in links if key in link]
    assert key not in caplog.text and SECRET not in caplog.text and "Zelda" not in caplog.text


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "fragment"),
    [
        ({"name": "Zoe", "birth_date": "2026-13-01"}, 422, "Birth date: enter a date like"),
        ({"name": "Zoe", "birth_date": ""}, 422, "please enter your baby&#39;s birth date"),
        ({"name": "Zoe", "birth_date": "2999-01-01"}, 422, "is in the future"),
        ({"name": "", "birth_date": "2026-01-01"}, 422, "name or nickname must be 1 to 100 characters"),
        ({"name": "Zoe", "birth_date": "2026-01-01", "gestation": "50"}, 422, "gestation must be between"),
        ({"name": "Zoe", "birth_date": "2026-01-01", "gestation": "soon"}, 422, "whole number of weeks"),
    ],
)
def test_a_bad_child_is_shown_on_the_form(app: FastAPI, fields: dict[str, str], status: int,
                                           fragment: str) -> None:
    client, _ = family(app)
    response = client.post("/diary/children", data=fields)
    assert response.status_code == status and fragment in response.text
    assert 'class="form-error" role="alert"' in response.text
    assert f'value="{fields["name"]}"' in response.text  # what was typed is kept


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"on": "2026-02-30"}, "Date: enter a date like"),
        ({"on": "2000-01-01"}, "before Mia&#39;s birth date"),
        ({"on": (TODAY + dt.timedelta(days=3)).isoformat()}, "is in the future"),
        ({"locations": [], "lesions": [], "colors": []}, "an entry needs a description"),
        ({"duration": "many", "duration_unit": "days"}, "enter a number, like 3"),
        ({"note": "x" * 2001}, "The note: please keep it under 2000 characters"),
    ],
)
def test_a_bad_entry_is_shown_on_the_form_and_nothing_is_saved(app: FastAPI, fields: dict[str, object],
                                                               fragment: str) -> None:
    client, _ = family(app)
    child_id = add_child(client)
    response = add_entry(client, child_id, 19, **fields)
    assert response.status_code == 422 and fragment in response.text
    assert 'class="form-error" role="alert"' in response.text
    assert 'class="card entry"' not in response.text


def test_a_bad_or_missing_key_is_refused_on_the_open_form(app: FastAPI) -> None:
    client = TestClient(app)
    wrong = client.post("/diary/open", data={"token": "abc"})
    assert wrong.status_code == 401 and "does not open a diary" in wrong.text
    assert "set-cookie" not in wrong.headers
    assert 'aria-invalid="true"' in wrong.text
    empty = client.post("/diary/open", data={"token": "  "})
    assert empty.status_code == 422 and "paste your diary key" in empty.text


def test_forms_sent_from_another_site_are_refused(app: FastAPI) -> None:
    client, key = family(app)
    child_id = add_child(client)
    cross = {"sec-fetch-site": "cross-site"}
    for path, data in (("/diary/open", {"token": key}), ("/diary/start", {}), ("/diary/close", {}),
                       ("/diary/delete", {"confirm": "yes"}),
                       (f"/diary/children/{child_id}/delete", {"confirm": "yes"})):
        response = client.post(path, data=data, headers=cross)
        assert response.status_code == 403 and "set-cookie" not in response.headers, path
    assert client.get(f"/diary/children/{child_id}").status_code == 200
    same = client.post("/diary/close", headers={"sec-fetch-site": "same-origin"}, follow_redirects=False)
    assert same.status_code == 303


def test_a_database_that_is_down_gives_a_503_page_while_the_rest_works(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = Settings(database_url="postgresql+psycopg://postgres:pw@127.0.0.1:1/none", load_nlp=False)
    with TestClient(create_app(down)) as client:
        for response in (client.get("/diary"), client.post("/diary/start"),
                         client.post("/diary/open", data={"token": "x"}),
                         client.get("/diary/children/1", cookies={COOKIE: "x"})):
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("text/html")
            assert "The diary is not available right now" in response.text
            assert "pw@" not in response.text and "127.0.0.1" not in response.text
        assert client.get("/").status_code == 200 and client.get("/conditions/milia").status_code == 200
    assert "pw@" not in caplog.text


def test_an_engine_crash_while_saving_fails_closed(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = family(app)
    child_id = add_child(client)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.state.engine, "assess", broken)
    response = add_entry(client, child_id, 19)
    assert response.status_code == 500 and "We could not assess this" in response.text
    assert "Get medical help now if any of these apply" in response.text
    monkeypatch.undo()
    assert 'class="card entry"' not in client.get(f"/diary/children/{child_id}").text


# --- markup and headers --------------------------------------------------------------------------


def test_diary_pages_have_strict_headers_and_accessible_markup(app: FastAPI) -> None:
    client = TestClient(app)
    token_page = client.post("/diary/start")
    child_id = add_child(client)
    saved_entry(add_entry(client, child_id, 19))
    pages = [token_page, TestClient(app).get("/diary"), client.get("/diary"),
             client.get(f"/diary/children/{child_id}"), client.get(f"/diary/children/{child_id}/delete"),
             client.get("/diary/delete")]
    for response in pages:
        page = response.text
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["cache-control"] == "no-store"
        assert "<script" not in page and "<style" not in page and " style=" not in page
        assert '<a href="/diary" aria-current="page">Diary</a>' in page
        parser = Controls()
        parser.feed(page)
        assert parser.lang == "en" and parser.h1 == 1 and parser.unlabelled() == [], response.url


@READER_WARNING
def test_a_text_entry_is_read_then_assessed(app: FastAPI) -> None:
    pytest.importorskip("babyskin.understand", reason="the free-text reader is not installed")
    client, _ = family(app)
    child_id = add_child(client, born=TODAY - dt.timedelta(days=21))
    words = "tiny white bumps on her nose and cheeks, no fever"
    data = {"on": TODAY.isoformat(), "text": words}
    entry_id = saved_entry(client.post(f"/diary/children/{child_id}/entries", data=data,
                                       follow_redirects=False))
    one = entry_html(client.get(f"/diary/children/{child_id}").text, entry_id)
    assert words in one and "Milia" in one and "triage-home" in one


def test_the_footer_never_says_nothing_is_stored_on_diary_pages(app: FastAPI) -> None:
    client = TestClient(app)
    home = client.get("/").text
    assert "Nothing you type here is stored" in home
    diary = client.get("/diary").text
    assert "Nothing you type" not in diary
    assert "The diary keeps what you save in it" in diary
