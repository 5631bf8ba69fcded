"""A delegation is offered and taken up (issue 12, part 1; "Tillid kan aldrig beordres", l. 216-227 of
the publication): from level 5 a delegation waits for its delegate, who accepts, declines with a reason
or asks to talk it over; checks deny it until she accepts. Widening amendments are offered again,
narrowing ones take effect at once and she is told. Employees ask for delegations and propose rules;
the leader answers. Through the real app, refusals with typed errors and nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from registry import texts
from tests.support import snapshot

METTE, ANNA, FATIMA = "mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk", "fatima.ali@eksempel.dk"
KASPER, MARIA, PIA = "kasper.nielsen@eksempel.dk", "maria.larsen@eksempel.dk", "pia.schmidt@eksempel.dk"
ADMIN, KAREN, MADS = "jonas.kristensen@eksempel.dk", "karen.pedersen@eksempel.dk", "mads.christensen@eksempel.dk"
SUSANNE = "susanne.kjaer@eksempel.dk"
ERR = "... on Error { code field message messageDa }"
OFFER_FIELDS = "id version kind kindDa status statusDa answer answerNote summaryDa answeredBy { name } delegation { id }"
DECLARE = """mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) { __typename
    ... on DelegationPayload { delegation { id version status statusDa level offers { %s } } } %s } }""" % (
    OFFER_FIELDS, ERR)
ANSWER = """mutation($i: AnswerOfferInput!, $v: Int!) { answerOffer(input: $i, version: $v) { __typename
    ... on OfferPayload { offer { %s } } %s } }""" % (OFFER_FIELDS, ERR)
MY_OFFERS = "query { myOffers { %s } }" % OFFER_FIELDS
AMEND = """mutation($id: ID!, $v: Int!, $i: AmendDelegationInput!) { amendDelegation(id: $id, version: $v, input: $i) {
    __typename ... on DelegationPayload { delegation { id version level reviewDate status conditions { condition }
    offers { %s } } } %s } }""" % (OFFER_FIELDS, ERR)
CHECK = """query($i: CheckInput!) { check(input: $i) { decision reason reasonDa level delegationIds } }"""
DELEGATION = "query($id: ID!) { delegation(id: $id) { id version status level offers { %s } } }" % OFFER_FIELDS


def _input(ids, person: str = "fatima", area: str = "care/relatives", level: int = 6, **extra) -> dict:
    return {"delegatePersonId": ids.people[person], "areaId": ids.areas[area],
            "unitId": ids.unit("Plejecenter Solhaven"), "includeSubunits": False, "level": level,
            "purpose": "Pårørende møder én, der kender beboeren.", **extra}


async def _declare(api, ids, as_: str = METTE, **kw) -> dict:
    return (await api.gql(DECLARE, {"i": _input(ids, **kw)}, as_=as_))["declareDelegation"]


async def _answer(api, offer: dict, answer: str, as_: str, note: str = "") -> dict:
    return (await api.gql(ANSWER, {"i": {"offerId": offer["id"], "answer": answer, "note": note},
                                    "v": offer["version"]}, as_=as_))["answerOffer"]


# Values the demo's red lines ask for, so that a check is about the delegation.
FACTS = {"care/relatives": {"consent": True, "health_information_shared": False}, "care/activities": {"cost": 100},
         "economy/purchase": {"amount": 1000}}


async def _check(api, ids, person: str = FATIMA, area: str = "care/relatives", action: str = "DECIDE") -> dict:
    return (await api.gql(CHECK, {"i": {"person": person, "area": area, "unit": ids.unit("Plejecenter Solhaven"),
                                         "action": action, "attributes": FACTS.get(area, {})}}, as_=METTE))["check"]


async def _refused_and_unchanged(api, call, code: str) -> dict:
    before = await snapshot(api.db)
    result = await call()
    assert result.get("code") == code, result
    assert result["messageDa"], result
    assert await snapshot(api.db) == before
    return result


# --- a new delegation is offered ------------------------------------------------------------------

async def test_a_delegation_from_level_5_waits_for_the_delegate_and_checks_say_so(api):
    ids = await api.ids()
    declared = await _declare(api, ids)
    assert declared["__typename"] == "DelegationPayload", declared
    d = declared["delegation"]
    assert (d["status"], d["statusDa"]) == ("OFFERED", "Tilbudt – venter på svar")
    [offer] = d["offers"]
    assert (offer["kind"], offer["status"], offer["kindDa"]) == ("NEW", "OPEN", "Nyt mandat")
    check = await _check(api, ids)
    assert (check["decision"], check["reason"]) == (False, "awaiting_acceptance")
    assert check["reasonDa"] == texts.REASONS_DA["awaiting_acceptance"] and check["delegationIds"] == [d["id"]]
    mine = (await api.gql(MY_OFFERS, as_=FATIMA))["myOffers"]
    assert [o["id"] for o in mine] == [offer["id"]]
    assert (await api.gql(MY_OFFERS, as_=ANNA))["myOffers"] == [] or offer["id"] not in [
        o["id"] for o in (await api.gql(MY_OFFERS, as_=ANNA))["myOffers"]]


async def test_she_asks_to_talk_it_over_then_accepts_and_the_delegation_allows(api):
    ids = await api.ids()
    d = (await _declare(api, ids))["delegation"]
    talked = await _answer(api, d["offers"][0], "TALK", FATIMA, "Kan vi tale om, hvornår jeg skal orientere dig?")
    assert talked["__typename"] == "OfferPayload", talked
    offer = talked["offer"]
    assert (offer["status"], offer["answer"]) == ("OPEN", "TALK")
    assert offer["answerNote"].startswith("Kan vi tale")
    assert (await _check(api, ids))["reason"] == "awaiting_acceptance"
    # the leader sees the answer among the unit's offers
    unit_offers = (await api.gql("""query($u: ID!) { offers(unitId: $u) { id answer answerNote } }""",
                                 {"u": ids.unit("Plejecenter Solhaven")}, as_=METTE))["offers"]
    assert {"id": offer["id"], "answer": "TALK", "answerNote": offer["answerNote"]} in unit_offers
    accepted = await _answer(api, offer, "ACCEPT", FATIMA)
    assert accepted["__typename"] == "OfferPayload", accepted
    assert (accepted["offer"]["status"], accepted["offer"]["answeredBy"]["name"]) == ("ACCEPTED", "Fatima Ali")
    now = (await api.gql(DELEGATION, {"id": d["id"]}, as_=METTE))["delegation"]
    assert now["status"] == "ACTIVE"
    check = await _check(api, ids, action="ACT_AS_HVERDAGSDIREKTOER")
    assert (check["decision"], check["reason"], check["level"]) == (True, "allowed", 6)
    async with api.db.read() as conn:
        answers = await conn.fetch("""SELECT after->>'answer' AS answer FROM history
            WHERE entity_type = 'delegation_offer' AND entity_id = $1 ORDER BY id""",
                                   __import__("uuid").UUID(offer["id"]))
    assert [r["answer"] for r in answers] == [None, "talk", "accept"]  # every step is in history


async def test_a_colleague_cannot_answer_for_her_nor_the_leader(api):
    ids = await api.ids()
    offer = (await _declare(api, ids))["delegation"]["offers"][0]
    for who in (ANNA, METTE, ADMIN):
        await _refused_and_unchanged(api, lambda: _answer(api, offer, "ACCEPT", who), "not_the_delegate")
    assert (await _check(api, ids))["reason"] == "awaiting_acceptance"


async def test_she_declines_with_a_reason_and_the_delegation_is_declined_for_good(api):
    ids = await api.ids()
    d = (await _declare(api, ids))["delegation"]
    offer = d["offers"][0]
    without = await _refused_and_unchanged(api, lambda: _answer(api, offer, "DECLINE", FATIMA), "required")
    assert without["field"] == "note"
    declined = await _answer(api, offer, "DECLINE", FATIMA, "Ikke før jeg har haft et halvt år i afdelingen.")
    assert declined["offer"]["status"] == "DECLINED"
    assert (await api.gql(DELEGATION, {"id": d["id"]}, as_=METTE))["delegation"]["status"] == "DECLINED"
    check = await _check(api, ids)
    assert (check["decision"], check["reason"]) == (False, "declined")
    closed = declined["offer"]
    await _refused_and_unchanged(api, lambda: _answer(api, closed, "ACCEPT", FATIMA), "offer_closed")
    # declined is no obstacle to offering it again later
    again = await _declare(api, ids)
    assert again["__typename"] == "DelegationPayload", again


async def test_an_offer_whose_period_has_ended_cannot_be_accepted(api, clock):
    ids = await api.ids()
    start = datetime.now(timezone.utc)
    d = (await _declare(api, ids, validUntil=(start + timedelta(days=10)).isoformat()))["delegation"]
    clock.value = start + timedelta(days=11)
    await _refused_and_unchanged(api, lambda: _answer(api, d["offers"][0], "ACCEPT", FATIMA), "offer_expired")
    assert (await _check(api, ids))["reason"] == "expired"


async def test_levels_1_to_4_take_effect_at_once_and_the_leader_cannot_skip_acceptance_from_5(api):
    ids = await api.ids()
    low = (await _declare(api, ids, level=4))["delegation"]
    assert (low["status"], low["offers"]) == ("ACTIVE", [])
    refused = await _refused_and_unchanged(
        api, lambda: _declare(api, ids, area="care/activities", offer=False), "acceptance_required")
    assert refused["field"] == "offer"
    offered_low = (await _declare(api, ids, area="care/activities", level=3, offer=True))["delegation"]
    assert offered_low["status"] == "OFFERED"


async def test_the_organisation_sets_from_which_level_a_delegate_takes_it_up(api):
    ids = await api.ids()
    rule = """mutation($l: Int) { setAcceptanceRule(fromLevel: $l) { __typename
        ... on AcceptanceRulePayload { organisation { acceptanceFromLevel } } %s } }""" % ERR
    await _refused_and_unchanged(api, lambda: _gql(api, rule, {"l": None}, METTE, "setAcceptanceRule"),
                                 "admin_required")
    assert (await api.gql("query { organisation { acceptanceFromLevel } }", as_=METTE))["organisation"] == {
        "acceptanceFromLevel": 5}
    await _refused_and_unchanged(api, lambda: _gql(api, rule, {"l": 9}, ADMIN, "setAcceptanceRule"), "invalid_level")
    set_ = (await api.gql(rule, {"l": None}, as_=ADMIN))["setAcceptanceRule"]
    assert set_["organisation"]["acceptanceFromLevel"] is None
    d = (await _declare(api, ids))["delegation"]
    assert d["status"] == "ACTIVE" and (await _check(api, ids))["decision"] is True


async def _gql(api, query, variables, as_, name):
    return (await api.gql(query, variables, as_=as_))[name]


async def test_a_team_member_takes_up_a_team_delegation_by_name_and_others_are_refused(api):
    ids = await api.ids()
    d = (await _declare(api, ids, person="anna", area="care/activities", level=5,
                        delegatePersonId=None, delegateTeamId=ids.teams["Aftenvagten"]))["delegation"]
    offer = d["offers"][0]
    await _refused_and_unchanged(api, lambda: _answer(api, offer, "ACCEPT", KASPER), "not_the_delegate")
    assert offer["id"] in [o["id"] for o in (await api.gql(MY_OFFERS, as_=MADS))["myOffers"]]
    accepted = (await _answer(api, offer, "ACCEPT", MADS))["offer"]
    assert accepted["answeredBy"]["name"] == "Mads Christensen"
    assert (await _check(api, ids, person=MADS, area="care/activities"))["decision"] is True


async def test_revoking_an_offer_withdraws_it(api):
    ids = await api.ids()
    d = (await _declare(api, ids))["delegation"]
    revoked = (await api.gql("""mutation($id: ID!, $v: Int!) { revokeDelegation(id: $id, version: $v,
        reason: "Vi venter til efteråret") { __typename } }""", {"id": d["id"], "v": d["version"]}, as_=METTE))
    assert revoked["revokeDelegation"]["__typename"] == "DelegationPayload", revoked
    now = (await api.gql(DELEGATION, {"id": d["id"]}, as_=METTE))["delegation"]
    assert now["offers"][0]["status"] == "WITHDRAWN"
    await _refused_and_unchanged(api, lambda: _answer(api, now["offers"][0], "ACCEPT", FATIMA), "offer_closed")
    assert (await api.gql(MY_OFFERS, as_=FATIMA))["myOffers"] == []


# --- amendments: widening is offered again, narrowing takes effect and she is told ---------------------

async def _accepted(api, ids, **kw) -> dict:
    d = (await _declare(api, ids, **kw))["delegation"]
    await _answer(api, d["offers"][0], "ACCEPT", FATIMA)
    return (await api.gql(DELEGATION, {"id": d["id"]}, as_=METTE))["delegation"]


async def test_a_higher_level_is_offered_again_and_the_old_level_holds_until_she_accepts(api):
    ids = await api.ids()
    d = await _accepted(api, ids, level=5)
    review = (datetime.now(timezone.utc) + timedelta(days=60)).date().isoformat()
    amended = (await api.gql(AMEND, {"id": d["id"], "v": d["version"], "i": {"level": 6, "reviewDate": review}},
                             as_=METTE))["amendDelegation"]
    assert amended["__typename"] == "DelegationPayload", amended
    now = amended["delegation"]
    assert now["level"] == 5 and now["reviewDate"] == review  # the review date at once, the level waits
    widening = next(o for o in now["offers"] if o["kind"] == "WIDENING")
    assert widening["status"] == "OPEN" and widening["summaryDa"] == "Niveau 5 (Rådgivning) → 6 (Hverdagsdirektør)"
    check = await _check(api, ids, action="ACT_AS_HVERDAGSDIREKTOER")
    assert (check["decision"], check["reason"], check["level"]) == (False, "level_too_low", 5)
    assert (await _answer(api, widening, "ACCEPT", FATIMA))["offer"]["status"] == "ACCEPTED"
    after = (await api.gql(DELEGATION, {"id": d["id"]}, as_=METTE))["delegation"]
    assert after["level"] == 6
    assert (await _check(api, ids, action="ACT_AS_HVERDAGSDIREKTOER"))["decision"] is True


async def test_a_declined_widening_leaves_the_delegation_as_it_was(api):
    ids = await api.ids()
    d = await _accepted(api, ids, level=5)
    now = (await api.gql(AMEND, {"id": d["id"], "v": d["version"], "i": {"level": 7}}, as_=METTE))[
        "amendDelegation"]["delegation"]
    widening = next(o for o in now["offers"] if o["kind"] == "WIDENING")
    declined = await _answer(api, widening, "DECLINE", FATIMA, "Niveau 5 passer mig fint.")
    assert declined["offer"]["status"] == "DECLINED"
    after = (await api.gql(DELEGATION, {"id": d["id"]}, as_=METTE))["delegation"]
    assert (after["level"], after["status"], after["version"]) == (5, "ACTIVE", now["version"])


async def test_a_narrowing_takes_effect_at_once_and_she_is_told(api):
    ids = await api.ids()
    d = await _accepted(api, ids, level=6)
    now = (await api.gql(AMEND, {"id": d["id"], "v": d["version"], "i": {"level": 5}}, as_=METTE))[
        "amendDelegation"]["delegation"]
    assert now["level"] == 5
    notice = next(o for o in now["offers"] if o["kind"] == "NARROWING")
    assert notice["summaryDa"] == "Niveau 6 (Hverdagsdirektør) → 5 (Rådgivning)" and notice["status"] == "OPEN"
    assert notice["id"] in [o["id"] for o in (await api.gql(MY_OFFERS, as_=FATIMA))["myOffers"]]
    await _refused_and_unchanged(api, lambda: _answer(api, notice, "ACCEPT", FATIMA), "invalid_answer")
    seen = await _answer(api, notice, "SEEN", FATIMA)
    assert seen["offer"]["status"] == "SEEN"
    assert notice["id"] not in [o["id"] for o in (await api.gql(MY_OFFERS, as_=FATIMA))["myOffers"]]


async def test_fewer_conditions_widen_and_more_narrow(api):
    ids = await api.ids()
    d = await _accepted(api, ids, area="economy/purchase",
                        conditions=[{"condition": "amount <= 5000"}])
    wider = (await api.gql(AMEND, {"id": d["id"], "v": d["version"], "i": {"conditions": []}}, as_=METTE))[
        "amendDelegation"]["delegation"]
    assert [c["condition"] for c in wider["conditions"]] == ["amount <= 5000"]
    assert any(o["kind"] == "WIDENING" and o["status"] == "OPEN" for o in wider["offers"])
    narrower = (await api.gql(AMEND, {"id": d["id"], "v": wider["version"], "i": {"conditions": [
        {"condition": "amount <= 5000"}, {"condition": "amount <= 2000"}]}}, as_=METTE))["amendDelegation"]["delegation"]
    assert len(narrower["conditions"]) == 2
    # the new amendment replaced the waiting one (it changed the same thing)
    assert [o["status"] for o in narrower["offers"] if o["kind"] == "WIDENING"] == ["WITHDRAWN"]


# --- employees ask; the leader answers ----------------------------------------------------------

REQUEST_FIELDS = "id version kind status statusDa text level answerNote person { name } delegation { id }"
ASK = """mutation($i: AskForDelegationInput!) { askForDelegation(input: $i) { __typename
    ... on RequestPayload { request { %s } } %s } }""" % (REQUEST_FIELDS, ERR)
PROPOSE = """mutation($i: ProposeRuleInput!) { proposeRule(input: $i) { __typename
    ... on RequestPayload { request { %s } } %s } }""" % (REQUEST_FIELDS, ERR)
ANSWER_REQUEST = """mutation($i: AnswerRequestInput!, $v: Int!) { answerRequest(input: $i, version: $v) {
    __typename ... on RequestPayload { request { %s } } %s } }""" % (REQUEST_FIELDS, ERR)
REQUESTS = """query($u: ID!) { requests(unitId: $u) { id kind text person { name } } }"""


async def test_an_employee_asks_for_a_delegation_and_the_leader_offers_it(api):
    ids = await api.ids()
    asked = (await api.gql(ASK, {"i": {"areaId": ids.areas["care/relatives"], "level": 6,
                                       "unitId": ids.unit("Plejecenter Solhaven"),
                                       "why": "Jeg kender de pårørende godt."}}, as_=FATIMA))["askForDelegation"]
    assert asked["__typename"] == "RequestPayload", asked
    request = asked["request"]
    assert (request["status"], request["level"]) == ("OPEN", 6)
    listed = (await api.gql(REQUESTS, {"u": ids.unit("Plejecenter Solhaven")}, as_=METTE))["requests"]
    assert request["id"] in [r["id"] for r in listed]
    assert "errors" in (await api.gql(REQUESTS, {"u": ids.unit("Plejecenter Solhaven")}, as_=ANNA)).body
    d = (await _declare(api, ids, requestId=request["id"]))["delegation"]
    assert d["status"] == "OFFERED"
    mine = (await api.gql("query { myRequests { %s } }" % REQUEST_FIELDS, as_=FATIMA))["myRequests"]
    answered = next(r for r in mine if r["id"] == request["id"])
    assert (answered["status"], answered["delegation"]["id"]) == ("OFFERED", d["id"])


async def test_a_declaration_must_answer_the_request_it_names(api):
    ids = await api.ids()
    request = (await api.gql(ASK, {"i": {"areaId": ids.areas["care/relatives"], "level": 6,
                                         "unitId": ids.unit("Plejecenter Solhaven"), "why": "Gerne."}},
                             as_=FATIMA))["askForDelegation"]["request"]
    await _refused_and_unchanged(api, lambda: _declare(api, ids, person="kasper", requestId=request["id"]),
                                 "invalid_answer")


async def test_someone_outside_the_unit_cannot_ask_there(api):
    ids = await api.ids()
    await _refused_and_unchanged(api, lambda: _gql(api, ASK, {"i": {
        "areaId": ids.areas["care/relatives"], "level": 6, "unitId": ids.unit("Plejecenter Solhaven"),
        "why": "Gerne."}}, PIA, "askForDelegation"), "not_a_member")
    await _refused_and_unchanged(api, lambda: _gql(api, PROPOSE, {"i": {
        "teamId": ids.teams["Aftenvagten"], "rule": "Vi holder pause sammen."}}, KASPER, "proposeRule"),
        "not_a_member")


async def test_a_team_proposes_a_rule_and_the_leader_adopts_it_into_the_shared_frame(api):
    ids = await api.ids()
    rule = "Den, der går, venter, til den næste er kommet."
    proposed = (await api.gql(PROPOSE, {"i": {"teamId": ids.teams["Aftenvagten"], "rule": rule}},
                              as_=FATIMA))["proposeRule"]["request"]
    assert proposed["kind"] == "RULE"
    # a colleague cannot answer it
    await _refused_and_unchanged(api, lambda: _gql(api, ANSWER_REQUEST, {"i": {
        "requestId": proposed["id"], "answer": "ADOPT"}, "v": proposed["version"]}, ANNA, "answerRequest"),
        "not_authorised_to_answer")
    adopted = (await api.gql(ANSWER_REQUEST, {"i": {"requestId": proposed["id"], "answer": "ADOPT"},
                                              "v": proposed["version"]}, as_=METTE))["answerRequest"]
    assert adopted["request"]["status"] == "ADOPTED", adopted
    frame = (await api.gql("query($t: ID!) { unitFrame(teamId: $t) { rules } }",
                           {"t": ids.teams["Aftenvagten"]}, as_=FATIMA))["unitFrame"]
    assert rule in frame["rules"]
    await _refused_and_unchanged(api, lambda: _gql(api, ANSWER_REQUEST, {"i": {
        "requestId": proposed["id"], "answer": "DECLINE", "note": "Nej"}, "v": adopted["request"]["version"]},
        METTE, "answerRequest"), "request_closed")


async def test_the_leader_says_no_with_a_reason(api):
    ids = await api.ids()
    proposed = (await api.gql(PROPOSE, {"i": {"unitId": ids.unit("Plejecenter Solhaven"),
                                              "rule": "Ingen møder efter kl. 14."}}, as_=FATIMA))["proposeRule"]["request"]
    await _refused_and_unchanged(api, lambda: _gql(api, ANSWER_REQUEST, {"i": {
        "requestId": proposed["id"], "answer": "DECLINE"}, "v": proposed["version"]}, METTE, "answerRequest"),
        "required")
    declined = (await api.gql(ANSWER_REQUEST, {"i": {"requestId": proposed["id"], "answer": "DECLINE",
                                                     "note": "Overleveringen ligger kl. 14.30."},
                                               "v": proposed["version"]}, as_=METTE))["answerRequest"]["request"]
    assert (declined["status"], declined["answerNote"]) == ("DECLINED", "Overleveringen ligger kl. 14.30.")


# --- the demo shows it ------------------------------------------------------------------------------

async def test_the_demo_has_an_unanswered_offer_a_declined_one_and_a_proposed_rule(api):
    ids = await api.ids()
    anna = (await api.gql(MY_OFFERS, as_=ANNA))["myOffers"]
    assert any(o["kind"] == "NEW" and o["status"] == "OPEN" for o in anna)
    async with api.db.read() as conn:
        declined = await conn.fetchval("SELECT answer_note FROM delegation_offer WHERE status = 'declined'")
        requests = {(r["kind"], r["status"]) for r in await conn.fetch("SELECT kind, status FROM delegation_request")}
    assert declined.startswith("Jeg vil gerne")
    listed = (await api.gql(REQUESTS, {"u": ids.unit("Plejecenter Solhaven")}, as_=METTE))["requests"]
    assert any(r["kind"] == "RULE" and r["person"]["name"] == "Anna Jensen" for r in listed)
    assert {("rule", "open"), ("rule", "adopted"), ("delegation", "open")} <= requests


# --- the web pages --------------------------------------------------------------------------------

async def test_anna_answers_her_offer_on_mit_mandat(api):
    async with api.web(as_=ANNA) as web:
        page = await web.get("/mit-mandat")
        assert page.status_code == 200
        assert "Tilbud og nyt om dit mandat" in page.text and "Samarbejde med pårørende" in page.text
        offer = next(o for o in (await api.gql(MY_OFFERS, as_=ANNA))["myOffers"] if o["kind"] == "NEW")
        refused = await web.post(f"/tilbud/{offer['id']}", {"svar": "nej", "version": str(offer["version"])})
        assert refused.status_code == 400 and 'class="notice bad" role="alert"' in refused.text
        answered = await web.post(f"/tilbud/{offer['id']}", {"svar": "ja", "version": str(offer["version"])})
        assert answered.status_code == 303 and "svaret=ja" in answered.headers["location"]
        after = await web.get(answered.headers["location"])
        assert "Tak. Du har sagt ja tak" in after.text
    d = (await api.gql(DELEGATION, {"id": offer["delegation"]["id"]}, as_=METTE))["delegation"]
    assert d["status"] == "ACTIVE"


async def test_an_employee_asks_on_mit_mandat_and_the_leader_answers_on_the_follow_up_page(api):
    ids = await api.ids()
    async with api.web(as_=FATIMA) as web:
        await web.get("/mit-mandat")
        sent = await web.post("/mit-mandat/oensker", {"slags": "regel", "hvor": ids.unit("Plejecenter Solhaven"),
                                                      "tekst": "Vi holder tavlemøde hver tirsdag kl. 13."})
        assert sent.status_code == 303, sent.text[:500]
        empty = await web.post("/mit-mandat/oensker", {"slags": "mandat", "hvor": ids.unit("Plejecenter Solhaven"),
                                                       "omraade": "", "niveau": "6", "tekst": "Gerne"})
        assert empty.status_code == 400 and 'id="fejl-omraade"' in empty.text
    async with api.web(as_=METTE) as web:
        page = await web.get("/opfoelgning")
        assert "Vi holder tavlemøde hver tirsdag kl. 13." in page.text
        assert "Tilbyd et mandat" in page.text  # Fatima's demo request for a delegation
        request = next(r for r in (await api.gql(REQUESTS, {"u": ids.unit("Plejecenter Solhaven")}, as_=METTE))[
            "requests"] if r["text"].startswith("Vi holder tavlemøde"))
        adopted = await web.post(f"/opfoelgning/oensker/{request['id']}", {"svar": "vedtag", "version": "1"})
        assert adopted.status_code == 303
    frame = (await api.gql("query($u: ID!) { unitFrame(unitId: $u) { rules } }",
                           {"u": ids.unit("Plejecenter Solhaven")}, as_=FATIMA))["unitFrame"]
    assert "Vi holder tavlemøde hver tirsdag kl. 13." in frame["rules"]


async def test_her_offers_answers_and_requests_are_in_her_personal_data_export(api):
    ids = await api.ids()
    export = """query($p: ID!) { personalData(personId: $p) { document } }"""
    anna = (await api.gql(export, {"p": ids.people["anna"]}, as_=ANNA))["personalData"]["document"]
    waiting = [o for o in anna["offers"]["to_them"] if o["area_key"] == "care/relatives"]
    assert [(o["kind"], o["status"]) for o in waiting] == [("new", "open")]
    assert [r["kind"] for r in anna["requests"]["made"]] == ["rule"]
    assert anna["requests"]["made"][0]["text"].startswith("Vi tager fem minutters overlevering")
    kasper = (await api.gql(export, {"p": ids.people["kasper"]}, as_=KASPER))["personalData"]["document"]
    declined = next(o for o in kasper["offers"]["to_them"] if o["status"] == "declined")
    assert declined["answer_note"].startswith("Jeg vil gerne")
    karen = (await api.gql(export, {"p": ids.people["karen"]}, as_=KAREN))["personalData"]["document"]
    assert [r["status"] for r in karen["requests"]["answered"]] == ["adopted"]


# --- what a review found: the terms she answers are the terms she reads ------------------------------

async def test_amending_an_offered_delegation_makes_the_offer_anew_and_the_old_one_cannot_be_accepted(api):
    ids = await api.ids()
    d = (await _declare(api, ids, level=5))["delegation"]
    first = d["offers"][0]
    await _answer(api, first, "TALK", FATIMA, "Hvad betyder det for weekenderne?")
    now = (await api.gql(AMEND, {"id": d["id"], "v": d["version"], "i": {"level": 7}}, as_=METTE))[
        "amendDelegation"]["delegation"]
    assert (now["level"], now["status"]) == (7, "OFFERED")
    await _refused_and_unchanged(api, lambda: _answer(api, {**first, "version": first["version"] + 1}, "ACCEPT",
                                                      FATIMA), "offer_closed")
    renewed = next(o for o in now["offers"] if o["status"] == "OPEN")
    assert renewed["id"] != first["id"] and renewed["kind"] == "NEW"
    assert (await _answer(api, renewed, "ACCEPT", FATIMA))["offer"]["status"] == "ACCEPTED"
    assert (await _check(api, ids))["level"] == 7


async def test_a_second_widening_joins_the_waiting_one(api):
    ids = await api.ids()
    d = await _accepted(api, ids, level=5)
    first = (await api.gql(AMEND, {"id": d["id"], "v": d["version"], "i": {"level": 6}}, as_=METTE))[
        "amendDelegation"]
    assert first["__typename"] == "DelegationPayload", first
    second = (await api.gql(AMEND, {"id": d["id"], "v": d["version"], "i": {"includeSubunits": True}},
                            as_=METTE))["amendDelegation"]
    assert second["__typename"] == "DelegationPayload", second
    [waiting] = [o for o in second["delegation"]["offers"] if o["kind"] == "WIDENING" and o["status"] == "OPEN"]
    assert "Niveau 5 (Rådgivning) → 6 (Hverdagsdirektør)" in waiting["summaryDa"]
    assert "Gælder også for underenhederne" in waiting["summaryDa"]
    await _answer(api, waiting, "ACCEPT", FATIMA)
    after = (await api.gql("query($id: ID!) { delegation(id: $id) { level includeSubunits } }", {"id": d["id"]},
                           as_=METTE))["delegation"]
    assert after == {"level": 6, "includeSubunits": True}


async def test_a_widening_that_can_no_longer_take_effect_is_refused_and_the_leader_withdraws_it(api):
    ids = await api.ids()
    d = await _accepted(api, ids, level=5)
    amended = (await api.gql(AMEND, {"id": d["id"], "v": d["version"], "i": {"level": 6}}, as_=METTE))[
        "amendDelegation"]["delegation"]
    waiting = next(o for o in amended["offers"] if o["kind"] == "WIDENING")
    # Mette no longer leads Solhaven: what she offered cannot be given by her any longer
    mette = (await api.gql("""query($id: ID!) { person(id: $id) { memberships { id version unit { id } } } }""",
                           {"id": ids.people["mette"]}, as_=ADMIN))["person"]
    membership = next(m for m in mette["memberships"] if m["unit"]["id"] == ids.unit("Plejecenter Solhaven"))
    ended = (await api.gql("""mutation($id: ID!, $v: Int!) { archiveMembership(id: $id, version: $v) { __typename
        } }""", {"id": membership["id"], "v": membership["version"]}, as_=ADMIN))["archiveMembership"]
    assert ended["__typename"] == "MembershipPayload", ended
    refused = await _refused_and_unchanged(api, lambda: _answer(api, waiting, "ACCEPT", FATIMA),
                                           "offer_no_longer_valid")
    assert refused["messageDa"].startswith("Udvidelsen kan ikke længere træde i kraft")
    withdraw = """mutation($id: ID!, $v: Int!) { withdrawOffer(id: $id, version: $v) { __typename
        ... on OfferPayload { offer { status } } %s } }""" % ERR
    await _refused_and_unchanged(api, lambda: _gql(api, withdraw, {"id": waiting["id"], "v": waiting["version"]},
                                                   FATIMA, "withdrawOffer"), "not_authorised_to_delegate")
    gone = (await api.gql(withdraw, {"id": waiting["id"], "v": waiting["version"]}, as_=SUSANNE))["withdrawOffer"]
    assert gone["offer"]["status"] == "WITHDRAWN", gone


async def test_a_tighter_bound_narrows_at_once_and_the_same_limits_change_nothing(api):
    ids = await api.ids()
    d = await _accepted(api, ids, area="economy/purchase", conditions=[{"condition": "amount <= 10000"}])
    same = (await api.gql(AMEND, {"id": d["id"], "v": d["version"], "i": {"conditions": [
        {"condition": "amount<=10000", "textDa": "Op til 10.000 kr."}]}}, as_=METTE))["amendDelegation"]["delegation"]
    assert [o["kind"] for o in same["offers"]] == ["NEW"]  # no notice, nothing offered: the same limit
    tighter = (await api.gql(AMEND, {"id": d["id"], "v": same["version"], "i": {"conditions": [
        {"condition": "amount <= 5000"}]}}, as_=METTE))["amendDelegation"]["delegation"]
    assert [c["condition"] for c in tighter["conditions"]] == ["amount <= 5000"]
    notice = next(o for o in tighter["offers"] if o["kind"] == "NARROWING")
    assert notice["summaryDa"].startswith("Grænser: Kun når ") and "5.000" in notice["summaryDa"]


async def test_an_offer_whose_period_has_ended_is_expired_and_waits_for_nobody(api, clock):
    ids = await api.ids()
    start = datetime.now(timezone.utc)
    d = (await _declare(api, ids, validUntil=(start + timedelta(days=10)).isoformat()))["delegation"]
    clock.value = start + timedelta(days=11)
    shown = (await api.gql(DELEGATION, {"id": d["id"]}, as_=METTE))["delegation"]
    status = (await api.gql("query($id: ID!) { delegation(id: $id) { status statusDa } }", {"id": d["id"]},
                            as_=METTE))["delegation"]
    assert (status["status"], status["statusDa"]) == ("EXPIRED", "Udløbet") and shown["offers"]
    assert d["id"] not in [o["delegation"]["id"] for o in (await api.gql(MY_OFFERS, as_=FATIMA))["myOffers"]]


async def test_a_declined_delegation_is_not_amended(api):
    ids = await api.ids()
    d = (await _declare(api, ids))["delegation"]
    await _answer(api, d["offers"][0], "DECLINE", FATIMA, "Ikke nu.")
    await _refused_and_unchanged(api, lambda: _gql(api, AMEND, {"id": d["id"], "v": d["version"] + 1,
                                                                "i": {"level": 7}}, METTE, "amendDelegation"),
                                 "declined")


async def test_only_the_leader_of_the_requests_unit_answers_it_by_declaring(api):
    ids = await api.ids()
    request = (await api.gql(ASK, {"i": {"areaId": ids.areas["care/relatives"], "level": 6,
                                         "unitId": ids.unit("Plejecenter Solhaven"), "why": "Gerne."}},
                             as_=FATIMA))["askForDelegation"]["request"]
    # Pia leads another unit: she may delegate there, but not answer what Fatima asked Mette
    egelund = {**_input(ids, requestId=request["id"]), "unitId": ids.unit("Plejecenter Egelund")}
    await _refused_and_unchanged(api, lambda: _gql(api, DECLARE, {"i": egelund}, PIA, "declareDelegation"),
                                 "not_authorised_to_answer")


async def test_a_proposed_rule_is_as_long_as_a_frames_rule_may_be_and_a_leader_does_not_answer_her_own(api):
    ids = await api.ids()
    await _refused_and_unchanged(api, lambda: _gql(api, PROPOSE, {"i": {
        "unitId": ids.unit("Plejecenter Solhaven"), "rule": "x" * 2001}}, FATIMA, "proposeRule"), "too_long")
    own = (await api.gql(PROPOSE, {"i": {"unitId": ids.unit("Plejecenter Solhaven"), "rule": "Fri fredag"}},
                         as_=METTE))["proposeRule"]["request"]
    listed = (await api.gql(REQUESTS, {"u": ids.unit("Plejecenter Solhaven")}, as_=METTE))["requests"]
    assert own["id"] not in [r["id"] for r in listed]
    above = (await api.gql(REQUESTS, {"u": ids.unit("Plejecenter Solhaven")}, as_=SUSANNE))["requests"]
    assert own["id"] in [r["id"] for r in above]


async def test_the_follow_up_page_lists_what_waits_and_the_answers_that_are_not_a_plain_yes(api):
    ids = await api.ids()
    d = (await _declare(api, ids))["delegation"]
    await _answer(api, d["offers"][0], "TALK", FATIMA, "Kan vi tage det på tirsdag?")
    async with api.web(as_=METTE) as web:
        page = (await web.get("/opfoelgning")).text
    offers = page[page.index('id="tilbud-1"'):]
    offers = offers[:offers.index("</section>")]
    assert "Kan vi tage det på tirsdag?" in offers and "vil gerne tale om det først" in offers
    assert "til Mette Sørensen" not in offers  # her own delegation from Susanne is not hers to follow up
    assert "Taget imod" not in offers and "tilbud er taget imod de seneste 30 dage" in offers


@pytest.mark.parametrize("extra, field, code", [
    ({"level": 9}, "level", "invalid_level"),
    ({"level": 0}, "level", "invalid_level"),
    ({"why": ""}, "why", "required"),
    ({"why": "x" * 4001}, "why", "too_long"),
    ({"areaId": "00000000-0000-0000-0000-000000000000"}, "areaId", "not_found"),
    ({"unitId": None}, "unitId", "required"),
])
async def test_a_bad_request_for_a_delegation_is_refused_and_writes_nothing(api, extra, field, code):
    ids = await api.ids()
    values = {"areaId": ids.areas["care/relatives"], "level": 6, "unitId": ids.unit("Plejecenter Solhaven"),
              "why": "Gerne.", **extra}
    result = await _refused_and_unchanged(api, lambda: _gql(api, ASK, {"i": values}, FATIMA, "askForDelegation"),
                                          code)
    assert result["field"] == field, result
