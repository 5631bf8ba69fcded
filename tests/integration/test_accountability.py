"""How the justification is owed is the leader's choice (issue 12 part 2): when the leader asks (the
default for a new delegation), within N days (the only deadline that can become overdue), or at the
next follow-up. Check answers tell the integrating system which; asking for the argument makes it due."""

from datetime import datetime, timezone

import pytest

from tests.support import api_key, snapshot

METTE = "mette.sorensen@eksempel.dk"
ANNA = "anna.jensen@eksempel.dk"
FATIMA = "fatima.ali@eksempel.dk"
PIA = "pia.schmidt@eksempel.dk"     # leads another unit
ERR = "... on Error { code field message messageDa }"
ACT = """mutation($i: RecordActInput!) { recordAct(input: $i) { __typename ... on ActPayload { act { id version
    dueItems { kind status dueAt } } } %s } }""" % ERR
ASK = """mutation($id: ID!, $v: Int!) { askForJustification(id: $id, version: $v) { __typename
    ... on ActPayload { act { id dueItems { kind status dueAt } } } %s } }""" % ERR
RELATIVES = {"consent": True, "health_information_shared": True}


async def _declare(api, ids, account=None):
    control = {"form": "NONE", "justifyWithinDays": 3, **({"account": account} if account else {})}
    result = (await api.gql("""mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) { __typename
        ... on DelegationPayload { delegation { id control { account accountDa } } } %s } }""" % ERR, {"i": {
        "delegatePersonId": ids.people["fatima"], "areaId": ids.areas["care/relatives"],
        "unitId": ids.unit("Plejecenter Solhaven"), "level": 6, "control": control}}, as_=METTE))["declareDelegation"]
    assert result["__typename"] == "DelegationPayload", result
    await api.accept(result["delegation"]["id"])  # Fatima takes it up (issue 12, part 1)
    return result["delegation"]


async def _obligations(api, ids):
    check = (await api.gql("""query($i: CheckInput!) { check(input: $i) { decision obligations { kind deadline labelDa }
        } }""", {"i": {"person": FATIMA, "area": "care/relatives", "unit": ids.unit("Plejecenter Solhaven"),
                       "action": "ACT_AS_HVERDAGSDIREKTOER", "attributes": RELATIVES}}, as_=METTE))["check"]
    assert check["decision"] is True
    return check["obligations"]


async def _act(api, ids):
    recorded = (await api.gql(ACT, {"i": {"person": FATIMA, "area": "care/relatives",
                                          "unit": ids.unit("Plejecenter Solhaven"), "caseRef": "SAG-7",
                                          "description": "Aftalte besøg med datteren",
                                          "occurredAt": datetime.now(timezone.utc).isoformat(),
                                          "attributes": RELATIVES}}, as_=FATIMA))["recordAct"]
    assert recorded["__typename"] == "ActPayload", recorded
    return recorded["act"]


async def test_by_default_the_argument_is_owed_when_the_leader_asks(api):
    ids = await api.ids()
    d = await _declare(api, ids)
    assert d["control"] == {"account": "ON_REQUEST", "accountDa": "Når lederen spørger"}
    [owed] = await _obligations(api, ids)
    assert owed == {"kind": "justify_on_request", "deadline": None,
                    "labelDa": "Vær klar til at begrunde dit valg fagligt, når lederen spørger"}
    act = await _act(api, ids)
    assert act["dueItems"] == []   # nothing owed, nothing overdue, until she is asked
    # Feedback may come without asking.
    feedback = (await api.gql("""mutation($id: ID!, $v: Int!) { giveFeedback(id: $id, version: $v, feedback: "Fint",
        assessment: WELL_FOUNDED) { __typename } }""", {"id": act["id"], "v": act["version"]}, as_=METTE))
    assert feedback["giveFeedback"]["__typename"] == "FeedbackPayload"


async def test_the_leader_asks_for_the_argument_and_it_becomes_due(api):
    ids = await api.ids()
    await _declare(api, ids)
    act = await _act(api, ids)
    asked = (await api.gql(ASK, {"id": act["id"], "v": act["version"]}, as_=METTE))["askForJustification"]
    assert asked["__typename"] == "ActPayload", asked
    [item] = asked["act"]["dueItems"]
    assert (item["kind"], item["status"]) == ("justify", "OPEN") and item["dueAt"] is not None
    # Asked once: a second time is refused, and changes nothing.
    before = await snapshot(api.db)
    again = (await api.gql(ASK, {"id": act["id"], "v": act["version"]}, as_=METTE))["askForJustification"]
    assert again["code"] == "already_asked" and again["messageDa"]
    assert await snapshot(api.db) == before


@pytest.mark.parametrize("who, code", [(FATIMA, "not_authorised_to_review"), (ANNA, "not_found"),
                                       (PIA, "not_found")])
async def test_only_the_leader_chain_or_the_delegator_may_ask_and_a_refusal_writes_nothing(api, who, code):
    ids = await api.ids()
    await _declare(api, ids)
    act = await _act(api, ids)
    before = await snapshot(api.db)
    refused = (await api.gql(ASK, {"id": act["id"], "v": act["version"]}, as_=who))["askForJustification"]
    assert refused["code"] == code, refused
    assert await snapshot(api.db) == before


async def test_within_days_keeps_a_deadline_and_at_the_follow_up_owes_it_without_one(api):
    ids = await api.ids()
    d = await _declare(api, ids, "WITHIN_DAYS")
    [owed] = await _obligations(api, ids)
    assert owed["kind"] == "justify" and owed["deadline"] is not None
    act = await _act(api, ids)
    assert [(i["kind"], i["dueAt"] is not None) for i in act["dueItems"]] == [("justify", True)]
    # version 2: declared (offered), then accepted by Fatima
    amended = (await api.gql("""mutation($id: ID!) { amendDelegation(id: $id, version: 2, input: {control: {
        form: NONE, account: AT_FOLLOW_UP}}) { __typename } }""", {"id": d["id"]}, as_=METTE))["amendDelegation"]
    assert amended["__typename"] == "DelegationPayload"
    [owed] = await _obligations(api, ids)
    assert (owed["kind"], owed["deadline"]) == ("justify_at_follow_up", None)
    later = await _act(api, ids)
    assert [(i["kind"], i["dueAt"]) for i in later["dueItems"]] == [("justify", None)]   # owed, never overdue


async def test_authzen_tells_the_integrating_system_how_the_argument_is_owed(api):
    ids = await api.ids()
    await _declare(api, ids)
    key = await api_key(api.db, ["check"], name="sagssystem")
    body = {"subject": {"type": "person", "id": FATIMA}, "action": {"name": "act_as_hverdagsdirektoer"},
            "resource": {"type": "decision", "id": "care/relatives",
                         "properties": {"unit": ids.unit("Plejecenter Solhaven"), **RELATIVES}}}
    answer = (await api.client.post("/access/v1/evaluation", json=body, headers={"X-Api-Key": key})).json()
    assert answer["context"]["obligations"] == [{"kind": "justify_on_request",
                                                 "label_da": "Vær klar til at begrunde dit valg fagligt, når "
                                                             "lederen spørger"}]


async def test_the_leader_asks_on_the_acts_page(api):
    ids = await api.ids()
    await _declare(api, ids)
    act = await _act(api, ids)
    async with api.web(as_=METTE) as web:
        page = await web.get(f"/handlinger/{act['id']}")
        assert "Bed om den faglige begrundelse" in page.text
        asked = await web.post(f"/handlinger/{act['id']}/spoerg", {"version": str(act["version"])})
        assert asked.status_code == 303
        after = await web.get(asked.headers["location"])
        assert "Bed om den faglige begrundelse" not in after.text
    async with api.web(as_=METTE) as web:
        form = await web.get(f"/delegeringer/ny?enhed={ids.unit('Plejecenter Solhaven')}")
        assert 'id="argumentation-on_request"' in form.text and "Når lederen spørger" in form.text


async def test_a_control_the_registry_cannot_hold_is_refused_and_writes_nothing(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    too_long = (await api.gql("""mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) { __typename
        %s } }""" % ERR, {"i": {
        "delegatePersonId": ids.people["fatima"], "areaId": ids.areas["care/relatives"],
        "unitId": ids.unit("Plejecenter Solhaven"), "level": 6,
        "control": {"form": "NONE", "why": "x" * 2001}}}, as_=METTE))["declareDelegation"]
    assert (too_long["code"], too_long["field"]) == ("too_long", "control.why")
    async with api.web(as_=METTE) as web:
        await web.get(f"/delegeringer/ny?enhed={ids.unit('Plejecenter Solhaven')}")
        refused = await web.post("/delegeringer/ny", {
            "enhed": ids.unit("Plejecenter Solhaven"), "omraade": ids.areas["care/relatives"],
            "modtager": ids.people["fatima"], "niveau": "6", "kontrol": "none", "frist": "5",
            "argumentation": "naar_det_passer"})
        assert refused.status_code == 400 and 'id="fejl-argumentation"' in refused.text
    assert await snapshot(api.db) == before
