"""The spot diary in a real browser (Debian's Chromium, headless), with JavaScript off.

A parent starts a diary, keeps the key, adds a child and two entries (one in words, one by ticks with
a new fever), reads the timeline's banners, "check again by" and flags, opens the same diary with the
key in another browser at desktop width, downloads everything, then deletes the child and the diary.
The key and the diary's text never reach a URL or the server's log. Screenshots (360 px and desktop)
go to ``test-output/screenshots/diary-*.png``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, MOBILE, Server, Session
from tests.browser.test_pages import assert_healthy

TODAY = dt.date.today()
BORN = TODAY - dt.timedelta(days=45)
FIRST = BORN + dt.timedelta(days=19)
NOTE = "diary-note-zq7 she slept badly"
WORDS = "tiny white bumps on her nose and cheeks, no fever"


def add_entry(page: Page, on: dt.date, *, text: str = "", ticks: dict[str, list[str]] | None = None,
              note: str = "") -> None:
    page.get_by_label("Date the spots were seen").fill(on.isoformat())
    if text:
        page.get_by_label("What do you see?").fill(text)
    for group, labels in (ticks or {}).items():
        page.locator("#add summary", has_text=group).click()
        for label in labels:
            page.get_by_label(label, exact=True).check()
    if note:
        page.get_by_label("A note for yourself").fill(note)
    page.get_by_role("button", name="Save and assess").click()


def start_diary(session: Session) -> str:
    page = session.page
    session.goto("/diary")
    session.shot("diary-start-360")
    page.get_by_label("A name for this diary").fill("Smith")
    page.get_by_role("button", name="Start a diary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your diary is ready")
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    key = page.locator("#diary-key code").inner_text().strip()
    assert len(key) >= 40
    session.shot("diary-key-360")
    cookie = next(c for c in session.context.cookies() if c["name"] == "babyskin_diary")
    assert cookie["value"] == key and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/diary" and cookie["expires"] == -1  # a session cookie
    page.get_by_role("link", name=re.compile("go to my diary")).click()
    return key


def test_a_parent_keeps_a_diary(open_session: Callable[..., Session], server: Server,
                                tmp_path: Path) -> None:
    session = open_session(MOBILE, javascript=False)
    page = session.page
    key = start_diary(session)

    page.get_by_label("Name or nickname").fill("Mia")
    page.get_by_label("Birth date").fill(BORN.isoformat())
    page.get_by_role("button", name="Add the child").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mia")
    session.shot("diary-child-empty-360")

    add_entry(page, FIRST, text=WORDS, note=NOTE)
    first = page.locator(".entry").first
    expect(first.locator(".entry-banner")).to_have_class(re.compile(r"\btriage-home\b"))
    expect(first.locator(".leading")).to_contain_text("Milia")
    expect(first.locator(".check")).to_contain_text("Check again by")
    expect(first.locator(".quote").first).to_have_text(WORDS)

    add_entry(page, TODAY, ticks={"Where are the spots?": ["nose", "cheeks"],
                                  "What do they look like?": ["small raised bump"],
                                  "Have you noticed any of these?": ["fever (38 C or more)"]})
    expect(page.locator(".entry")).to_have_count(2)
    latest = page.locator(".entry").first
    expect(latest.locator(".flag-new_red_flag h4")).to_contain_text("Fever")
    expect(latest.locator(".flag-changed_character")).to_be_visible()
    expect(page.locator("#triage")).to_have_attribute("role", "alert")  # the latest entry is urgent
    href = latest.locator(".flag a.cite").first.get_attribute("href")
    assert href and page.locator(href).count() == 1
    assert_healthy(session, MOBILE["width"])
    session.shot("diary-timeline-360")

    desktop = open_session(DESKTOP)
    desktop.goto("/diary")
    desktop.page.get_by_label("Your diary key").fill(key)
    desktop.page.get_by_role("button", name="Open my diary").click()
    expect(desktop.page.locator(".child-row h3")).to_have_text("Mia")
    desktop.shot("diary-family-desktop")
    desktop.page.get_by_role("link", name="Mia", exact=True).click()
    expect(desktop.page.locator(".entry")).to_have_count(2)
    assert_healthy(desktop, DESKTOP["width"])
    desktop.shot("diary-timeline-desktop")

    session.goto("/diary")
    session.shot("diary-family-360")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download everything (JSON)").click()
    saved = tmp_path / "export.json"
    download.value.save_as(saved)
    exported = json.loads(saved.read_text())
    assert exported["children"][0]["name"] == "Mia" and len(exported["children"][0]["entries"]) == 2
    assert NOTE in saved.read_text()

    session.goto("/diary")
    page.get_by_role("link", name="Open Mia's timeline").click()
    page.get_by_role("link", name="Delete Mia and all entries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete Mia from the diary?")
    session.shot("diary-confirm-360")
    page.get_by_role("button", name=re.compile("^Yes, delete")).click()
    expect(page.get_by_role("status")).to_contain_text("deleted")
    page.get_by_role("link", name="Delete the whole diary").click()
    page.get_by_role("button", name=re.compile("^Yes, delete")).click()
    expect(page.get_by_role("status")).to_contain_text("deleted for good")
    assert not [c for c in session.context.cookies() if c["name"] == "babyskin_diary"]

    for watched in (session, desktop):
        assert not [url for url in watched.watch.requests if key in url]
    log = server.output()
    assert key not in log and NOTE not in log and WORDS not in log and "Mia" not in log
