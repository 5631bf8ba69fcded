"""The leader's card (issue 12, part 4) in real headless Chromium, with axe-core's WCAG 2.1 A/AA rules
on every page shown: Mette opens Anna's delegation of alternative solutions (the demo's card is
there), sends the form empty (the Danish errors at their fields), draws the card, and sees the count
on her follow-up page; Anna reads it on Mit mandat on a 360 px wide phone."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.browser import DESKTOP, PHONE, Walk, chromium
from tests.support import Server


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_the_leader_draws_the_card_in_a_browser_and_anna_reads_it_on_her_phone(demo_dsn):
    conn = await asyncpg.connect(demo_dsn)
    try:
        delegation = await conn.fetchval(
            """SELECT d.id FROM delegation d JOIN person p ON p.id = d.delegate_person_id
               JOIN decision_area a ON a.id = d.area_id
               WHERE p.external_id = 'anna.jensen@eksempel.dk' AND a.key = 'care/alternative-solutions'""")
    finally:
        await conn.close()
    server = Server(demo_dsn)
    async with httpx.AsyncClient() as client:
        await server.ready(client)
    try:
        with chromium(DESKTOP) as browser:
            mette = Walk(browser, server.url)
            mette.sign_in("Mette Sørensen")
            mette.open(f"/delegeringer/{delegation}", "Delegeringen med lederkortet")
            assert "Lederen har trukket lederkortet" in mette.text() and "lejlighed 14" in mette.text()
            mette.click(mette.button("Træk lederkortet"), "Lederkortet, tomt")
            assert "Feltet skal udfyldes." in mette.text()
            browser.find_element("id", "besluttet").send_keys("Turen til stranden flyttes til fredag.")
            browser.find_element("id", "hvorfor").send_keys("Der er kun én voksen på vagt torsdag.")
            mette.click(mette.button("Træk lederkortet"), "Lederkortet, trukket")
            assert "Lederkortet er registreret. Delegeringen er uændret." in mette.text()
            assert "Turen til stranden flyttes til fredag." in mette.text()
            mette.open("/opfoelgning", "Opfølgning med lederkort")
            assert "Lederkortet er trukket 2 gange de seneste 90 dage." in mette.text()
            mette.assert_clean()
        with chromium(PHONE) as browser:
            anna = Walk(browser, server.url, PHONE[0])
            anna.sign_in("Anna Jensen")
            anna.open("/mit-mandat", "Mit mandat med lederkortet")
            assert "Lederen har trukket lederkortet" in anna.text()
            assert "Turen til stranden flyttes til fredag." in anna.text()
            anna.open(f"/delegeringer/{delegation}", "Delegeringen, set af Anna")
            assert "Træk lederkortet" not in anna.text()
            anna.assert_clean()
    finally:
        server.stop()
