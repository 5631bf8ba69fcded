"""The leader's delegation board (delegeringstavle) in the web app: the board, declaring, adjusting and
ending a delegation, one delegation's page, and red lines; all through the real app as a browser
would, in Danish. Plus the Danish words next to the codes in GraphQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from registry import texts
from tests.support import snapshot

METTE, ANNA, FATIMA = "mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk", "fatima.ali@eksempel.dk"


async def _delegation(api, person: str, area: str) -> dict:
    ids = await api.ids()
    found = (await api.gql("""query($p: ID!, $a: ID!) { delegations(filter: {delegatePersonId: $p, areaId: $a}) {
        nodes { id version level status } } }""", {"p": ids.people[person], "a": ids.areas[area]}, as_=METTE))
    [node] = [n for n in found["delegations"]["nodes"] if n["status"] != "REVOKED"]
    return node


def _declaration(ids, **changes) -> dict:
    form = {"enhed": ids.unit("Plejecenter Solhaven"), "modtager": ids.people["fatima"],
            "omraade": ids.areas["care/activities"], "niveau": "5", "formaal": "Fatima planlægger fredagscaféen.",
            "spilleregler": "Hold dig inden for aktivitetskontoen.\nFortæl det på tavlemødet.",
            "kontrol": "periodic_review", "kadence": "monthly", "frist": "5", "kompetence": "high",
            "kompetence_note": "Har stået for caféen før.", "gyldig_fra": "", "gyldig_til": "", "opfoelgning": ""}
    return {**form, **changes}


async def test_the_board_shows_the_units_delegations_as_number_and_danish_short_name(api):
    ids = await api.ids()
    anna_alt = await _delegation(api, "anna", "care/alternative-solutions")
    async with api.web(as_=METTE) as web:
        page = await web.get("/tavle")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Delegeringstavle: Plejecenter Solhaven</h1>" in html
    assert '<div class="table-wrap">' in html and '<th scope="col">Anna Jensen</th>' in html
    assert "Aftenvagten" in html and 'scope="row"' in html
    assert f'<a href="/delegeringer/{anna_alt["id"]}"><span class="level level-6"><b>6</b> Hverdagsdirektør</span>' in html
    assert '<span class="level level-7"><b>7</b> Fuld delegering</span>' in html
    assert "Forbeholdt – kan ikke delegeres her" in html  # hiring is reserved in Center for Ældre og Pleje
    # an empty cell offers the declare form, prefilled
    assert (f'/delegeringer/ny?enhed={ids.unit("Plejecenter Solhaven")}&amp;omraade={ids.areas["care/activities"]}'
            f'&amp;modtager={ids.people["fatima"]}') in html
    assert "delegation poker" in html and "Management 3.0" in html
    assert f'href="/roede-linjer?enhed={ids.unit("Plejecenter Solhaven")}"' in html
    # both of her units can be chosen
    assert 'name="enhed"' in html and "Demensafsnittet Kastanjen" in html


async def test_a_cell_says_when_the_delegation_runs_out_or_its_review_is_overdue(api, clock):
    async with api.web(as_=METTE) as web:
        board = (await web.get("/tavle")).text.split("<table")[1]
        assert "flag warn" not in board and "flag bad" not in board
        clock.value = datetime.now(timezone.utc) + timedelta(days=140)  # Anna's purchasing ends in 150 days
        html = (await web.get("/tavle")).text
    assert re.search(r'<span class="flag warn">Udløber \d+\. \w+</span>', html)
    assert '<span class="flag bad">Opfølgning forfalden</span>' in html


async def test_mette_declares_a_delegation_to_fatima_from_the_form(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    async with api.web(as_=METTE) as web:
        form = await web.get(f"/delegeringer/ny?enhed={solhaven}&omraade={ids.areas['care/activities']}"
                             f"&modtager={ids.people['fatima']}")
        assert form.status_code == 200
        assert f'<option value="{ids.people["fatima"]}" selected>Fatima Ali</option>' in form.text
        assert "<legend>Delegeringsniveau</legend>" in form.text and "Orientering bagefter" in form.text
        assert 'for="niveau-6"' in form.text and "Hverdagsdirektør" in form.text
        saved = await web.post("/delegeringer/ny", _declaration(ids))
        assert saved.status_code == 303, saved.text
        location = saved.headers["location"]
        assert re.fullmatch(r"/delegeringer/[0-9a-f-]{36}\?gemt=1", location)
        shown = await web.get(location)
        assert shown.status_code == 200 and 'role="status"' in shown.text and "Delegeringen er gemt" in shown.text
        assert "Fatima planlægger fredagscaféen." in shown.text and "Løbende opfølgning, månedlig" in shown.text
        assert "Har stået for caféen før." in shown.text  # Mette, the delegator, reads the trust notes
        board = (await web.get(f"/tavle?enhed={solhaven}")).text
    new_id = location.split("/")[2].split("?")[0]
    assert f'<a href="/delegeringer/{new_id}"><span class="level level-5"><b>5</b> Rådgivning</span>' in board
    found = await _delegation(api, "fatima", "care/activities")
    assert found["id"] == new_id and found["level"] == 5


async def test_a_refused_declaration_shows_the_danish_message_at_the_field_and_writes_nothing(api):
    ids = await api.ids()
    async with api.web(as_=METTE) as web:
        await web.get("/tavle")
        before = await snapshot(api.db)
        refused = await web.post("/delegeringer/ny", _declaration(ids, gyldig_fra="2027-03-15", gyldig_til="2027-03-01"))
        assert await snapshot(api.db) == before
    assert refused.status_code == 400
    message = texts.ERRORS_DA["invalid_validity"]
    assert f'<p class="notice error" role="alert">{message}</p>' in refused.text
    assert f'<p class="field-error" id="fejl-gyldig_til">{message}</p>' in refused.text
    assert 'aria-describedby="fejl-gyldig_til"' in refused.text
    assert "Fatima planlægger fredagscaféen." in refused.text and 'value="2027-03-01"' in refused.text


async def test_adjusting_makes_a_new_version_and_a_stale_form_is_told_of_the_conflict(api):
    ids = await api.ids()
    async with api.web(as_=METTE) as web:
        saved = await web.post("/delegeringer/ny", _declaration(ids))
        page_path = saved.headers["location"].split("?")[0]
        page = await web.get(page_path)
        assert "Justér delegeringen" in page.text and 'name="version" value="1"' in page.text
        adjusted = await web.post(f"{page_path}/juster", {**_declaration(ids), "niveau": "6", "version": "1"})
        assert adjusted.status_code == 303 and adjusted.headers["location"].endswith("?gemt=justeret")
        shown = (await web.get(adjusted.headers["location"])).text
        assert "en ny version er gemt" in shown and "Version 2" in shown and "Version 1" in shown
        assert '<span class="level level-6"><b>6</b> Hverdagsdirektør</span>' in shown
        unchanged = await web.post(f"{page_path}/juster", {**_declaration(ids), "niveau": "6", "version": "2"})
        assert unchanged.headers["location"].endswith("?gemt=uaendret")
        assert "ingen ny version" in (await web.get(unchanged.headers["location"])).text
        before = await snapshot(api.db)
        stale = await web.post(f"{page_path}/juster", {**_declaration(ids), "niveau": "7", "version": "1"})
        assert await snapshot(api.db) == before
    assert stale.status_code == 409 and texts.ERRORS_DA["conflict"] in stale.text
    found = await _delegation(api, "fatima", "care/activities")
    assert (found["version"], found["level"]) == (2, 6)


async def test_ending_a_delegation_revokes_it(api):
    anna_activities = await _delegation(api, "anna", "care/activities")
    async with api.web(as_=METTE) as web:
        path = f"/delegeringer/{anna_activities['id']}"
        await web.get(path)
        without_reason = await web.post(f"{path}/afslut", {"version": str(anna_activities["version"])})
        assert without_reason.status_code == 400 and 'id="fejl-begrundelse"' in without_reason.text
        ended = await web.post(f"{path}/afslut", {"version": str(anna_activities["version"]),
                                                  "begrundelse": "Aktiviteterne samles hos aktivitetsmedarbejderen."})
        assert ended.status_code == 303
        shown = (await web.get(ended.headers["location"])).text
    assert "Delegeringen er afsluttet" in shown and "Trukket tilbage" in shown and "Justér delegeringen" not in shown
    status = (await api.gql("query($id: ID!) { delegation(id: $id) { status revokedReason } }",
                            {"id": anna_activities["id"]}, as_=METTE))["delegation"]
    assert status == {"status": "REVOKED", "revokedReason": "Aktiviteterne samles hos aktivitetsmedarbejderen."}


async def test_an_employee_has_no_board_and_cannot_declare_for_solhaven(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    async with api.web(as_=ANNA) as web:
        own = await web.get("/tavle")
        assert own.status_code == 200 and "har ingen delegeringstavle" in own.text and "<table" not in own.text
        other = await web.get(f"/tavle?enhed={solhaven}")
        assert other.status_code == 403 and "<table" not in other.text and "Det kan kun enhedens leder." in other.text
        before = await snapshot(api.db)
        refused = await web.post("/delegeringer/ny", _declaration(ids))
        assert await snapshot(api.db) == before
    assert refused.status_code == 403
    assert texts.ERRORS_DA["not_authorised_to_delegate"] in refused.text


async def test_the_delegate_reads_her_delegation_and_a_colleague_reads_it_without_the_trust_notes(api):
    anna_alt = await _delegation(api, "anna", "care/alternative-solutions")
    path = f"/delegeringer/{anna_alt['id']}"
    async with api.web(as_=ANNA) as web:
        own = await web.get(path)
        assert own.status_code == 200
        assert "Medarbejderen beslutter og kan bagefter begrunde sit valg fagligt" in own.text
        assert "Erfaren social- og sundhedsassistent" in own.text  # her own trust notes
        assert "Justér delegeringen" not in own.text and "/afslut" not in own.text
        before = await snapshot(api.db)
        refused = await web.post(f"{path}/juster", {"niveau": "7", "version": str(anna_alt["version"])})
        assert refused.status_code == 403 and await snapshot(api.db) == before
    async with api.web(as_=FATIMA) as web:
        colleague = await web.get(path)
    assert colleague.status_code == 200 and "Erfaren social- og sundhedsassistent" not in colleague.text
    assert "Kalkuleret tillid" not in colleague.text


async def test_the_red_lines_read_as_sentences_with_who_set_them_and_where(api):
    ids = await api.ids()
    async with api.web(as_=METTE) as web:
        page = await web.get(f"/roede-linjer?enhed={ids.unit('Plejecenter Solhaven')}")
    assert page.status_code == 200
    html = page.text
    assert "Skal gælde: hviletid mellem to vagter for den berørte medarbejder er mindst 11 timer." in html
    assert "Skal gælde: beløb inkl. moms er højst 50.000 kr." in html
    assert "Sat højere oppe (Direktionen)" in html and "Sat højere oppe (Social- og Sundhedsforvaltningen)" in html
    assert "Sat af: Lovgivning" in html and "Sat af: Forvaltning" in html
    assert texts.PROHIBITION_DA in html
    assert "rest_hours" not in html


async def test_mette_adds_her_own_red_line_with_the_builder_and_a_bad_one_is_refused(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    async with api.web(as_=METTE) as web:
        form = await web.get(f"/roede-linjer/ny?enhed={solhaven}")
        assert form.status_code == 200 and "Avanceret betingelse" in form.text and "Samlet udgift inkl. moms" in form.text
        before = await snapshot(api.db)
        bad = await web.post("/roede-linjer/ny", {"enhed": solhaven, "omraade": ids.areas["care/activities"],
                                                  "slags": "avanceret", "betingelse": "cost <=", "konsekvens": "Nej.",
                                                  "sat_af": "leader"})
        assert bad.status_code == 400 and texts.ERRORS_DA["invalid_condition"] in bad.text
        assert 'id="fejl-betingelse"' in bad.text and await snapshot(api.db) == before
        added = await web.post("/roede-linjer/ny", {
            "enhed": solhaven, "omraade": ids.areas["care/activities"], "slags": "simpel", "egenskab": "cost",
            "sammenligning": "<=", "vaerdi": "2.000", "sat_af": "leader",
            "konsekvens": "Større aktiviteter aftales med forstanderen, så aktivitetskontoen rækker året ud."})
        assert added.status_code == 303
        page = (await web.get(added.headers["location"])).text
    assert "Den røde linje er gemt" in page
    assert "Skal gælde: samlet udgift inkl. moms er højst 2.000 kr." in page
    assert "Sat af: Leder · Sat i Plejecenter Solhaven" in page
    lines = (await api.gql("query($u: ID!) { redLinesInForce(unitId: $u) { condition setBy } }", {"u": solhaven},
                           as_=METTE))["redLinesInForce"]
    assert {"condition": "cost <= 2000", "setBy": "LEADER"} in lines


async def test_graphql_answers_carry_the_danish_words_next_to_the_codes(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    anna_alt = await _delegation(api, "anna", "care/alternative-solutions")
    delegation = (await api.gql("""query($id: ID!) { delegation(id: $id) { control { form formDa cadence cadenceDa }
        trust { competence { assessment assessmentDa } } unit { kind kindDa } } }""", {"id": anna_alt["id"]},
                                as_=METTE))["delegation"]
    assert delegation["control"] == {"form": "REPORT_AFTERWARDS", "formDa": "Orientering bagefter",
                                     "cadence": "MONTHLY", "cadenceDa": "månedlig"}
    assert delegation["trust"]["competence"] == {"assessment": "HIGH", "assessmentDa": "Høj"}
    assert delegation["unit"] == {"kind": "UNIT", "kindDa": "Enhed/institution"}
    lines = (await api.gql("query($u: ID!) { redLinesInForce(unitId: $u) { condition setBy setByDa conditionDa } }",
                           {"u": solhaven}, as_=ANNA))["redLinesInForce"]
    rest = next(r for r in lines if r["condition"] == "rest_hours >= 11")
    assert rest["setByDa"] == "Lovgivning"
    assert rest["conditionDa"] == "Skal gælde: hviletid mellem to vagter for den berørte medarbejder er mindst 11 timer."
    assert all(r["setByDa"] == texts.SET_BY_DA[r["setBy"].lower()] for r in lines)


async def test_an_unknown_or_malformed_delegation_id_is_a_danish_not_found_page(api):
    async with api.web(as_=ANNA) as web:
        for path in ("/delegeringer/00000000-0000-4000-8000-000000000000", "/delegeringer/ikke-et-id"):
            page = await web.get(path)
            assert page.status_code == 404 and texts.ERRORS_DA["not_found"] in page.text, path


async def test_a_deputy_who_may_delegate_has_the_units_board(api):
    async with api.web(as_="jens.poulsen@eksempel.dk") as web:
        page = await web.get("/tavle")
    assert page.status_code == 200 and "<h1>Delegeringstavle: Plejecenter Solhaven</h1>" in page.text
    assert '<th scope="col">Anna Jensen</th>' in page.text
    assert '<th scope="col">Mette Sørensen</th>' not in page.text  # the unit's leader holds its decisions already
    assert '<th scope="col">Jens Poulsen</th>' not in page.text  # nor is the reader a column


async def test_the_board_reads_as_a_plain_list_too(api):
    anna_alt = await _delegation(api, "anna", "care/alternative-solutions")
    async with api.web(as_=METTE) as web:
        page = await web.get("/tavle?visning=liste")
    assert page.status_code == 200 and "<table" not in page.text and "Vis tavlen som tabel" in page.text
    assert (f'Anna Jensen: <a href="/delegeringer/{anna_alt["id"]}"><span class="level level-6"><b>6</b> '
            "Hverdagsdirektør</span>") in page.text
    assert "Aftenvagten (team)" in page.text


async def test_a_builder_value_with_a_quote_is_refused_not_read_as_more_condition(api):
    """The condition language has no escapes: "x' or citizen_category == 'y" would have become an OR
    condition (found by the second review)."""
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    async with api.web(as_=METTE) as web:
        await web.get(f"/roede-linjer/ny?enhed={solhaven}")
        before = await snapshot(api.db)
        refused = await web.post("/roede-linjer/ny", {
            "enhed": solhaven, "omraade": ids.areas["care/alternative-solutions"], "slags": "simpel",
            "egenskab": "citizen_category", "sammenligning": "!=", "vaerdi": "x' or citizen_category == 'y",
            "sat_af": "leader", "konsekvens": "Nej."})
        assert refused.status_code == 400 and texts.ERRORS_DA["invalid_condition"] in refused.text
        assert await snapshot(api.db) == before
