"""The edges of authority, found by a security review: roles granted by a sync system, a suspended
holder passing on, a stand-in outliving the leader, deputies, breaches about the wrong people, a
stand-in's delegations after the period, API keys in the history, and existence oracles."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from registry.storage.db import Actor
from tests.support import api_key, snapshot

METTE, ANNA, MARIA, JENS = ("mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk", "maria.larsen@eksempel.dk",
                            "jens.poulsen@eksempel.dk")
KAREN, PIA, FATIMA, ADMIN = ("karen.pedersen@eksempel.dk", "pia.schmidt@eksempel.dk", "fatima.ali@eksempel.dk",
                             "jonas.kristensen@eksempel.dk")
ERR = "... on Error { code field }"
DECLARE = "mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) { __typename %s " \
          "... on DelegationPayload { delegation { id version } } } }" % ERR
BREACH = "mutation($i: RecordBreachInput!) { recordBreach(input: $i) { __typename %s } }" % ERR
CHECK = "query($i: CheckInput!) { check(input: $i) { decision reason } }"


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _delegation(api, key_area: str, delegate: str) -> dict:
    ids = await api.ids()
    found = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id version
        validUntil area { key } } } }""", {"p": ids.people[delegate]}, as_=ADMIN))["delegations"]["nodes"]
    return next(d for d in found if d["area"]["key"] == key_area)


async def _breach(api, who: str, **fields) -> dict:
    ids = await api.ids()
    data = {"occurredAt": _now().isoformat(), "description": "x", "cause": "RESOURCES", "response": "DIALOGUE",
            "areaId": ids.areas["care/relatives"], "unitId": ids.unit("Plejecenter Solhaven"), **fields}
    return (await api.gql(BREACH, {"i": data}, as_=who))["recordBreach"]


async def test_a_write_key_keeps_people_in_step_but_grants_no_roles(api):
    writer = await api_key(api.db, ["write"], name="hr-sync")
    ids = await api.ids()
    plain = (await api.gql('mutation { createPerson(input: {externalId: "ny@eksempel.dk", name: "Ny"}) { __typename '
                           '%s } }' % ERR, api_key=writer))["createPerson"]
    assert plain["__typename"] == "PersonPayload", plain
    before = await snapshot(api.db)
    refused = (await api.gql('mutation { createPerson(input: {externalId: "boss@eksempel.dk", name: "Boss", '
                             'roles: [ADMIN]}) { __typename %s } }' % ERR, api_key=writer))["createPerson"]
    assert (refused["__typename"], refused["code"]) == ("ForbiddenError", "missing_scope")
    fatima = (await api.gql("query($id: ID!) { person(id: $id) { version } }", {"id": ids.people["fatima"]},
                            as_=ADMIN))["person"]
    promote = (await api.gql("""mutation($id: ID!, $v: Int!) { updatePerson(id: $id, version: $v,
        input: {roles: [ADMIN]}) { __typename %s } }""" % ERR, {"id": ids.people["fatima"], "v": fatima["version"]},
        api_key=writer))["updatePerson"]
    assert (promote["__typename"], promote["code"]) == ("ForbiddenError", "missing_scope")
    jonas = (await api.gql("query($id: ID!) { person(id: $id) { version } }", {"id": ids.people["jonas"]},
                           as_=ADMIN))["person"]
    takeover = (await api.gql("""mutation($id: ID!, $v: Int!) { updatePerson(id: $id, version: $v,
        input: {externalId: "attacker@eksempel.dk"}) { __typename %s } }""" % ERR,
        {"id": ids.people["jonas"], "v": jonas["version"]}, api_key=writer))["updatePerson"]
    assert (takeover["__typename"], takeover["code"]) == ("ForbiddenError", "missing_scope")
    assert await snapshot(api.db) == before


async def test_a_suspended_or_lowered_holder_cannot_pass_her_delegation_on(api):
    ids = await api.ids()
    held = await _delegation(api, "personnel/shift-planning", "maria")
    sub = {"parentId": held["id"], "areaId": ids.areas["personnel/shift-planning"],
           "unitId": ids.unit("Plejecenter Solhaven"), "delegatePersonId": ids.people["kasper"], "level": 7,
           "validUntil": held["validUntil"]}
    lowered = await _breach(api, METTE, delegationId=held["id"], response="LOWERED_LEVEL", loweredTo=4,
                            until=(_now() + timedelta(days=30)).isoformat())
    assert lowered["__typename"] == "BreachPayload", lowered
    before = await snapshot(api.db)
    too_high = (await api.gql(DECLARE, {"i": sub}, as_=MARIA))["declareDelegation"]
    assert (too_high["__typename"], too_high["code"]) == ("ForbiddenError", "exceeds_parent")
    assert await snapshot(api.db) == before
    within = (await api.gql(DECLARE, {"i": {**sub, "level": 4}}, as_=MARIA))["declareDelegation"]
    assert within["__typename"] == "DelegationPayload", within
    suspended = await _breach(api, METTE, delegationId=held["id"], response="SUSPENSION",
                              until=(_now() + timedelta(days=30)).isoformat())
    assert suspended["__typename"] == "BreachPayload", suspended
    before = await snapshot(api.db)
    refused = (await api.gql(DECLARE, {"i": {**sub, "level": 3}}, as_=MARIA))["declareDelegation"]
    assert (refused["__typename"], refused["code"]) == ("ForbiddenError", "holder_suspended")
    assert await snapshot(api.db) == before


async def test_a_stand_in_holds_nothing_once_the_leader_has_left_the_unit(api):
    ids = await api.ids()
    appointed = (await api.gql("""mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) { appointStandIn(
        unitId: $u, standInId: $s, validFrom: $f, validUntil: $t) { __typename %s } }""" % ERR,
        {"u": ids.unit("Plejecenter Solhaven"), "s": ids.people["maria"], "f": _now().isoformat(),
         "t": (_now() + timedelta(days=3650)).isoformat()}, as_=METTE))["appointStandIn"]
    assert appointed["__typename"] == "StandInPayload", appointed
    declare = {"areaId": ids.areas["care/relatives"], "unitId": ids.unit("Plejecenter Solhaven"),
               "delegatePersonId": ids.people["fatima"], "level": 5}
    check = {"i": {"person": MARIA, "area": "economy/purchase", "unit": ids.unit("Plejecenter Solhaven"),
                   "action": "DECIDE", "attributes": {"amount": 10, "on_contract": True}}}
    assert (await api.gql(CHECK, check, as_=MARIA))["check"]["reason"] == "leader_authority"
    mette = (await api.gql("query($id: ID!) { person(id: $id) { memberships { id version role } } }",
                           {"id": ids.people["mette"]}, as_=ADMIN))["person"]["memberships"]
    leading = next(m for m in mette if m["role"] == "LEADER")
    ended = (await api.gql("""mutation($id: ID!, $v: Int!) { archiveMembership(id: $id, version: $v) { __typename
        %s } }""" % ERR, {"id": leading["id"], "v": leading["version"]}, as_=ADMIN))["archiveMembership"]
    assert ended["__typename"] == "MembershipPayload", ended
    assert (await api.gql(CHECK, check, as_=MARIA))["check"]["reason"] != "leader_authority"
    before = await snapshot(api.db)
    refused = (await api.gql(DECLARE, {"i": declare}, as_=MARIA))["declareDelegation"]
    assert (refused["__typename"], refused["code"]) == ("ForbiddenError", "not_authorised_to_delegate")
    assert await snapshot(api.db) == before


async def test_a_deputy_may_delegate_where_the_unit_allows_it_and_nothing_more(api):
    ids = await api.ids()
    recorded = await _breach(api, METTE, personId=ids.people["anna"])
    breach = "query { breaches { id } }"
    assert (await api.gql(breach, as_=JENS))["breaches"] == []
    before = await snapshot(api.db)
    refused = await _breach(api, JENS, personId=ids.people["fatima"])
    assert (refused["__typename"], refused["code"]) == ("ForbiddenError", "not_authorised_to_record"), refused
    assert await snapshot(api.db) == before
    assert recorded["__typename"] == "BreachPayload"
    declared = (await api.gql(DECLARE, {"i": {"areaId": ids.areas["care/relatives"], "delegatePersonId":
                                              ids.people["fatima"], "unitId": ids.unit("Plejecenter Solhaven"),
                                              "level": 5}}, as_=JENS))["declareDelegation"]
    assert declared["__typename"] == "DelegationPayload", declared


async def test_a_breach_concerns_someone_the_caller_answers_for(api):
    ids = await api.ids()
    demens = ids.unit("Demensafsnittet")
    before = await snapshot(api.db)
    upwards = await _breach(api, KAREN, personId=ids.people["mette"], unitId=demens)
    assert (upwards["__typename"], upwards["code"]) == ("ForbiddenError", "not_authorised_to_record"), upwards
    elsewhere = await _breach(api, PIA, personId=ids.people["anna"], unitId=ids.unit("Plejecenter Egelund"))
    assert (elsewhere["__typename"], elsewhere["code"]) == ("InvalidInputError", "not_concerned"), elsewhere
    assert await snapshot(api.db) == before
    downwards = await _breach(api, METTE, personId=ids.people["karen"], unitId=demens)
    assert downwards["__typename"] == "BreachPayload", downwards


async def test_a_stand_ins_delegation_answers_to_the_leader_after_the_period(api, clock):
    ids = await api.ids()
    now = _now()
    clock.value = now
    await api.gql("""mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) { appointStandIn(unitId: $u,
        standInId: $s, validFrom: $f, validUntil: $t) { __typename } }""",
                  {"u": ids.unit("Plejecenter Solhaven"), "s": ids.people["maria"], "f": now.isoformat(),
                   "t": (now + timedelta(days=7)).isoformat()}, as_=METTE)
    declared = (await api.gql(DECLARE, {"i": {"areaId": ids.areas["care/relatives"], "level": 5,
                                              "unitId": ids.unit("Plejecenter Solhaven"),
                                              "delegatePersonId": ids.people["fatima"]}}, as_=MARIA))
    delegation = declared["declareDelegation"]["delegation"]
    clock.value = now + timedelta(days=10)
    revoke = """mutation($id: ID!, $v: Int!) { revokeDelegation(id: $id, version: $v, reason: "x") { __typename
        %s } }""" % ERR
    before = await snapshot(api.db)
    gone = (await api.gql(revoke, {"id": delegation["id"], "v": delegation["version"]}, as_=MARIA))
    assert (gone["revokeDelegation"]["__typename"], gone["revokeDelegation"]["code"]) == \
        ("ForbiddenError", "not_authorised_to_delegate")
    assert await snapshot(api.db) == before
    amended = (await api.gql("""mutation($id: ID!, $v: Int!) { amendDelegation(id: $id, version: $v,
        input: {level: 4}) { __typename %s } }""" % ERR, {"id": delegation["id"], "v": delegation["version"]},
        as_=METTE))["amendDelegation"]
    assert amended["__typename"] == "DelegationPayload", amended


async def test_api_keys_in_the_history_are_for_auditors_and_never_hold_the_secret(api):
    await api_key(api.db, ["read"], name="visible-key")
    async with api.db.read() as conn:
        key_id = str(await conn.fetchval("SELECT id FROM api_key WHERE name = 'visible-key'"))
    history = "query($id: ID!) { history(entityId: $id) { nodes { after } pageInfo { endCursor } } }"
    hidden = (await api.gql(history, {"id": key_id}, as_=FATIMA))["history"]
    assert hidden == {"nodes": [], "pageInfo": {"endCursor": None}}
    shown = (await api.gql(history, {"id": key_id}, as_=ADMIN))["history"]["nodes"]
    assert shown and shown[0]["after"]["name"] == "visible-key"
    assert "secret_hash" not in shown[0]["after"] and "prefix" not in shown[0]["after"]


async def test_someone_who_may_not_see_an_act_learns_nothing_of_it(api):
    ids = await api.ids()
    recorded = (await api.gql("""mutation($i: RecordActInput!) { recordAct(input: $i) { __typename ... on ActPayload
        { act { id dueItems { id } } } } }""", {"i": {
            "person": ANNA, "area": "care/alternative-solutions", "unit": ids.unit("Plejecenter Solhaven"),
            "caseRef": "SAG-9", "description": "Gåtur", "occurredAt": _now().isoformat(),
            "attributes": {"deviation": True, "citizen_category": "demens"}}}, as_=ANNA))["recordAct"]
    act = recorded["act"]
    fulfil = "mutation($id: ID!) { fulfilDueItem(id: $id, version: 1) { __typename %s } }" % ERR
    before = await snapshot(api.db)
    for item in act["dueItems"]:
        refused = (await api.gql(fulfil, {"id": item["id"]}, as_=FATIMA))["fulfilDueItem"]
        assert (refused["__typename"], refused["code"]) == ("NotFoundError", "not_found"), refused
    justify = (await api.gql("""mutation($id: ID!) { justifyAct(id: $id, version: 1, justification: "x") {
        __typename %s } }""" % ERR, {"id": act["id"]}, as_=FATIMA))["justifyAct"]
    assert justify["__typename"] == "NotFoundError"
    assert await snapshot(api.db) == before
    history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { id } pageInfo { endCursor } } }",
                             {"id": act["id"]}, as_=FATIMA))["history"]
    assert history == {"nodes": [], "pageInfo": {"endCursor": None}}


async def test_an_expired_api_key_stops_working_on_the_check_path_even_when_cached(api, clock):
    ids = await api.ids()
    secret = await api_key(api.db, ["check"], name="short-lived")
    async with api.db.write(ids.tenant, Actor("cli")) as tx:
        await tx.conn.execute("UPDATE api_key SET expires_at = $2 WHERE tenant_id = $1 AND name = 'short-lived'",
                              ids.tenant, _now() + timedelta(seconds=60))
    body = {"subject": {"type": "person", "id": ANNA}, "action": {"name": "act_as_hverdagsdirektoer"},
            "resource": {"type": "decision", "id": "care/alternative-solutions",
                         "properties": {"unit": ids.unit("Plejecenter Solhaven")}}}
    assert (await api.client.post("/access/v1/evaluation", json=body, headers={"X-Api-Key": secret})).status_code \
        == 200
    clock.value = _now() + timedelta(seconds=120)  # the principal is still in the (30 s) cache
    refused = await api.client.post("/access/v1/evaluation", json=body, headers={"X-Api-Key": secret})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key", refused.text
