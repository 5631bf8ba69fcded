"""Trust notes (the competence, intention and resources assessments on a delegation) are personal
assessments: the delegate (or the members of the team it was given to), the delegator, the leader
chain above the unit (and a stand-in for it, during the period) and HR read them. Everyone else who
reads delegations sees that a delegation exists, its level, purpose, rules, control and validity,
with `trust` null: on the delegation, in lists, in mutation payloads, in history values, in
person-data exports; and never in the Casbin export or a mandate."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from registry.demo import DEMO_TENANT
from tests.support import api_key

METTE, ANNA, MARIA, FATIMA, KASPER = ("mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk",
                                      "maria.larsen@eksempel.dk", "fatima.ali@eksempel.dk",
                                      "kasper.nielsen@eksempel.dk")
SUSANNE, LARS, KAREN, PIA = ("susanne.kjaer@eksempel.dk", "lars.mikkelsen@eksempel.dk", "karen.pedersen@eksempel.dk",
                             "pia.schmidt@eksempel.dk")
HR, ADMIN, AUDITOR = "louise.thomsen@eksempel.dk", "jonas.kristensen@eksempel.dk", "henrik.bach@eksempel.dk"
# Anna's delegation on alternative solutions (Mette, Plejecenter Solhaven), and its notes in the demo.
NOTE = "Erfaren social- og sundhedsassistent med stærk faglig dømmekraft."
TEAM_NOTE = "Teamet kender vagtreglerne og hinanden."  # Maria's sub-delegation to the team Aftenvagten
ERR = "... on Error { code }"
TRUST = "trust { competence { assessment note } intention { note } resources { note } }"
ONE = "query($id: ID!) { delegation(id: $id) { id level purpose rules validUntil control { form } %s } }" % TRUST
LIST = "query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id level purpose %s } } }" % TRUST
HISTORY = "query($id: ID!) { history(entityId: $id) { nodes { operation before after } } }"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _target(entity: dict) -> dict:
    return {"id": entity["id"], "v": entity["version"]}


async def _anna_delegation(api) -> dict:
    ids = await api.ids()
    found = (await api.gql("query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id version "
                           "area { key } } } }", {"p": ids.people["anna"]}, as_=METTE))["delegations"]["nodes"]
    return next(d for d in found if d["area"]["key"] == "care/alternative-solutions")


async def _team_delegation(api) -> dict:
    ids = await api.ids()
    found = (await api.gql("query($t: ID!) { delegations(filter: {delegateTeamId: $t}) { nodes { id version "
                           "area { key } } } }", {"t": ids.teams["Aftenvagten"]}, as_=METTE))["delegations"]["nodes"]
    found = [d for d in found if d["area"]["key"] == "personnel/shift-planning"]
    assert len(found) == 1, found
    return found[0]


async def _readers(api) -> dict[str, dict]:
    """Callers who read delegations but not their trust notes, as keyword arguments to api.gql."""
    return {"colleague": {"as_": FATIMA}, "sibling leader": {"as_": PIA}, "leader below": {"as_": KAREN},
            "administrator": {"as_": ADMIN}, "auditor": {"as_": AUDITOR},
            "read key": {"api_key": await api_key(api.db, ["read"], name="reader")},
            "write key": {"api_key": await api_key(api.db, ["write"], name="writer")},
            "admin key": {"api_key": await api_key(api.db, ["admin"], name="admin-key")}}


async def test_colleagues_administrators_and_systems_read_a_delegation_without_its_trust_notes(api):
    """Readers see the delegation without them; a check key, which reads no delegations, sees none
    through a mandate, the history or the Casbin export either."""
    ids = await api.ids()
    delegation = await _anna_delegation(api)
    for who, caller in (await _readers(api)).items():
        one = await api.gql(ONE, {"id": delegation["id"]}, **caller)
        assert one.errors is None, (who, one.body)
        shown = one.data["delegation"]
        assert shown["trust"] is None, (who, shown)
        assert shown["level"] == 6 and shown["purpose"] and shown["rules"] and shown["validUntil"], (who, shown)
        assert shown["control"] == {"form": "REPORT_AFTERWARDS"}, (who, shown)
        listed = await api.gql(LIST, {"p": ids.people["anna"]}, **caller)
        assert listed.errors is None and listed.data["delegations"]["nodes"], (who, listed.body)
        assert all(d["trust"] is None for d in listed.data["delegations"]["nodes"]), (who, listed.body)
        assert NOTE not in json.dumps(one.body, ensure_ascii=False) + json.dumps(listed.body, ensure_ascii=False)
    checker = await api_key(api.db, ["check"], name="checker")
    for query, variables in ((ONE, {"id": delegation["id"]}), (LIST, {"p": ids.people["anna"]}),
                             (HISTORY, {"id": delegation["id"]}),
                             ('{ mandate(person: "%s") { level delegation { %s } } }' % (ANNA, TRUST), {})):
        refused = await api.gql(query, variables, api_key=checker)
        assert refused.errors, refused.body
        assert NOTE not in json.dumps(refused.body, ensure_ascii=False), refused.body
    policy = await api.client.get(f"/casbin/{DEMO_TENANT}/policy.csv", headers={"X-Api-Key": checker})
    assert policy.status_code == 200 and policy.text.startswith("p, ")
    assert NOTE not in policy.text


async def test_the_delegate_the_delegator_the_leader_chain_and_hr_read_the_trust_notes(api):
    ids = await api.ids()
    delegation = await _anna_delegation(api)
    for who in (ANNA, METTE, SUSANNE, LARS, HR):
        shown = (await api.gql(ONE, {"id": delegation["id"]}, as_=who))["delegation"]
        assert shown["trust"]["competence"] == {"assessment": "HIGH", "note": NOTE}, (who, shown)
        listed = (await api.gql(LIST, {"p": ids.people["anna"]}, as_=who))["delegations"]["nodes"]
        assert all(d["trust"] is not None for d in listed), (who, listed)
    mandate = (await api.gql('{ mandate(person: "%s") { delegation { id %s } } }' % (ANNA, TRUST),
                             as_=ANNA))["mandate"]
    assert NOTE in json.dumps(mandate, ensure_ascii=False)
    reader = await api_key(api.db, ["check", "read"], name="checker-and-reader")
    theirs = await api.gql('{ mandate(person: "%s") { level delegation { id %s } } }' % (ANNA, TRUST), api_key=reader)
    assert theirs.errors is None and theirs.data["mandate"], theirs.body
    assert all(e["delegation"] is None or e["delegation"]["trust"] is None for e in theirs.data["mandate"])


async def test_a_stand_in_reads_the_trust_notes_only_during_the_period(api):
    ids = await api.ids()
    delegation = await _anna_delegation(api)
    assert (await api.gql(ONE, {"id": delegation["id"]}, as_=MARIA))["delegation"]["trust"] is None
    appointed = (await api.gql("""mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) {
        appointStandIn(unitId: $u, standInId: $s, validFrom: $f, validUntil: $t) { __typename
        ... on StandInPayload { standIn { id version } } %s } }""" % ERR,
        {"u": ids.unit("Plejecenter Solhaven"), "s": ids.people["maria"],
         "f": (_now() - timedelta(hours=1)).isoformat(), "t": (_now() + timedelta(days=14)).isoformat()}, as_=METTE))["appointStandIn"]
    assert appointed["__typename"] == "StandInPayload", appointed
    shown = (await api.gql(ONE, {"id": delegation["id"]}, as_=MARIA))["delegation"]
    assert shown["trust"]["competence"]["note"] == NOTE
    # What she declares meanwhile answers to Mette afterwards (as amending and revoking it does).
    declared = (await api.gql("""mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) { __typename
        ... on DelegationPayload { delegation { id %s } } %s } }""" % (TRUST, ERR), {"i": {
            "areaId": ids.areas["care/relatives"], "unitId": ids.unit("Plejecenter Solhaven"),
            "delegatePersonId": ids.people["kasper"], "level": 4,
            "trust": {"competence": {"assessment": "MEDIUM", "note": "Ny i faget"}}}}, as_=MARIA))["declareDelegation"]
    assert declared["__typename"] == "DelegationPayload", declared
    assert declared["delegation"]["trust"]["competence"]["note"] == "Ny i faget"
    ended = (await api.gql("mutation($id: ID!, $v: Int!) { endStandIn(id: $id, version: $v) { __typename %s } }"
                           % ERR, _target(appointed["standIn"]), as_=METTE))["endStandIn"]
    assert ended["__typename"] == "StandInPayload", ended
    for one in (delegation["id"], declared["delegation"]["id"]):
        assert (await api.gql(ONE, {"id": one}, as_=MARIA))["delegation"]["trust"] is None
        assert (await api.gql(ONE, {"id": one}, as_=METTE))["delegation"]["trust"] is not None
    assert (await api.gql(ONE, {"id": declared["delegation"]["id"]}, as_=KASPER))["delegation"]["trust"] is not None


async def test_the_members_of_a_team_read_the_trust_notes_of_the_team_delegation(api):
    team = await _team_delegation(api)
    for who in (FATIMA, ANNA, MARIA, METTE, HR):  # members, the delegator (Maria), the leader, HR
        shown = (await api.gql(ONE, {"id": team["id"]}, as_=who))["delegation"]
        assert shown["trust"]["competence"]["note"] == TEAM_NOTE, (who, shown)
    for who in (KASPER, PIA, ADMIN):  # a colleague outside the team, another unit's leader, an administrator
        shown = (await api.gql(ONE, {"id": team["id"]}, as_=who))["delegation"]
        assert shown["trust"] is None and shown["level"] == 6, (who, shown)


async def test_the_history_of_a_delegation_shows_its_trust_notes_as_the_delegation_does(api):
    delegation = await _anna_delegation(api)
    amended = (await api.gql("""mutation($id: ID!, $v: Int!) { amendDelegation(id: $id, version: $v, input: {
        trust: {competence: {assessment: MEDIUM, note: "Skal genopfriske demensviden"}}}) { __typename
        ... on DelegationPayload { delegation { %s } } %s } }""" % (TRUST, ERR), _target(delegation), as_=METTE))
    assert amended["amendDelegation"]["__typename"] == "DelegationPayload", amended.body
    assert amended["amendDelegation"]["delegation"]["trust"]["competence"]["assessment"] == "MEDIUM"
    for who in (ANNA, METTE, SUSANNE, HR):
        entries = (await api.gql(HISTORY, {"id": delegation["id"]}, as_=who))["history"]["nodes"]
        # created (offered), accepted by Anna (issue 12, part 1), then amended
        assert [e["operation"] for e in entries] == ["create", "update", "update"], (who, entries)
        assert entries[-1]["before"]["trust"]["competence"]["note"] == NOTE, who
        assert entries[-1]["after"]["trust"]["competence"]["note"] == "Skal genopfriske demensviden", who
    for who, caller in (await _readers(api)).items():
        if who in ("administrator", "auditor", "admin key"):
            continue  # below, in the audit history
        found = await api.gql(HISTORY, {"id": delegation["id"]}, **caller)
        entries = found["history"]["nodes"]
        assert [e["operation"] for e in entries] == ["create", "update", "update"], (who, entries)
        assert all(v is None or v["trust"] is None for e in entries for v in (e["before"], e["after"])), (who, entries)
        assert entries[-1]["after"]["purpose"] and entries[-1]["after"]["level"] == 6, (who, entries)
        text = json.dumps(found.body, ensure_ascii=False)
        assert NOTE not in text and "genopfriske" not in text, who
    audit = 'query($id: ID!) { auditHistory(entityId: $id) { nodes { operation before after } } }'
    admin_key = await api_key(api.db, ["admin"], name="auditing-admin-key")
    for caller in ({"as_": ADMIN}, {"as_": AUDITOR}, {"api_key": admin_key}):
        found = await api.gql(audit, {"id": delegation["id"]}, **caller)
        entries = found["auditHistory"]["nodes"]
        assert [e["operation"] for e in entries] == ["create", "update", "update"], (caller, entries)
        text = json.dumps(found.body, ensure_ascii=False)
        assert NOTE not in text and "genopfriske" not in text, caller
        assert all(v is None or v["trust"] is None for e in entries for v in (e["before"], e["after"]))


async def test_a_mutation_payload_shows_the_trust_notes_only_to_those_who_may_read_them(api):
    delegation = await _anna_delegation(api)
    amend = """mutation($id: ID!, $v: Int!) { amendDelegation(id: $id, version: $v, input: {purpose: "Justeret"}) {
        __typename ... on DelegationPayload { delegation { version purpose %s } } %s } }""" % (TRUST, ERR)
    by_admin = (await api.gql(amend, _target(delegation), as_=ADMIN))["amendDelegation"]
    assert by_admin["__typename"] == "DelegationPayload", by_admin
    assert by_admin["delegation"]["purpose"] == "Justeret" and by_admin["delegation"]["trust"] is None
    by_leader = (await api.gql(amend, {"id": delegation["id"], "v": by_admin["delegation"]["version"]},
                               as_=METTE))["amendDelegation"]
    assert by_leader["delegation"]["trust"]["competence"]["note"] == NOTE


async def test_a_person_data_export_withholds_trust_notes_from_those_who_may_not_read_them(api):
    ids = await api.ids()
    export = "query($id: ID!) { personalData(personId: $id) { document } }"
    admin_key = await api_key(api.db, ["admin"], name="exporting-admin-key")
    await api.gql("""mutation($id: ID!, $v: Int!) { amendDelegation(id: $id, version: $v, input: {level: 5}) {
        __typename } }""", _target(await _anna_delegation(api)), as_=METTE)
    for caller in ({"as_": ADMIN}, {"api_key": admin_key}):
        document = (await api.gql(export, {"id": ids.people["anna"]}, **caller))["personalData"]["document"]
        received = document["delegations"]["received"]
        assert received and all(d["trust"] is None and d["trust_withheld"] for d in received), caller
        assert all(d["purpose"] and d["level"] for d in received)
        assert document["delegations"]["via_teams"] and all(d["trust"] is None
                                                           for d in document["delegations"]["via_teams"])
        changes = [h for h in document["history"]["about_them"] if h["entity_type"] == "delegation"]
        assert changes and all(v is None or v["trust"] is None for h in changes for v in (h["before"], h["after"]))
        text = json.dumps(document, ensure_ascii=False)
        assert NOTE not in text and TEAM_NOTE not in text, caller
    for who in (ANNA, HR):
        text = json.dumps((await api.gql(export, {"id": ids.people["anna"]}, as_=who))["personalData"]["document"],
                          ensure_ascii=False)
        assert text.count(NOTE) >= 3 and TEAM_NOTE in text, who  # the delegation, and its history before and after
    given = (await api.gql(export, {"id": ids.people["mette"]}, as_=METTE))["personalData"]["document"]
    assert NOTE in json.dumps(given["delegations"]["given"], ensure_ascii=False)


async def test_a_reviews_note_is_read_under_the_same_rule_as_the_trust_notes(api):
    # The leader's note at a review is her assessment of the delegate: its history is screened as the
    # delegation's trust notes are (the review itself, its outcome and date, stay visible).
    delegation = await _anna_delegation(api)
    note = "Anna har brugt sit mandat med omtanke; vi fortsætter."
    reviewed = (await api.gql("""mutation($id: ID!, $v: Int!, $n: String!, $next: Date!) { completeReview(
        delegationId: $id, version: $v, outcome: CONTINUE, note: $n, nextReviewDate: $next) { __typename %s } }"""
        % ERR, {**_target(delegation), "n": note, "next": (_now() + timedelta(days=180)).date().isoformat()},
        as_=METTE))["completeReview"]
    assert reviewed["__typename"] == "ReviewPayload", reviewed
    review_id = await api.db.pool.fetchval("SELECT id FROM review WHERE delegation_id = $1", delegation["id"])

    async def notes(**caller):
        entries = (await api.gql(HISTORY, {"id": str(review_id)}, **caller))["history"]["nodes"]
        assert entries, caller
        return [json.loads(e["after"])["note"] if isinstance(e["after"], str) else e["after"]["note"]
                for e in entries]

    for who in (ANNA, METTE, SUSANNE, HR):
        assert await notes(as_=who) == [note], who
    for name, caller in (await _readers(api)).items():
        assert await notes(**caller) == [None], name
