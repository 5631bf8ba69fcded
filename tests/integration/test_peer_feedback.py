"""Feedback from colleagues (issue 12 part 3): where a delegation's control form is peer sparring
(kollegial sparring), the delegate's colleagues in its unit read its acts and give feedback on them,
recorded as a colleague's; never "uden for rammen", never over someone else's feedback, and they do
not ask for the argument or draw the leader's card. Everything else stays hidden from them.

The demo's dementia team (Mads and Ida, Demensafsnittet Kastanjen, leader Karen) holds alternative
solutions under peer sparring; Mads also holds cooperation with relatives (level 5) under periodic
review. Fatima is in Solhaven (the unit above), Pia leads Egelund.
"""

from datetime import datetime, timezone

import pytest

from tests.support import snapshot

MADS = "mads.christensen@eksempel.dk"
IDA = "ida.rasmussen@eksempel.dk"
KAREN = "karen.pedersen@eksempel.dk"
ANNA = "anna.jensen@eksempel.dk"
FATIMA = "fatima.ali@eksempel.dk"
PIA = "pia.schmidt@eksempel.dk"
METTE = "mette.sorensen@eksempel.dk"
ERR = "... on Error { code field message messageDa }"
ACT = "id version feedback feedbackRole feedbackRoleDa assessmentDa feedbackBy { name } person { name }"
RECORD = """mutation($i: RecordActInput!) { recordAct(input: $i) { __typename ... on ActPayload { act { %s } } %s } }""" % (
    ACT, ERR)
JUSTIFY = """mutation($id: ID!, $v: Int!) { justifyAct(id: $id, version: $v, justification: "Det gav ro.") {
    ... on ActPayload { act { id version } } } }"""
FEEDBACK = """mutation($id: ID!, $v: Int!, $a: FeedbackAssessment!) { giveFeedback(id: $id, version: $v,
    feedback: "Godt set – lad os tage det op på tavlemødet.", assessment: $a) { __typename
    ... on FeedbackPayload { suggestBreach inviteConversation act { %s } } %s } }""" % (ACT, ERR)
ONE = """query($id: ID!) { act(id: $id) { id } }"""
LIST = """query { acts { id person { externalId } delegation { control { form } } } }"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


async def _peer_act(api, ids, *, justified: bool = True) -> dict:
    """Mads's act as hverdagsdirektør under the dementia team's peer-sparring delegation."""
    made = (await api.gql(RECORD, {"i": {
        "person": MADS, "area": "care/alternative-solutions", "unit": ids.unit("Demensafsnittet"),
        "caseRef": "Døgnrytme stue 7", "description": "Morgenplejen blev flyttet til efter morgenmaden.",
        "attributes": {"deviation": True, "citizen_category": "demens"}, "occurredAt": _now()}}, as_=MADS))["recordAct"]
    assert made["__typename"] == "ActPayload", made
    act = made["act"]
    if justified:
        act = (await api.gql(JUSTIFY, {"id": act["id"], "v": act["version"]}, as_=MADS))["justifyAct"]["act"]
    return act


async def _feedback(api, act, who, assessment="WELL_FOUNDED") -> dict:
    return (await api.gql(FEEDBACK, {"id": act["id"], "v": act["version"], "a": assessment}, as_=who))["giveFeedback"]


async def test_a_colleague_gives_feedback_on_a_peer_sparring_act_and_it_is_recorded_as_hers(api):
    ids = await api.ids()
    act = await _peer_act(api, ids)
    assert (await api.gql(ONE, {"id": act["id"]}, as_=IDA))["act"] == {"id": act["id"]}
    given = await _feedback(api, act, IDA)
    assert given["__typename"] == "FeedbackPayload", given
    assert given["act"]["feedbackRole"] == "PEER" and given["act"]["feedbackRoleDa"] == "kollega – kollegial sparring"
    assert given["act"]["feedbackBy"] == {"name": "Ida Rasmussen"}
    assert given["suggestBreach"] is False and given["inviteConversation"] is False
    # The employee answers as she does any feedback.
    answered = (await api.gql("""mutation($id: ID!, $v: Int!) { replyToFeedback(id: $id, version: $v, reply: "Tak.") {
        __typename ... on ActPayload { act { reply } } } }""", {"id": act["id"], "v": given["act"]["version"]},
                              as_=MADS))["replyToFeedback"]
    assert answered["act"]["reply"] == "Tak.", answered
    # The leader sees that it came from a colleague; a leader's own feedback says so too.
    seen = (await api.gql("query($id: ID!) { act(id: $id) { feedbackRole feedbackBy { name } } }",
                          {"id": act["id"]}, as_=KAREN))["act"]
    assert seen == {"feedbackRole": "PEER", "feedbackBy": {"name": "Ida Rasmussen"}}
    async with api.web(as_=KAREN) as web:
        page = (await web.get(f"/handlinger/{act['id']}")).text
        assert "Ida Rasmussen (kollega – kollegial sparring)" in page
    other = await _peer_act(api, ids)
    assert (await _feedback(api, other, KAREN))["act"]["feedbackRole"] == "LEADER"


async def test_the_demo_shows_a_colleagues_feedback_in_danish(api):
    found = (await api.gql("""query { acts { caseRef feedback feedbackRoleDa reply person { name }
        feedbackBy { name } delegation { control { form } } } }""", as_=IDA))["acts"]
    demo = [a for a in found if a["caseRef"] == "Døgnrytmeplan, stue 4"]
    assert len(demo) == 1, found
    assert demo[0]["person"]["name"] == "Mads Christensen" and demo[0]["feedbackBy"]["name"] == "Ida Rasmussen"
    assert demo[0]["feedbackRoleDa"] == "kollega – kollegial sparring" and demo[0]["reply"].startswith("Tak")
    assert demo[0]["delegation"]["control"]["form"] == "PEER_SPARRING"


async def _anna_purchase(api, ids) -> dict:
    """Anna's act under a delegation whose control is reporting afterwards (not peer sparring)."""
    made = (await api.gql(RECORD, {"i": {
        "person": ANNA, "area": "economy/purchase", "unit": ids.unit("Plejecenter Solhaven"), "caseRef": "INDK-12",
        "description": "Spil til fællesstuen", "attributes": {"amount": 450, "on_contract": True},
        "occurredAt": _now()}}, as_=ANNA))["recordAct"]
    assert made["__typename"] == "ActPayload", made
    return made["act"]


async def _mads_relatives(api, ids) -> dict:
    """Mads's decision in his own unit under periodic review (not peer sparring)."""
    made = (await api.gql(RECORD, {"i": {
        "person": MADS, "area": "care/relatives", "unit": ids.unit("Demensafsnittet"), "action": "decide",
        "caseRef": "Pårørende stue 2", "description": "Fast ugentligt opkald til datteren.",
        "attributes": {"consent": True, "health_information_shared": False}, "occurredAt": _now()}},
                          as_=MADS))["recordAct"]
    assert made["__typename"] == "ActPayload", made
    return made["act"]


@pytest.mark.parametrize("case", ["other_control_same_unit", "other_control_other_unit", "unit_above",
                                  "other_unit", "own_act"])
async def test_a_colleague_is_refused_outside_peer_sparring_and_nothing_is_written(api, case):
    ids = await api.ids()
    who, act, code = {
        "other_control_same_unit": (IDA, lambda: _mads_relatives(api, ids), "not_found"),
        "other_control_other_unit": (FATIMA, lambda: _anna_purchase(api, ids), "not_found"),
        "unit_above": (FATIMA, lambda: _peer_act(api, ids), "not_found"),  # Solhaven is not Kastanjen
        "other_unit": (PIA, lambda: _peer_act(api, ids), "not_found"),
        "own_act": (MADS, lambda: _peer_act(api, ids), "not_authorised_to_review"),
    }[case]
    act = await act()
    if case != "own_act":
        assert (await api.gql(ONE, {"id": act["id"]}, as_=who))["act"] is None
    before = await snapshot(api.db)
    refused = await _feedback(api, act, who)
    assert refused.get("code") == code, refused
    assert await snapshot(api.db) == before


async def test_a_colleague_does_not_judge_outside_the_frame_nor_write_over_feedback(api):
    ids = await api.ids()
    act = await _peer_act(api, ids)
    before = await snapshot(api.db)
    outside = await _feedback(api, act, IDA, "NOT_ACCEPTABLE")
    assert outside["code"] == "not_a_peer_assessment" and outside["field"] == "assessment", outside
    assert "lederens vurdering" in outside["messageDa"]
    assert await snapshot(api.db) == before
    # Over the leader's feedback: refused; over her own: she may rewrite it.
    led = await _feedback(api, act, KAREN, "WORTH_DISCUSSING")
    before = await snapshot(api.db)
    over = await _feedback(api, led["act"], IDA)
    assert over["code"] == "feedback_already_given", over
    assert await snapshot(api.db) == before
    mine = await _peer_act(api, ids)
    first = await _feedback(api, mine, IDA, "WORTH_DISCUSSING")
    again = await _feedback(api, first["act"], IDA)
    assert again["__typename"] == "FeedbackPayload" and again["act"]["assessmentDa"] == "Fagligt velbegrundet", again


async def test_a_colleague_neither_asks_for_the_argument_nor_draws_the_leaders_card(api):
    ids = await api.ids()
    act = await _peer_act(api, ids, justified=False)
    before = await snapshot(api.db)
    asked = (await api.gql("""mutation($id: ID!, $v: Int!) { askForJustification(id: $id, version: $v) {
        __typename %s } }""" % ERR, {"id": act["id"], "v": act["version"]}, as_=IDA))["askForJustification"]
    assert asked["code"] == "not_authorised_to_review", asked
    delegation = (await api.gql("query($id: ID!) { act(id: $id) { delegation { id } } }", {"id": act["id"]},
                                as_=IDA))["act"]["delegation"]["id"]
    card = (await api.gql("""mutation($i: RecordLeaderCardInput!) { recordLeaderCard(input: $i) { __typename %s } }"""
                          % ERR, {"i": {"delegationId": delegation, "decided": "Sådan gør vi.", "why": "Fordi."}},
                          as_=IDA))["recordLeaderCard"]
    assert card["__typename"] == "ForbiddenError", card
    assert await snapshot(api.db) == before


async def test_lists_show_a_colleague_only_peer_sparring_acts_of_others_in_her_unit(api):
    ids = await api.ids()
    peer = await _peer_act(api, ids)
    relatives = await _mads_relatives(api, ids)
    purchase = await _anna_purchase(api, ids)
    listed = (await api.gql(LIST, as_=IDA))["acts"]
    assert peer["id"] in {a["id"] for a in listed}
    assert relatives["id"] not in {a["id"] for a in listed} and purchase["id"] not in {a["id"] for a in listed}
    assert {a["delegation"]["control"]["form"] for a in listed} == {"PEER_SPARRING"}
    assert {a["person"]["externalId"] for a in listed} == {MADS}
    # Her own act under peer sparring is in myActs, never among her colleagues' (Mads sees Ida's only).
    assert peer["id"] not in {a["id"] for a in (await api.gql(LIST, as_=MADS))["acts"]}
    for outsider in (FATIMA, PIA, ANNA):
        assert (await api.gql(LIST, as_=outsider))["acts"] == [], outsider
    # The breaches of a colleague stay hidden.
    assert (await api.gql("query { breaches { id } }", as_=IDA))["breaches"] == []


async def test_the_web_offers_a_colleague_her_colleagues_acts_and_a_peer_feedback_form(api):
    ids = await api.ids()
    act = await _peer_act(api, ids)
    other = await _mads_relatives(api, ids)
    async with api.web(as_=IDA) as web:
        mine = (await web.get("/handlinger")).text
        assert "Kollegial sparring" in mine and f"/handlinger/{act['id']}" in mine
        assert f"/handlinger/{other['id']}" not in mine
        page = (await web.get(f"/handlinger/{act['id']}")).text
        assert "Du giver tilbagemelding som kollega" in page and "Fagligt velbegrundet" in page
        assert "Uden for rammen" not in page and "Bed om den faglige begrundelse" not in page
        assert (await web.get(f"/handlinger/{other['id']}")).status_code == 404
        sent = await web.post(f"/handlinger/{act['id']}/tilbagemelding", {
            "version": str(act["version"]), "vurdering": "well_founded", "tilbagemelding": "Fint valg."})
        assert sent.status_code == 303, sent.text
        assert "Ida Rasmussen (kollega – kollegial sparring)" in (await web.get(sent.headers["location"])).text
    async with api.web(as_=FATIMA) as web:
        assert "Kollegial sparring" not in (await web.get("/handlinger")).text
        assert (await web.get(f"/handlinger/{act['id']}")).status_code == 404
