"""The web app as its people use it, in real headless Chromium against a real server, with axe-core's
WCAG 2.1 A/AA rules on every page shown (0 violations):

* Mette (leader of Plejecenter Solhaven) declares a delegation to Fatima from the delegation board;
  Fatima sees it in Mit mandat on a 360 px wide phone; Anna records an act as hverdagsdirektør and
  justifies it; Mette finds it in her follow-up list and gives feedback; a colleague who opens Anna's
  act by its address is refused. On the way, Mette's other pages (red lines, trust breaches,
  stand-ins, the review form, "Hvem kan beslutte?") are checked too.
* Signing in through a real OpenID Connect provider (oidc-provider-mock) in the browser.

The board, Mit mandat on a phone and the follow-up list are photographed for the README
(REGISTRY_UPDATE_SCREENSHOTS=1 writes them into docs/screenshots).
"""

from __future__ import annotations

import httpx
import pytest

from tests.browser import DESKTOP, PHONE, Walk, chromium, screenshot
from tests.conftest import JWT_SECRET
from tests.support import Server, oidc_provider


async def _server(dsn: str, **env) -> Server:
    server = Server(dsn, **env)
    async with httpx.AsyncClient() as client:
        await server.ready(client)
    return server


async def test_a_delegation_goes_from_the_board_to_the_phone_and_the_act_comes_back(demo_dsn):
    from selenium.webdriver.support.ui import Select

    server = await _server(demo_dsn)
    try:
        # Mette declares a delegation to Fatima from the board.
        with chromium(DESKTOP) as browser:
            mette = Walk(browser, server.url)
            mette.sign_in("Mette Sørensen")
            mette.check("Forside")
            mette.click(mette.link("Delegeringstavle"), "Delegeringstavle")
            assert "Plejecenter Solhaven" in mette.text() and "Hverdagsdirektør" in mette.text()
            screenshot(browser, "delegeringstavle")
            empty = browser.find_element(
                "xpath", "//a[starts-with(normalize-space(.), 'Delegér') and contains(., 'til Fatima Ali')]")
            # "Delegér <area> til Fatima Ali": the area and the person are there for screen readers.
            area = empty.get_attribute("textContent").split("Delegér", 1)[1].rsplit(" til Fatima Ali", 1)[0].strip()
            mette.click(empty, "Ny delegering")
            browser.find_element("id", "niveau-6").click()
            browser.find_element("id", "formaal").send_keys("Fatima kender beboerne og kan træffe valget i situationen.")
            browser.find_element("id", "spilleregler").send_keys("Drøft det på næste tavlemøde\nSpørg, hvis du er i tvivl")
            mette.click(mette.button("Gem delegeringen"), "Delegeringen, gemt")
            assert "gemt=1" in browser.current_url and "Fatima Ali" in mette.text() and area in mette.text()
            delegation = browser.current_url.split("?")[0].removeprefix(server.url)

            # The leader's other pages, each checked by axe.
            mette.open(delegation, "Delegeringen")
            mette.open("/tavle", "Delegeringstavle igen")
            assert "Fatima Ali" in mette.text()
            # Anna's purchasing carries a limit (#11): marked on the board; its page and the adjust form's builder.
            assert "med grænser" in mette.text()
            mette.click(mette.link("Indkøb, Anna Jensen"), "Delegering med en grænse")
            assert "Op til 10.000 kr. pr. indkøb" in mette.text()
            assert browser.find_element("id", "graense-1-vaerdi").get_attribute("value") == "10.000"
            mette.open("/hvem-kan-beslutte?omraade=economy/purchase&enhed=LOS-2110&attr.amount=7.000",
                       "Hvem kan beslutte? Med et beløb")
            assert "Grænser: Op til 10.000 kr. pr. indkøb" in mette.text()
            mette.open("/tavle", "Delegeringstavle igen igen")
            mette.click(mette.link("Røde linjer for"), "Røde linjer")
            assert "Skal gælde:" in mette.text() and "Sat højere oppe" in mette.text()
            mette.open("/roede-linjer/ny", "Ny rød linje")
            mette.open("/opfoelgning", "Opfølgning")
            mette.open("/tillidsbrud", "Tillidsbrud")
            mette.open("/tillidsbrud/ny", "Nyt tillidsbrud")
            mette.open("/stedfortraedere/ny", "Ny stedfortræder")
            mette.open(f"{delegation}/opfoelgning", "Opfølgning på delegeringen")
            mette.open("/hvem-kan-beslutte", "Hvem kan beslutte?")
            mette.open("/mail-indstillinger", "Mails fra registret")
            mette.open("/mit-mandat", "Mit mandat (leder)")
            mette.assert_clean()

        # Fatima sees it in Mit mandat on her phone.
        with chromium(PHONE) as browser:
            fatima = Walk(browser, server.url, PHONE[0])
            fatima.sign_in("Fatima Ali")
            fatima.click(fatima.link("Mit mandat"), "Mit mandat på en telefon")
            text = fatima.text()
            assert area in text and "Hverdagsdirektør" in text, text
            assert "Medarbejderen beslutter og kan bagefter begrunde sit valg fagligt" in text
            screenshot(browser, "mit-mandat-telefon", max_height=1500)
            fatima.assert_clean()

        # Anna records an act as hverdagsdirektør on her phone, and justifies it.
        with chromium(PHONE) as browser:
            anna = Walk(browser, server.url, PHONE[0])
            anna.sign_in("Anna Jensen")
            anna.click(anna.link("Mine handlinger"), "Mine handlinger")
            anna.click(anna.link("Registrér en beslutning"), "Registrér en beslutning")
            Select(browser.find_element("id", "omraade-valg")).select_by_value("care/alternative-solutions")
            anna.click(anna.button("Videre"), "Registrér en beslutning, område valgt")
            Select(browser.find_element("id", "enhed")).select_by_visible_text("Plejecenter Solhaven")
            browser.find_element("id", "beskrivelse").send_keys(
                "Jeg valgte en anden løsning, fordi fru Hansen var urolig: vi gik en tur i haven før badet.")
            browser.find_element("id", "sag").send_keys("Bad og gåtur")
            browser.find_element("id", "attr-deviation-ja").click()
            Select(browser.find_element("id", "attr-citizen-category")).select_by_value("aeldre")
            anna.click(anna.button("Registrér beslutningen"), "Beslutningen, registreret")
            assert "gemt=1" in browser.current_url, anna.text()
            act = browser.current_url.split("?")[0].removeprefix(server.url)
            browser.find_element("id", "begrundelse").send_keys("Hun faldt til ro, og badet gik godt bagefter.")
            anna.click(anna.button("Gem begrundelsen"), "Beslutningen, begrundet")
            assert "Hun faldt til ro" in anna.text()
            anna.open("/mit-mandat", "Mit mandat med grænser")
            assert "Op til 10.000 kr. pr. indkøb" in anna.text()
            anna.assert_clean()

        # Mette finds it in her follow-up list and gives feedback.
        with chromium(DESKTOP) as browser:
            mette = Walk(browser, server.url)
            mette.sign_in("Mette Sørensen")
            mette.click(mette.link("Opfølgning"), "Opfølgning med en begrundelse")
            assert "Bad og gåtur" in mette.text()
            screenshot(browser, "opfoelgning")
            mette.click(mette.link("Giv tilbagemelding på Bad og gåtur"), "Beslutningen, set af lederen")
            assert browser.current_url.removeprefix(server.url).startswith(act)
            browser.find_element("id", "vurdering-1").click()
            browser.find_element("id", "tilbagemelding").send_keys("Godt set. Tag den op på tavlemødet.")
            mette.click(mette.button("Send tilbagemelding"), "Beslutningen, tilbagemelding givet")
            assert "Fagligt velbegrundet" in mette.text()
            mette.assert_clean()

        # Anna reads the feedback; Kasper, a colleague, is refused on the act's address.
        with chromium(PHONE) as browser:
            anna = Walk(browser, server.url, PHONE[0])
            anna.sign_in("Anna Jensen")
            anna.open(act, "Beslutningen med tilbagemelding")
            assert "Godt set. Tag den op på tavlemødet." in anna.text()
            anna.sign_out()
            anna.sign_in("Kasper Nielsen")
            anna.open(act, "Beslutningen, set af en kollega")
            assert "fru Hansen" not in browser.page_source and "Bad og gåtur" not in browser.page_source
            assert "Det findes ikke" in anna.text()
            anna.assert_clean()
    finally:
        server.stop()




@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_signing_in_through_the_organisations_identity_provider_in_a_browser(demo_dsn):
    with oidc_provider() as issuer:
        server = await _server(demo_dsn, REGISTRY_MODE="production", REGISTRY_JWT_SECRET=JWT_SECRET,
                               REGISTRY_SESSION_SECRET="s" * 40, REGISTRY_SESSION_SECURE="0",
                               REGISTRY_OIDC_ISSUER=issuer, REGISTRY_OIDC_CLIENT_ID="registry",
                               REGISTRY_OIDC_CLIENT_SECRET="registry-secret", REGISTRY_OIDC_TENANT="eksempel")
        try:
            with chromium(DESKTOP) as browser:
                walk = Walk(browser, server.url)
                walk.open("/mit-mandat", "Log ind (produktion)")
                assert "/log-ind" in browser.current_url and "Log ind som" not in browser.page_source
                walk.click(walk.link("Log ind med din arbejdskonto"))
                assert browser.current_url.startswith(issuer)  # the provider's own page
                browser.find_element("css selector", "input[name=sub]:not([type=hidden])").send_keys(
                    "mette.sorensen@eksempel.dk")
                walk.click(walk.button("Authorize"), "Mit mandat efter login")
                assert browser.current_url == f"{server.url}/mit-mandat", browser.current_url
                assert "Mette Sørensen" in browser.find_element("tag name", "header").text
                walk.assert_clean()
        finally:
            server.stop()
