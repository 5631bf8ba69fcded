"""Feedback goes both ways (issue 12 part 3): the employee answers the feedback on her act."""

from datetime import datetime, timezone

import pytest

from tests.support import snapshot

METTE = "mette.sorensen@eksempel.dk"
ANNA = "anna.jensen@eksempel.dk"
FATIMA = "fatima.ali@eksempel.dk"
ERR = "... on Error { code field message messageDa }"
REPLY = """mutation($id: ID!, $v: Int!, $r: String!) { replyToFeedback(id: $id, version: $v, reply: $r) { __typename
    ... on ActPayload { act { id version reply repliedAt feedback } } %s } }""" % ERR


async def _purchase(api, ids, *, feedback: bool):
    act = (await api.gql("""mutation($i: RecordActInput!) { recordAct(input: $i) { ... on ActPayload {
        act { id version } } %s } }""" % ERR, {"i": {
        "person": ANNA, "area": "economy/purchase", "unit": ids.unit("Plejecenter Solhaven"), "caseRef": "INDK-9",
        "description": "Spil til fællesstuen", "attributes": {"amount": 450, "on_contract": True},
        "occurredAt": datetime.now(timezone.utc).isoformat()}}, as_=ANNA))["recordAct"]["act"]
    if feedback:
        act = (await api.gql("""mutation($id: ID!, $v: Int!) { giveFeedback(id: $id, version: $v,
            feedback: "Godt valg – fortæl gerne teamet om spillet.", assessment: WORTH_DISCUSSING) {
            ... on FeedbackPayload { act { id version } } } }""", {"id": act["id"], "v": act["version"]},
                             as_=METTE))["giveFeedback"]["act"]
    return act


async def test_the_employee_answers_the_feedback_on_her_act(api):
    ids = await api.ids()
    act = await _purchase(api, ids, feedback=True)
    answered = (await api.gql(REPLY, {"id": act["id"], "v": act["version"], "r": "Tak, jeg tager det op i morgen."},
                              as_=ANNA))["replyToFeedback"]
    assert answered["__typename"] == "ActPayload", answered
    assert answered["act"]["reply"] == "Tak, jeg tager det op i morgen." and answered["act"]["repliedAt"]
    async with api.web(as_=METTE) as web:
        page = await web.get(f"/handlinger/{act['id']}")
        assert "Anna Jensens svar" in page.text and "Tak, jeg tager det op i morgen." in page.text


@pytest.mark.parametrize("who, feedback, code", [(ANNA, False, "no_feedback_yet"), (FATIMA, True, "not_found"),
                                                 (METTE, True, "not_your_act")])
async def test_only_the_actor_answers_and_only_given_feedback(api, who, feedback, code):
    ids = await api.ids()
    act = await _purchase(api, ids, feedback=feedback)
    before = await snapshot(api.db)
    refused = (await api.gql(REPLY, {"id": act["id"], "v": act["version"], "r": "Svar"}, as_=who))["replyToFeedback"]
    assert refused["code"] == code, refused
    assert await snapshot(api.db) == before


async def test_she_answers_on_the_acts_page(api):
    ids = await api.ids()
    act = await _purchase(api, ids, feedback=True)
    async with api.web(as_=ANNA) as web:
        page = await web.get(f"/handlinger/{act['id']}")
        assert "Svar på tilbagemeldingen" in page.text
        saved = await web.post(f"/handlinger/{act['id']}/svar", {"version": str(act["version"]),
                                                                 "svar": "Det gør jeg."})
        assert saved.status_code == 303
        assert "Dit svar" in (await web.get(saved.headers["location"])).text


async def test_outside_the_frame_invites_a_conversation_and_opens_no_breach(api):
    ids = await api.ids()
    act = await _purchase(api, ids, feedback=False)
    async with api.db.read() as conn:
        breaches = await conn.fetchval("SELECT count(*) FROM breach")
    given = (await api.gql("""mutation($id: ID!, $v: Int!) { giveFeedback(id: $id, version: $v, feedback: "Lad os tale om rammen.",
        assessment: NOT_ACCEPTABLE) { ... on FeedbackPayload { inviteConversation nextStepDa suggestBreach
        act { assessmentDa } } } }""", {"id": act["id"], "v": act["version"]}, as_=METTE))["giveFeedback"]
    assert given["inviteConversation"] is True and given["act"]["assessmentDa"] == "Uden for rammen"
    assert given["nextStepDa"].startswith("Tag en samtale med medarbejderen")
    async with api.db.read() as conn:
        assert await conn.fetchval("SELECT count(*) FROM breach") == breaches
    async with api.web(as_=METTE) as web:
        assert "Tag en samtale med medarbejderen" in (await web.get(f"/handlinger/{act['id']}")).text
