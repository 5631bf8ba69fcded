"""Mutations sent with an Idempotency-Key header are done once: a retry gets the first answer and writes
nothing; the key with another request is refused; a refused mutation keeps no key."""

import asyncio

from tests.support import snapshot

METTE = "mette.sorensen@eksempel.dk"
ADMIN = "jonas.kristensen@eksempel.dk"
ERR = "... on Error { code field message }"
DECLARE = """mutation($input: DeclareDelegationInput!) { declareDelegation(input: $input) {
    __typename ... on DelegationPayload { revision delegation { id version level delegatePerson { name }
      delegator { name } area { key } unit { name parent { name } } } }
    ... on ConflictError { code existingId } %s } }""" % ERR
CREATE_UNIT = """mutation($name: String!, $parent: ID) { createUnit(input: {name: $name, kind: SUBUNIT,
    parentId: $parent}) { __typename ... on UnitPayload { revision unit { id name parent { children { name } } } }
    %s } }""" % ERR


async def _post(api, query, variables, *, as_, key=None):
    headers = {"Authorization": f"Bearer {api.token(as_)}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def _declare(ids, **over):
    values = {"areaId": ids.areas["care/alternative-solutions"], "unitId": ids.unit("Plejecenter Solhaven"),
              "delegatePersonId": ids.people["maria"], "level": 5, "purpose": "Beboerne først."}
    values.update(over)
    return {"input": values}


async def _count(api, table):
    async with api.db.read() as conn:
        return await conn.fetchval(f"SELECT count(*) FROM {table}")


async def test_a_retry_with_the_same_idempotency_key_returns_the_first_result_and_writes_nothing(api):
    ids = await api.ids()
    first = await _post(api, DECLARE, _declare(ids), as_=METTE, key="declare-7f3c")
    payload = first.json()["data"]["declareDelegation"]
    assert payload["__typename"] == "DelegationPayload", payload
    before = await snapshot(api.db)
    retry = await _post(api, DECLARE, _declare(ids), as_=METTE, key="declare-7f3c")
    assert retry.status_code == 200 and retry.json() == first.json()  # same payload, same revision
    assert retry.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert await snapshot(api.db) == before
    query = await _post(api, "{ organisation { name } }", {}, as_=METTE, key="declare-7f3c")
    assert query.json()["data"]["organisation"]["name"] and "Idempotent-Replayed" not in query.headers


async def test_any_mutation_retried_with_its_key_is_done_once(api):
    ids = await api.ids()
    parent = ids.unit("Plejecenter Solhaven")
    units = await _count(api, "org_unit")
    first = await _post(api, CREATE_UNIT, {"name": "Nattevagten", "parent": parent}, as_=ADMIN, key="unit-1")
    unit = first.json()["data"]["createUnit"]
    assert unit["__typename"] == "UnitPayload", unit
    # The payload is read inside the request's transaction: the parent's children include the new unit.
    assert "Nattevagten" in [c["name"] for c in unit["unit"]["parent"]["children"]]
    before = await snapshot(api.db)
    retry = await _post(api, CREATE_UNIT, {"name": "Nattevagten", "parent": parent}, as_=ADMIN, key="unit-1")
    assert retry.json() == first.json()
    assert await snapshot(api.db) == before
    assert await _count(api, "org_unit") == units + 1
    revision = (await api.gql("{ organisation { revision } }", as_=ADMIN))["organisation"]["revision"]
    assert revision == unit["revision"]


async def test_the_same_key_with_another_request_is_refused_and_writes_nothing(api):
    ids = await api.ids()
    first = await _post(api, DECLARE, _declare(ids), as_=METTE, key="k-42")
    assert first.json()["data"]["declareDelegation"]["__typename"] == "DelegationPayload"
    before = await snapshot(api.db)
    other = await _post(api, DECLARE, _declare(ids, level=4), as_=METTE, key="k-42")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert other.json()["error"]["field"] == "Idempotency-Key"
    assert await snapshot(api.db) == before


async def test_a_refused_mutation_keeps_no_key_so_the_corrected_request_may_use_it(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    refused = await _post(api, DECLARE, _declare(ids, level=8), as_=METTE, key="k-7")
    assert refused.json()["data"]["declareDelegation"]["code"] == "level_out_of_range"
    assert await snapshot(api.db) == before  # no key, no revision
    fixed = await _post(api, DECLARE, _declare(ids), as_=METTE, key="k-7")
    assert fixed.json()["data"]["declareDelegation"]["__typename"] == "DelegationPayload", fixed.json()
    retry = await _post(api, DECLARE, _declare(ids), as_=METTE, key="k-7")
    assert retry.headers.get("Idempotent-Replayed") == "true" and retry.json() == fixed.json()


async def test_keys_belong_to_their_caller_and_expire(api):
    ids = await api.ids()
    parent = ids.unit("Plejecenter Solhaven")
    mine = await _post(api, CREATE_UNIT, {"name": "Køkkenet", "parent": parent}, as_=ADMIN, key="shared")
    theirs = await _post(api, CREATE_UNIT, {"name": "Køkkenet", "parent": parent}, as_="susanne.kjaer@eksempel.dk",
                         key="shared")
    assert theirs.json()["data"]["createUnit"]["__typename"] in ("UnitPayload", "ForbiddenError")
    assert theirs.json() != mine.json() and "Idempotent-Replayed" not in theirs.headers
    retry = await _post(api, CREATE_UNIT, {"name": "Køkkenet", "parent": parent}, as_=ADMIN, key="shared")
    assert retry.headers.get("Idempotent-Replayed") == "true" and retry.json() == mine.json()
    async with api.db.read() as conn:  # a day later
        await conn.execute("UPDATE idempotency_key SET expires_at = now() - interval '1 second'")
    units = await _count(api, "org_unit")
    again = await _post(api, CREATE_UNIT, {"name": "Køkkenet", "parent": parent}, as_=ADMIN, key="shared")
    assert again.json()["data"]["createUnit"]["unit"]["id"] != mine.json()["data"]["createUnit"]["unit"]["id"]
    assert await _count(api, "org_unit") == units + 1


async def test_a_malformed_key_is_refused_and_writes_nothing(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    for key in ("", "has space", "x" * 256):
        response = await _post(api, DECLARE, _declare(ids), as_=METTE, key=key)
        assert response.status_code == 400, key
        assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert await snapshot(api.db) == before


async def test_concurrent_retries_with_the_same_key_write_once(api):
    ids = await api.ids()
    parent = ids.unit("Plejecenter Solhaven")
    units = await _count(api, "org_unit")
    answers = await asyncio.gather(*[_post(api, CREATE_UNIT, {"name": "Vaskeriet", "parent": parent}, as_=ADMIN,
                                           key="double-click") for _ in range(5)])
    assert len({a.text for a in answers}) == 1, [a.text for a in answers]
    assert sum("Idempotent-Replayed" in a.headers for a in answers) == 4
    assert await _count(api, "org_unit") == units + 1



async def test_a_key_covers_one_mutation_and_a_request_with_more_is_refused_and_writes_nothing(api):
    # Several mutations under one key would run in one transaction, where a later one's checks cannot
    # see an earlier one's writes: the key would change the outcome. So they are refused whole.
    ids = await api.ids()
    parent = ids.unit("Plejecenter Solhaven")
    two = """mutation($p: ID) { a: createUnit(input: {name: "Aftenvagten", kind: SUBUNIT, parentId: $p}) { __typename }
             b: createUnit(input: {name: "Nattevagten", kind: SUBUNIT, parentId: $p}) { __typename } }"""
    spread = """mutation($p: ID) { ...Both } fragment Both on Mutation {
                a: createUnit(input: {name: "Aftenvagten", kind: SUBUNIT, parentId: $p}) { __typename } }"""
    before = await snapshot(api.db)
    for query in (two, spread):
        response = await _post(api, query, {"p": parent}, as_=ADMIN, key="two-at-once")
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "idempotency_single_mutation"
    assert await snapshot(api.db) == before
    without_key = await _post(api, two, {"p": parent}, as_=ADMIN)
    assert [v["__typename"] for v in without_key.json()["data"].values()] == ["UnitPayload", "UnitPayload"]


async def test_a_platform_operator_may_send_a_key_and_a_retry_is_a_duplicate_by_the_organisation_key(api):
    from tests.support import platform_key

    operator = {"X-Api-Key": await platform_key(api.db), "Idempotency-Key": "org-nordby-1"}
    create = """mutation { createOrganisation(input: {key: "nordby", name: "Nordby Kommune"}) {
                __typename ... on Error { code field } } }"""
    first = await api.client.post("/graphql", json={"query": create}, headers=operator)
    assert first.status_code == 200 and first.json()["data"]["createOrganisation"]["__typename"] != "ConflictError", \
        first.text
    retry = await api.client.post("/graphql", json={"query": create}, headers=operator)
    assert retry.json()["data"]["createOrganisation"] == {"__typename": "ConflictError", "code": "duplicate",
                                                          "field": "key"}
    assert await _count(api, "organisation") == 2
