"""Attacks on the registry itself: each is refused with its typed error, and nothing is written.

An employee raising her own level or extending her own validity, a leader delegating in a sibling
subtree, a stand-in acting after the period, forged bearer tokens, a revoked API key, and
oversized or too-deep queries.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from registry.settings import Settings
from registry.storage import apikeys
from registry.storage.db import Actor
from tests.conftest import JWT_SECRET
from tests.support import Api, api_key, snapshot

METTE, ANNA, MARIA = "mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk", "maria.larsen@eksempel.dk"
ERR = "... on Error { code field }"
AMEND = """mutation($id: ID!, $v: Int!, $i: AmendDelegationInput!) { amendDelegation(id: $id, version: $v,
    input: $i) { __typename %s } }""" % ERR
DECLARE = """mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) { __typename %s } }""" % ERR
CREATE_UNIT = 'mutation { createUnit(input: {name: "Indbrud", kind: UNIT}) { __typename %s } }' % ERR
ISSUER, AUDIENCE = "https://idp.eksempel.dk", "registry"


@pytest.fixture
def settings():
    return Settings.from_env({"REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_DATA_DIR": "/tmp/registry-test-unused",
                              "REGISTRY_RATE_LIMIT_PERSON": "10000", "REGISTRY_JWT_ISSUER": ISSUER,
                              "REGISTRY_JWT_AUDIENCE": AUDIENCE})


async def _annas_delegation(api: Api, ids) -> dict:
    found = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id version
        level validUntil area { key } } } }""", {"p": ids.people["anna"]}, as_=ANNA))["delegations"]["nodes"]
    return next(d for d in found if d["area"]["key"] == "care/alternative-solutions")


async def _refused(api: Api, query: str, variables: dict, who: str, field: str, code: str) -> None:
    before = await snapshot(api.db)
    result = (await api.gql(query, variables, as_=who))[field]
    assert (result["__typename"], result["code"]) == ("ForbiddenError", code), result
    assert await snapshot(api.db) == before


async def test_an_employee_cannot_raise_her_own_level(api):
    ids = await api.ids()
    mine = await _annas_delegation(api, ids)
    await _refused(api, AMEND, {"id": mine["id"], "v": mine["version"], "i": {"level": 7}}, ANNA,
                   "amendDelegation", "not_authorised_to_delegate")


async def test_an_employee_cannot_extend_her_own_validity(api):
    ids = await api.ids()
    mine = await _annas_delegation(api, ids)
    later = (datetime.now(timezone.utc) + timedelta(days=3650)).isoformat()
    await _refused(api, AMEND, {"id": mine["id"], "v": mine["version"], "i": {"validUntil": later}}, ANNA,
                   "amendDelegation", "not_authorised_to_delegate")
    again = {"areaId": ids.areas["care/alternative-solutions"], "unitId": ids.unit("Plejecenter Solhaven"),
             "delegatePersonId": ids.people["anna"], "level": 7, "validUntil": later}
    await _refused(api, DECLARE, {"i": again}, ANNA, "declareDelegation", "not_authorised_to_delegate")


async def test_a_leader_cannot_delegate_in_a_sibling_subtree(api):
    ids = await api.ids()
    sibling = {"areaId": ids.areas["care/relatives"], "unitId": ids.unit("Plejecenter Egelund"),
               "delegatePersonId": ids.people["anna"], "level": 5}
    await _refused(api, DECLARE, {"i": sibling}, METTE, "declareDelegation", "not_authorised_to_delegate")


async def test_a_stand_in_cannot_act_after_the_period(api, clock):
    ids = await api.ids()
    now = datetime.now(timezone.utc)
    clock.value = now
    appointed = (await api.gql("""mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) { appointStandIn(
        unitId: $u, standInId: $s, validFrom: $f, validUntil: $t) { __typename %s } }""" % ERR,
        {"u": ids.unit("Plejecenter Solhaven"), "s": ids.people["maria"], "f": now.isoformat(),
         "t": (now + timedelta(days=7)).isoformat()}, as_=METTE))["appointStandIn"]
    assert appointed["__typename"] == "StandInPayload", appointed
    clock.value = now + timedelta(days=8)
    declare = {"areaId": ids.areas["care/relatives"], "unitId": ids.unit("Plejecenter Solhaven"),
               "delegatePersonId": ids.people["fatima"], "level": 5}
    await _refused(api, DECLARE, {"i": declare}, MARIA, "declareDelegation", "not_authorised_to_delegate")
    breach = {"personId": ids.people["anna"], "areaId": ids.areas["care/relatives"],
              "unitId": ids.unit("Plejecenter Solhaven"), "occurredAt": now.isoformat(), "description": "x",
              "cause": "RESOURCES", "response": "DIALOGUE"}
    await _refused(api, "mutation($i: RecordBreachInput!) { recordBreach(input: $i) { __typename %s } }" % ERR,
                   {"i": breach}, MARIA, "recordBreach", "not_authorised_to_record")


def _claims(**overrides) -> dict:
    now = int(time.time())
    claims = {"sub": "jonas.kristensen@eksempel.dk", "tenant": "eksempel", "iat": now, "nbf": now,
              "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


FORGED = {
    "wrong_key": (lambda: jwt.encode(_claims(), "another-secret-that-is-long-enough-0123456789", "HS256"),
                  "invalid_token"),
    "alg_none": (lambda: _unsigned(_claims()), "invalid_token"),
    "expired": (lambda: jwt.encode(_claims(exp=int(time.time()) - 3600), JWT_SECRET, "HS256"), "token_expired"),
    "another_audience": (lambda: jwt.encode(_claims(aud="another-service"), JWT_SECRET, "HS256"), "invalid_token"),
    "another_issuer": (lambda: jwt.encode(_claims(iss="https://evil.example"), JWT_SECRET, "HS256"),
                       "invalid_token"),
}


@pytest.mark.parametrize("forgery", sorted(FORGED))
async def test_a_forged_token_is_refused_and_writes_nothing(api, forgery):
    make, code = FORGED[forgery]
    before = await snapshot(api.db)
    for path, body in (("/graphql", {"query": CREATE_UNIT}), ("/access/v1/evaluations", {"evaluations": []})):
        response = await api.client.post(path, json=body, headers={"Authorization": f"Bearer {make()}"})
        assert response.status_code == 401, (forgery, path, response.text)
        assert response.json()["error"]["code"] == code, response.text
    assert await snapshot(api.db) == before
    # The genuine article, for contrast: the same admin's real token creates the unit.
    assert (await api.gql(CREATE_UNIT, as_="jonas.kristensen@eksempel.dk"))["createUnit"]["__typename"] == \
        "UnitPayload"


async def test_a_revoked_api_key_is_refused_and_writes_nothing(api):
    secret = await api_key(api.db, ["admin"], name="leaked")
    assert (await api.gql("{ organisation { key } }", api_key=secret))["organisation"]["key"] == "eksempel"
    async with api.db.read() as conn:
        key_id = await conn.fetchval("SELECT id FROM api_key WHERE name = 'leaked'")
    async with api.db.write((await api.ids()).tenant, Actor("cli")) as tx:  # as `registry apikey revoke` does
        await apikeys.revoke(tx, key_id, datetime.now(timezone.utc))
    before = await snapshot(api.db)
    response = await api.client.post("/graphql", json={"query": CREATE_UNIT}, headers={"X-Api-Key": secret})
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_api_key", response.text
    assert await snapshot(api.db) == before


async def test_an_oversized_body_is_refused_and_writes_nothing(api):
    before = await snapshot(api.db)
    padding = "x" * 1_100_000
    response = await api.client.post("/graphql", json={"query": CREATE_UNIT, "variables": {"pad": padding}},
                                     headers={"Authorization": f"Bearer {api.token('jonas.kristensen@eksempel.dk')}"})
    assert response.status_code == 413, response.status_code
    assert await snapshot(api.db) == before


async def test_a_too_deep_mutation_is_refused_and_writes_nothing(api):
    deep = ('mutation { createUnit(input: {name: "Dyb", kind: UNIT}) { __typename ... on UnitPayload { unit { '
            + "children { " * 14 + "name" + " }" * 14 + " } } } }")
    before = await snapshot(api.db)
    result = await api.gql(deep, as_="jonas.kristensen@eksempel.dk")
    assert result.data is None and result.errors[0]["extensions"]["code"] == "query_too_deep"
    assert await snapshot(api.db) == before


async def test_a_revoked_api_key_stops_working_on_the_check_path_at_once(api):
    """The check path caches who callers are; a revocation (on any server) clears that cache."""
    secret = await api_key(api.db, ["check"], name="leaked-checker")
    body = {"subject": {"type": "person", "id": ANNA}, "action": {"name": "act_as_hverdagsdirektoer"},
            "resource": {"type": "decision", "id": "care/alternative-solutions",
                         "properties": {"unit": (await api.ids()).unit("Plejecenter Solhaven")}}}
    first = await api.client.post("/access/v1/evaluation", json=body, headers={"X-Api-Key": secret})
    assert first.status_code == 200, first.text  # and now the principal is cached
    async with api.db.read() as conn:
        key_id = await conn.fetchval("SELECT id FROM api_key WHERE name = 'leaked-checker'")
    async with api.db.write((await api.ids()).tenant, Actor("cli")) as tx:
        await apikeys.revoke(tx, key_id, datetime.now(timezone.utc))
    refused = await api.client.post("/access/v1/evaluation", json=body, headers={"X-Api-Key": secret})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key", refused.text


async def test_a_breach_cannot_be_read_through_its_history(api):
    ids = await api.ids()
    recorded = (await api.gql("""mutation($i: RecordBreachInput!) { recordBreach(input: $i) { __typename
        ... on BreachPayload { breach { id } } %s } }""" % ERR, {"i": {
            "personId": ids.people["anna"], "areaId": ids.areas["care/relatives"],
            "unitId": ids.unit("Plejecenter Solhaven"), "occurredAt": datetime.now(timezone.utc).isoformat(),
            "description": "Fortroligt", "cause": "RESOURCES", "response": "DIALOGUE"}}, as_=METTE))["recordBreach"]
    breach = recorded["breach"]["id"]
    history = "query($id: ID!) { history(entityId: $id) { nodes { entityType } } }"
    assert (await api.gql(history, {"id": breach}, as_=METTE))["history"]["nodes"] == [{"entityType": "breach"}]
    assert (await api.gql(history, {"id": breach}, as_=ANNA))["history"]["nodes"] == [{"entityType": "breach"}]
    for outsider in ("fatima.ali@eksempel.dk", "pia.schmidt@eksempel.dk", "jonas.kristensen@eksempel.dk"):
        assert (await api.gql(history, {"id": breach}, as_=outsider))["history"]["nodes"] == [], outsider
    audit = "query { auditHistory(entityType: \"breach\") { nodes { entityId } } }"
    assert (await api.gql(audit, as_="henrik.bach@eksempel.dk"))["auditHistory"]["nodes"] == []


async def test_a_check_only_key_cannot_read_the_organisation_through_a_check_result(api):
    """Links from results into the organisation take the right to read it (registry.api.authorization)."""
    checker = await api_key(api.db, ["check"], name="checker")
    reader = await api_key(api.db, ["check", "read"], name="checker-and-reader")
    levels = await api.gql('{ mandate(person: "anna.jensen@eksempel.dk") { level } }', api_key=checker)
    assert levels["mandate"] and all(e["level"] for e in levels["mandate"])
    for query in ('{ mandate(person: "anna.jensen@eksempel.dk") { level delegation { purpose trust { competence '
                  '{ note } } } } }',
                  '{ mandate(person: "anna.jensen@eksempel.dk") { level delegation { delegator { email } } } }',
                  'query($u: ID!, $a: JSON) { whoMay(area: "care/alternative-solutions", unit: $u, '
                  "action: ACT_AS_HVERDAGSDIREKTOER, attributes: $a) { people { person { email } } } }"):
        variables = {"u": (await api.ids()).unit("Plejecenter Solhaven"),
                     "a": {"deviation": True, "citizen_category": "demens"}} if "$u" in query else {}
        refused = await api.gql(query, variables, api_key=checker)
        assert refused.errors and {e["extensions"]["code"] for e in refused.errors} == {"missing_scope"}, refused.body
        assert "@eksempel.dk" not in str(refused.data) and "note" not in str(refused.data)
        allowed = await api.gql(query, variables, api_key=reader)
        assert allowed.errors is None and allowed.data != refused.data, allowed.body
