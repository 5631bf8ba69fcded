"""The leader's card (issue 12, part 4; "at trække lederkortet", l. 648, 987 of the publication): a
leader who decides a matter she has delegated records what she decided and why. The delegate reads it
on her delegation, it is in history, it counts in the unit's follow-up, and it never changes the
delegation. Through the real app: GraphQL and the web pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from registry import texts
from tests.support import snapshot

METTE, ANNA, FATIMA = "mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk", "fatima.ali@eksempel.dk"
MARIA, HR, PIA = "maria.larsen@eksempel.dk", "louise.thomsen@eksempel.dk", "pia.schmidt@eksempel.dk"
SUSANNE, KAREN, ADMIN = "susanne.kjaer@eksempel.dk", "karen.pedersen@eksempel.dk", "jonas.kristensen@eksempel.dk"
AUDITOR = "henrik.bach@eksempel.dk"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
ALT = {"deviation": True, "citizen_category": "demens"}
ERR = "... on Error { code field message messageDa }"
DRAW = """mutation($i: RecordLeaderCardInput!) { recordLeaderCard(input: $i) { __typename
    ... on LeaderCardPayload { revision leaderCard { id decided why decidedAt labelDa decidedBy { name }
    delegation { id } } } %s } }""" % ERR
CARDS = """query($id: ID!) { delegation(id: $id) { id version level
    leaderCards { decided why decidedAt labelDa decidedBy { name } } } }"""
CHECK = """query($i: CheckInput!) { check(input: $i) { decision reason level obligations { kind } } }"""


async def _delegation(api, ids, person: str, area: str) -> dict:
    found = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id version
        area { key } } } }""", {"p": ids.people[person]}, as_=METTE))["delegations"]["nodes"]
    return next(n for n in found if n["area"]["key"] == area)


async def _draw(api, delegation_id: str, as_: str, **extra) -> dict:
    values = {"delegationId": delegation_id, "decided": "Badet bliver om formiddagen i denne uge.",
              "why": "Det er aftalt med de pårørende ved indflytningssamtalen.", **extra}
    return (await api.gql(DRAW, {"i": values}, as_=as_))["recordLeaderCard"]


async def _check(api, ids) -> dict:
    return (await api.gql(CHECK, {"i": {"person": ANNA, "area": "care/alternative-solutions",
                                         "unit": ids.unit("Plejecenter Solhaven"),
                                         "action": "ACT_AS_HVERDAGSDIREKTOER", "attributes": ALT}}, as_=ANNA))["check"]


# --- drawing the card ---------------------------------------------------------------------------

async def test_the_leader_draws_the_card_and_the_delegation_and_checks_stay_as_they_were(api):
    ids = await api.ids()
    d = await _delegation(api, ids, "anna", "care/alternative-solutions")
    before = (await api.gql(CARDS, {"id": d["id"]}, as_=METTE))["delegation"]
    check_before = await _check(api, ids)
    drawn = await _draw(api, d["id"], METTE, decidedAt=(NOW - timedelta(days=2)).isoformat())
    assert drawn["__typename"] == "LeaderCardPayload", drawn
    card = drawn["leaderCard"]
    assert card["labelDa"] == "Lederen har trukket lederkortet"
    assert card["decidedBy"]["name"] == "Mette Sørensen" and card["delegation"]["id"] == d["id"]
    assert card["decided"] == "Badet bliver om formiddagen i denne uge."
    after = (await api.gql(CARDS, {"id": d["id"]}, as_=METTE))["delegation"]
    assert (after["version"], after["level"]) == (before["version"], before["level"])
    assert len(after["leaderCards"]) == len(before["leaderCards"]) + 1
    assert await _check(api, ids) == check_before
    async with api.db.read() as conn:
        versions = await conn.fetchval("SELECT count(*) FROM history WHERE entity_id = $1 AND entity_type = 'delegation'",
                                       ids_uuid(d["id"]))
        changed = await conn.fetchval("SELECT count(*) FROM history WHERE entity_id = $1 AND revision = $2",
                                      ids_uuid(d["id"]), drawn["revision"])
    assert versions >= 1 and changed == 0  # the card's write touched no delegation


def ids_uuid(value: str):
    from uuid import UUID
    return UUID(value)


async def test_a_leader_above_the_unit_a_stand_in_and_the_delegator_may_draw_it(api):
    ids = await api.ids()
    d = await _delegation(api, ids, "anna", "care/alternative-solutions")
    assert (await _draw(api, d["id"], SUSANNE))["__typename"] == "LeaderCardPayload"  # leads Ældre, above
    appointed = (await api.gql("""mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) {
        appointStandIn(unitId: $u, standInId: $s, validFrom: $f, validUntil: $t) { __typename } }""",
        {"u": ids.unit("Plejecenter Solhaven"), "s": ids.people["maria"],
         "f": (NOW - timedelta(hours=1)).isoformat(), "t": (NOW + timedelta(days=10)).isoformat()},
        as_=METTE))["appointStandIn"]
    assert appointed["__typename"] == "StandInPayload", appointed
    by_stand_in = await _draw(api, d["id"], MARIA)
    assert by_stand_in["__typename"] == "LeaderCardPayload", by_stand_in
    async with api.db.read() as conn:
        behalf = await conn.fetchval("SELECT on_behalf_of FROM history WHERE entity_type = 'leader_card'"
                                     " AND entity_id = $1", ids_uuid(by_stand_in["leaderCard"]["id"]))
    assert behalf == f"person:{ids.people['mette']}"
    # Maria delegated shift swaps on to the evening team (she is its delegator, not a leader).
    team = (await api.gql("""query($t: ID!) { delegations(filter: {delegateTeamId: $t}) { nodes { id area { key }
        } } }""", {"t": ids.teams["Aftenvagten"]}, as_=MARIA))["delegations"]["nodes"]
    swaps = next(n for n in team if n["area"]["key"] == "personnel/shift-planning")
    assert (await _draw(api, swaps["id"], MARIA))["__typename"] == "LeaderCardPayload"


async def test_the_delegate_a_colleague_a_leader_elsewhere_an_administrator_and_a_system_are_refused(api):
    ids = await api.ids()
    d = await _delegation(api, ids, "anna", "care/alternative-solutions")
    before = await snapshot(api.db)
    for who in (ANNA, FATIMA, PIA, KAREN, ADMIN, HR):
        refused = await _draw(api, d["id"], who)
        assert refused["__typename"] == "ForbiddenError", (who, refused)
        assert refused["code"] == "not_authorised_to_draw", (who, refused)
        assert refused["messageDa"] == texts.ERRORS_DA["not_authorised_to_draw"]
    from tests.support import api_key
    key = await api_key(api.db, ["admin"], name="card-system")
    before = await snapshot(api.db)  # the key itself was written
    by_system = (await api.gql(DRAW, {"i": {"delegationId": d["id"], "decided": "x", "why": "y"}},
                               api_key=key))["recordLeaderCard"]
    assert by_system["__typename"] == "ForbiddenError", by_system
    assert await snapshot(api.db) == before


async def test_empty_texts_a_future_or_out_of_range_date_and_a_revoked_delegation_are_refused(api):
    ids = await api.ids()
    d = await _delegation(api, ids, "anna", "care/alternative-solutions")
    before = await snapshot(api.db)
    cases = [({"decided": "  "}, "required", "decided"), ({"why": ""}, "required", "why"),
             ({"decidedAt": (NOW + timedelta(days=1)).isoformat()}, "invalid_instant", "decidedAt"),
             ({"decidedAt": "1850-01-01T12:00:00+00:00"}, "date_out_of_range", "decidedAt"),
             ({"decidedAt": "2250-01-01T12:00:00+00:00"}, "date_out_of_range", "decidedAt")]
    for extra, code, field in cases:
        refused = await _draw(api, d["id"], METTE, **extra)
        assert (refused["__typename"], refused["code"], refused["field"]) == ("InvalidInputError", code, field), \
            (extra, refused)
        assert refused["messageDa"] == texts.ERRORS_DA[code]
    assert await snapshot(api.db) == before
    revoked = (await api.gql("""mutation($id: ID!, $v: Int!) { revokeDelegation(id: $id, version: $v,
        reason: "Slut") { __typename } }""", {"id": d["id"], "v": d["version"]}, as_=METTE))["revokeDelegation"]
    assert revoked["__typename"] == "DelegationPayload", revoked
    before = await snapshot(api.db)
    refused = await _draw(api, d["id"], METTE)
    assert (refused["__typename"], refused["code"]) == ("InvalidInputError", "revoked"), refused
    assert await snapshot(api.db) == before


# --- who reads it; history; the count -----------------------------------------------------------

async def test_the_delegate_the_leader_hr_and_auditors_read_the_cards_colleagues_and_systems_do_not(api):
    ids = await api.ids()
    d = await _delegation(api, ids, "anna", "care/alternative-solutions")
    assert (await _draw(api, d["id"], METTE))["__typename"] == "LeaderCardPayload"
    for who in (ANNA, METTE, SUSANNE, HR, AUDITOR):
        cards = (await api.gql(CARDS, {"id": d["id"]}, as_=who))["delegation"]["leaderCards"]
        assert cards and cards[0]["labelDa"] == "Lederen har trukket lederkortet", who
    for who in (FATIMA, PIA, KAREN, ADMIN):
        shown = (await api.gql(CARDS, {"id": d["id"]}, as_=who))["delegation"]
        assert shown["leaderCards"] is None and shown["level"] == 6, who


async def test_a_team_delegations_card_is_read_by_the_teams_members(api):
    ids = await api.ids()
    team = (await api.gql("""query($t: ID!) { delegations(filter: {delegateTeamId: $t}) { nodes { id area { key }
        } } }""", {"t": ids.teams["Aftenvagten"]}, as_=METTE))["delegations"]["nodes"]
    purchase = next(n for n in team if n["area"]["key"] == "economy/purchase")
    assert (await _draw(api, purchase["id"], METTE))["__typename"] == "LeaderCardPayload"
    for member in (ANNA, FATIMA):
        assert (await api.gql(CARDS, {"id": purchase["id"]}, as_=member))["delegation"]["leaderCards"], member
    assert (await api.gql(CARDS, {"id": purchase["id"]}, as_="kasper.nielsen@eksempel.dk")
            )["delegation"]["leaderCards"] is None


async def test_the_card_is_in_history_for_those_who_may_read_it(api):
    ids = await api.ids()
    d = await _delegation(api, ids, "anna", "care/alternative-solutions")
    card = (await _draw(api, d["id"], METTE))["leaderCard"]
    query = """query($id: ID!) { history(entityId: $id) { nodes { entityType operation actor after } } }"""
    seen = (await api.gql(query, {"id": card["id"]}, as_=ANNA))["history"]["nodes"]
    assert [(e["entityType"], e["operation"]) for e in seen] == [("leader_card", "CREATE")] or \
        [(e["entityType"], e["operation"].lower()) for e in seen] == [("leader_card", "create")], seen
    assert seen[0]["actor"] == f"person:{ids.people['mette']}"
    assert seen[0]["after"]["why"] == "Det er aftalt med de pårørende ved indflytningssamtalen."
    assert (await api.gql(query, {"id": card["id"]}, as_=FATIMA))["history"]["nodes"] == []
    audit = (await api.gql("""{ auditHistory(entityType: "leader_card") { nodes { entityId } } }""",
                           as_=AUDITOR))["auditHistory"]["nodes"]
    assert card["id"] in {e["entityId"] for e in audit}


async def test_the_unit_counts_the_cards_drawn_recently_for_its_leader_chain(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    query = """query($u: ID!, $d: Int) { leaderCardCount(unitId: $u, days: $d) { count days textDa } }"""
    start = (await api.gql(query, {"u": solhaven, "d": 90}, as_=METTE))["leaderCardCount"]
    d = await _delegation(api, ids, "anna", "care/alternative-solutions")
    assert (await _draw(api, d["id"], METTE))["__typename"] == "LeaderCardPayload"
    medicine = await _delegation(api, ids, "kasper", "care/medicine")  # began 200 days ago
    assert (await _draw(api, medicine["id"], METTE, decidedAt=(NOW - timedelta(days=150)).isoformat())
            )["__typename"] == "LeaderCardPayload"
    now = (await api.gql(query, {"u": solhaven, "d": 90}, as_=METTE))["leaderCardCount"]
    assert now["count"] == start["count"] + 1  # the one 150 days ago is not recent
    assert now["textDa"] == texts.leader_cards_count_da(now["count"], 90)
    above = (await api.gql(query, {"u": ids.unit("Center for Ældre"), "d": 365}, as_=SUSANNE))["leaderCardCount"]
    assert above["count"] >= start["count"] + 2
    for who in (HR, AUDITOR):
        assert (await api.gql(query, {"u": solhaven, "d": 90}, as_=who))["leaderCardCount"]["count"] == now["count"]
    for who in (ANNA, PIA):
        refused = await api.gql(query, {"u": solhaven, "d": 90}, as_=who)
        assert refused.errors and refused.errors[0]["extensions"]["code"] == "not_authorised_to_read", who
    bad = await api.gql(query, {"u": solhaven, "d": 0}, as_=METTE)
    assert bad.errors and bad.errors[0]["extensions"]["code"] == "invalid_argument"


async def test_the_demo_has_a_leader_card_on_annas_alternative_solutions(api):
    ids = await api.ids()
    d = await _delegation(api, ids, "anna", "care/alternative-solutions")
    cards = (await api.gql(CARDS, {"id": d["id"]}, as_=ANNA))["delegation"]["leaderCards"]
    assert len(cards) == 1 and cards[0]["decidedBy"]["name"] == "Mette Sørensen"
    assert "pårørende" in cards[0]["decided"]


# --- the web pages ------------------------------------------------------------------------------

async def test_the_leader_draws_the_card_on_the_delegation_page_and_anna_reads_it_on_mit_mandat(api):
    ids = await api.ids()
    d = await _delegation(api, ids, "anna", "care/alternative-solutions")
    version = (await api.gql(CARDS, {"id": d["id"]}, as_=METTE))["delegation"]["version"]
    async with api.web(as_=METTE) as web:
        page = await web.get(f"/delegeringer/{d['id']}")
        assert page.status_code == 200 and "Træk lederkortet" in page.text
        response = await web.post(f"/delegeringer/{d['id']}/lederkort",
                                  {"besluttet": "Turen til stranden flyttes til fredag.",
                                   "hvorfor": "Der er kun én voksen på vagt torsdag.", "besluttet_dato": ""})
        assert response.status_code == 303, response.text
        shown = await web.get(response.headers["location"])
        assert "Lederkortet er registreret. Delegeringen er uændret." in shown.text
        assert "Turen til stranden flyttes til fredag." in shown.text
        assert "Lederen har trukket lederkortet" in shown.text
        follow_up = await web.get("/opfoelgning")
        assert follow_up.status_code == 200
        assert "Lederkortet er trukket" in follow_up.text and "ikke en vurdering af medarbejderne" in follow_up.text
    assert (await api.gql(CARDS, {"id": d["id"]}, as_=METTE))["delegation"]["version"] == version
    async with api.web(as_=ANNA) as web:
        mine = await web.get("/mit-mandat")
        assert "Lederen har trukket lederkortet" in mine.text
        assert "Turen til stranden flyttes til fredag." in mine.text
        theirs = await web.get(f"/delegeringer/{d['id']}")
        assert "Turen til stranden flyttes til fredag." in theirs.text
        assert 'action="/delegeringer/%s/lederkort"' % d["id"] not in theirs.text  # no form for the delegate


async def test_a_refused_card_form_is_shown_again_in_danish_and_writes_nothing(api):
    ids = await api.ids()
    d = await _delegation(api, ids, "anna", "care/alternative-solutions")
    async with api.web(as_=METTE) as web:
        await web.get(f"/delegeringer/{d['id']}")
        before = await snapshot(api.db)
        response = await web.post(f"/delegeringer/{d['id']}/lederkort",
                                  {"besluttet": "Noget", "hvorfor": " ", "besluttet_dato": ""})
        assert response.status_code == 400
        assert texts.ERRORS_DA["required"] in response.text and "Noget" in response.text
        assert 'id="fejl-hvorfor"' in response.text
        assert await snapshot(api.db) == before
    async with api.web(as_=FATIMA) as web:
        page = await web.get(f"/delegeringer/{d['id']}")
        assert "Træk lederkortet" not in page.text and "Det besluttede" not in page.text
        before = await snapshot(api.db)
        refused = await web.post(f"/delegeringer/{d['id']}/lederkort", {"besluttet": "x", "hvorfor": "y"})
        assert refused.status_code == 403
        assert await snapshot(api.db) == before
