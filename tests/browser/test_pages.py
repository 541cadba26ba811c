"""The web app in a real browser (Debian's Chromium, headless): the flows a parent and a clinician use.

Each main page is also checked at 360 px and desktop width for horizontal overflow, unlabelled
controls, layout shift, contrast, requests to other origins and CSP violations, and screenshotted to
``test-output/screenshots/`` for review.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, MOBILE, Server, Session

MILIA_Q = "My 3 week old has tiny white bumps on her nose and cheeks, no fever"
EMERGENCY_Q = ("My 2 month old has a fever and purple spots that don't fade when I press a glass on"
               " them, and she is very floppy")
CLS_OBSERVER = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) { if (!entry.hadRecentInput) window.__cls += entry.value; }
}).observe({type: "layout-shift", buffered: true});
"""
UNLABELLED = """
() => [...document.querySelectorAll("input, select, textarea")]
  .filter((el) => el.type !== "hidden" && el.type !== "submit")
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
  .map((el) => el.name)
"""
COLOURS = """
(selector) => {
  const el = document.querySelector(selector);
  let node = el, background = "rgba(0, 0, 0, 0)";
  while (node && (background === "rgba(0, 0, 0, 0)" || background === "transparent")) {
    background = getComputedStyle(node).backgroundColor; node = node.parentElement;
  }
  if (background === "rgba(0, 0, 0, 0)") background = "rgb(255, 255, 255)";
  return [getComputedStyle(el).color, background];
}
"""
MAIN_PAGES = {"home": "/", "check": "/check", "conditions": "/conditions",
              "condition-milia": "/conditions/milia", "compare": "/compare?ids=milia,neonatal_acne"}


def luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(page: Page, selector: str) -> float:
    fore, back = page.evaluate(COLOURS, selector)
    high, low = sorted((luminance(fore), luminance(back)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def assert_healthy(session: Session, width: int) -> None:
    """No overflow at this width, every control labelled, no foreign requests, no CSP errors."""
    page = session.page
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(UNLABELLED) == []
    assert session.watch.foreign(session.base) == []
    assert [m for m in session.watch.console if m.startswith("error")] == []


def ask(session: Session, question: str, audience: str = "A parent or carer") -> None:
    session.goto("/")
    session.page.get_by_label("Describe the spots").fill(question)
    session.page.get_by_label(audience).check()
    session.page.get_by_role("button", name="Get an answer").click()
    expect(session.page.locator("#triage")).to_be_visible()


def first_candidate(page: Page) -> str:
    return page.locator(".candidate h3 a").first.inner_text()


# --- the flows ------------------------------------------------------------------------------------


def test_milia_question_shows_milia_first_with_a_home_banner(
        open_session: Callable[..., Session]) -> None:
    for name, viewport in (("360", MOBILE), ("desktop", DESKTOP)):
        session = open_session(viewport)
        ask(session, MILIA_Q)
        page = session.page
        expect(page.locator("#triage")).to_have_class(re.compile(r"\btriage-home\b"))
        assert first_candidate(page) == "Milia"
        expect(page.locator("#understood")).to_contain_text("understood")
        expect(page.locator("#references li").first).to_contain_text("Grade")
        href = page.locator("#advice a.cite").first.get_attribute("href")
        assert href and page.locator(href).count() == 1
        assert contrast(page, "#banner-title") >= 4.5
        assert_healthy(session, viewport["width"])
        session.shot(f"answer-milia-{name}")


def test_emergency_description_puts_the_emergency_banner_above_everything(
        open_session: Callable[..., Session]) -> None:
    session = open_session(MOBILE)
    ask(session, EMERGENCY_Q)
    page = session.page
    banner = page.locator("#triage")
    expect(banner).to_have_class(re.compile(r"\btriage-emergency\b"))
    expect(banner).to_have_attribute("role", "alert")
    expect(page.locator("#banner-title")).to_contain_text("EMERGENCY")
    top = banner.bounding_box()
    assert top is not None and top["y"] == 0
    for below in ("header.site", "#understood", "#differential", "#advice"):
        box = page.locator(below).bounding_box()
        assert box is not None and box["y"] >= top["y"] + top["height"] - 1
    assert contrast(page, "#banner-title") >= 7
    assert contrast(page, ".banner-action") >= 7
    assert_healthy(session, MOBILE["width"])
    session.shot("answer-emergency-360")


def test_guided_check_end_to_end_with_javascript_off(open_session: Callable[..., Session]) -> None:
    session = open_session(MOBILE, javascript=False)
    page = session.page
    session.goto("/check")
    expect(page.locator("#progress-text")).to_have_text("Step 1 of 7")
    session.shot("check-age-360")
    page.get_by_label("Age", exact=True).fill("3")
    page.get_by_label("Age unit").select_option("weeks")
    page.get_by_role("button", name="Next").click()
    for ticks in (["nose", "cheeks"], ["small raised bump"], ["white"], ["pinpoint (under 2 mm)"],
                  ["many"]):
        for label in ticks:
            page.get_by_label(label, exact=True).check()
        page.get_by_role("button", name="Next").click()
    expect(page.locator("#progress-text")).to_have_text("Step 7 of 7")
    expect(page.locator("#help-non_blanching")).to_contain_text("glass")
    session.shot("check-signs-360")
    page.get_by_role("button", name="Next").click()

    went_back = False
    for _ in range(13):
        if page.locator("#triage").count():
            break
        expect(page.locator("#progress-text")).to_contain_text("Question")
        if not went_back and "Question 2" in page.locator("#progress-text").inner_text():
            session.shot("check-question-360")
            page.get_by_role("button", name="Back").click()
            expect(page.locator("#progress-text")).to_contain_text("Question 1")
            # the earlier answer (question 1 is the warning-sign screen)
            expect(page.locator("button.answer.chosen")).to_have_text("None of these")
            went_back = True
        screen = page.get_by_role("button", name="None of these", exact=True)
        (screen if screen.count() else page.get_by_role("button", name="No", exact=True)).click()
    expect(page.locator("#triage")).to_have_class(re.compile(r"\btriage-home\b"))
    assert first_candidate(page) == "Milia"
    expect(page.locator("#understood")).to_contain_text("3 weeks old; nose, cheeks")
    assert went_back, "the check asked fewer than two questions, so Back was not exercised"
    assert session.watch.foreign(session.base) == []
    session.shot("check-answer-360")


def test_clinician_view_shows_codes_and_management(open_session: Callable[..., Session]) -> None:
    session = open_session(DESKTOP)
    page = session.page
    ask(session, MILIA_Q, audience="A clinician")
    expect(page.locator("#cand-milia .code")).to_have_text("ICD-10-CM L72.0")
    expect(page.get_by_role("heading", name="Management (for clinicians)")).to_be_visible()
    session.shot("answer-clinician-desktop")
    session.goto("/conditions/milia")  # the choice is kept for the visit
    expect(page.locator("#management")).to_be_visible()
    page.get_by_role("button", name="Switch to parent view").click()
    expect(page.locator("#management")).to_have_count(0)
    expect(page.locator("header .switch-now")).to_have_text("Parent view")


def test_compare_page_from_the_conditions_list(open_session: Callable[..., Session]) -> None:
    session = open_session(MOBILE)
    page = session.page
    session.goto("/conditions")
    page.get_by_label("Compare Milia", exact=True).check()
    page.get_by_label("Compare Neonatal acne", exact=True).check()
    page.get_by_role("button", name="Compare the ones ticked").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Milia and Neonatal acne")
    expect(page.locator("table.compare tbody tr")).to_have_count(9)
    expect(page.get_by_role("row", name=re.compile("^Contagious"))).to_be_visible()
    assert_healthy(session, MOBILE["width"])
    session.shot("compare-milia-neonatal_acne-360")


def test_keyboard_alone_can_ask_a_question(open_session: Callable[..., Session]) -> None:
    session = open_session(MOBILE)
    page = session.page
    session.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to the main content"
    for _ in range(15):
        if page.evaluate("document.activeElement.id") == "q":
            break
        page.keyboard.press("Tab")
    page.keyboard.type(MILIA_Q)
    page.keyboard.press("Tab")  # the audience radios: parent is already chosen
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Get an answer"
    page.keyboard.press("Enter")
    expect(page.locator("#triage")).to_have_class(re.compile(r"\btriage-home\b"))


def test_the_server_log_holds_no_description(open_session: Callable[..., Session],
                                             server: Server) -> None:
    marker = "zebra-striped blotches on the elbow"
    session = open_session(MOBILE)
    ask(session, f"My 5 month old has {marker}")
    assert marker not in server.output()
    assert "zebra" not in server.output()


# --- every main page at both widths ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(MAIN_PAGES))
@pytest.mark.parametrize(("width_name", "viewport"), [("360", MOBILE), ("desktop", DESKTOP)])
def test_main_page_is_readable_stable_and_self_contained(
        open_session: Callable[..., Session], name: str, width_name: str,
        viewport: dict[str, int]) -> None:
    session = open_session(viewport)
    page = session.page
    page.add_init_script(CLS_OBSERVER)
    session.goto(MAIN_PAGES[name])
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    assert_healthy(session, viewport["width"])
    assert page.evaluate("window.__cls") < 0.01
    assert contrast(page, "main") >= 7
    assert contrast(page, "header nav a") >= 4.5
    session.shot(f"{name}-{width_name}")


def test_a_general_question_page(open_session: Callable[..., Session]) -> None:
    session = open_session(MOBILE)
    session.goto("/")
    session.page.get_by_label("Describe the spots").fill("What causes milia, and is it contagious?")
    session.page.get_by_role("button", name="Get an answer").click()
    expect(session.page.get_by_role("heading", level=1)).to_have_text("Your question")
    expect(session.page.locator("#references li").first).to_contain_text("Grade")
    assert_healthy(session, MOBILE["width"])
    session.shot("question-milia-360")


def test_the_api_docs_render_with_nothing_from_another_origin(
        open_session: Callable[..., Session]) -> None:
    session = open_session(DESKTOP)
    session.goto("/docs")
    expect(session.page.get_by_text("/v1/assess").first).to_be_visible(timeout=15_000)
    assert session.watch.foreign(session.base) == []
    assert [m for m in session.watch.console if m.startswith("error")] == []
    session.shot("api-docs")
