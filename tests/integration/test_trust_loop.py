"""The trust loop through the real app: leader authority, stand-ins, acts, breaches, reviews."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.support import api_key, snapshot

METTE, ANNA, SUSANNE = "mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk", "susanne.kjaer@eksempel.dk"
MARIA, FATIMA, HR = "maria.larsen@eksempel.dk", "fatima.ali@eksempel.dk", "louise.thomsen@eksempel.dk"
PIA = "pia.schmidt@eksempel.dk"  # leads Egelund, a sibling of Solhaven
ERR = "... on Error { code field message }"
CHECK = "query($i: CheckInput!) { check(input: $i) { decision reason level obligations { kind deadline } } }"
# Checks at the clock's "now" answer from the live index; the demo's validity windows are relative
# to when it was loaded, so the tests' clock starts at the real now and moves forward from there.
NOW = datetime.now(timezone.utc).replace(microsecond=0)
ALT = {"deviation": True, "citizen_category": "demens"}


def _check_input(ids, person=ANNA, area="care/alternative-solutions", unit="Plejecenter Solhaven",
                 action="ACT_AS_HVERDAGSDIREKTOER", attributes=ALT):
    return {"i": {"person": person, "area": area, "unit": ids.unit(unit), "action": action, "attributes": attributes}}


async def _check(api, ids, **kw):
    return (await api.gql(CHECK, _check_input(ids, **kw), as_=METTE))["check"]


async def test_a_leader_holds_her_units_areas_but_not_one_reserved_above_her(api):
    ids = await api.ids()
    own = await _check(api, ids, person=METTE, area="economy/purchase", action="DECIDE",
                       attributes={"amount": 100, "on_contract": True})
    assert (own["decision"], own["reason"]) == (True, "leader_authority")
    reserved = await _check(api, ids, person=METTE, area="personnel/hiring", action="DECIDE", attributes={})
    assert (reserved["decision"], reserved["reason"]) == (False, "no_delegation")
    centre = await _check(api, ids, person=SUSANNE, area="personnel/hiring", action="DECIDE", attributes={})
    assert (centre["decision"], centre["reason"]) == (True, "leader_authority")
    red_line = await _check(api, ids, person=METTE, area="economy/purchase", action="DECIDE",
                            attributes={"amount": 90_000, "on_contract": True})
    assert (red_line["decision"], red_line["reason"]) == (False, "red_line")  # red lines bind leaders too
    sibling = await _check(api, ids, person=PIA, area="economy/purchase", action="DECIDE",
                           attributes={"amount": 100, "on_contract": True})
    assert sibling["reason"] == "no_delegation"


async def test_a_stand_in_declares_on_behalf_of_the_leader_during_the_absence_only(api, clock):
    # (Jens, Solhaven's deputy, may delegate in his own right there; Maria is an employee.)
    ids = await api.ids()
    clock.value = NOW
    appointed = (await api.gql("""mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) { appointStandIn(
        unitId: $u, standInId: $s, validFrom: $f, validUntil: $t, note: "Mettes ferie") {
        __typename ... on StandInPayload { standIn { id leader { name } standIn { name } } } %s } }""" % ERR,
        {"u": ids.unit("Plejecenter Solhaven"), "s": ids.people["maria"], "f": NOW.isoformat(),
         "t": (NOW + timedelta(days=14)).isoformat()}, as_=METTE))["appointStandIn"]
    assert appointed["standIn"]["leader"]["name"] == "Mette Sørensen"
    declare = """mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(input: {areaId: $a, unitId: $u,
        delegatePersonId: $p, level: 5}) { __typename ... on DelegationPayload { delegation { id delegator { name }
        onBehalfOf { name } } } %s } }""" % ERR
    variables = {"a": ids.areas["care/relatives"], "u": ids.unit("Plejecenter Solhaven"), "p": ids.people["fatima"]}
    clock.value = NOW + timedelta(days=3)
    during = (await api.gql(declare, variables, as_=MARIA))["declareDelegation"]
    assert during["__typename"] == "DelegationPayload", during
    assert during["delegation"]["delegator"]["name"] == "Maria Larsen"
    assert during["delegation"]["onBehalfOf"]["name"] == "Mette Sørensen"
    history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { actor onBehalfOf } } }",
                             {"id": during["delegation"]["id"]}, as_=METTE))["history"]["nodes"]
    assert history[0] == {"actor": f"person:{ids.people['maria']}", "onBehalfOf": f"person:{ids.people['mette']}"}
    # 6.000 kr.: above what the evening team (Maria is in it) may buy, up to 5.000 kr.
    as_leader = await _check(api, ids, person=MARIA, area="economy/purchase", action="DECIDE",
                             attributes={"amount": 6000, "on_contract": True})
    assert as_leader["reason"] == "leader_authority"

    clock.value = NOW + timedelta(days=15)
    before = await snapshot(api.db)
    after = (await api.gql(declare, variables, as_=MARIA))["declareDelegation"]
    assert (after["__typename"], after["code"]) == ("ForbiddenError", "not_authorised_to_delegate")
    assert await snapshot(api.db) == before
    no_longer = await _check(api, ids, person=MARIA, area="economy/purchase", action="DECIDE",
                             attributes={"amount": 6000, "on_contract": True})
    assert no_longer["decision"] is False


RECORD = """mutation($i: RecordActInput!) { recordAct(input: $i) { __typename ... on ActPayload { act { id version
    reason level dueItems { id kind status dueAt } } } %s } }""" % ERR
ACT = """query($id: ID!) { act(id: $id) { version justification feedback assessment feedbackBy { name }
    dueItems { kind status } } }"""


async def test_act_justify_feedback_and_overdue(api, clock):
    ids = await api.ids()
    clock.value = NOW
    act_input = {"person": ANNA, "area": "care/alternative-solutions", "unit": ids.unit("Plejecenter Solhaven"),
                 "caseRef": "SAG-2026-0142", "description": "Gåtur i stedet for træning i træningssalen",
                 "occurredAt": NOW.isoformat(), "attributes": ALT}
    recorded = (await api.gql(RECORD, {"i": act_input}, as_=ANNA))["recordAct"]
    assert recorded["__typename"] == "ActPayload", recorded
    act = recorded["act"]
    assert (act["reason"], act["level"]) == ("allowed", 6)
    justify = next(d for d in act["dueItems"] if d["kind"] == "JUSTIFY" or d["kind"] == "justify")
    assert justify["status"] == "OPEN"

    justified = (await api.gql("""mutation($id: ID!) { justifyAct(id: $id, version: 1,
        justification: "Borgeren var urolig; en gåtur gav samme træningseffekt.") { __typename
        ... on ActPayload { act { version justification } } %s } }""" % ERR, {"id": act["id"]}, as_=ANNA))
    assert justified["justifyAct"]["__typename"] == "ActPayload"
    awaiting = (await api.gql("{ acts(awaiting: FEEDBACK) { id } }", as_=METTE))["acts"]
    assert act["id"] in {a["id"] for a in awaiting}
    colleague = (await api.gql("""mutation($id: ID!) { giveFeedback(id: $id, version: 2, feedback: "x",
        assessment: WELL_FOUNDED) { __typename %s } }""" % ERR, {"id": act["id"]}, as_=FATIMA))["giveFeedback"]
    assert colleague["__typename"] == "NotFoundError"  # a colleague may not even see the act
    feedback = (await api.gql("""mutation($id: ID!) { giveFeedback(id: $id, version: 2,
        feedback: "God faglig begrundelse.", assessment: WELL_FOUNDED) { __typename ... on FeedbackPayload {
        suggestBreach inviteConversation nextStepDa act { assessment } } %s } }""" % ERR, {"id": act["id"]},
        as_=METTE))["giveFeedback"]
    assert feedback["suggestBreach"] is False and feedback["act"]["assessment"] == "WELL_FOUNDED"
    assert (feedback["inviteConversation"], feedback["nextStepDa"]) == (False, None)
    shown = (await api.gql(ACT, {"id": act["id"]}, as_=ANNA))["act"]
    assert shown["justification"].startswith("Borgeren") and shown["feedback"] == "God faglig begrundelse."
    assert {d["kind"]: d["status"] for d in shown["dueItems"]}["justify"] == "FULFILLED"
    locked = (await api.gql("""mutation($id: ID!) { justifyAct(id: $id, version: 3, justification: "ny") {
        __typename %s } }""" % ERR, {"id": act["id"]}, as_=ANNA))["justifyAct"]
    assert (locked["__typename"], locked["code"]) == ("InvalidInputError", "already_reviewed")

    second = (await api.gql(RECORD, {"i": {**act_input, "caseRef": "SAG-2026-0150"}}, as_=ANNA))["recordAct"]["act"]
    clock.value = NOW + timedelta(days=30)
    overdue = (await api.gql("{ acts(awaiting: OVERDUE) { id dueItems { kind status } } }", as_=METTE))["acts"]
    assert [a["id"] for a in overdue] == [second["id"]]
    mine = (await api.gql("{ myActs(awaiting: JUSTIFICATION) { id } }", as_=ANNA))["myActs"]
    assert [a["id"] for a in mine] == [second["id"]]


async def test_an_act_that_was_not_allowed_is_refused_and_writes_nothing(api, clock):
    ids = await api.ids()
    clock.value = NOW
    before = await snapshot(api.db)
    refused = (await api.gql(RECORD, {"i": {
        "person": ANNA, "area": "care/alternative-solutions", "unit": ids.unit("Plejecenter Solhaven"),
        "caseRef": "SAG-1", "description": "Palliativ borger", "occurredAt": NOW.isoformat(),
        "attributes": {"deviation": True, "citizen_category": "palliativ"}}}, as_=ANNA))["recordAct"]
    assert (refused["__typename"], refused["code"]) == ("ForbiddenError", "act_not_allowed")
    for_someone_else = (await api.gql(RECORD, {"i": {
        "person": FATIMA, "area": "care/alternative-solutions", "unit": ids.unit("Plejecenter Solhaven"),
        "caseRef": "SAG-2", "description": "x", "occurredAt": NOW.isoformat(), "attributes": ALT}},
        as_=ANNA))["recordAct"]
    assert for_someone_else["code"] == "not_your_act"
    assert await snapshot(api.db) == before


async def test_a_system_with_the_record_scope_records_acts(api, clock):
    ids = await api.ids()
    clock.value = NOW
    secret = await api_key(api.db, ["record"], name="omsorgssystem")
    recorded = (await api.gql(RECORD, {"i": {
        "person": ANNA, "area": "care/alternative-solutions", "unit": ids.unit("Plejecenter Solhaven"),
        "caseRef": "SAG-9", "description": "Aftenbesøg flyttet", "occurredAt": NOW.isoformat(),
        "attributes": ALT}}, api_key=secret))["recordAct"]
    assert recorded["__typename"] == "ActPayload", recorded


BREACH = """mutation($i: RecordBreachInput!) { recordBreach(input: $i) { __typename ... on BreachPayload {
    breach { id version response effectUntil } } %s } }""" % ERR


async def _anna_delegation(api, ids):
    found = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id version
        area { key } } } }""", {"p": ids.people["anna"]}, as_=METTE))["delegations"]["nodes"]
    return next(n for n in found if n["area"]["key"] == "care/alternative-solutions")


async def test_breach_effects_on_checks_end_by_themselves(api, clock):
    ids = await api.ids()
    clock.value = NOW
    delegation = await _anna_delegation(api, ids)
    base = {"delegationId": delegation["id"], "occurredAt": (NOW - timedelta(days=1)).isoformat(),
            "description": "Afvigelse uden efterfølgende begrundelse", "cause": "COMPETENCE"}
    control = (await api.gql(BREACH, {"i": {**base, "response": "EXTRA_CONTROL",
                                           "until": (NOW + timedelta(days=61)).isoformat()}}, as_=METTE))
    assert control["recordBreach"]["__typename"] == "BreachPayload", control
    clock.value = NOW + timedelta(days=30)
    during = await _check(api, ids)
    assert during["decision"] is True and "pre_approval" in {o["kind"] for o in during["obligations"]}
    clock.value = NOW + timedelta(days=62)
    after = await _check(api, ids)
    assert after["decision"] is True and "pre_approval" not in {o["kind"] for o in after["obligations"]}

    clock.value = NOW + timedelta(days=70)
    suspension = (await api.gql(BREACH, {"i": {**base, "response": "SUSPENSION",
                                              "until": (NOW + timedelta(days=80)).isoformat()}}, as_=METTE))
    assert suspension["recordBreach"]["__typename"] == "BreachPayload"
    suspended = await _check(api, ids)
    assert (suspended["decision"], suspended["reason"]) == (False, "suspended")
    clock.value = NOW + timedelta(days=81)
    assert (await _check(api, ids))["decision"] is True

    lowered = (await api.gql(BREACH, {"i": {**base, "response": "LOWERED_LEVEL", "loweredTo": 5,
                                           "until": (NOW + timedelta(days=120)).isoformat()}}, as_=METTE))
    assert lowered["recordBreach"]["__typename"] == "BreachPayload"
    capped = await _check(api, ids)
    assert (capped["decision"], capped["reason"], capped["level"]) == (False, "level_too_low", 5)
    decide = await _check(api, ids, action="DECIDE")
    assert (decide["decision"], decide["level"]) == (True, 5)
    assert "seek_advice" in {o["kind"] for o in decide["obligations"]}


async def test_breach_details_are_visible_to_the_employee_the_leader_chain_and_hr_only(api, clock):
    ids = await api.ids()
    clock.value = NOW
    delegation = await _anna_delegation(api, ids)
    recorded = (await api.gql(BREACH, {"i": {
        "delegationId": delegation["id"], "occurredAt": NOW.isoformat(), "description": "Fortrolig beskrivelse",
        "cause": "RESOURCES", "response": "DIALOGUE"}}, as_=METTE))["recordBreach"]["breach"]
    query = "query($id: ID!) { breach(id: $id) { description cause } }"
    for reader in (ANNA, METTE, SUSANNE, HR, "lars.mikkelsen@eksempel.dk"):
        shown = (await api.gql(query, {"id": recorded["id"]}, as_=reader))["breach"]
        assert shown == {"description": "Fortrolig beskrivelse", "cause": "RESOURCES"}, reader
    for outsider in (FATIMA, PIA, "jonas.kristensen@eksempel.dk"):
        assert (await api.gql(query, {"id": recorded["id"]}, as_=outsider))["breach"] is None, outsider
        listed = (await api.gql("{ breaches { id } }", as_=outsider))["breaches"]
        assert recorded["id"] not in {b["id"] for b in listed}
    secret = await api_key(api.db, ["read", "check"])
    refused = await api.gql(query, {"id": recorded["id"]}, api_key=secret)  # systems never read breaches
    assert refused.data["breach"] is None and refused.errors[0]["extensions"]["code"] == "person_required"
    # History keeps that it existed and its effect window, never its details.
    history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { after } } }",
                             {"id": recorded["id"]}, as_=METTE))["history"]["nodes"]
    assert "description" not in history[0]["after"] and history[0]["after"]["response"] == "dialogue"


async def test_a_colleague_cannot_record_a_breach(api, clock):
    ids = await api.ids()
    clock.value = NOW
    delegation = await _anna_delegation(api, ids)
    before = await snapshot(api.db)
    refused = (await api.gql(BREACH, {"i": {"delegationId": delegation["id"], "occurredAt": NOW.isoformat(),
                                           "description": "x", "cause": "INTENTION", "response": "SUSPENSION",
                                           "until": (NOW + timedelta(days=3)).isoformat()}}, as_=FATIMA))
    assert (refused["recordBreach"]["__typename"], refused["recordBreach"]["code"]) == (
        "ForbiddenError", "not_authorised_to_record")
    assert await snapshot(api.db) == before


async def test_breach_details_are_purged_after_retention(api, clock):
    from registry.services.breaches import purge_closed

    ids = await api.ids()
    clock.value = NOW
    delegation = await _anna_delegation(api, ids)
    breach = (await api.gql(BREACH, {"i": {"delegationId": delegation["id"], "occurredAt": NOW.isoformat(),
                                          "description": "Detaljer", "cause": "COMPETENCE", "response": "GUIDANCE"}},
                            as_=METTE))["recordBreach"]["breach"]
    closed = await api.gql("""mutation($id: ID!) { followUpBreach(id: $id, version: 1, input: {repairStatus: CLOSED,
        learningNotes: "Vi aftalte sparring"}) { __typename } }""", {"id": breach["id"]}, as_=METTE)
    assert closed["followUpBreach"]["__typename"] == "BreachPayload"
    assert await purge_closed(api.db, NOW + timedelta(days=365)) == 0
    assert await purge_closed(api.db, NOW + timedelta(days=731)) == 1
    shown = (await api.gql("query($id: ID!) { breach(id: $id) { description cause learningNotes purgedAt response } }",
                           {"id": breach["id"]}, as_=METTE))["breach"]
    assert shown["description"] is None and shown["learningNotes"] is None and shown["purgedAt"] is not None
    assert shown["response"] == "GUIDANCE"


async def test_reviews_due_expiring_and_an_adjusting_review_makes_a_new_version(api, clock):
    ids = await api.ids()
    clock.value = None
    today = datetime.now(timezone.utc)
    due = (await api.gql("""query($u: ID!, $f: Date!, $t: Date!) { delegationsDueForReview(unitId: $u, fromDate: $f,
        toDate: $t) { id reviewDate area { key } } }""", {"u": ids.unit("Plejecenter Solhaven"),
        "f": today.date().isoformat(), "t": (today + timedelta(days=365)).date().isoformat()}, as_=METTE))
    keys = {d["area"]["key"] for d in due["delegationsDueForReview"]}
    assert "care/alternative-solutions" in keys
    expiring = (await api.gql("""query($u: ID!, $f: DateTime!, $t: DateTime!) { delegationsExpiring(unitId: $u,
        fromTime: $f, toTime: $t) { id validUntil } }""", {"u": ids.unit("Direktionen"), "f": today.isoformat(),
        "t": (today + timedelta(days=100)).isoformat()}, as_=METTE))["delegationsExpiring"]
    assert expiring and all(today.isoformat() <= e["validUntil"] for e in expiring)
    delegation = await _anna_delegation(api, ids)
    adjusted = (await api.gql("""mutation($id: ID!, $v: Int!, $next: Date!) { completeReview(delegationId: $id,
        version: $v, outcome: ADJUST, note: "Mere sparring", nextReviewDate: $next, adjust: {level: 5}) {
        __typename ... on ReviewPayload { delegation { level version reviewDate } } %s } }""" % ERR,
        {"id": delegation["id"], "v": delegation["version"],
         "next": (today + timedelta(days=90)).date().isoformat()}, as_=METTE))["completeReview"]
    assert adjusted["__typename"] == "ReviewPayload", adjusted
    assert adjusted["delegation"]["level"] == 5 and adjusted["delegation"]["version"] == delegation["version"] + 1
    history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { before after } } }",
                             {"id": delegation["id"]}, as_=METTE))["history"]["nodes"]
    assert history[-1]["before"]["level"] == 6 and history[-1]["after"]["level"] == 5
    ended = (await api.gql("""mutation($id: ID!, $v: Int!) { completeReview(delegationId: $id, version: $v,
        outcome: END, note: "Opgaven er flyttet") { __typename ... on ReviewPayload { delegation { status } } } }""",
        {"id": delegation["id"], "v": delegation["version"] + 1}, as_=METTE))["completeReview"]
    assert ended["delegation"]["status"] == "REVOKED"


@pytest.mark.parametrize("who", [ANNA, FATIMA, PIA])
async def test_only_the_leader_chain_completes_a_review(api, who):
    ids = await api.ids()
    delegation = await _anna_delegation(api, ids)
    before = await snapshot(api.db)
    refused = (await api.gql("""mutation($id: ID!, $v: Int!) { completeReview(delegationId: $id, version: $v,
        outcome: CONTINUE, nextReviewDate: "2027-06-01") { __typename %s } }""" % ERR,
        {"id": delegation["id"], "v": delegation["version"]}, as_=who))["completeReview"]
    assert refused["__typename"] == "ForbiddenError"
    assert await snapshot(api.db) == before
