"""The employee's pages in real headless Chromium on a 360 px wide phone, with axe-core's WCAG 2.1
A/AA rules on every page: Anna's Mit mandat and its print view (one A4 page), "Hvem kan beslutte?",
Anna records an act (first refused by a red line) and justifies it, Mette gives feedback, and a
colleague who opens the act's address is refused."""

from __future__ import annotations

import base64
import re

import httpx

from tests.browser import PHONE, axe_violations, chromium, click_through, describe, screenshot
from tests.support import Server


def _wait(browser, condition) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(condition)


class Walk:
    """A browser walk that collects what is wrong on each page instead of stopping at the first."""

    def __init__(self, browser, url: str):
        self.b, self.url, self.problems = browser, url, []

    def check(self, name: str) -> None:
        violations = axe_violations(self.b)
        if violations:
            self.problems.append(f"{name} ({self.b.current_url}): {describe(violations)}")
        width = self.b.execute_script("return document.documentElement.scrollWidth")
        if width > PHONE[0]:
            self.problems.append(f"{name}: {width} px wide on a {PHONE[0]} px phone")

    def open(self, path: str, name: str) -> None:
        self.b.get(self.url + path)
        self.check(name)

    def click(self, text: str) -> None:
        click_through(self.b, self.b.find_element("xpath", f"//button[contains(., '{text}')]"))

    def sign_in(self, name: str) -> None:
        self.b.get(f"{self.url}/log-ind")
        self.click(f"Log ind som {name}")
        _wait(self.b, lambda d: "log-ind" not in d.current_url and "Goddag" in d.page_source)

    def sign_out(self) -> None:
        self.click("Log ud")
        _wait(self.b, lambda d: "log-ind" in d.current_url)

    def printed_pages(self) -> int:
        pdf = base64.b64decode(self.b.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
        return len(re.findall(rb"/Type\s*/Page\b", pdf))  # each page object (not /Pages)


async def test_the_employee_walk_passes_axe_on_a_phone(demo_dsn):
    from selenium.webdriver.support.ui import Select

    server = Server(demo_dsn)
    try:
        async with httpx.AsyncClient() as client:
            await server.ready(client)
        with chromium(PHONE) as browser:
            walk = Walk(browser, server.url)
            walk.sign_in("Anna Jensen")
            walk.open("/mit-mandat", "Mit mandat")
            assert "Hverdagsdirektør" in browser.page_source and "Skal gælde:" in browser.page_source
            screenshot(browser, "mit-mandat-anna-telefon")
            walk.open("/mit-mandat/print", "Mit mandat, udskrift")
            assert walk.printed_pages() == 1
            walk.open("/hvem-kan-beslutte", "Hvem kan beslutte?")
            Select(browser.find_element("id", "omraade")).select_by_value("personnel/time-registration")
            Select(browser.find_element("id", "enhed")).select_by_visible_text("\u2003\u2003\u2003Plejecenter Solhaven")
            walk.click("Vis, hvem der må")
            _wait(browser, lambda d: "omraade=" in d.current_url)
            walk.check("Hvem kan beslutte?, svar")
            assert "Fatima Ali" in browser.page_source
            walk.open("/handlinger", "Mine handlinger")
            walk.open("/handlinger/ny", "Registrér en beslutning")
            Select(browser.find_element("id", "omraade-valg")).select_by_value("care/alternative-solutions")
            walk.click("Videre")
            _wait(browser, lambda d: "omraade=" in d.current_url)
            walk.check("Registrér en beslutning, område valgt")
            Select(browser.find_element("id", "enhed")).select_by_visible_text("Plejecenter Solhaven")
            browser.find_element("id", "beskrivelse").send_keys(
                "Jeg valgte en anden løsning, fordi fru Hansen var urolig: vi gik en tur i haven før badet.")
            browser.find_element("id", "sag").send_keys("Journalnotat")
            browser.find_element("id", "attr-deviation-ja").click()
            Select(browser.find_element("id", "attr-citizen-category")).select_by_value("palliativ")
            walk.click("Registrér beslutningen")
            _wait(browser, lambda d: "notice error" in d.page_source)
            walk.check("Registrér en beslutning, afvist")
            Select(browser.find_element("id", "attr-citizen-category")).select_by_value("aeldre")
            walk.click("Registrér beslutningen")
            _wait(browser, lambda d: "gemt=1" in d.current_url)
            act = browser.current_url.split("?")[0]
            walk.check("Beslutningen, gemt")
            walk.click("Gem begrundelsen")  # empty: refused, in Danish, next to the field
            _wait(browser, lambda d: "field-error" in d.page_source)
            walk.check("Beslutningen, tom begrundelse")
            browser.find_element("id", "begrundelse").send_keys("Hun faldt til ro, og badet gik godt bagefter.")
            walk.click("Gem begrundelsen")
            _wait(browser, lambda d: "Begrundet" in d.page_source)
            walk.check("Beslutningen, begrundet")
            walk.sign_out()

            walk.sign_in("Mette Sørensen")
            walk.open(act.removeprefix(server.url), "Beslutningen, set af lederen")
            browser.find_element("id", "vurdering-1").click()
            browser.find_element("id", "tilbagemelding").send_keys("Godt set. Tag den op på tavlemødet.")
            walk.click("Send tilbagemelding")
            _wait(browser, lambda d: "Fagligt velbegrundet</strong>" in d.page_source)
            walk.check("Beslutningen, tilbagemelding givet")
            walk.sign_out()

            walk.sign_in("Kasper Nielsen")
            walk.open(act.removeprefix(server.url), "Beslutningen, set af en kollega")
            assert "fru Hansen" not in browser.page_source and "Det findes ikke" in browser.page_source
            assert not walk.problems, "\n".join(walk.problems)
    finally:
        server.stop()
