"""Checks name a unit by its id or by its external id (a LOS id), and an area by its key or its KLE
code: systems ask in their own ids, through AuthZEN with a check-only key and through GraphQL."""

from datetime import datetime, timezone

from tests.conftest import Clock
from tests.support import Api, api_key, snapshot

ANNA = "anna.jensen@eksempel.dk"
METTE = "mette.sorensen@eksempel.dk"
JONAS = "jonas.kristensen@eksempel.dk"
SOLHAVEN = "LOS-2110"   # Plejecenter Solhaven's external id in the demo
PURCHASE_KLE = "88"     # economy/purchase's KLE code in the demo
ALT = {"deviation": True, "citizen_category": "demens"}
CHECK = """query($i: CheckInput!) { check(input: $i) { decision reason level delegationIds revision } }"""
ERR = "... on Error { code field message }"


def _evaluation(area="care/alternative-solutions", unit=SOLHAVEN, action="act_as_hverdagsdirektoer", **attributes):
    return {"subject": {"type": "person", "id": ANNA},
            "resource": {"type": "decision", "id": area, "properties": {"unit": unit, **(attributes or ALT)}},
            "action": {"name": action}}


async def _evaluate(api, key, body, path="/access/v1/evaluation"):
    response = await api.client.post(path, json=body, headers={"X-Api-Key": key})
    return response.status_code, response.json()


async def test_an_authzen_evaluation_by_the_units_external_id_answers_as_by_its_id(api):
    ids, key = await api.ids(), await api_key(api.db, ["check"], name="sagssystem")
    status, by_external = await _evaluate(api, key, _evaluation())
    assert status == 200, by_external
    assert (by_external["decision"], by_external["context"]["reason"]) == (True, "allowed")
    _, by_id = await _evaluate(api, key, _evaluation(unit=ids.unit("Plejecenter Solhaven")))
    assert by_external["context"]["delegation_ids"] == by_id["context"]["delegation_ids"]
    # A batch and the action search take it too.
    status, batch = await _evaluate(api, key, {**_evaluation(), "evaluations": [{}, {"action": {"name": "decide"}}]},
                                    "/access/v1/evaluations")
    assert status == 200 and [e["decision"] for e in batch["evaluations"]] == [True, True]
    status, actions = await _evaluate(api, key, {"subject": {"type": "person", "id": ANNA},
                                                 "resource": _evaluation()["resource"]}, "/access/v1/search/action")
    assert status == 200 and {"name": "act_as_hverdagsdirektoer"} in actions["results"]
    # An external id nobody has is still an unknown unit.
    _, unknown = await _evaluate(api, key, _evaluation(unit="LOS-9999"))
    assert (unknown["decision"], unknown["context"]["reason"]) == (False, "unknown_unit")


async def test_an_authzen_evaluation_by_the_areas_kle_code_answers_as_by_its_key(api):
    key = await api_key(api.db, ["check"], name="sagssystem")
    small = {"amount": 500, "on_contract": True}
    _, by_kle = await _evaluate(api, key, _evaluation(area=PURCHASE_KLE, action="decide", **small))
    _, by_key = await _evaluate(api, key, _evaluation(area="economy/purchase", action="decide", **small))
    assert (by_kle["decision"], by_kle["context"]["reason"]) == (True, "allowed")
    assert by_kle["context"]["delegation_ids"] == by_key["context"]["delegation_ids"]
    _, unknown = await _evaluate(api, key, _evaluation(area="99.99", action="decide", **small))
    assert unknown["context"]["reason"] == "unknown_area"


async def test_a_kle_code_that_several_live_areas_carry_is_refused_and_names_them(api):
    key = await api_key(api.db, ["check"], name="sagssystem")
    created = await api.gql("""mutation { createDecisionArea(input: {key: "catering", nameDa: "Forplejning",
        nameEn: "Catering", kle: "88"}) { __typename ... on DecisionAreaPayload { revision } %s } }""" % ERR,
        as_=JONAS)
    assert created["createDecisionArea"]["__typename"] == "DecisionAreaPayload", created.data
    body = {**_evaluation(area=PURCHASE_KLE, action="decide", amount=500, on_contract=True),
            "context": {"min_revision": created["createDecisionArea"]["revision"]}}
    status, refused = await _evaluate(api, key, body)
    assert status == 400 and refused["error"]["code"] == "ambiguous_area"
    assert "catering" in refused["error"]["message"] and "economy/purchase" in refused["error"]["message"]
    # In a batch the item fails closed on its own; the key still names the area.
    status, batch = await _evaluate(api, key, {"evaluations": [
        body, _evaluation(area="economy/purchase", action="decide", amount=500, on_contract=True)]},
        "/access/v1/evaluations")
    assert status == 200
    assert batch["evaluations"][0]["context"]["error"]["code"] == "ambiguous_area"
    assert batch["evaluations"][1]["decision"] is True
    graphql = await api.gql(CHECK, {"i": {"person": ANNA, "area": PURCHASE_KLE, "unit": SOLHAVEN, "action": "DECIDE",
                                          "attributes": {"amount": 500, "on_contract": True}}}, api_key=key)
    assert graphql.errors[0]["extensions"]["code"] == "ambiguous_area", graphql.errors


async def test_graphql_check_and_who_may_take_external_ids(api):
    ids = await api.ids()
    check_key = await api_key(api.db, ["check"], name="sagssystem")
    request = {"person": ANNA, "area": "care/alternative-solutions", "unit": SOLHAVEN,
               "action": "ACT_AS_HVERDAGSDIREKTOER", "attributes": ALT}
    by_external = (await api.gql(CHECK, {"i": request}, api_key=check_key))["check"]
    by_id = (await api.gql(CHECK, {"i": {**request, "unit": ids.unit("Plejecenter Solhaven")}},
                           api_key=check_key))["check"]
    assert (by_external["decision"], by_external["reason"]) == (True, "allowed")
    assert by_external["delegationIds"] == by_id["delegationIds"]
    many = (await api.gql("query($i: [CheckInput!]!) { checks(inputs: $i) { decision reason } }",
                          {"i": [request, {**request, "area": PURCHASE_KLE, "action": "DECIDE",
                                           "attributes": {"amount": 500, "on_contract": True}}]},
                          api_key=check_key))["checks"]
    assert [(c["decision"], c["reason"]) for c in many] == [(True, "allowed"), (True, "allowed")]
    who = """query($a: String!, $u: ID!) { whoMay(area: $a, unit: $u, action: DECIDE,
        attributes: {amount: 500, on_contract: true}) { people { person { externalId } } } }"""
    by_ext = (await api.gql(who, {"a": PURCHASE_KLE, "u": SOLHAVEN}, as_=METTE))["whoMay"]["people"]
    by_ids = (await api.gql(who, {"a": "economy/purchase", "u": ids.unit("Plejecenter Solhaven")},
                            as_=METTE))["whoMay"]["people"]
    assert ANNA in {p["person"]["externalId"] for p in by_ext} and by_ext == by_ids


async def test_the_resource_search_gives_each_units_external_id_and_the_subject_search_takes_one(api):
    key = await api_key(api.db, ["check"], name="sagssystem")
    status, found = await _evaluate(api, key, {"subject": {"type": "person", "id": ANNA},
                                               "action": {"name": "decide"},
                                               "resource": {"type": "decision", "properties": ALT}},
                                    "/access/v1/search/resource")
    assert status == 200, found
    solhaven = [r for r in found["results"] if r["id"] == "care/alternative-solutions"]
    assert solhaven and solhaven[0]["properties"]["unit_external_id"] == SOLHAVEN
    status, people = await _evaluate(api, key, {"subject": {"type": "person"}, "action": {"name": "decide"},
                                                "resource": _evaluation()["resource"]}, "/access/v1/search/subject")
    assert status == 200 and {"type": "person", "id": ANNA} in people["results"]


async def test_a_new_or_renamed_external_id_is_known_to_checks_at_the_next_revision(api):
    ids = await api.ids()
    key = await api_key(api.db, ["check"], name="sagssystem")
    solhaven = ids.unit("Plejecenter Solhaven")
    version = (await api.gql("query($id: ID!) { unit(id: $id) { version } }", {"id": solhaven}, as_=JONAS))["unit"]
    renamed = (await api.gql("""mutation($id: ID!, $v: Int!) { updateUnit(id: $id, version: $v,
        input: {externalId: "FK-5f1e"}) { __typename ... on UnitPayload { revision } %s } }""" % ERR,
        {"id": solhaven, "v": version["version"]}, as_=JONAS))["updateUnit"]
    assert renamed["__typename"] == "UnitPayload", renamed
    context = {"min_revision": renamed["revision"]}
    _, new = await _evaluate(api, key, {**_evaluation(unit="FK-5f1e"), "context": context})
    _, old = await _evaluate(api, key, {**_evaluation(unit=SOLHAVEN), "context": context})
    assert (new["decision"], new["context"]["reason"]) == (True, "allowed")
    assert (old["decision"], old["context"]["reason"]) == (False, "unknown_unit")
    created = (await api.gql("""mutation($p: ID!) { createUnit(input: {name: "Solhavens have", kind: SUBUNIT,
        parentId: $p, externalId: "LOS-2119"}) { __typename ... on UnitPayload { revision unit { id } } %s } }"""
        % ERR, {"p": solhaven}, as_=JONAS))["createUnit"]
    assert created["__typename"] == "UnitPayload", created
    context = {"min_revision": created["revision"]}
    _, sub = await _evaluate(api, key, {**_evaluation(unit="LOS-2119"), "context": context})
    _, sub_by_id = await _evaluate(api, key, {**_evaluation(unit=created["unit"]["id"]), "context": context})
    assert sub["context"]["reason"] != "unknown_unit"
    assert [(r["decision"], r["context"]["reason"], r["context"].get("delegation_ids")) for r in (sub, sub_by_id)] \
        == [(sub_by_id["decision"], sub_by_id["context"]["reason"], sub_by_id["context"].get("delegation_ids"))] * 2


async def test_an_external_id_that_is_another_units_id_is_refused_and_nothing_is_written(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    refused = (await api.gql("""mutation($e: String!) { createUnit(input: {name: "Skygge", kind: UNIT,
        externalId: $e}) { __typename %s } }""" % ERR, {"e": ids.unit("Plejecenter Egelund")},
        as_=JONAS))["createUnit"]
    assert (refused["__typename"], refused["code"], refused["field"]) == \
        ("InvalidInputError", "invalid_external_id", "externalId")
    assert await snapshot(api.db) == before


async def test_an_act_recorded_by_external_ids_is_stored_with_the_registrys_ids(api):
    ids = await api.ids()
    recorded = (await api.gql("""mutation($i: RecordActInput!) { recordAct(input: $i) { __typename
        ... on ActPayload { act { id reason unit { id } area { key } } } %s } }""" % ERR, {"i": {
        "person": ANNA, "area": PURCHASE_KLE, "unit": SOLHAVEN, "action": "decide", "caseRef": "SAG-2026-0201",
        "description": "Skridsikker måtte til badeværelset", "occurredAt": datetime.now(timezone.utc).isoformat(),
        "attributes": {"amount": 350, "on_contract": True}}}, as_=ANNA))["recordAct"]
    assert recorded["__typename"] == "ActPayload", recorded
    act = recorded["act"]
    assert act["reason"] == "allowed"
    assert (act["unit"]["id"], act["area"]["key"]) == (ids.unit("Plejecenter Solhaven"), "economy/purchase")


JAN = datetime(2026, 1, 10, 9, tzinfo=timezone.utc)
MARCH = datetime(2026, 3, 15, 12, tzinfo=timezone.utc)


async def test_an_as_of_check_names_the_unit_by_the_external_id_it_had_then(db, empty_dsn, settings):
    from registry.demo import load_demo

    clock = Clock(JAN)
    await load_demo(db, clock=clock)  # the organisation as recorded in January
    async with Api.start(db, settings, clock, empty_dsn) as api:
        ids = await api.ids()
        solhaven = ids.unit("Plejecenter Solhaven")
        declared = (await api.gql("""mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(input: {
            areaId: $a, unitId: $u, delegatePersonId: $p, level: 6, validFrom: "2026-02-01T00:00:00Z",
            validUntil: "2026-04-01T00:00:00Z"}) { __typename ... on DelegationPayload { delegation { id } } } }""",
            {"a": ids.areas["care/relatives"], "u": solhaven, "p": ids.people["fatima"]}, as_=METTE))
        assert declared["declareDelegation"]["__typename"] == "DelegationPayload"
        await api.accept(declared["declareDelegation"]["delegation"]["id"])  # Fatima takes it up, in January
        clock.value = datetime(2026, 5, 1, tzinfo=timezone.utc)  # in May, Solhaven gets another external id
        version = (await api.gql("query($id: ID!) { unit(id: $id) { version } }", {"id": solhaven},
                                 as_=JONAS))["unit"]["version"]
        renamed = await api.gql("""mutation($id: ID!, $v: Int!) { updateUnit(id: $id, version: $v,
            input: {externalId: "FK-5f1e"}) { __typename } }""", {"id": solhaven, "v": version}, as_=JONAS)
        assert renamed["updateUnit"]["__typename"] == "UnitPayload"
        clock.value = None
        check_key = await api_key(api.db, ["check"], name="sagssystem")
        request = {"person": "fatima.ali@eksempel.dk", "area": "care/relatives", "unit": SOLHAVEN,
                   "action": "DECIDE", "attributes": {"consent": True, "health_information_shared": True},
                   "at": MARCH.isoformat()}
        march = (await api.gql(CHECK, {"i": request}, api_key=check_key))["check"]
        assert (march["decision"], march["reason"], march["level"]) == (True, "allowed", 6)
        by_id = (await api.gql(CHECK, {"i": {**request, "unit": solhaven}}, api_key=check_key))["check"]
        assert by_id["delegationIds"] == march["delegationIds"]
        # In March the new external id named nothing yet; today the old one names nothing.
        early = (await api.gql(CHECK, {"i": {**request, "unit": "FK-5f1e"}}, api_key=check_key))["check"]
        assert (early["decision"], early["reason"]) == (False, "unknown_unit")
        status, today = await _evaluate(api, check_key, {
            "subject": {"type": "person", "id": "fatima.ali@eksempel.dk"}, "action": {"name": "decide"},
            "resource": {"type": "decision", "id": "care/relatives", "properties": {"unit": SOLHAVEN}}})
        assert status == 200 and today["context"]["reason"] == "unknown_unit"
        # And over AuthZEN, as of March, by the external id of then.
        status, authzen = await _evaluate(api, check_key, {
            "subject": {"type": "person", "id": "fatima.ali@eksempel.dk"}, "action": {"name": "decide"},
            "resource": {"type": "decision", "id": "care/relatives",
                         "properties": {"unit": SOLHAVEN, "consent": True, "health_information_shared": True}},
            "context": {"at": MARCH.isoformat()}})
        assert status == 200 and (authzen["decision"], authzen["context"]["reason"]) == (True, "allowed")


async def test_an_act_is_stored_at_the_unit_it_was_checked_for_even_when_its_name_has_moved(db, empty_dsn, settings):
    # Solhaven was LOS-2110 in March; in May it is renamed and a new unit at Egelund takes LOS-2110.
    # An act from March recorded by "LOS-2110" names Egelund's unit now: it is checked there (where
    # Fatima held nothing then) and refused, never checked at Solhaven and stored at Egelund.
    from registry.demo import load_demo

    clock = Clock(JAN)
    await load_demo(db, clock=clock)
    async with Api.start(db, settings, clock, empty_dsn) as api:
        ids = await api.ids()
        solhaven, egelund = ids.unit("Plejecenter Solhaven"), ids.unit("Plejecenter Egelund")
        declared = await api.gql("""mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(input: {
            areaId: $a, unitId: $u, delegatePersonId: $p, level: 6, validFrom: "2026-02-01T00:00:00Z",
            validUntil: "2026-04-01T00:00:00Z"}) { __typename ... on DelegationPayload { delegation { id } } } }""",
            {"a": ids.areas["care/relatives"], "u": solhaven, "p": ids.people["fatima"]}, as_=METTE)
        assert declared["declareDelegation"]["__typename"] == "DelegationPayload"
        await api.accept(declared["declareDelegation"]["delegation"]["id"])  # Fatima takes it up, in January
        clock.value = datetime(2026, 5, 1, tzinfo=timezone.utc)
        version = (await api.gql("query($id: ID!) { unit(id: $id) { version } }", {"id": solhaven},
                                 as_=JONAS))["unit"]["version"]
        renamed = await api.gql("""mutation($id: ID!, $v: Int!) { updateUnit(id: $id, version: $v,
            input: {externalId: "FK-5f1e"}) { __typename } }""", {"id": solhaven, "v": version}, as_=JONAS)
        assert renamed["updateUnit"]["__typename"] == "UnitPayload"
        moved = await api.gql("""mutation($p: ID!) { createUnit(input: {name: "Egelunds have", kind: SUBUNIT,
            parentId: $p, externalId: "LOS-2110"}) { __typename } }""", {"p": egelund}, as_=JONAS)
        assert moved["createUnit"]["__typename"] == "UnitPayload"
        clock.value = None
        record = """mutation($i: RecordActInput!) { recordAct(input: $i) { __typename
            ... on ActPayload { act { unit { id } reason } } %s } }""" % ERR
        act = {"person": "fatima.ali@eksempel.dk", "area": "care/relatives", "unit": SOLHAVEN, "action": "decide",
               "caseRef": "SAG-2026-0312", "description": "Pårørende orienteret", "occurredAt": MARCH.isoformat(),
               "attributes": {"consent": True, "health_information_shared": True}}
        before = await snapshot(api.db)
        refused = (await api.gql(record, {"i": act}, as_="fatima.ali@eksempel.dk"))["recordAct"]
        assert (refused["__typename"], refused["code"]) == ("ForbiddenError", "act_not_allowed"), refused
        assert await snapshot(api.db) == before
        by_id = (await api.gql(record, {"i": {**act, "unit": solhaven}}, as_="fatima.ali@eksempel.dk"))["recordAct"]
        assert by_id["__typename"] == "ActPayload", by_id
        assert (by_id["act"]["unit"]["id"], by_id["act"]["reason"]) == (solhaven, "allowed")
