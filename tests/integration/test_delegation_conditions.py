"""Conditions on a delegation (issue 11): "Anna may buy up to 10.000 kr., Bo up to 50.000 kr.",
end to end through GraphQL, AuthZEN, the mandate, whoMay, acts and the Casbin export."""

import re
from datetime import datetime, timezone

import pytest

from tests.support import ROOT, api_key, snapshot

METTE = "mette.sorensen@eksempel.dk"
SUSANNE = "susanne.kjaer@eksempel.dk"
ADMIN = "jonas.kristensen@eksempel.dk"
ANNA = "anna.jensen@eksempel.dk"
FATIMA = "fatima.ali@eksempel.dk"       # in Aftenvagten (up to 5.000), no purchase delegation of her own
BO = "bo.madsen@eksempel.dk"
KASPER = "kasper.nielsen@eksempel.dk"
ERR = "... on Error { code field message }"

CHECK = """query($i: CheckInput!) { check(input: $i) { decision reason reasonDa level delegationIds
    missingAttributes condition { delegationId condition textDa } trace { kind id outcome condition } } }"""
DECLARE = """mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) { __typename
    ... on DelegationPayload { delegation { id version conditions { condition textDa } } } %s } }""" % ERR
AMEND = """mutation($id: ID!, $v: Int!, $i: AmendDelegationInput!) { amendDelegation(id: $id, version: $v, input: $i) {
    __typename ... on DelegationPayload { delegation { id version conditions { condition textDa } } } %s } }""" % ERR


async def _check(api, ids, person, amount=None, action="DECIDE", explain=False, as_=METTE):
    attributes = {"on_contract": True} | ({} if amount is None else {"amount": amount})
    return (await api.gql(CHECK, {"i": {"person": person, "area": "economy/purchase",
                                        "unit": ids.unit("Plejecenter Solhaven"), "action": action,
                                        "attributes": attributes, "explain": explain}}, as_=as_))["check"]


async def _delegations(api, person_id):
    found = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}, first: 50) { nodes {
        id version area { key } parent { id version } conditions { condition textDa }
        conditionsInForce { condition textDa inherited delegation { id } } } } }""",
                           {"p": person_id}, as_=ADMIN))["delegations"]["nodes"]
    return [d for d in found if d["area"]["key"] == "economy/purchase"]


async def _hire_bo(api, ids):
    """Bo joins Solhaven, and Mette lets him buy up to 50.000 kr."""
    person = (await api.gql("""mutation { createPerson(input: {externalId: "%s", name: "Bo Madsen"}) {
        __typename ... on PersonPayload { person { id } } } }""" % BO, as_=ADMIN))["createPerson"]["person"]
    await api.gql("""mutation($p: ID!, $u: ID!) { addMembership(input: {personId: $p, unitId: $u, role: EMPLOYEE}) {
        __typename } }""", {"p": person["id"], "u": ids.unit("Plejecenter Solhaven")}, as_=ADMIN)
    declared = (await api.gql(DECLARE, {"i": {
        "delegatePersonId": person["id"], "areaId": ids.areas["economy/purchase"],
        "unitId": ids.unit("Plejecenter Solhaven"), "includeSubunits": False, "level": 6,
        "purpose": "Bo køber større hjælpemidler til beboerne.",
        "conditions": [{"condition": "amount<=50000", "textDa": "Op til 50.000 kr. pr. indkøb"}]}},
        as_=METTE))["declareDelegation"]
    assert declared["__typename"] == "DelegationPayload", declared
    await api.accept(declared["delegation"]["id"])  # Bo takes it up (issue 12, part 1)
    return declared["delegation"]


async def test_anna_up_to_10000_and_bo_up_to_50000(api):
    ids = await api.ids()
    bo = await _hire_bo(api, ids)
    assert bo["conditions"] == [{"condition": "amount <= 50000", "textDa": "Op til 50.000 kr. pr. indkøb"}]
    anna = (await _delegations(api, ids.people["anna"]))[0]

    allowed = await _check(api, ids, ANNA, 10000)
    assert (allowed["decision"], allowed["reason"], allowed["delegationIds"]) == (True, "allowed", [anna["id"]])
    refused = await _check(api, ids, ANNA, 12000)
    assert (refused["decision"], refused["reason"], refused["level"]) == (False, "outside_mandate", 6)
    assert refused["condition"] == {"delegationId": anna["id"], "condition": "amount <= 10000",
                                    "textDa": "Op til 10.000 kr. pr. indkøb"}
    assert refused["reasonDa"] == "Sagen ligger uden for de grænser, dit mandat har"
    assert refused["delegationIds"] == [anna["id"]]

    assert (await _check(api, ids, BO, 12000))["decision"] is True
    assert (await _check(api, ids, BO, 50000))["decision"] is True
    over = await _check(api, ids, BO, 50001)
    assert (over["reason"], over["condition"]["delegationId"]) == ("outside_mandate", bo["id"])


async def test_the_delegation_that_allows_is_picked_personal_before_the_teams_lower_limit(api):
    ids = await api.ids()
    anna = (await _delegations(api, ids.people["anna"]))[0]
    team = (await api.gql("""query($t: ID!) { delegations(filter: {delegateTeamId: $t}) { nodes { id area { key } } } }""",
                          {"t": ids.teams["Aftenvagten"]}, as_=ADMIN))["delegations"]["nodes"]
    team = next(d for d in team if d["area"]["key"] == "economy/purchase")
    # 7.000 kr.: the team's 5.000 does not reach, Anna's own 10.000 does.
    seven = await _check(api, ids, ANNA, 7000, explain=True)
    assert (seven["decision"], seven["delegationIds"]) == (True, [anna["id"]])
    outcomes = {(t["kind"], t["id"], t["outcome"]) for t in seven["trace"]}
    assert {("delegation", team["id"], "outside_mandate"), ("delegation", anna["id"], "allows"),
            ("condition", team["id"], "violated"), ("condition", anna["id"], "holds")} <= outcomes
    # 3.000 kr.: both allow, at the same level and unit; her own is the one reported (its obligations hold).
    assert (await _check(api, ids, ANNA, 3000))["delegationIds"] == [anna["id"]]
    # Fatima holds only the team's: 3.000 yes, 7.000 no (and the answer names the team's limit).
    assert (await _check(api, ids, FATIMA, 3000))["delegationIds"] == [team["id"]]
    refused = await _check(api, ids, FATIMA, 7000)
    assert (refused["reason"], refused["condition"]["textDa"]) == ("outside_mandate", "Op til 5.000 kr. pr. indkøb")


async def test_a_missing_amount_is_missing_attribute_naming_the_condition(api):
    ids = await api.ids()
    answer = await _check(api, ids, ANNA, None)
    assert (answer["decision"], answer["reason"], answer["missingAttributes"]) == (False, "missing_attribute",
                                                                                   ["amount"])
    assert answer["condition"]["condition"] == "amount <= 10000"


async def test_red_lines_still_win_over_a_delegation_whose_conditions_hold(api):
    ids = await api.ids()
    await _hire_bo(api, ids)
    line = (await api.gql("""mutation($u: ID!, $a: ID!) { createRedLine(input: {unitId: $u, areaId: $a,
        condition: "on_contract", consequence: "Køb uden for aftalerne godkendes af lederen.", setBy: LEADER}) {
        __typename } }""", {"u": ids.unit("Plejecenter Solhaven"), "a": ids.areas["economy/purchase"]},
                          as_=METTE))["createRedLine"]
    assert line["__typename"] == "RedLinePayload"
    answer = (await api.gql(CHECK, {"i": {"person": BO, "area": "economy/purchase",
                                          "unit": ids.unit("Plejecenter Solhaven"), "action": "DECIDE",
                                          "attributes": {"amount": 100, "on_contract": False}}}, as_=METTE))["check"]
    assert (answer["decision"], answer["reason"]) == (False, "red_line")


async def test_a_sub_delegation_is_narrowed_at_once_when_its_parent_gains_a_condition(api):
    ids = await api.ids()
    anna = (await _delegations(api, ids.people["anna"]))[0]
    parent = anna["parent"]
    assert (await _check(api, ids, ANNA, 7000))["decision"] is True
    amended = (await api.gql(AMEND, {"id": parent["id"], "v": parent["version"], "i": {"conditions": [
        {"condition": "amount <= 6000"}]}}, as_=SUSANNE))["amendDelegation"]
    assert amended["__typename"] == "DelegationPayload", amended
    assert amended["delegation"]["conditions"] == [
        {"condition": "amount <= 6000", "textDa": "Kun når beløb inkl. moms er højst 6.000 kr."}]
    refused = await _check(api, ids, ANNA, 7000)
    assert (refused["reason"], refused["condition"]["delegationId"]) == ("outside_mandate", parent["id"])
    assert (await _check(api, ids, ANNA, 5000))["decision"] is True
    # No write to Anna's delegation: it inherits.
    after = (await _delegations(api, ids.people["anna"]))[0]
    assert after["version"] == anna["version"]
    assert [(c["condition"], c["inherited"], c["delegation"]["id"]) for c in after["conditionsInForce"]] == [
        ("amount <= 10000", False, anna["id"]), ("amount <= 6000", True, parent["id"])]
    # The Casbin export narrows Anna's rule too.
    export = (await api.client.get("/casbin/eksempel/policy.csv", headers={
        "X-Api-Key": await api_key(api.db, ["check"], name="export")})).text
    anna_rules = [line for line in export.splitlines() if f"person:{ids.people['anna']}, economy/purchase" in line]
    assert anna_rules and all("r.ctx.attrs.amount <= 6000" in r and "r.ctx.attrs.amount <= 10000" in r
                              for r in anna_rules), anna_rules


@pytest.mark.parametrize("conditions, field, code", [
    ([{"condition": "amount <== 5"}], "conditions.0.condition", "invalid_condition"),
    ([{"condition": "rest_hours >= 11"}], "conditions.0.condition", "invalid_condition"),   # another area's
    ([{"condition": "amount <= 5"}, {"condition": "amount<=5"}], "conditions.1", "duplicate"),
    ([{"condition": "amount <= 9007199254740993"}], "conditions.0.condition", "number_out_of_range"),
    ([{"condition": f"amount <= {n}"} for n in range(21)], "conditions", "too_many"),
])
async def test_a_bad_condition_is_refused_and_writes_nothing(api, conditions, field, code):
    ids = await api.ids()
    before = await snapshot(api.db)
    result = (await api.gql(DECLARE, {"i": {
        "delegatePersonId": ids.people["kasper"], "areaId": ids.areas["economy/purchase"],
        "unitId": ids.unit("Plejecenter Solhaven"), "level": 5, "conditions": conditions}},
        as_=METTE))["declareDelegation"]
    assert (result["code"], result["field"]) == (code, field), result
    assert await snapshot(api.db) == before


async def test_the_mandate_and_who_may_show_the_limits_in_danish(api):
    ids = await api.ids()
    mandate = (await api.gql("""query { mandate(person: "%s") { areaKey basis conditions { textDa inherited } } }"""
                             % ANNA, as_=ANNA))["mandate"]
    purchase = [e for e in mandate if e["areaKey"] == "economy/purchase"]
    assert {"textDa": "Op til 10.000 kr. pr. indkøb", "inherited": False} in [c for e in purchase
                                                                              for c in e["conditions"]]
    who = """query($u: ID!, $a: JSON) { whoMay(area: "economy/purchase", unit: $u, action: DECIDE, attributes: $a) {
        people { person { externalId } conditions { textDa } } } }"""
    solhaven = ids.unit("Plejecenter Solhaven")
    seven = (await api.gql(who, {"u": solhaven, "a": {"amount": 7000, "on_contract": True}}, as_=METTE))["whoMay"]
    people = {p["person"]["externalId"]: [c["textDa"] for c in p["conditions"]] for p in seven["people"]}
    assert people[ANNA] == ["Op til 10.000 kr. pr. indkøb"] and FATIMA not in people
    three = (await api.gql(who, {"u": solhaven, "a": {"amount": 3000, "on_contract": True}}, as_=METTE))["whoMay"]
    assert FATIMA in {p["person"]["externalId"] for p in three["people"]}


async def test_authzen_answers_outside_mandate_with_the_condition(api):
    key = await api_key(api.db, ["check"], name="indkøbssystem")
    body = {"subject": {"type": "person", "id": ANNA}, "action": {"name": "decide"},
            "resource": {"type": "decision", "id": "economy/purchase",
                         "properties": {"unit": "LOS-2110", "amount": 12000, "on_contract": True}}}
    answer = (await api.client.post("/access/v1/evaluation", json=body, headers={"X-Api-Key": key})).json()
    assert answer["decision"] is False
    assert answer["context"]["reason"] == "outside_mandate"
    assert answer["context"]["condition"]["text_da"] == "Op til 10.000 kr. pr. indkøb"
    body["resource"]["properties"]["amount"] = 9000
    assert (await api.client.post("/access/v1/evaluation", json=body, headers={"X-Api-Key": key})).json()["decision"]


async def test_an_act_outside_the_conditions_is_refused_with_the_limit_in_danish(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    result = (await api.gql("""mutation($i: RecordActInput!) { recordAct(input: $i) { __typename
        ... on Error { code messageDa } } }""", {"i": {
        "person": ANNA, "area": "economy/purchase", "unit": ids.unit("Plejecenter Solhaven"),
        "action": "act_as_hverdagsdirektoer", "caseRef": "INDK-1", "description": "Ny lift",
        "occurredAt": datetime.now(timezone.utc).isoformat(), "attributes": {"amount": 12000, "on_contract": True}}},
        as_=ANNA))["recordAct"]
    assert result["code"] == "act_not_allowed"
    assert "Op til 10.000 kr. pr. indkøb" in result["messageDa"]
    assert await snapshot(api.db) == before


def _readme_blocks(heading: str) -> list[str]:
    """The ```graphql blocks of a README walkthrough step, as written there."""
    text = (ROOT / "README.md").read_text()
    step = text[text.index(heading):]
    step = step[:step.index("\n**", 1)]
    return re.findall(r"```graphql\n(.*?)```", step, re.S)


async def test_the_readme_walkthrough_of_conditions_works_as_written(api):
    ids = await api.ids()
    declare, ask = _readme_blocks("**6. Limits on one person's mandate (conditions).**")
    declared = (await api.gql(declare, {"area": ids.areas["economy/purchase"], "unit": ids.unit("Plejecenter Solhaven"),
                                        "kasper": ids.people["kasper"]}, as_=METTE))["declareDelegation"]
    assert declared["delegation"]["conditions"] == [{"condition": "amount <= 50000",
                                                     "textDa": "Op til 50.000 kr. pr. indkøb"}], declared
    # Kasper takes it up as step 3 shows (its blocks, as written there)
    my_offers, take_it_up = _readme_blocks("**3. As Mette: declare a delegation**")[1:3]
    offer = next(o for o in (await api.gql(my_offers, as_=KASPER))["myOffers"]
                 if o["delegation"]["id"] == declared["delegation"]["id"])
    taken = (await api.gql(take_it_up, {"offer": offer["id"]}, as_=KASPER))["answerOffer"]
    assert taken["offer"]["status"] == "ACCEPTED" and taken["offer"]["delegation"]["status"] == "ACTIVE", taken
    answers = await api.gql(ask, {"unit": ids.unit("Plejecenter Solhaven")}, as_=METTE)
    assert answers["anna7000"]["decision"] is True
    assert (answers["anna12000"]["reason"], answers["anna12000"]["condition"]["textDa"]) == (
        "outside_mandate", "Op til 10.000 kr. pr. indkøb")
    assert answers["kasper12000"]["decision"] is True
    names = {p["person"]["name"] for p in answers["whoMay"]["people"]}
    assert {"Anna Jensen", "Kasper Nielsen", "Mette Sørensen"} <= names and "Fatima Ali" not in names
