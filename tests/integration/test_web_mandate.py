"""Mit mandat, its print view and "Hvem kan beslutte?": the employee's mandate in Danish, through the
real app (the development login, the page door, services.checks.mandate and who_may)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

ERR = "... on Error { code field }"

ANNA, FATIMA, METTE = "anna.jensen@eksempel.dk", "fatima.ali@eksempel.dk", "mette.sorensen@eksempel.dk"
# Codes a page must never show a person.
CODES = ("act_as_hverdagsdirektoer", "leader_authority", "delegation_team", "be_informed", "co_decide",
         "report_afterwards", "seek_advice", "pre_approval", "level_capped", "care/alternative-solutions",
         "economy/purchase", "rest_hours", "extra_control", "None")


def main_of(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]


def text_of(html: str) -> str:
    """The page's main text as a reader sees it (tags out, spaces folded)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main_of(html))).replace(" .", ".")


def assert_no_codes(html: str) -> None:
    """No code in what the page shows (form values carry codes; a person does not see them)."""
    shown = re.sub(r' value="[^"]*"', "", main_of(html))
    for code in CODES:
        assert code not in shown, code


async def test_annas_mandate_shows_her_delegations_in_danish_with_red_lines_as_sentences(api):
    async with api.web(as_=ANNA) as web:
        response = await web.get("/mit-mandat")
    assert response.status_code == 200
    html, text = response.text, text_of(response.text)
    assert "<h1>Mit mandat</h1>" in html and html.count("<h1") == 1
    assert '<span class="level level-6"><b>6</b> Hverdagsdirektør</span>' in html
    assert '<span class="level level-7"><b>7</b> Fuld delegering</span>' in html
    assert "Alternative løsninger i borgerforløb" in text and "Plejecenter Solhaven – og underenheder" in text
    assert "Medarbejderen beslutter og kan bagefter begrunde sit valg fagligt; lederen spørger ind." in text
    # red lines as sentences in the area's own words, with their consequence
    assert "Skal gælde: beløb inkl. moms er højst 50.000 kr." in text
    assert "Skal gælde: samlet udgift inkl. moms er højst 2.000 kr." in text
    assert "Ellers: Aktiviteter, der koster mere end 2.000 kr., aftales med forstanderen" in text
    # what she owes and by when, who to ask, until when, where it comes from
    assert "Begrund dit valg fagligt – inden 5 dage" in text
    assert "Spørg Mette Sørensen" in text
    assert "Gælder indtil videre" in text and re.search(r"Gælder til og med \d+\. [a-zæøå]+ \d{4}", text)
    assert "Delegeret til dig" in text
    # the team delegation she holds through Aftenvagten, said of the team and naming it
    assert "Gennem teamet Aftenvagten: Teamet beslutter og kan bagefter begrunde valget fagligt." in text
    assert "Delegeret til dit team (Aftenvagten)" in text and "Spørg Maria Larsen" in text
    # what she decides herself comes first; the scale is credited
    assert text.index("Det beslutter du selv") < text.index("Vagtplanlægning")
    assert "Management 3.0" in text and "delegation poker" in text
    assert '<a class="button" href="/mit-mandat/print">Udskriv</a>' in html
    assert_no_codes(html)


async def test_fatimas_mandate_names_who_delegated_and_her_teams_red_line(api):
    async with api.web(as_=FATIMA) as web:
        response = await web.get("/mit-mandat")
    text = text_of(response.text)
    assert response.status_code == 200
    assert "Timeregistrering" in text and "Spørg Jens Poulsen" in text and "Ingen røde linjer" in text
    assert "Skal gælde: hviletid mellem to vagter for den berørte medarbejder er mindst 11 timer." in text
    assert "Begrund dit valg fagligt – inden 2 dage" in text
    assert_no_codes(response.text)


async def test_a_leader_sees_her_authority_for_the_whole_unit_and_whom_to_ask(api):
    async with api.web(as_=METTE) as web:
        response = await web.get("/mit-mandat")
    text = text_of(response.text)
    assert "Plejecenter Solhaven – for hele enheden" in text and "Som leder af enheden" in text
    assert "Undtagen Ansættelse og afsked" in text  # reserved to Center for Ældre og Pleje
    assert "Spørg Susanne Kjær" in text  # the leader above her, and the delegator of her purchasing
    # a red line on an area below the entry's names its area
    assert "Ændring af dosis: Beslutningen må aldrig træffes under en delegering." in text
    assert_no_codes(response.text)


async def test_a_temporary_effect_is_shown_with_its_end_and_nothing_more_of_the_breach(api):
    ids = await api.ids()
    until = datetime.now(timezone.utc) + timedelta(days=30)
    recorded = await api.gql("""mutation($i: RecordBreachInput!) { recordBreach(input: $i) { __typename
        ... on BreachPayload { breach { id } } %s } }""" % ERR, {"i": {
        "personId": ids.people["anna"], "areaId": ids.areas["care/alternative-solutions"],
        "unitId": ids.unit("Plejecenter Solhaven"), "occurredAt": (until - timedelta(days=31)).isoformat(),
        "description": "Fortroligt om forløbet", "cause": "COMPETENCE", "response": "EXTRA_CONTROL",
        "until": until.isoformat()}}, as_=METTE)
    assert recorded["recordBreach"]["__typename"] == "BreachPayload", recorded.data
    async with api.web(as_=ANNA) as web:
        response = await web.get("/mit-mandat")
    text = text_of(response.text)
    local = until.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Copenhagen"))
    from registry.web.render import MONTHS
    assert f"Dine beslutninger skal midlertidigt godkendes på forhånd – til og med {local.day}. " \
           f"{MONTHS[local.month - 1]} {local.year}" in text
    assert "Få undtagelser godkendt på forhånd" in text
    assert "Fortroligt" not in response.text and "Kompetence" not in text and "tillidsbrud" not in text.lower()


async def test_an_empty_mandate_is_explained_kindly(api):
    async with api.web(as_="emma.moller@eksempel.dk") as web:
        response = await web.get("/mit-mandat")
    assert response.status_code == 200
    assert "Du har ikke noget mandat registreret endnu." in text_of(response.text)
    assert "tag en snak med din leder" in text_of(response.text)


async def test_the_print_view_fits_the_tavlemoede_in_one_table(api):
    async with api.web(as_=ANNA) as web:
        response = await web.get("/mit-mandat/print")
    html, text = response.text, text_of(response.text)
    assert response.status_code == 200
    assert '<body class="print-view">' in html and html.count("<h1") == 1 and "Mit mandat – Anna Jensen" in text
    assert '<table class="mandate-print">' in html and html.count('<th scope="row">') == 5  # Aftenvagten's purchasing too
    assert '<span class="level level-6"><b>6</b> Hverdagsdirektør</span>' in html
    assert "Skal gælde: beløb inkl. moms er højst 50.000 kr." in text and "Gælder indtil videre" in text
    assert_no_codes(html)
    css = (await api.client.get("/static/registry.css")).text
    assert "body.print-view" in css[css.index("Employee pages"):]


async def test_the_mandate_pages_are_for_signed_in_people_only(api):
    async with api.web() as web:
        for path in ("/mit-mandat", "/mit-mandat/print", "/hvem-kan-beslutte"):
            response = await web.get(path)
            assert response.status_code == 302 and response.headers["location"].startswith("/log-ind"), path


async def test_who_may_decide_lists_the_delegates_and_the_leaders_with_their_level_and_basis(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    async with api.web(as_=FATIMA) as web:
        empty = await web.get("/hvem-kan-beslutte")
        query = urlencode({"omraade": "personnel/time-registration", "enhed": solhaven})
        response = await web.get(f"/hvem-kan-beslutte?{query}")
        alternative = await web.get("/hvem-kan-beslutte?" + urlencode({
            "omraade": "care/alternative-solutions", "enhed": solhaven, "attr.citizen_category": "aeldre",
            "attr.deviation": "ja"}))
        without = await web.get("/hvem-kan-beslutte?" + urlencode({"omraade": "care/alternative-solutions",
                                                                   "enhed": solhaven}))
    assert empty.status_code == 200 and "<h1>Hvem kan beslutte?</h1>" in empty.text
    assert '<label for="omraade">Beslutningsområde</label>' in empty.text
    assert re.search(r'<option value="care/alternative-solutions">\u2003Alternative løsninger', empty.text)
    assert re.search(r'<option value="[0-9a-f-]+">\u2003\u2003\u2003Plejecenter Solhaven</option>', empty.text)
    assert '<option value="act_as_hverdagsdirektoer" selected>Handle som hverdagsdirektør</option>' in empty.text
    text = text_of(response.text)
    assert response.status_code == 200
    assert "Handle som hverdagsdirektør: Timeregistrering i Plejecenter Solhaven" in text
    fatima = text[text.index("Fatima Ali"):]
    assert fatima.startswith("Fatima Ali 6 Hverdagsdirektør Medarbejderen beslutter og kan bagefter begrunde")
    assert "Delegeret · Bagefter: begrund dit valg fagligt" in fatima
    mette = text[text.index("Mette Sørensen"):]
    assert mette.startswith("Mette Sørensen 7 Fuld delegering") and "Leder af enheden" in mette
    assert "Anna Jensen" not in text
    assert "Anna Jensen 6 Hverdagsdirektør" in text_of(alternative.text)
    assert "Ingen må det her – måske fordi en rød linje eller en grænse afhænger af oplysninger" in text_of(without.text)
    assert_no_codes(response.text)


async def test_the_api_answers_with_the_danish_texts_next_to_the_codes(api):
    ids = await api.ids()
    mandate = (await api.gql("""query($p: String!) { mandate(person: $p) { basis basisLabelDa level levelShortDa
        levelLabelDa actions actionsDa } }""", {"p": ANNA}, as_=ANNA))["mandate"]
    hverdag = next(e for e in mandate if e["level"] == 6)
    assert hverdag["levelShortDa"] == "Hverdagsdirektør" and hverdag["basisLabelDa"] == "Delegeret til dig"
    assert hverdag["actionsDa"][hverdag["actions"].index("act_as_hverdagsdirektoer")] == "Handle som hverdagsdirektør"
    who = (await api.gql("""query($u: ID!) { whoMay(area: "personnel/time-registration", unit: $u,
        action: ACT_AS_HVERDAGSDIREKTOER) { people { basis basisLabelDa levelShortDa person { name } } } }""",
        {"u": ids.unit("Plejecenter Solhaven")}, as_=FATIMA))["whoMay"]["people"]
    by_name = {p["person"]["name"]: p for p in who}
    assert by_name["Fatima Ali"] == {"basis": "delegation", "basisLabelDa": "Delegeret",
                                     "levelShortDa": "Hverdagsdirektør", "person": {"name": "Fatima Ali"}}
    assert by_name["Mette Sørensen"]["basis"] == "leader_authority"
    assert by_name["Mette Sørensen"]["basisLabelDa"] == "Leder af enheden"


async def test_an_end_is_shown_as_the_last_day_it_covers(api):
    """A delegation "gyldig til og med 31. maj 2027" ends at midnight after that day; Mit mandat says
    the last day, as the board and the delegation's page do (it said 1. juni before)."""
    ids = await api.ids()
    declared = await api.gql("""mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(input: {areaId: $a,
        unitId: $u, delegatePersonId: $p, level: 6, validUntil: "2027-06-01T00:00:00+02:00"}) {
        __typename ... on DelegationPayload { delegation { id } } } }""", {"a": ids.areas["care/relatives"],
        "u": ids.unit("Plejecenter Solhaven"), "p": ids.people["fatima"]}, as_="mette.sorensen@eksempel.dk")
    assert declared["declareDelegation"]["__typename"] == "DelegationPayload"
    await api.accept(declared["declareDelegation"]["delegation"]["id"])  # Fatima takes it up (issue 12, part 1)
    async with api.web(as_="fatima.ali@eksempel.dk") as web:
        text = (await web.get("/mit-mandat")).text
    assert "Gælder til og med 31. maj 2027" in text and "1. juni 2027" not in text
