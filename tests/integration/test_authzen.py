"""The AuthZEN 1.0 endpoints through the real app, with an API key that has the check scope."""

import pytest

from tests.support import api_key

ANNA = "anna.jensen@eksempel.dk"


async def _key(api, scopes=("check",)):
    return await api_key(api.db, list(scopes), name="sagssystem")


def _evaluation(ids, **over):
    body = {"subject": {"type": "person", "id": ANNA},
            "resource": {"type": "decision", "id": "care/alternative-solutions",
                         "properties": {"unit": ids.unit("Plejecenter Solhaven"), "deviation": True,
                                        "citizen_category": "demens"}},
            "action": {"name": "act_as_hverdagsdirektoer"}}
    body.update(over)
    return body


async def test_an_evaluation_gives_the_decision_reason_level_and_obligations(api):
    ids, key = await api.ids(), await _key(api)
    response = await api.client.post("/access/v1/evaluation", json=_evaluation(ids),
                                      headers={"X-Api-Key": key, "X-Request-ID": "abc-123"})
    assert response.status_code == 200 and response.headers["x-request-id"] == "abc-123"
    body = response.json()
    assert body["decision"] is True
    ctx = body["context"]
    assert (ctx["reason"], ctx["level"], ctx["level_label_da"]) == ("allowed", 6,
                                                                   "Medarbejderen beslutter og kan bagefter begrunde sit valg fagligt; lederen spørger ind")
    assert ctx["obligations"][0]["kind"] == "justify" and "deadline" in ctx["obligations"][0]
    assert ctx["revision"] > 0 and len(ctx["delegation_ids"]) == 1


async def test_a_red_line_deny_carries_its_consequence(api):
    ids, key = await api.ids(), await _key(api)
    body = _evaluation(ids)
    body["resource"]["properties"]["citizen_category"] = "palliativ"
    ctx = (await api.client.post("/access/v1/evaluation", json=body, headers={"X-Api-Key": key})).json()
    assert ctx["decision"] is False and ctx["context"]["reason"] == "red_line"
    assert ctx["context"]["red_line"]["consequence"]


@pytest.mark.parametrize("body, field", [
    ({"subject": {"type": "person", "id": ANNA}, "action": {"name": "decide"}}, "subject"),
    ({"subject": {"type": "user", "id": ANNA}, "action": {"name": "decide"},
      "resource": {"type": "decision", "id": "care", "properties": {"unit": "x"}}}, "subject"),
    ({"subject": {"type": "person", "id": ANNA}, "action": {"name": "decide"},
      "resource": {"type": "decision", "id": "care"}}, "resource.properties.unit"),
    ({"subject": {"type": "person", "id": ANNA}, "action": {"name": "fly"},
      "resource": {"type": "decision", "id": "care", "properties": {"unit": "x"}}}, "action"),
])
async def test_a_malformed_evaluation_is_a_400_with_a_code(api, body, field):
    key = await _key(api)
    response = await api.client.post("/access/v1/evaluation", json=body, headers={"X-Api-Key": key})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


async def test_evaluations_need_the_check_scope_and_credentials(api):
    ids = await api.ids()
    reader = await _key(api, ("read",))
    assert (await api.client.post("/access/v1/evaluation", json=_evaluation(ids))).status_code == 401
    response = await api.client.post("/access/v1/evaluation", json=_evaluation(ids), headers={"X-Api-Key": reader})
    assert response.status_code == 403 and response.json()["error"]["code"] == "missing_scope"


async def test_batch_evaluations_merge_defaults_and_honour_the_semantics(api):
    ids, key = await api.ids(), await _key(api)
    base = _evaluation(ids)
    palliative = {"resource": {"type": "decision", "id": "care/alternative-solutions",
                               "properties": {"unit": ids.unit("Plejecenter Solhaven"), "deviation": True,
                                              "citizen_category": "palliativ"}}}
    items = [{}, palliative, {"action": {"name": "be_informed"}}]
    for semantic, expected in (("execute_all", [True, False, True]), ("deny_on_first_deny", [True, False]),
                               ("permit_on_first_permit", [True])):
        response = await api.client.post("/access/v1/evaluations", headers={"X-Api-Key": key}, json={
            **base, "evaluations": items, "options": {"evaluations_semantic": semantic}})
        assert [e["decision"] for e in response.json()["evaluations"]] == expected, semantic
    single = await api.client.post("/access/v1/evaluations", headers={"X-Api-Key": key},
                                   json={**base, "evaluations": []})
    assert single.json()["decision"] is True
    bad_item = await api.client.post("/access/v1/evaluations", headers={"X-Api-Key": key}, json={
        **base, "evaluations": [{"action": {"name": "fly"}}, {}]})
    results = bad_item.json()["evaluations"]
    assert results[0]["decision"] is False and results[0]["context"]["error"]["status"] == 400
    assert results[1]["decision"] is True


async def test_subject_search_returns_the_people_whom_checks_allow(api):
    ids, key = await api.ids(), await _key(api)
    body = _evaluation(ids, subject={"type": "person"})
    body["resource"]["properties"]["unit"] = ids.unit("Demensafsnittet")
    response = (await api.client.post("/access/v1/search/subject", json=body, headers={"X-Api-Key": key})).json()
    found = [r["id"] for r in response["results"]]
    leaders = ["lars.mikkelsen", "birgitte.holm", "susanne.kjaer", "mette.sorensen", "karen.pedersen"]
    assert found == sorted([ANNA, "ida.rasmussen@eksempel.dk", "mads.christensen@eksempel.dk",
                            *(f"{leader}@eksempel.dk" for leader in leaders)])
    for person in found:
        single = _evaluation(ids, subject={"type": "person", "id": person})
        single["resource"]["properties"]["unit"] = ids.unit("Demensafsnittet")
        r = await api.client.post("/access/v1/evaluation", json=single, headers={"X-Api-Key": key})
        assert r.json()["decision"] is True
    first = (await api.client.post("/access/v1/search/subject", json={**body, "page": {"limit": 2}},
                                   headers={"X-Api-Key": key})).json()
    assert len(first["results"]) == 2 and first["page"]["next_token"]
    pages, token = first["results"], first["page"]["next_token"]
    while token:
        more = (await api.client.post("/access/v1/search/subject", headers={"X-Api-Key": key}, json={
            **body, "page": {"limit": 2, "token": token}})).json()
        pages, token = pages + more["results"], more["page"]["next_token"]
    assert [r["id"] for r in pages] == found


async def test_resource_and_action_search(api):
    ids, key = await api.ids(), await _key(api)
    resources = (await api.client.post("/access/v1/search/resource", headers={"X-Api-Key": key}, json={
        "subject": {"type": "person", "id": ANNA}, "action": {"name": "act_as_hverdagsdirektoer"},
        "resource": {"type": "decision", "properties": {"deviation": False, "citizen_category": "aeldre",
                                                        "cost": 500, "outside_home": False, "staff_count": 1}}})).json()
    keys = {r["id"] for r in resources["results"]}
    assert {"care/alternative-solutions", "care/activities"} <= keys
    actions = (await api.client.post("/access/v1/search/action", headers={"X-Api-Key": key}, json={
        "subject": {"type": "person", "id": "julie.vestergaard@eksempel.dk"},
        "resource": {"type": "decision", "id": "care/relatives",
                     "properties": {"unit": ids.unit("Bofællesskabet"), "consent": True,
                                    "health_information_shared": True}}})).json()
    assert [a["name"] for a in actions["results"]] == ["be_informed"]


async def test_the_well_known_configuration_lists_the_endpoints(api):
    config = (await api.client.get("/.well-known/authzen-configuration")).json()
    assert config["access_evaluation_endpoint"].endswith("/access/v1/evaluation")
    assert config["search_subject_endpoint"].endswith("/access/v1/search/subject")


async def test_every_response_carries_a_request_id(api):
    first = await api.client.get("/health")
    second = await api.client.get("/health")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
