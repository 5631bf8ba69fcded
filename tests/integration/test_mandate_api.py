"""The mandate through the real app: what checks apply shows in it (breach effects, leader
authority, stand-ins), and nothing of a breach but its effect."""

from datetime import datetime, timedelta, timezone

from tests.support import api_key

METTE, ANNA, SUSANNE = "mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk", "susanne.kjaer@eksempel.dk"
MARIA, FATIMA = "maria.larsen@eksempel.dk", "fatima.ali@eksempel.dk"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
ALT = "care/alternative-solutions"
MANDATE = """query($p: String!, $at: DateTime) { mandate(person: $p, at: $at) { basis basisLabelDa level
    levelInForce suspended actions owes { kind } validUntil area { key } unit { name } exceptAreas { key }
    standInFor { name } delegation { id }
    effects { kind labelDa wholeEntry until cappedTo area { key } unit { name } } } }"""
CHECK = "query($i: CheckInput!) { check(input: $i) { decision reason level obligations { kind } } }"
BREACH = """mutation($i: RecordBreachInput!) { recordBreach(input: $i) { __typename
    ... on BreachPayload { breach { id } } ... on Error { code message } } }"""
SECRET = "Glemte at dokumentere afvigelsen"


async def _mandate(api, person=ANNA, *, as_=None, at=None, **kw):
    variables = {"p": person, "at": None if at is None else at.isoformat()}
    return (await api.gql(MANDATE, variables, as_=as_ or person, **kw))["mandate"]


def _entry(entries, area=ALT, basis="delegation", unit=None):
    return next(e for e in entries if e["area"]["key"] == area and e["basis"] == basis
                and (unit is None or e["unit"]["name"] == unit))


async def _check(api, ids, person=ANNA, area=ALT, action="ACT_AS_HVERDAGSDIREKTOER", unit="Plejecenter Solhaven",
                 attributes=None):
    attributes = {"deviation": True, "citizen_category": "demens"} if attributes is None else attributes
    return (await api.gql(CHECK, {"i": {"person": person, "area": area, "unit": ids.unit(unit), "action": action,
                                        "attributes": attributes}}, as_=METTE))["check"]


async def _breach(api, response, until, **extra):
    found = (await api.gql("""query($p: String!) { mandate(person: $p) { area { key } delegation { id } } }""",
                           {"p": ANNA}, as_=METTE))["mandate"]
    delegation = next(e["delegation"]["id"] for e in found if e["area"]["key"] == ALT)
    recorded = (await api.gql(BREACH, {"i": {
        "delegationId": delegation, "occurredAt": (NOW - timedelta(days=1)).isoformat(), "description": SECRET,
        "cause": "COMPETENCE", "response": response, "until": until.isoformat(), **extra}}, as_=METTE))
    assert recorded["recordBreach"]["__typename"] == "BreachPayload", recorded.body


async def test_a_suspended_employee_sees_her_mandate_suspended_as_checks_refuse_her(api, clock):
    ids = await api.ids()
    clock.value = NOW
    assert not _entry(await _mandate(api))["suspended"]
    until = NOW + timedelta(days=10)
    await _breach(api, "SUSPENSION", until)

    entry = _entry(await _mandate(api))
    assert (entry["level"], entry["suspended"], entry["levelInForce"], entry["actions"]) == (6, True, None, [])
    assert entry["effects"] == [{"kind": "suspended", "labelDa": "Mandatet er midlertidigt sat i bero",
                                 "wholeEntry": True, "until": until.isoformat(), "cappedTo": None,
                                 "area": {"key": ALT}, "unit": {"name": "Plejecenter Solhaven"}}]
    assert (await _check(api, ids))["reason"] == "suspended"
    assert (await _check(api, ids, action="BE_INFORMED"))["reason"] == "suspended"
    # Only the effect: nothing of what happened, why, or which breach.
    shown = await api.gql(MANDATE, {"p": ANNA}, as_=ANNA)
    assert SECRET not in str(shown.body) and "COMPETENCE" not in str(shown.body).upper()

    clock.value = until                               # it ends by itself, in checks and in the mandate
    entry = _entry(await _mandate(api))
    assert (entry["suspended"], entry["levelInForce"], entry["effects"]) == (False, 6, [])
    assert (await _check(api, ids))["decision"] is True


async def test_a_lowered_level_and_extra_control_show_as_the_level_in_force_and_pre_approval(api, clock):
    ids = await api.ids()
    clock.value = NOW
    await _breach(api, "LOWERED_LEVEL", NOW + timedelta(days=30), loweredTo=5)
    await _breach(api, "EXTRA_CONTROL", NOW + timedelta(days=60))
    entry = _entry(await _mandate(api))
    assert (entry["level"], entry["levelInForce"], entry["suspended"]) == (6, 5, False)
    assert "act_as_hverdagsdirektoer" not in entry["actions"] and "decide" in entry["actions"]
    assert {o["kind"] for o in entry["owes"]} >= {"seek_advice", "pre_approval"}
    assert {(f["kind"], f["cappedTo"], f["labelDa"]) for f in entry["effects"]} == {
        ("level_capped", 5, "Mandatet er midlertidigt begrænset til niveau 5"),
        ("pre_approval", None, "Dine beslutninger skal midlertidigt godkendes på forhånd")}
    assert (await _check(api, ids))["reason"] == "level_too_low"
    decide = await _check(api, ids, action="DECIDE")
    assert decide["decision"] and "pre_approval" in {o["kind"] for o in decide["obligations"]}


async def test_colleagues_and_check_keys_see_the_effect_as_checks_show_it_and_nothing_more(api, clock):
    """Anyone who may run checks about her sees the same effect there; so the mandate shows it too."""
    clock.value = NOW
    await _breach(api, "SUSPENSION", NOW + timedelta(days=10))
    own = _entry(await _mandate(api))
    for viewer in (METTE, FATIMA):
        seen = _entry(await _mandate(api, as_=viewer))
        assert (seen["suspended"], seen["effects"]) == (own["suspended"], own["effects"]), viewer
    checker = await api_key(api.db, ["check"], name="checker")
    seen = await api.gql("""query($p: String!) { mandate(person: $p) { level suspended levelInForce actions
        effects { kind wholeEntry until } } }""", {"p": ANNA}, api_key=checker)
    assert {(e["suspended"], tuple(f["kind"] for f in e["effects"])) for e in seen["mandate"]} >= {
        (True, ("suspended",))}
    assert SECRET not in str(seen.body)


async def test_a_leaders_mandate_holds_her_units_areas_but_not_those_reserved_above_her(api, clock):
    ids = await api.ids()
    clock.value = NOW
    mette = [e for e in await _mandate(api, METTE) if e["basis"] == "leader_authority"]
    assert {(e["area"]["key"], e["unit"]["name"], tuple(a["key"] for a in e["exceptAreas"])) for e in mette} == {
        ("care", "Plejecenter Solhaven", ()),
        ("economy", "Plejecenter Solhaven", ("economy/budget",)),          # reserved to the forvaltning
        ("personnel", "Plejecenter Solhaven", ("personnel/hiring",))}      # reserved to the centre
    assert all(e["level"] == 7 and e["delegation"] is None and e["basisLabelDa"] == "Som leder af enheden"
               for e in mette)
    susanne = {e["area"]["key"]: e for e in await _mandate(api, SUSANNE) if e["basis"] == "leader_authority"}
    assert susanne["personnel"]["exceptAreas"] == []                         # hiring is reserved to her centre
    # ... as checks answer:
    assert (await _check(api, ids, METTE, "personnel/leave", "DECIDE", attributes={}))["reason"] == "leader_authority"
    assert (await _check(api, ids, METTE, "personnel/hiring", "DECIDE", attributes={}))["reason"] == "no_delegation"
    assert (await _check(api, ids, SUSANNE, "personnel/hiring", "DECIDE",
                         attributes={}))["reason"] == "leader_authority"
    assert [e for e in await _mandate(api, "jens.poulsen@eksempel.dk") if e["basis"] == "leader_authority"] == []


async def test_a_stand_in_holds_the_leaders_mandate_during_the_appointment_only(api, clock):
    ids = await api.ids()
    clock.value = NOW
    until = NOW + timedelta(days=14)
    appointed = await api.gql("""mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) { appointStandIn(
        unitId: $u, standInId: $s, validFrom: $f, validUntil: $t) { __typename } }""",
        {"u": ids.unit("Plejecenter Solhaven"), "s": ids.people["maria"], "f": NOW.isoformat(),
         "t": until.isoformat()}, as_=METTE)
    assert appointed["appointStandIn"]["__typename"] == "StandInPayload", appointed.body
    clock.value = NOW + timedelta(days=3)
    held = [e for e in await _mandate(api, MARIA) if e["basis"] == "leader_authority"]
    assert {e["area"]["key"] for e in held} == {"care", "economy", "personnel"}
    assert all(e["standInFor"]["name"] == "Mette Sørensen" and e["validUntil"] == until.isoformat()
               and e["basisLabelDa"] == "Som stedfortræder for lederen" for e in held)
    assert (await _check(api, ids, MARIA, "personnel/leave", "DECIDE", attributes={}))["reason"] == "leader_authority"
    clock.value = until
    assert [e for e in await _mandate(api, MARIA) if e["basis"] == "leader_authority"] == []
    assert (await _check(api, ids, MARIA, "personnel/leave", "DECIDE", attributes={}))["decision"] is False


async def test_the_mandate_at_a_past_instant_is_what_checks_answer_from_history(api, clock):
    """Both as of a past instant: the suspension then in force, and a stand-in's authority then
    (checks as of the past used to miss the leader's own membership, so a stand-in held nothing)."""
    ids = await api.ids()
    clock.value = NOW
    await _breach(api, "SUSPENSION", NOW + timedelta(days=10))
    appointed = await api.gql("""mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) { appointStandIn(
        unitId: $u, standInId: $s, validFrom: $f, validUntil: $t) { __typename } }""",
        {"u": ids.unit("Plejecenter Solhaven"), "s": ids.people["maria"], "f": NOW.isoformat(),
         "t": (NOW + timedelta(days=14)).isoformat()}, as_=METTE)
    assert appointed["appointStandIn"]["__typename"] == "StandInPayload", appointed.body
    clock.value = NOW + timedelta(days=30)           # both are over now
    then = NOW + timedelta(days=5)
    assert not _entry(await _mandate(api))["suspended"]
    entry = _entry(await _mandate(api, at=then))
    assert (entry["suspended"], [f["kind"] for f in entry["effects"]]) == (True, ["suspended"])
    at_then = {"person": ANNA, "area": ALT, "unit": ids.unit("Plejecenter Solhaven"),
               "action": "BE_INFORMED", "at": then.isoformat()}
    assert (await api.gql(CHECK, {"i": at_then}, as_=METTE))["check"]["reason"] == "suspended"

    held = [e for e in await _mandate(api, MARIA, at=then) if e["basis"] == "leader_authority"]
    assert {e["area"]["key"] for e in held} == {"care", "economy", "personnel"}
    assert {e["standInFor"]["name"] for e in held} == {"Mette Sørensen"}
    stand_in_then = {**at_then, "person": MARIA, "area": "personnel/leave", "action": "DECIDE", "attributes": {}}
    assert (await api.gql(CHECK, {"i": stand_in_then}, as_=METTE))["check"]["reason"] == "leader_authority"
    assert [e for e in await _mandate(api, MARIA) if e["basis"] == "leader_authority"] == []


async def test_a_check_key_reads_where_each_entry_applies_and_checks_by_those_names_allow(api):
    # A `check` key may not follow links into the organisation (`area`, `unit`), so each entry names
    # its area and unit itself, in the forms a check takes; a check by them answers as the entry says.
    checker = await api_key(api.db, ["check"], name="vagtplan")
    entries = (await api.gql("""query($p: String!) { mandate(person: $p) { areaKey unitId unitExternalId
        levelInForce actions } }""", {"p": ANNA}, api_key=checker))["mandate"]
    assert entries
    entry = next(e for e in entries if e["areaKey"] == "care/activities")
    assert entry["unitExternalId"] == "LOS-2110" and entry["unitId"]
    for unit in (entry["unitId"], entry["unitExternalId"]):
        response = await api.client.post("/access/v1/evaluation", headers={"X-Api-Key": checker}, json={
            "subject": {"type": "person", "id": ANNA}, "action": {"name": "be_informed"},
            "resource": {"type": "decision", "id": entry["areaKey"],
                         "properties": {"unit": unit, "cost": 1, "outside_home": False, "staff_count": 1}}})
        assert response.json()["decision"] is True, response.text
