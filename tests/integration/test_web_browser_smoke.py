"""The web app in real headless Chromium: the development login page has no accessibility
violations (axe-core, WCAG 2.1 AA), on a phone and a desktop."""

from __future__ import annotations

import httpx

from tests.browser import PHONE, axe_violations, chromium, click_through, describe
from tests.support import Server


async def test_the_login_page_passes_axe_on_a_phone_and_signs_in(demo_dsn):
    server = Server(demo_dsn)
    try:
        async with httpx.AsyncClient() as client:
            await server.ready(client)
        with chromium(PHONE) as browser:
            browser.get(f"{server.url}/log-ind")
            assert browser.find_element("css selector", "html").get_attribute("lang") == "da"
            violations = axe_violations(browser)
            assert violations == [], describe(violations)
            click_through(browser, browser.find_element("xpath", "//button[contains(., 'Log ind som Mette Sørensen')]"))
            assert "Goddag, Mette" in browser.find_element("tag name", "h1").text
            violations = axe_violations(browser)
            assert violations == [], describe(violations)
            scroll = browser.execute_script("return document.documentElement.scrollWidth")
            assert scroll <= PHONE[0], f"the page is {scroll} px wide on a {PHONE[0]} px phone"
    finally:
        server.stop()


def test_axe_reports_what_it_should_on_a_page_with_faults():
    """The harness itself: a page without a language, a title or a label on its field fails."""
    with chromium() as browser:
        browser.get("data:text/html,<html><body><form><input type=text name=x></form></body></html>")
        found = {v["id"] for v in axe_violations(browser)}
    assert {"html-has-lang", "document-title", "label"} <= found, found
