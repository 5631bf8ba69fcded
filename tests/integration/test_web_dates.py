"""Dates no one means (year 1, 9999-12-31) are refused with `date_out_of_range` wherever a date is
taken, on the pages and in GraphQL alike, and nothing is written: before, 9999-12-31 became
PostgreSQL's `infinity` and broke the delegation's page and history for everyone, and year 1
overflowed at the first time-zone shift (found by the second review)."""

from __future__ import annotations

from tests.support import snapshot

METTE = "mette.sorensen@eksempel.dk"
FAR = ("9999-12-31", "0001-01-01", "2200-01-01", "1899-12-31")


async def test_the_declare_form_refuses_dates_no_one_means(api):
    ids = await api.ids()
    async with api.web(as_=METTE) as web:
        for field in ("gyldig_til", "opfoelgning", "gyldig_fra"):
            for day in FAR:
                before = await snapshot(api.db)
                response = await web.post("/delegeringer/ny", {
                    "enhed": ids.unit("Plejecenter Solhaven"), "omraade": ids.areas["care/relatives"],
                    "modtager": ids.people["fatima"], "niveau": "5", "formaal": "Test", field: day})
                assert response.status_code == 400, (field, day, response.status_code)
                assert "Datoen skal ligge mellem år 1900 og 2199." in response.text
                assert await snapshot(api.db) == before


async def test_the_stand_in_breach_and_act_forms_refuse_them_too(api):
    ids = await api.ids()
    async with api.web(as_=METTE) as web:
        before = await snapshot(api.db)
        stand_in = await web.post("/stedfortraedere/ny", {"unit": ids.unit("Plejecenter Solhaven"),
                                                          "stand_in": ids.people["maria"], "valid_from": "2026-12-01",
                                                          "valid_until": "9999-12-31"})
        assert stand_in.status_code == 400 and "Datoen skal ligge mellem år 1900 og 2199." in stand_in.text
        assert await snapshot(api.db) == before
    async with api.web(as_="anna.jensen@eksempel.dk") as web:
        act = await web.post("/handlinger/ny", {"omraade": "care/alternative-solutions",
                                                "enhed": ids.unit("Plejecenter Solhaven"), "beskrivelse": "x",
                                                "sag": "x", "dato": "0001-01-01", "tid": "00:00"})
        assert act.status_code == 400 and "500" not in str(act.status_code)
        assert await snapshot(api.db) == before


async def test_graphql_refuses_them_with_the_same_code(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    declared = await api.gql("""mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(input: {areaId: $a,
        unitId: $u, delegatePersonId: $p, level: 5, reviewDate: "9999-12-31"}) {
        __typename ... on Error { code field messageDa } } }""",
        {"a": ids.areas["care/relatives"], "u": ids.unit("Plejecenter Solhaven"), "p": ids.people["fatima"]},
        as_=METTE)
    assert declared["declareDelegation"] == {"__typename": "InvalidInputError", "code": "date_out_of_range",
                                             "field": "reviewDate",
                                             "messageDa": "Datoen skal ligge mellem år 1900 og 2199."}
    assert await snapshot(api.db) == before
