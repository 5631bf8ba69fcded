"""The frame explained and cleaned up (issue 12 part 3): red lines and control forms carry their why, red
lines a date to take them up again; control may come from the team itself (egenkontrol, kollegial
sparring), and a red line may be set politically, by a professional guideline or by an agreement."""

from datetime import date, timedelta

import pytest

from tests.support import snapshot

METTE = "mette.sorensen@eksempel.dk"
ANNA = "anna.jensen@eksempel.dk"
ADMIN = "jonas.kristensen@eksempel.dk"
ERR = "... on Error { code field message messageDa }"
CREATE = """mutation($i: CreateRedLineInput!) { createRedLine(input: $i) { __typename
    ... on RedLinePayload { redLine { id condition why reviewDate setBy setByDa } } %s } }""" % ERR
WHY = "Beboernes midler er ikke vores; købet skal kunne forklares for de pårørende."


def _line(ids, **over):
    return {"unitId": ids.unit("Plejecenter Solhaven"), "areaId": ids.areas["economy/purchase"],
            "condition": "on_contract", "consequence": "Køb uden for aftalerne aftales med lederen.",
            "setBy": "GUIDELINE", "why": WHY, "reviewDate": (date.today() + timedelta(days=20)).isoformat(), **over}


async def test_a_red_line_carries_its_why_a_date_to_take_it_up_again_and_who_set_it(api):
    ids = await api.ids()
    created = (await api.gql(CREATE, {"i": _line(ids)}, as_=METTE))["createRedLine"]
    assert created["__typename"] == "RedLinePayload", created
    line = created["redLine"]
    assert (line["why"], line["setBy"], line["setByDa"]) == (WHY, "GUIDELINE", "Faglig retningslinje eller instruks")
    assert line["reviewDate"] == (date.today() + timedelta(days=20)).isoformat()
    async with api.web(as_=METTE) as web:
        lines = await web.get(f"/roede-linjer?enhed={ids.unit('Plejecenter Solhaven')}")
        assert f"Hvorfor: {WHY}" in lines.text and "Tages op igen" in lines.text
        followup = await web.get("/opfoelgning")
        assert "Røde linjer, der skal tages op igen (1)" in followup.text
    async with api.web(as_=ANNA) as web:
        assert f"Hvorfor: {WHY}" in (await web.get("/mit-mandat")).text


async def test_a_line_decided_politically_is_kept_by_the_direktion_not_a_unit_leader(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    refused = (await api.gql(CREATE, {"i": _line(ids, setBy="POLITICAL")}, as_=METTE))["createRedLine"]
    assert (refused["__typename"], refused["code"]) == ("ForbiddenError", "red_line_set_above")
    assert await snapshot(api.db) == before
    allowed = (await api.gql(CREATE, {"i": _line(ids, setBy="POLITICAL")}, as_=ADMIN))["createRedLine"]
    assert allowed["redLine"]["setByDa"] == "Politisk besluttet"
    agreed = (await api.gql(CREATE, {"i": _line(ids, setBy="AGREEMENT", condition="amount <= 20000")},
                            as_=METTE))["createRedLine"]
    assert agreed["redLine"]["setByDa"] == "Aftale (overenskomst, MED, lokalaftale)"


@pytest.mark.parametrize("over, field, code", [
    ({"why": "x" * 2001}, "why", "too_long"),
    ({"reviewDate": "2300-01-01"}, "reviewDate", "date_out_of_range"),
])
async def test_a_bad_why_or_date_is_refused_and_writes_nothing(api, over, field, code):
    ids = await api.ids()
    before = await snapshot(api.db)
    refused = (await api.gql(CREATE, {"i": _line(ids, **over)}, as_=METTE))["createRedLine"]
    assert (refused["code"], refused["field"]) == (code, field), refused
    assert await snapshot(api.db) == before


async def test_control_may_come_from_the_team_and_says_why(api):
    ids = await api.ids()
    declared = (await api.gql("""mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) {
        __typename ... on DelegationPayload { delegation { id control { form formDa why } } } %s } }""" % ERR, {"i": {
        "delegateTeamId": ids.teams["Aftenvagten"], "areaId": ids.areas["care/activities"],
        "unitId": ids.unit("Plejecenter Solhaven"), "level": 6, "includeSubunits": False,
        "control": {"form": "PEER_SPARRING", "why": "I kender hinandens beboere bedst."}}},
        as_=METTE))["declareDelegation"]
    assert declared["__typename"] == "DelegationPayload", declared
    control = declared["delegation"]["control"]
    assert (control["form"], control["formDa"], control["why"]) == ("PEER_SPARRING", "Kollegial sparring",
                                                                      "I kender hinandens beboere bedst.")
    async with api.web(as_=METTE) as web:
        page = await web.get(f"/delegeringer/{declared['delegation']['id']}")
        assert "Kollegial sparring" in page.text and "Hvorfor: I kender hinandens beboere bedst." in page.text


async def test_a_leader_writes_a_red_lines_why_and_date_on_the_form(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    async with api.web(as_=METTE) as web:
        form = await web.get(f"/roede-linjer/ny?enhed={solhaven}")
        assert 'name="hvorfor"' in form.text and 'value="guideline"' in form.text
        saved = await web.post("/roede-linjer/ny", {
            "enhed": solhaven, "omraade": ids.areas["economy/purchase"], "egenskab": "on_contract",
            "sammenligning": "==", "vaerdi": "ja", "konsekvens": "Aftal det med lederen.", "sat_af": "agreement",
            "hvorfor": "Det står i lokalaftalen.", "opfoelgning": (date.today() + timedelta(days=90)).isoformat()})
        assert saved.status_code == 303, saved.text[:300]
    lines = (await api.gql("query($u: ID!) { redLinesInForce(unitId: $u) { why setBy reviewDate } }",
                           {"u": solhaven}, as_=METTE))["redLinesInForce"]
    assert {"why": "Det står i lokalaftalen.", "setBy": "AGREEMENT",
            "reviewDate": (date.today() + timedelta(days=90)).isoformat()} in lines
