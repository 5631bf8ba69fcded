"""Checks through GraphQL against the demo organisation: decisions, reasons, levels, obligations."""

import time
from datetime import datetime, timedelta, timezone

import pytest

ANNA = "anna.jensen@eksempel.dk"
METTE = "mette.sorensen@eksempel.dk"
CHECK = """query($i: CheckInput!) { check(input: $i) { decision reason revision level levelLabelDa delegationIds
    obligations { kind deadline } redLine { id consequence condition } missingAttributes
    trace { kind id outcome level } } }"""


async def _check(api, ids, *, person=ANNA, area="care/alternative-solutions", unit="Plejecenter Solhaven",
                 action="ACT_AS_HVERDAGSDIREKTOER", attributes=None, **extra):
    variables = {"i": {"person": person, "area": area, "unit": ids.unit(unit) if unit in ids.units or
                       not unit.count("-") == 4 else unit, "action": action, "attributes": attributes, **extra}}
    return (await api.gql(CHECK, variables, as_=METTE))["check"]


async def test_anna_may_act_as_hverdagsdirektoer_and_owes_a_justification(api):
    ids = await api.ids()
    result = await _check(api, ids, attributes={"deviation": True, "citizen_category": "demens"})
    assert (result["decision"], result["reason"], result["level"]) == (True, "allowed", 6)
    assert result["levelLabelDa"] == "Medarbejderen beslutter og kan bagefter begrunde sit valg fagligt; lederen spørger ind"
    kinds = {o["kind"]: o["deadline"] for o in result["obligations"]}
    assert "justify" in kinds and kinds["justify"] is not None
    deadline = datetime.fromisoformat(kinds["justify"])
    assert timedelta(days=1) < deadline - datetime.now(timezone.utc) <= timedelta(days=14)
    assert len(result["delegationIds"]) == 1 and result["revision"] > 0


@pytest.mark.parametrize("attributes, reason", [
    ({"deviation": True, "citizen_category": "palliativ"}, "red_line"),
    ({"deviation": True}, "missing_attribute"),
])
async def test_red_lines_deny_even_with_a_delegation(api, attributes, reason):
    ids = await api.ids()
    result = await _check(api, ids, attributes=attributes)
    assert (result["decision"], result["reason"], result["level"]) == (False, reason, 6)
    assert result["redLine"]["condition"] == "citizen_category != 'palliativ'"
    if reason == "missing_attribute":
        assert result["missingAttributes"] == ["citizen_category"]


async def test_reasons_for_a_deny(api):
    ids = await api.ids()
    cases = [
        (dict(area="personnel/hiring"), "no_delegation", None),
        (dict(person="julie.vestergaard@eksempel.dk", area="care/relatives", unit="Bofællesskabet Lærkebo",
              action="DECIDE", attributes={"consent": True, "health_information_shared": False}), "level_too_low", 2),
        (dict(person="niels.jorgensen@eksempel.dk", area="personnel/shift-planning", unit="Plejecenter Egelund",
              action="DECIDE", attributes={"rest_hours": 12, "shift_swap": True, "extra_hours": 0}), "expired", 7),
        (dict(person="hanne.olsen@eksempel.dk", area="personnel/leave", unit="Hjemmeplejen Nord", action="DECIDE",
              attributes={"days": 2, "main_holiday": False, "colleagues_absent": 0}), "not_yet_valid", 5),
        (dict(person="nobody@eksempel.dk"), "unknown_person", None),
        (dict(area="no/such/area"), "unknown_area", None),
        (dict(unit="00000000-0000-4000-8000-000000000000"), "unknown_unit", None),
    ]
    for over, reason, level in cases:
        result = await _check(api, ids, **over)
        assert (result["decision"], result["reason"], result["level"]) == (False, reason, level), over


async def test_a_team_delegation_covers_its_members_at_the_instant(api):
    ids = await api.ids()
    swap = {"shift_swap": True, "extra_hours": 0, "rest_hours": 11}
    result = await _check(api, ids, person="fatima.ali@eksempel.dk", area="personnel/shift-planning",
                          action="DECIDE", attributes=swap)
    assert (result["decision"], result["level"]) == (True, 6)
    assert [o["kind"] for o in result["obligations"]][0] == "justify"
    too_little_rest = await _check(api, ids, person="fatima.ali@eksempel.dk", area="personnel/shift-planning",
                                   action="DECIDE", attributes={**swap, "rest_hours": 8})
    assert too_little_rest["reason"] == "red_line"


async def test_explain_traces_the_delegations_and_red_lines_considered(api):
    ids = await api.ids()
    result = await _check(api, ids, attributes={"deviation": False, "citizen_category": "aeldre"}, explain=True)
    kinds = {(t["kind"], t["outcome"]) for t in result["trace"]}
    assert ("delegation", "allows") in kinds and ("red_line", "holds") in kinds


async def test_a_write_is_visible_to_a_check_that_asks_for_its_revision(api):
    ids = await api.ids()
    declared = (await api.gql("""mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(input: {areaId: $a,
        unitId: $u, delegatePersonId: $p, level: 7}) { ... on DelegationPayload { revision delegation { id version } }
        } }""", {"a": ids.areas["care/relatives"], "u": ids.unit("Plejecenter Solhaven"), "p": ids.people["fatima"]},
        as_=METTE))["declareDelegation"]
    accepted = await api.accept(declared["delegation"]["id"])  # Fatima takes it up: another write
    attrs = {"consent": True, "health_information_shared": True}
    result = await _check(api, ids, person="fatima.ali@eksempel.dk", area="care/relatives", action="DECIDE",
                          attributes=attrs, minRevision=accepted["revision"])
    assert (result["decision"], result["level"]) == (True, 7) and result["revision"] >= accepted["revision"]
    revoked = (await api.gql("""mutation($id: ID!) { revokeDelegation(id: $id, version: 2, reason: "Forsøg slut") {
        ... on DelegationPayload { revision } } }""", {"id": declared["delegation"]["id"]}, as_=METTE))
    result = await _check(api, ids, person="fatima.ali@eksempel.dk", area="care/relatives", action="DECIDE",
                          attributes=attrs, minRevision=revoked["revokeDelegation"]["revision"])
    assert (result["decision"], result["reason"]) == (False, "revoked")


async def test_a_revision_the_server_never_reaches_answers_stale(api):
    ids = await api.ids()
    api.engine.min_revision_wait = 0.05
    result = await _check(api, ids, attributes={"deviation": True, "citizen_category": "demens"},
                          minRevision=10_000_000)
    assert (result["decision"], result["reason"]) == (False, "stale")


async def test_who_may_equals_the_people_single_checks_allow(api):
    ids = await api.ids()
    query = """query($u: ID!, $attrs: JSON) { whoMay(area: "care/alternative-solutions", unit: $u,
        action: ACT_AS_HVERDAGSDIREKTOER, attributes: $attrs) { stale revision people { level person { externalId } } } }"""
    leaders = [f"{p}@eksempel.dk" for p in ("lars.mikkelsen", "birgitte.holm", "susanne.kjaer", "mette.sorensen")]
    allowed = (await api.gql(query, {"u": ids.unit("Plejecenter Solhaven"),
                                     "attrs": {"deviation": True, "citizen_category": "demens"}}, as_=METTE))["whoMay"]
    assert sorted(p["person"]["externalId"] for p in allowed["people"]) == sorted([ANNA, *leaders])
    # The forvaltning's red line binds leaders too: nobody may.
    none = (await api.gql(query, {"u": ids.unit("Plejecenter Solhaven"),
                                  "attrs": {"deviation": True, "citizen_category": "palliativ"}}, as_=METTE))["whoMay"]
    assert none["people"] == []
    kastanjen = (await api.gql(query, {"u": ids.unit("Demensafsnittet"),
                                       "attrs": {"deviation": True, "citizen_category": "demens"}}, as_=METTE))
    people = sorted(p["person"]["externalId"] for p in kastanjen["whoMay"]["people"])
    assert people == sorted([ANNA, "ida.rasmussen@eksempel.dk", "mads.christensen@eksempel.dk",
                             "karen.pedersen@eksempel.dk", *leaders])


async def test_the_mandate_lists_what_anna_may_decide(api):
    result = (await api.gql("""query { mandate(person: "anna.jensen@eksempel.dk") { level levelLabelDa actions
        area { key } unit { name } owes { kind withinDays } redLines { condition } validUntil viaTeam { name } } }""",
        as_=ANNA))["mandate"]
    by_area = {e["area"]["key"]: e for e in result}
    assert by_area["care/alternative-solutions"]["level"] == 6
    assert "act_as_hverdagsdirektoer" in by_area["care/alternative-solutions"]["actions"]
    assert {"kind": "justify", "withinDays": 5} in by_area["care/alternative-solutions"]["owes"] or \
        any(o["kind"] == "justify" for o in by_area["care/alternative-solutions"]["owes"])
    assert "citizen_category != 'palliativ'" in {r["condition"] for r in by_area["care/alternative-solutions"]["redLines"]}
    assert by_area["care/activities"]["level"] == 7 and by_area["care/activities"]["validUntil"] is None
    assert by_area["personnel/shift-planning"]["viaTeam"]["name"] == "Aftenvagten"


async def test_nothing_in_an_archived_unit_is_exported_or_allowed(api):
    from registry.policy.projection import project

    ids = await api.ids()
    index = api.engine.index(ids.tenant)
    kastanjen = ids.unit("Demensafsnittet")
    assert any(kastanjen in rule for rule in project(index, time.time()).p)
    version = (await api.gql("query($id: ID!) { unit(id: $id) { version } }", {"id": kastanjen},
                             as_="jonas.kristensen@eksempel.dk"))["unit"]["version"]
    archived = await api.gql("mutation($id: ID!, $v: Int!) { archiveUnit(id: $id, version: $v) { __typename } }",
                             {"id": kastanjen, "v": version}, as_="jonas.kristensen@eksempel.dk")
    assert archived["archiveUnit"]["__typename"] == "UnitPayload"
    index = api.engine.index(ids.tenant)
    assert not any(kastanjen in rule[:4] for rule in project(index, time.time()).p)
    result = await _check(api, ids, unit="Demensafsnittet", attributes={"deviation": True, "citizen_category": "demens"})
    assert (result["decision"], result["reason"]) == (False, "unknown_unit")
