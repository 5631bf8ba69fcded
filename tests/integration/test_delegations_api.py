"""Declaring, amending and revoking delegations through GraphQL, and every refusal writing nothing."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from tests.support import other_tenant, snapshot

METTE = "mette.sorensen@eksempel.dk"
ANNA = "anna.jensen@eksempel.dk"
MARIA = "maria.larsen@eksempel.dk"
ADMIN = "jonas.kristensen@eksempel.dk"
ERR = "... on Error { code field message }"
DECLARE = """mutation($input: DeclareDelegationInput!) { declareDelegation(input: $input) {
    __typename ... on DelegationPayload { revision delegation { id version level status delegator { name }
      delegatePerson { name } parent { id } } } %s } }""" % ERR


def _declare_input(ids, **over):
    values = {"areaId": ids.areas["care/alternative-solutions"], "unitId": ids.unit("Plejecenter Solhaven"),
              "delegatePersonId": ids.people["fatima"], "level": 6,
              "purpose": "Beboerne skal opleve en hverdag, der giver mening for dem.",
              "trust": {"competence": {"assessment": "HIGH", "note": "Erfaren"},
                        "intention": {"assessment": "HIGH"}, "resources": {"assessment": "MEDIUM"}},
              "control": {"form": "REPORT_AFTERWARDS", "cadence": "MONTHLY", "justifyWithinDays": 3},
              "rules": ["Drøft afvigelser på næste teammøde"],
              "validUntil": (datetime.now(timezone.utc) + timedelta(days=180)).isoformat(),
              "reviewDate": (datetime.now(timezone.utc) + timedelta(days=90)).date().isoformat()}
    values.update(over)
    return {"input": values}


async def test_a_leader_declares_a_delegation_and_is_recorded_as_delegator(api):
    ids = await api.ids()
    result = (await api.gql(DECLARE, _declare_input(ids), as_=METTE))["declareDelegation"]
    assert result["__typename"] == "DelegationPayload", result
    d = result["delegation"]
    assert d["delegator"]["name"] == "Mette Sørensen" and d["delegatePerson"]["name"] == "Fatima Ali"
    # level 6: offered to Fatima, who takes it up herself (issue 12, part 1; test_offers.py)
    assert d["status"] == "OFFERED" and d["level"] == 6 and d["version"] == 1
    full = (await api.gql("""query($id: ID!) { delegation(id: $id) { purpose rules reviewDate
        trust { competence { assessment note } resources { assessment } } control { form cadence justifyWithinDays }
        levelInfo { labelDa } area { key } unit { name } } }""", {"id": d["id"]},
        as_="fatima.ali@eksempel.dk"))["delegation"]  # the delegate: she reads its trust notes
    assert full["control"] == {"form": "REPORT_AFTERWARDS", "cadence": "MONTHLY", "justifyWithinDays": 3}
    assert full["trust"]["competence"] == {"assessment": "HIGH", "note": "Erfaren"}
    assert full["levelInfo"]["labelDa"] == "Medarbejderen beslutter og kan bagefter begrunde sit valg fagligt; lederen spørger ind"
    history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { operation actor after } } }",
                             {"id": d["id"]}, as_=METTE))["history"]["nodes"]
    assert history[0]["operation"] == "create" and history[0]["actor"] == f"person:{ids.people['mette']}"
    assert history[0]["after"]["level"] == 6


async def test_amending_makes_a_new_version_and_keeps_the_old_one_in_history(api):
    ids = await api.ids()
    d = (await api.gql(DECLARE, _declare_input(ids), as_=METTE))["declareDelegation"]["delegation"]
    amended = (await api.gql("""mutation($id: ID!) { amendDelegation(id: $id, version: 1,
        input: {level: 5, rules: ["Spørg først"]}) { __typename ... on DelegationPayload { revision
        delegation { level version rules } } %s } }""" % ERR, {"id": d["id"]}, as_=METTE))["amendDelegation"]
    assert amended["delegation"] == {"level": 5, "version": 2, "rules": ["Spørg først"]}
    history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { operation before after } } }",
                             {"id": d["id"]}, as_=METTE))["history"]["nodes"]
    assert [h["operation"] for h in history] == ["create", "update"]
    assert history[1]["before"]["level"] == 6 and history[1]["after"]["level"] == 5
    assert history[1]["before"]["version"] == 1


async def test_revoking_a_delegation_revokes_its_sub_delegations_in_the_same_write(api):
    ids = await api.ids()
    listing = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id version
        area { key } subDelegations { id status } } } }""", {"p": ids.people["mette"]}, as_=METTE))
    parent = next(n for n in listing["delegations"]["nodes"] if n["area"]["key"] == "economy/purchase")
    # Anna's and the evening team's purchases are passed on from it.
    assert [s["status"] for s in parent["subDelegations"]] == ["ACTIVE", "ACTIVE"]
    child_id, other_child = (s["id"] for s in parent["subDelegations"])
    revoked = (await api.gql("""mutation($id: ID!, $v: Int!) { revokeDelegation(id: $id, version: $v,
        reason: "Indkøbsaftalen er genudbudt") { __typename ... on DelegationPayload { revision delegation { status
        revokedReason } } %s } }""" % ERR, {"id": parent["id"], "v": parent["version"]},
        as_="susanne.kjaer@eksempel.dk"))["revokeDelegation"]
    assert revoked["delegation"] == {"status": "REVOKED", "revokedReason": "Indkøbsaftalen er genudbudt"}
    child = (await api.gql("query($id: ID!) { delegation(id: $id) { status revokedReason } }", {"id": child_id},
                           as_=METTE))["delegation"]
    assert child["status"] == "REVOKED" and parent["id"] in child["revokedReason"]
    other = (await api.gql("query($id: ID!) { delegation(id: $id) { status } }", {"id": other_child},
                           as_=METTE))["delegation"]
    assert other["status"] == "REVOKED"
    child_history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { revision } } }",
                                   {"id": child_id}, as_=METTE))["history"]["nodes"]
    assert child_history[-1]["revision"] == revoked["revision"]


async def test_a_holder_may_sub_delegate_within_the_parent(api):
    ids = await api.ids()
    listing = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id
        area { key } validUntil } } }""", {"p": ids.people["maria"]}, as_=MARIA))["delegations"]["nodes"]
    parent = next(n for n in listing if n["area"]["key"] == "personnel/shift-planning")
    result = (await api.gql(DECLARE, _declare_input(
        ids, areaId=ids.areas["personnel/shift-planning"], delegatePersonId=ids.people["fatima"], level=5,
        parentId=parent["id"], validUntil=parent["validUntil"]), as_=MARIA))["declareDelegation"]
    assert result["__typename"] == "DelegationPayload", result
    assert result["delegation"]["parent"]["id"] == parent["id"]


async def test_delegations_filter_by_subtree_area_status_and_validity(api):
    ids = await api.ids()
    q = """query($f: DelegationFilter) { delegations(filter: $f, first: 100) { nodes { id status
           unit { name } area { key } } } }"""
    solhaven = (await api.gql(q, {"f": {"unitId": ids.unit("Plejecenter Solhaven")}}, as_=METTE))
    units = {n["unit"]["name"] for n in solhaven["delegations"]["nodes"]}
    assert units == {"Plejecenter Solhaven", "Demensafsnittet Kastanjen, Plejecenter Solhaven"}
    care = (await api.gql(q, {"f": {"areaId": ids.areas["care"]}}, as_=METTE))["delegations"]["nodes"]
    assert care and all(n["area"]["key"].startswith("care/") for n in care)
    expired = (await api.gql(q, {"f": {"status": "EXPIRED"}}, as_=METTE))["delegations"]["nodes"]
    assert [n["unit"]["name"] for n in expired] == ["Plejecenter Egelund"]
    now = datetime.now(timezone.utc).isoformat()
    valid = (await api.gql(q, {"f": {"validAt": now}}, as_=METTE))["delegations"]["nodes"]
    everything = (await api.gql(q, {}, as_=METTE))["delegations"]["nodes"]
    assert len(everything) - len(valid) == 2  # the expired trial and the one starting in two weeks


@pytest.mark.parametrize("case", ["unknown_area", "unknown_delegate", "level_0", "level_8", "until_before_from",
                                  "until_equals_from", "self_delegation", "not_held", "sibling_unit",
                                  "sub_wider_area", "sub_wider_unit", "sub_longer", "sub_deeper",
                                  "reserved_area", "team_outside_scope", "other_tenant_unit",
                                  "other_tenant_person", "malformed_id"])
async def test_bad_delegations_get_a_typed_error_and_write_nothing(api, case):
    ids = await api.ids()
    now = datetime.now(timezone.utc)
    who = METTE
    maria_parent = None
    if case.startswith("sub_"):
        who = MARIA
        listing = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id
            area { key } validUntil } } }""", {"p": ids.people["maria"]}, as_=MARIA))["delegations"]["nodes"]
        maria_parent = next(n for n in listing if n["area"]["key"] == "personnel/shift-planning")
    other = await other_tenant(api.db) if case.startswith("other_tenant") else None
    sub = {"parentId": maria_parent["id"] if maria_parent else None,
           "areaId": ids.areas["personnel/shift-planning"],
           "validUntil": maria_parent["validUntil"] if maria_parent else None}
    cases = {
        "unknown_area": ({"areaId": "9b2f6a3e-0000-4000-8000-000000000000"}, "NotFoundError", "not_found", "areaId"),
        "unknown_delegate": ({"delegatePersonId": "9b2f6a3e-0000-4000-8000-000000000001"}, "NotFoundError",
                             "not_found", "delegatePersonId"),
        "level_0": ({"level": 0}, "InvalidInputError", "level_out_of_range", "level"),
        "level_8": ({"level": 8}, "InvalidInputError", "level_out_of_range", "level"),
        "until_before_from": ({"validFrom": now.isoformat(), "validUntil": (now - timedelta(days=1)).isoformat()},
                              "InvalidInputError", "invalid_validity", "validUntil"),
        "until_equals_from": ({"validFrom": now.isoformat(), "validUntil": now.isoformat()},
                              "InvalidInputError", "invalid_validity", "validUntil"),
        "self_delegation": ({"delegatePersonId": ids.people["mette"]}, "InvalidInputError", "self_delegation",
                            "delegate"),
        "not_held": ({"unitId": ids.unit("Center for Ældre")}, "ForbiddenError", "not_authorised_to_delegate",
                     "unit"),
        "sibling_unit": ({"unitId": ids.unit("Plejecenter Egelund")}, "ForbiddenError",
                         "not_authorised_to_delegate", "unit"),
        "sub_wider_area": ({**sub, "areaId": ids.areas["personnel"]}, "ForbiddenError", "exceeds_parent", "area"),
        "sub_wider_unit": ({**sub, "unitId": ids.unit("Center for Ældre")}, "ForbiddenError", "exceeds_parent",
                           "unit"),
        "sub_longer": ({**sub, "validUntil": None}, "ForbiddenError", "exceeds_parent", "validUntil"),
        "sub_deeper": ({**sub, "level": 7, "allowSubdelegation": True, "maxSubdelegationDepth": 1},
                             "ForbiddenError", "exceeds_parent", "maxSubdelegationDepth"),
        "reserved_area": ({"areaId": ids.areas["personnel/hiring"]}, "ForbiddenError", "area_reserved", "area"),
        "team_outside_scope": ({"delegatePersonId": None, "delegateTeamId": ids.teams["Team Nord 1"]},
                               "InvalidInputError", "team_outside_scope", "delegate"),
        "other_tenant_unit": ({"unitId": other["unit"]} if other else {}, "NotFoundError", "not_found", "unitId"),
        "other_tenant_person": ({"delegatePersonId": other["person"]} if other else {}, "NotFoundError", "not_found",
                                "delegatePersonId"),
        "malformed_id": ({"unitId": "not-a-uuid"}, "NotFoundError", "not_found", "unitId"),
    }
    over, typename, code, field = cases[case]
    before = await snapshot(api.db)
    result = (await api.gql(DECLARE, _declare_input(ids, **over), as_=who))["declareDelegation"]
    assert (result["__typename"], result["code"], result["field"]) == (typename, code, field), result
    assert result["message"]
    assert await snapshot(api.db) == before


async def test_a_stale_version_is_a_conflict_and_writes_nothing(api):
    ids = await api.ids()
    d = (await api.gql(DECLARE, _declare_input(ids), as_=METTE))["declareDelegation"]["delegation"]
    await api.gql("mutation($id: ID!) { amendDelegation(id: $id, version: 1, input: {level: 5}) { __typename } }",
                  {"id": d["id"]}, as_=METTE)
    before = await snapshot(api.db)
    result = (await api.gql("""mutation($id: ID!) { amendDelegation(id: $id, version: 1, input: {level: 4}) {
        __typename ... on ConflictError { code currentVersion } } }""", {"id": d["id"]}, as_=METTE))
    assert result["amendDelegation"] == {"__typename": "ConflictError", "code": "conflict", "currentVersion": 2}
    assert await snapshot(api.db) == before


async def test_an_employee_cannot_raise_her_own_level(api):
    ids = await api.ids()
    listing = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id version
        area { key } } } }""", {"p": ids.people["anna"]}, as_=ANNA))["delegations"]["nodes"]
    own = next(n for n in listing if n["area"]["key"] == "care/alternative-solutions")
    before = await snapshot(api.db)
    result = (await api.gql("""mutation($id: ID!, $v: Int!) { amendDelegation(id: $id, version: $v,
        input: {level: 7}) { __typename %s } }""" % ERR, {"id": own["id"], "v": own["version"]}, as_=ANNA))
    assert result["amendDelegation"]["__typename"] == "ForbiddenError"
    assert await snapshot(api.db) == before


async def test_a_unit_cycle_is_refused_and_writes_nothing(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    result = await api.gql("""mutation($id: ID!, $p: ID!) { updateUnit(id: $id, version: 1, input: {parentId: $p})
        { __typename %s } }""" % ERR, {"id": ids.unit("Center for Ældre"), "p": ids.unit("Plejecenter Solhaven")},
        as_=ADMIN)
    assert result["updateUnit"]["__typename"] == "InvalidInputError"
    assert (result["updateUnit"]["code"], result["updateUnit"]["field"]) == ("unit_cycle", "parentId")
    assert await snapshot(api.db) == before


async def test_another_tenants_ids_are_not_found_when_reading_or_writing(api):
    other = await other_tenant(api.db)
    assert (await api.gql("query($id: ID!) { unit(id: $id) { name } }", {"id": other["unit"]}, as_=METTE))["unit"] \
        is None
    before = await snapshot(api.db)
    result = await api.gql("""mutation($id: ID!) { updateUnit(id: $id, version: 1, input: {name: "Overtaget"})
        { __typename %s } }""" % ERR, {"id": other["unit"]}, as_=ADMIN)
    assert result["updateUnit"]["__typename"] == "NotFoundError"
    assert await snapshot(api.db) == before


async def test_the_nothing_written_check_sees_a_successful_write(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    result = (await api.gql(DECLARE, _declare_input(ids), as_=METTE))["declareDelegation"]
    assert result["__typename"] == "DelegationPayload"
    after = await snapshot(api.db)
    assert after != before
    assert len(after["delegation"]) == len(before["delegation"]) + 1
    assert len(after["delegation_offer"]) == len(before["delegation_offer"]) + 1  # offered to Fatima
    assert len(after["history"]) == len(before["history"]) + 2


DUPLICATE = """mutation($input: DeclareDelegationInput!) { declareDelegation(input: $input) {
    __typename ... on DelegationPayload { revision delegation { id } }
    ... on ConflictError { code field message messageDa existingId } } }"""


async def _count_delegations(api) -> int:
    async with api.db.read() as conn:
        return await conn.fetchval("SELECT count(*) FROM delegation")


async def test_declaring_the_same_delegation_twice_is_refused_naming_the_existing_one_and_writes_nothing(api):
    ids = await api.ids()
    first = (await api.gql(DUPLICATE, _declare_input(ids), as_=METTE))["declareDelegation"]
    assert first["__typename"] == "DelegationPayload", first
    before = await snapshot(api.db)
    again = (await api.gql(DUPLICATE, _declare_input(ids, level=4, purpose="Igen"), as_=METTE))["declareDelegation"]
    assert again["__typename"] == "ConflictError", again
    assert again["code"] == "duplicate" and again["existingId"] == first["delegation"]["id"]
    assert first["delegation"]["id"] in again["message"]
    assert again["messageDa"].endswith("findes allerede til samme modtager, beslutningsområde og enhed – ret den i "
                                       "stedet.")
    assert await snapshot(api.db) == before


async def test_a_sub_delegation_to_someone_who_already_holds_the_same_delegation_is_a_duplicate(api):
    ids = await api.ids()
    direct = (await api.gql(DUPLICATE, _declare_input(ids, areaId=ids.areas["personnel/shift-planning"], level=5),
                            as_=METTE))["declareDelegation"]
    assert direct["__typename"] == "DelegationPayload", direct
    listing = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id
        area { key } validUntil } } }""", {"p": ids.people["maria"]}, as_=MARIA))["delegations"]["nodes"]
    parent = next(n for n in listing if n["area"]["key"] == "personnel/shift-planning")
    before = await snapshot(api.db)
    sub = (await api.gql(DUPLICATE, _declare_input(
        ids, areaId=ids.areas["personnel/shift-planning"], level=5, parentId=parent["id"],
        validUntil=parent["validUntil"]), as_=MARIA))["declareDelegation"]
    assert (sub["__typename"], sub["code"], sub["existingId"]) == ("ConflictError", "duplicate",
                                                                   direct["delegation"]["id"]), sub
    assert await snapshot(api.db) == before


async def test_what_is_not_the_same_delegation_may_be_declared_beside_it(api):
    ids = await api.ids()
    now = datetime.now(timezone.utc)
    until = (now + timedelta(days=30)).isoformat()
    first = (await api.gql(DUPLICATE, _declare_input(ids, validUntil=until), as_=METTE))["declareDelegation"]
    amended = (await api.gql("""mutation($id: ID!) { amendDelegation(id: $id, version: 1, input: {level: 5,
        validUntil: "%s"}) { __typename } }""" % (now + timedelta(days=40)).isoformat(),
        {"id": first["delegation"]["id"]}, as_=METTE))["amendDelegation"]
    assert amended["__typename"] == "DelegationPayload"  # a new version of itself is no duplicate
    others = {
        "only the unit itself": {"includeSubunits": False},
        "a successor from the end": {"validFrom": (now + timedelta(days=40)).isoformat(),
                                     "validUntil": (now + timedelta(days=100)).isoformat()},
        "another delegate": {"delegatePersonId": ids.people["maria"]},
    }
    for what, over in others.items():
        result = (await api.gql(DUPLICATE, _declare_input(ids, **over), as_=METTE))["declareDelegation"]
        assert result["__typename"] == "DelegationPayload", (what, result)


async def test_an_amendment_that_would_duplicate_another_delegation_is_refused(api):
    ids = await api.ids()
    wide = (await api.gql(DUPLICATE, _declare_input(ids), as_=METTE))["declareDelegation"]["delegation"]
    narrow = (await api.gql(DUPLICATE, _declare_input(ids, includeSubunits=False), as_=METTE)
              )["declareDelegation"]["delegation"]
    before = await snapshot(api.db)
    result = (await api.gql("""mutation($id: ID!) { amendDelegation(id: $id, version: 1, input:
        {includeSubunits: true}) { __typename ... on ConflictError { code existingId } } }""",
        {"id": narrow["id"]}, as_=METTE))["amendDelegation"]
    assert result == {"__typename": "ConflictError", "code": "duplicate", "existingId": wide["id"]}
    assert await snapshot(api.db) == before


async def test_after_revoking_a_delegation_the_same_one_may_be_declared_again(api):
    ids = await api.ids()
    first = (await api.gql(DUPLICATE, _declare_input(ids), as_=METTE))["declareDelegation"]["delegation"]
    revoked = await api.gql("""mutation($id: ID!) { revokeDelegation(id: $id, version: 1, reason: "Forkert niveau")
        { __typename } }""", {"id": first["id"]}, as_=METTE)
    assert revoked["revokeDelegation"]["__typename"] == "DelegationPayload"
    again = (await api.gql(DUPLICATE, _declare_input(ids), as_=METTE))["declareDelegation"]
    assert again["__typename"] == "DelegationPayload", again


async def test_concurrent_declarations_of_the_same_delegation_make_exactly_one(api):
    ids = await api.ids()
    before = await _count_delegations(api)
    results = await asyncio.gather(*[api.gql(DUPLICATE, _declare_input(ids), as_=METTE) for _ in range(5)])
    answers = [r["declareDelegation"] for r in results]
    made = [a for a in answers if a["__typename"] == "DelegationPayload"]
    assert len(made) == 1, answers
    assert all(a["code"] == "duplicate" and a["existingId"] == made[0]["delegation"]["id"]
               for a in answers if a is not made[0])
    assert await _count_delegations(api) == before + 1
