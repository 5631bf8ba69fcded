"""Attribute values every Casbin reads alike: an integer beyond ±(2^53 - 1), which JavaScript's
node-casbin cannot hold exactly, or a number that is not finite, is refused wherever attributes come
in (checks, batches, AuthZEN, whoMay, recordAct) with `number_out_of_range`, and nothing is written."""

import json

import pytest

from tests.support import api_key, snapshot

ANNA = "anna.jensen@eksempel.dk"
SAFE = 2**53 - 1
CHECK = "query($i: CheckInput!) { check(input: $i) { decision reason } }"


def _attributes(cost) -> dict:
    return {"cost": cost, "outside_home": False, "staff_count": 1}


def _evaluation(ids, cost) -> dict:
    return {"subject": {"type": "person", "id": ANNA}, "action": {"name": "be_informed"},
            "resource": {"type": "decision", "id": "care/activities",
                         "properties": {"unit": ids.unit("Plejecenter Solhaven"), **_attributes(cost)}}}


@pytest.mark.parametrize("cost", [SAFE + 1, -SAFE - 1, 2**64, 10**30])
async def test_an_authzen_evaluation_with_an_integer_beyond_2_53_is_a_400(api, cost):
    ids, key = await api.ids(), await api_key(api.db, ["check"])
    response = await api.client.post("/access/v1/evaluation", json=_evaluation(ids, cost), headers={"X-Api-Key": key})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("number_out_of_range", "attributes.cost")
    assert "2^53" in error["message"]


@pytest.mark.parametrize("cost", [SAFE, -SAFE, 12.5, 1e300])
async def test_numbers_within_the_safe_range_are_answered(api, cost):
    ids, key = await api.ids(), await api_key(api.db, ["check"])
    response = await api.client.post("/access/v1/evaluation", json=_evaluation(ids, cost), headers={"X-Api-Key": key})
    assert response.status_code == 200 and "decision" in response.json()


async def test_a_batch_refuses_the_item_with_such_a_number_and_answers_the_others(api):
    ids, key = await api.ids(), await api_key(api.db, ["check"])
    body = {"evaluations": [_evaluation(ids, 10), _evaluation(ids, SAFE + 2), _evaluation(ids, 20)]}
    response = await api.client.post("/access/v1/evaluations", json=body, headers={"X-Api-Key": key})
    answers = response.json()["evaluations"]
    assert [a["decision"] for a in answers] == [True, False, True]
    assert answers[1]["context"]["error"]["code"] == "number_out_of_range"


@pytest.mark.parametrize("cost", [SAFE + 1, "NaN", "Infinity"])
async def test_graphql_check_checks_and_who_may_refuse_such_numbers(api, cost):
    ids = await api.ids()
    check = {"person": ANNA, "area": "care/activities", "unit": ids.unit("Plejecenter Solhaven"),
             "action": "BE_INFORMED", "attributes": _attributes(0)}
    queries = [
        (CHECK, {"i": check}),
        ("query($i: [CheckInput!]!) { checks(inputs: $i) { decision } }", {"i": [check]}),
        ("""query($u: ID!, $a: JSON) { whoMay(area: "care/activities", unit: $u, action: BE_INFORMED,
             attributes: $a) { stale } }""", {"u": check["unit"], "a": _attributes(0)}),
    ]
    for query, variables in queries:
        # The number goes in by hand: NaN and Infinity are not JSON, but Python's JSON reader takes them.
        text = json.dumps({"query": query, "variables": variables}).replace('"cost": 0', f'"cost": {cost}')
        response = await api.client.post("/graphql", content=text, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {api.token(ANNA)}"})
        body = response.json()
        assert body["data"] is None, body
        assert body["errors"][0]["extensions"]["code"] == "number_out_of_range", body


async def test_record_act_refuses_such_a_number_and_writes_nothing(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    result = await api.gql("""mutation($i: RecordActInput!) { recordAct(input: $i) { __typename
        ... on Error { code field } } }""", {"i": {
        "person": ANNA, "area": "care/activities", "unit": ids.unit("Plejecenter Solhaven"), "caseRef": "SAG-1",
        "description": "Udflugt", "occurredAt": "2026-11-28T09:00:00Z", "attributes": _attributes(SAFE + 1)}},
        as_=ANNA)
    assert result["recordAct"] == {"__typename": "InvalidInputError", "code": "number_out_of_range",
                                   "field": "attributes.cost"}
    assert await snapshot(api.db) == before
