"""A planned step of trust (tillidsskridt, issue 12 part 7): "niveau 6 fra 1. juni, hvis gennemgangen er
positiv". It is shown where the delegation is (GraphQL, the delegation's page, Mit mandat, the leader's
follow-up list at the review); it never raises the level by itself."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.support import snapshot

METTE = "mette.sorensen@eksempel.dk"
FATIMA = "fatima.ali@eksempel.dk"
ERR = "... on Error { code field message messageDa }"
DECLARE = """mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) { __typename
    ... on DelegationPayload { delegation { id version level nextStep { level fromDate note levelShortDa textDa } } }
    %s } }""" % ERR
AMEND = """mutation($id: ID!, $v: Int!, $i: AmendDelegationInput!) { amendDelegation(id: $id, version: $v, input: $i) {
    __typename ... on DelegationPayload { delegation { id version level nextStep { level textDa } } } %s } }""" % ERR
CHECK = """query($i: CheckInput!) { check(input: $i) { decision reason level } }"""


def _today():
    return datetime.now(timezone.utc).date()


def _input(ids, **over):
    return {"delegatePersonId": ids.people["fatima"], "areaId": ids.areas["care/relatives"],
            "unitId": ids.unit("Plejecenter Solhaven"), "level": 5,
            "reviewDate": (_today() + timedelta(days=10)).isoformat(), **over}


async def _declare(api, ids, step):
    result = (await api.gql(DECLARE, {"i": _input(ids, nextStep=step)}, as_=METTE))["declareDelegation"]
    assert result["__typename"] == "DelegationPayload", result
    await api.accept(result["delegation"]["id"])  # Fatima takes it up (issue 12, part 1): a new version
    return {**result["delegation"], "version": result["delegation"]["version"] + 1}


async def test_a_leader_plans_a_step_of_trust_and_it_reads_in_danish(api):
    ids = await api.ids()
    june = _today() + timedelta(days=60)
    d = await _declare(api, ids, {"level": 6, "fromDate": june.isoformat(), "note": "Hvis gennemgangen er positiv."})
    step = d["nextStep"]
    assert (step["level"], step["fromDate"], step["levelShortDa"]) == (6, june.isoformat(), "Hverdagsdirektør")
    assert step["textDa"].startswith("Næste tillidsskridt: niveau 6 (Hverdagsdirektør) fra ")
    assert step["textDa"].endswith(" – hvis gennemgangen er positiv.")


async def test_the_step_never_raises_the_level_by_itself(api):
    ids = await api.ids()
    june = _today() + timedelta(days=30)
    await _declare(api, ids, {"level": 6, "fromDate": june.isoformat()})
    request = {"person": FATIMA, "area": "care/relatives", "unit": ids.unit("Plejecenter Solhaven"),
               "attributes": {"consent": True, "health_information_shared": True}}
    later = datetime.combine(june + timedelta(days=2), datetime.min.time(), timezone.utc).isoformat()
    for at in (None, later):
        decides = (await api.gql(CHECK, {"i": {**request, "action": "DECIDE", "at": at}}, as_=METTE))["check"]
        assert (decides["decision"], decides["level"]) == (True, 5)
        acts = (await api.gql(CHECK, {"i": {**request, "action": "ACT_AS_HVERDAGSDIREKTOER", "at": at}},
                              as_=METTE))["check"]
        assert (acts["decision"], acts["reason"], acts["level"]) == (False, "level_too_low", 5)


async def test_taking_the_step_by_amending_the_level_ends_the_plan_and_history_keeps_it(api):
    ids = await api.ids()
    d = await _declare(api, ids, {"level": 6, "note": "Når Fatima selv føler sig klar"})
    amended = (await api.gql(AMEND, {"id": d["id"], "v": d["version"], "i": {"level": 6}}, as_=METTE))
    # the higher level is offered to Fatima (issue 12, part 1): level and plan stay until she takes it
    assert amended["amendDelegation"]["delegation"]["level"] == 5
    assert amended["amendDelegation"]["delegation"]["nextStep"]["level"] == 6
    await api.accept(d["id"])
    taken = (await api.gql("query($id: ID!) { delegation(id: $id) { level version nextStep { level } } }",
                           {"id": d["id"]}, as_=METTE))["delegation"]
    assert (taken["level"], taken["nextStep"]) == (6, None)
    history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { before after } } }",
                             {"id": d["id"]}, as_=METTE))["history"]["nodes"]
    assert history[-1]["before"]["next_step"]["level"] == 6 and history[-1]["after"]["next_step"] is None
    # A step may be planned again, or another level amended without touching the plan.
    again = (await api.gql(AMEND, {"id": d["id"], "v": taken["version"], "i": {"nextStep": {"level": 7}}},
                           as_=METTE))
    assert again["amendDelegation"]["delegation"]["nextStep"]["level"] == 7


@pytest.mark.parametrize("step, field, code", [
    ({"level": 5}, "nextStep.level", "invalid_step"),                     # the level held
    ({"level": 8}, "nextStep.level", "level_out_of_range"),
    ({"level": 6, "fromDate": "2020-01-01"}, "nextStep.fromDate", "invalid_step"),   # before it begins
    ({"level": 6, "fromDate": "2300-01-01"}, "nextStep.fromDate", "date_out_of_range"),
    ({"level": 6, "note": "x" * 501}, "nextStep.note", "too_long"),
])
async def test_a_step_that_cannot_be_is_refused_and_writes_nothing(api, step, field, code):
    ids = await api.ids()
    before = await snapshot(api.db)
    result = (await api.gql(DECLARE, {"i": _input(ids, nextStep=step)}, as_=METTE))["declareDelegation"]
    assert (result["code"], result["field"]) == (code, field), result
    assert result["messageDa"]
    assert await snapshot(api.db) == before


async def test_a_step_after_the_delegation_ends_is_refused(api):
    ids = await api.ids()
    ends = _today() + timedelta(days=30)
    before = await snapshot(api.db)
    result = (await api.gql(DECLARE, {"i": _input(ids, validUntil=f"{ends.isoformat()}T00:00:00Z", nextStep={
        "level": 6, "fromDate": (ends + timedelta(days=1)).isoformat()})}, as_=METTE))["declareDelegation"]
    assert (result["code"], result["field"]) == ("invalid_step", "nextStep.fromDate")
    assert await snapshot(api.db) == before


async def test_the_step_shows_on_the_delegation_page_mit_mandat_and_the_follow_up_list(api):
    ids = await api.ids()
    d = await _declare(api, ids, {"level": 6, "note": "Hvis gennemgangen er positiv"})
    sentence = "Næste tillidsskridt: niveau 6 (Hverdagsdirektør) – hvis gennemgangen er positiv."
    async with api.web(as_=METTE) as web:
        page = await web.get(f"/delegeringer/{d['id']}")
        assert sentence in page.text
        followup = await web.get("/opfoelgning")  # her review is due within 30 days: the step is listed there
        assert "Næste tillidsskridt: niveau 6 (Hverdagsdirektør)" in followup.text
    async with api.web(as_=FATIMA) as web:
        mine = await web.get("/mit-mandat")
        assert sentence in mine.text and "Det sker ikke af sig selv" in mine.text


async def test_a_leader_plans_the_step_on_the_adjust_form_and_a_half_filled_one_writes_nothing(api):
    ids = await api.ids()
    d = await _declare(api, ids, None)
    async with api.web(as_=METTE) as web:
        form = await web.get(f"/delegeringer/{d['id']}")
        assert 'name="skridt_niveau"' in form.text
        values = {"niveau": "5", "kontrol": "none", "frist": "5", "gyldig_fra": _today().isoformat(),
                  "opfoelgning": (_today() + timedelta(days=10)).isoformat(), "version": str(d["version"])}
        before = await snapshot(api.db)
        refused = await web.post(f"/delegeringer/{d['id']}/juster", {**values, "skridt_vilkaar": "Når hun er klar"})
        assert refused.status_code in (400, 422) and 'id="fejl-skridt_niveau"' in refused.text
        assert await snapshot(api.db) == before
        saved = await web.post(f"/delegeringer/{d['id']}/juster", {**values, "skridt_niveau": "6",
                                                                    "skridt_vilkaar": "Når hun er klar"})
        assert saved.status_code == 303, saved.text[:500]
    shown = (await api.gql("query($id: ID!) { delegation(id: $id) { version nextStep { level note } } }",
                           {"id": d["id"]}, as_=METTE))["delegation"]
    assert shown == {"version": 3, "nextStep": {"level": 6, "note": "Når hun er klar"}}
