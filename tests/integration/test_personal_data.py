"""Personal data through the real app: the access-request export and erasure by pseudonymisation."""

from datetime import datetime, timedelta, timezone
from uuid import UUID

import asyncpg
import pytest

from tests.support import api_key, other_tenant

ANNA, METTE, FATIMA = "anna.jensen@eksempel.dk", "mette.sorensen@eksempel.dk", "fatima.ali@eksempel.dk"
ADMIN, HR = "jonas.kristensen@eksempel.dk", "louise.thomsen@eksempel.dk"
ERR = "... on Error { code field message }"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
ALT = {"deviation": True, "citizen_category": "demens"}

EXPORT = """query($p: ID!) { personalData(personId: $p) { personId generatedAt revision truncated document } }"""
ERASE = """mutation($id: ID!, $v: Int!) { erasePerson(id: $id, version: $v) { __typename
    ... on ErasePersonPayload { revision rowsRedacted historyEntriesRewritten breachesPurged decisionLogEntriesRewritten
        person { id name email externalId roles archivedAt erasedAt version } }
    ... on ConflictError { currentVersion } %s } }""" % ERR
CHECK = "query($i: CheckInput!) { check(input: $i) { decision reason level } }"


async def _everything(db) -> dict:
    """Every row of every table (the trust loop's too), as text: what a write could change."""
    state = {}
    async with db.read() as conn:
        tables = [r["t"] for r in await conn.fetch(
            "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' ORDER BY 1")]
        for table in tables:
            found = await conn.fetch(f'SELECT to_jsonb(t)::text AS r FROM "{table}" t ORDER BY 1')
            state[table] = [r["r"] for r in found]
    return state


async def _occurrences(db, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text, text[], json and jsonb column of every table holding a needle."""
    hits = []
    async with db.read() as conn:
        columns = await conn.fetch(
            """SELECT c.table_name, c.column_name FROM information_schema.columns c
               JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
               WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                 AND (c.data_type IN ('text', 'jsonb', 'json', 'character varying') OR c.udt_name = '_text')""")
        assert len(columns) > 40
        for c in columns:
            for needle in needles:
                found = await conn.fetchval(
                    f'SELECT count(*) FROM "{c["table_name"]}" WHERE strpos(lower("{c["column_name"]}"::text), $1) > 0',
                    needle.lower())
                if found:
                    hits.append((c["table_name"], c["column_name"], needle))
    return hits


async def _record_act_and_breach(api, ids, clock):
    """Anna acts as hverdagsdirektør and justifies it; Mette gives feedback and records a breach."""
    clock.value = NOW
    act = (await api.gql("""mutation($i: RecordActInput!) { recordAct(input: $i) { __typename
        ... on ActPayload { act { id version } } %s } }""" % ERR, {"i": {
        "person": ANNA, "area": "care/alternative-solutions", "unit": ids.unit("Plejecenter Solhaven"),
        "caseRef": "SAG-2026-0142", "description": "Gåtur i stedet for træning; Anna Jensen fulgte borgeren",
        "occurredAt": NOW.isoformat(), "attributes": ALT}}, as_=ANNA))["recordAct"]
    assert act["__typename"] == "ActPayload", act
    act_id = act["act"]["id"]
    justified = await api.gql("""mutation($id: ID!) { justifyAct(id: $id, version: 1, justification:
        "Borgeren var urolig; en gåtur gav samme effekt.") { __typename } }""", {"id": act_id}, as_=ANNA)
    assert justified["justifyAct"]["__typename"] == "ActPayload"
    feedback = await api.gql("""mutation($id: ID!) { giveFeedback(id: $id, version: 2, feedback: "Godt, Anna.",
        assessment: WELL_FOUNDED) { __typename } }""", {"id": act_id}, as_=METTE)
    assert feedback["giveFeedback"]["__typename"] == "FeedbackPayload"
    delegations = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id
        area { key } } } }""", {"p": ids.people["anna"]}, as_=METTE))["delegations"]["nodes"]
    alt = next(d for d in delegations if d["area"]["key"] == "care/alternative-solutions")
    breach = (await api.gql("""mutation($i: RecordBreachInput!) { recordBreach(input: $i) { __typename
        ... on BreachPayload { breach { id } } %s } }""" % ERR, {"i": {
        "delegationId": alt["id"], "occurredAt": (NOW - timedelta(days=1)).isoformat(),
        "description": "Anna Jensen glemte at dokumentere afvigelsen", "cause": "COMPETENCE",
        "response": "DIALOGUE", "learningNotes": "Vi taler om dokumentation på teammødet"}}, as_=METTE))
    assert breach["recordBreach"]["__typename"] == "BreachPayload", breach
    return act_id, breach["recordBreach"]["breach"]["id"]


async def _denied_check(api, ids):
    """A check about Anna that her purchase limit denies (so the decision log keeps it)."""
    denied = (await api.gql(CHECK, {"i": {
        "person": ANNA, "area": "economy/purchase", "unit": ids.unit("Plejecenter Solhaven"), "action": "DECIDE",
        "attributes": {"amount": 90_000, "on_contract": True}}}, as_=METTE))["check"]
    assert denied["decision"] is False


# --- the export ---------------------------------------------------------------------------------

async def test_a_person_exports_everything_held_about_her(api, clock):
    ids = await api.ids()
    act_id, breach_id = await _record_act_and_breach(api, ids, clock)
    await _denied_check(api, ids)
    await api.engine.decision_log.flush(api.db)
    found = (await api.gql(EXPORT, {"p": ids.people["anna"]}, as_=ANNA))["personalData"]
    doc = found["document"]
    assert found["personId"] == ids.people["anna"] and found["truncated"] == []
    assert doc["export"]["requested_by"] == f"person:{ids.people['anna']}"
    assert (doc["person"]["name"], doc["person"]["email"]) == ("Anna Jensen", ANNA)
    assert [m["unit_name"] for m in doc["memberships"]] == ["Plejecenter Solhaven"]
    assert [t["team_name"] for t in doc["team_memberships"]] == ["Aftenvagten"]
    received = {d["area_key"] for d in doc["delegations"]["received"]}
    assert {"care/alternative-solutions", "care/activities"} <= received
    assert all(d["delegator_name"] == "Mette Sørensen" for d in doc["delegations"]["received"])
    # Aftenvagten's shift swaps and small purchases
    assert [d["delegate_team_name"] for d in doc["delegations"]["via_teams"]] == ["Aftenvagten", "Aftenvagten"]
    [act] = doc["acts"]
    assert (act["id"], act["case_ref"], act["feedback"]) == (act_id, "SAG-2026-0142", "Godt, Anna.")
    assert {d["kind"] for d in act["due_items"]} >= {"justify"}
    [breach] = doc["breaches"]
    assert breach["id"] == breach_id and breach["description"].startswith("Anna Jensen glemte")
    assert breach["learning_notes"] and "details_withheld" not in breach
    about = doc["history"]["about_them"]
    assert {(h["entity_type"], h["operation"]) for h in about} >= {
        ("person", "create"), ("membership", "create"), ("delegation", "create"), ("act", "create"),
        ("act", "update"), ("breach", "create")}
    assert all(h.get("after") is None or "description" not in h["after"] for h in about if h["entity_type"] == "breach")
    actions = doc["history"]["their_actions"]
    assert {(h["entity_type"], h["entity_id"]) for h in actions} >= {("act", act_id)}
    assert all(h["actor"] == f"person:{ids.people['anna']}" for h in actions)
    assert all("before" not in h and "after" not in h for h in actions)
    [logged] = doc["decision_log"]
    assert (logged["person"], logged["allowed"], logged["reason"], logged["caller"]) == (
        ANNA, False, "outside_mandate", f"person:{ids.people['mette']}")

    leader = (await api.gql(EXPORT, {"p": ids.people["mette"]}, as_=METTE))["personalData"]["document"]
    assert [f["act_id"] for f in leader["feedback_given"]] == [act_id]
    # The demo's breach (Kasper's, issue 12 part 6) was recorded by Mette before this one.
    assert [b["breach_id"] for b in leader["breaches_recorded"]][-1:] == [breach_id]
    assert len(leader["breaches_recorded"]) == 2 and all("description" not in b for b in leader["breaches_recorded"])
    assert {d["delegate_person_name"] for d in leader["delegations"]["given"]} >= {"Anna Jensen"}
    assert any(h["entity_id"] == breach_id for h in leader["history"]["their_actions"])


async def test_administrators_and_hr_may_export_and_only_hr_sees_breach_details(api, clock):
    ids = await api.ids()
    await _record_act_and_breach(api, ids, clock)
    by_hr = (await api.gql(EXPORT, {"p": ids.people["anna"]}, as_=HR))["personalData"]["document"]
    assert by_hr["breaches"][0]["description"].startswith("Anna Jensen glemte")
    assert by_hr["export"]["requested_by"] == f"person:{ids.people['louise']}"
    by_admin = (await api.gql(EXPORT, {"p": ids.people["anna"]}, as_=ADMIN))["personalData"]["document"]
    assert by_admin["person"]["name"] == "Anna Jensen" and len(by_admin["acts"]) == 1
    [withheld] = by_admin["breaches"]
    assert "description" not in withheld and "learning_notes" not in withheld and withheld["details_withheld"]
    assert withheld["response"] == "dialogue"
    key = await api_key(api.db, ["admin"], name="dpo-tool")
    by_key = (await api.gql(EXPORT, {"p": ids.people["anna"]}, api_key=key))["personalData"]["document"]
    assert by_key["person"]["id"] == ids.people["anna"] and "details_withheld" in by_key["breaches"][0]


@pytest.mark.parametrize("caller", [FATIMA, METTE, "susanne.kjaer@eksempel.dk", "henrik.bach@eksempel.dk", "key"])
async def test_colleagues_leaders_auditors_and_systems_may_not_export(api, caller):
    ids = await api.ids()
    if caller == "key":
        refused = await api.gql(EXPORT, {"p": ids.people["anna"]},
                                api_key=await api_key(api.db, ["read", "check", "record", "write"]))
    else:
        refused = await api.gql(EXPORT, {"p": ids.people["anna"]}, as_=caller)
    assert refused.data is None
    [error] = refused.errors
    if caller == "key":  # systems: only an admin key
        assert error["extensions"]["code"] == "missing_scope"
    else:
        assert (error["extensions"]["code"], error["extensions"]["field"]) == ("not_authorised_to_export", "personId")
    assert "Anna" not in str(refused.body)


async def test_another_organisations_person_is_not_found(api):
    other = await other_tenant(api.db)
    for person in (other["person"], "not-an-id"):
        missing = await api.gql(EXPORT, {"p": person}, as_=ADMIN)
        assert missing.data is None and missing.errors[0]["extensions"]["code"] == "not_found"
        assert "Ole" not in str(missing.body)


async def test_each_section_is_capped_and_a_cut_section_is_named(api):
    from uuid import uuid4

    from registry.auth import Principal
    from registry.services import personal_data as personal_data_uc
    from registry.services.common import Ctx

    ids = await api.ids()
    admin_key = Principal(tenant_id=ids.tenant, tenant_key="eksempel", api_key_id=uuid4(), api_key_name="dpo",
                          scopes=frozenset({"admin"}))
    found = await personal_data_uc.export(Ctx(db=api.db, principal=admin_key), UUID(ids.people["anna"]), limit=1)
    assert {"delegations.received", "history.about_them"} <= set(found.truncated)
    assert found.document["export"]["truncated"] == found.truncated
    assert len(found.document["delegations"]["received"]) == 1 and len(found.document["history"]["about_them"]) == 1


# --- erasure -------------------------------------------------------------------------------------

async def _anna(api, ids) -> dict:
    return (await api.gql("""query($id: ID!) { person(id: $id) { id version name
        memberships { id version } } }""", {"id": ids.people["anna"]}, as_=ADMIN))["person"]


async def test_erasure_is_refused_while_the_person_is_active_and_for_non_administrators(api):
    ids = await api.ids()
    anna = await _anna(api, ids)
    before = await _everything(api.db)
    refused = (await api.gql(ERASE, {"id": anna["id"], "v": anna["version"]}, as_=ADMIN))["erasePerson"]
    assert (refused["__typename"], refused["code"], refused["field"]) == ("ConflictError", "still_active", "id")
    assert "membership" in refused["message"] and "delegation" in refused["message"]
    for caller in (METTE, HR, ANNA):
        forbidden = (await api.gql(ERASE, {"id": anna["id"], "v": anna["version"]}, as_=caller))["erasePerson"]
        assert (forbidden["__typename"], forbidden["code"]) == ("ForbiddenError", "admin_required")
    key = await api_key(api.db, ["read", "write"])
    before = await _everything(api.db)
    by_key = (await api.gql(ERASE, {"id": anna["id"], "v": anna["version"]}, api_key=key))["erasePerson"]
    assert (by_key["__typename"], by_key["code"]) == ("ForbiddenError", "missing_scope")
    other = await other_tenant(api.db)
    before = await _everything(api.db)
    for person in (other["person"], "not-an-id"):
        missing = (await api.gql(ERASE, {"id": person, "v": 1}, as_=ADMIN))["erasePerson"]
        assert (missing["__typename"], missing["code"]) == ("NotFoundError", "not_found")
    myself = (await api.gql(ERASE, {"id": ids.people["jonas"], "v": 1}, as_=ADMIN))["erasePerson"]
    assert myself["code"] == "self_erasure"
    assert await _everything(api.db) == before


async def _end_everything(api, ids, clock):
    """What an administrator does when Anna leaves: revoke her delegations, end her memberships."""
    clock.value = NOW + timedelta(hours=1)
    found = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id version
        status } } }""", {"p": ids.people["anna"]}, as_=ADMIN))["delegations"]["nodes"]
    for d in found:
        if d["status"] in ("ACTIVE", "SUSPENDED"):
            revoked = await api.gql("""mutation($id: ID!, $v: Int!) { revokeDelegation(id: $id, version: $v,
                reason: "Anna Jensen er fratrådt") { __typename } }""", {"id": d["id"], "v": d["version"]},
                as_=METTE)
            assert revoked["revokeDelegation"]["__typename"] == "DelegationPayload", revoked
    anna = await _anna(api, ids)
    for m in anna["memberships"]:
        archived = await api.gql("""mutation($id: ID!, $v: Int!) { archiveMembership(id: $id, version: $v) {
            __typename } }""", {"id": m["id"], "v": m["version"]}, as_=ADMIN)
        assert archived["archiveMembership"]["__typename"] == "MembershipPayload"
    members = (await api.gql("query($t: ID!) { team(id: $t) { members { id version person { id } } } }",
                             {"t": ids.teams["Aftenvagten"]}, as_=ADMIN))["team"]["members"]
    for m in members:
        if m["person"]["id"] == ids.people["anna"]:
            archived = await api.gql("""mutation($id: ID!, $v: Int!) { archiveTeamMember(id: $id, version: $v) {
                __typename } }""", {"id": m["id"], "v": m["version"]}, as_=ADMIN)
            assert archived["archiveTeamMember"]["__typename"] == "TeamMemberPayload"


async def test_erasure_pseudonymises_the_person_everywhere_and_keeps_the_history_consistent(api, clock):
    ids = await api.ids()
    anna_id = ids.people["anna"]
    act_id, breach_id = await _record_act_and_breach(api, ids, clock)
    # A colleague's delegation whose purpose names Anna, and an earlier name in Anna's own history.
    fatima = (await api.gql("""mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(input: {areaId: $a,
        unitId: $u, delegatePersonId: $p, level: 5, purpose: "Sparring med Anna Jensen (anna.jensen@eksempel.dk)"})
        { __typename ... on DelegationPayload { delegation { id } } } }""",
        {"a": ids.areas["care/relatives"], "u": ids.unit("Plejecenter Solhaven"), "p": ids.people["fatima"]},
        as_=METTE))["declareDelegation"]
    assert fatima["__typename"] == "DelegationPayload"
    await api.accept(fatima["delegation"]["id"])  # Fatima takes it up (issue 12, part 1)
    anna = await _anna(api, ids)
    renamed = await api.gql("""mutation($id: ID!, $v: Int!) { updatePerson(id: $id, version: $v,
        input: {name: "Anna Holm"}) { __typename } }""", {"id": anna_id, "v": anna["version"]}, as_=ADMIN)
    assert renamed["updatePerson"]["__typename"] == "PersonPayload"
    await _end_everything(api, ids, clock)
    await _denied_check(api, ids)  # logged, not yet written: the erasure writes it first
    needles = ["Anna Jensen", "Anna Holm", ANNA]
    assert await _occurrences(api.db, needles)  # the test would see them

    async with api.db.read() as conn:
        history_before = [tuple(r) for r in await conn.fetch(
            "SELECT id, tenant_id, revision, at, entity_type, entity_id, operation, actor, on_behalf_of"
            " FROM history ORDER BY id")]
    clock.value = NOW + timedelta(hours=2)
    anna = await _anna(api, ids)
    erased = (await api.gql(ERASE, {"id": anna_id, "v": anna["version"]}, as_=ADMIN))["erasePerson"]
    assert erased["__typename"] == "ErasePersonPayload", erased
    person = erased["person"]
    pseudonym, pseudo_ext = person["name"], person["externalId"]
    assert pseudonym.startswith("Slettet person ") and pseudo_ext.startswith("slettet-")
    assert pseudonym.split()[-1] == pseudo_ext.split("-")[-1] and len(pseudo_ext) > len("slettet-") + 8
    assert person["email"] is None and person["roles"] == [] and person["erasedAt"] and person["archivedAt"]
    assert erased["breachesPurged"] == 1 and erased["rowsRedacted"] >= 5 and erased["historyEntriesRewritten"] > 10
    assert erased["decisionLogEntriesRewritten"] == 1

    # Nothing anywhere still holds the old name (current or earlier), e-mail or external id.
    assert await _occurrences(api.db, needles) == []
    assert await _occurrences(api.db, [pseudonym])
    async with api.db.read() as conn:
        # In rows about her, her first name is gone too.
        purposes = [r["purpose"] for r in await conn.fetch(
            "SELECT purpose FROM delegation WHERE delegate_person_id = $1", anna_id)]
        assert purposes and not any("Anna" in p for p in purposes)
        assert any(p.startswith(pseudonym) for p in purposes)
        assert await conn.fetchval("SELECT purpose FROM delegation WHERE id = $1", fatima["delegation"]["id"]) == \
            f"Sparring med {pseudonym} ({pseudo_ext})"
        logged = await conn.fetch("SELECT person, person_id FROM decision_log")
        assert [(r["person"], str(r["person_id"])) for r in logged] == [(pseudo_ext, anna_id)]
        breach = await conn.fetchrow("SELECT * FROM breach WHERE id = $1", breach_id)
        assert breach["description"] is None and breach["learning_notes"] is None and breach["purged_at"]
        assert breach["response"] == "dialogue" and str(breach["person_id"]) == anna_id
        act = await conn.fetchrow("SELECT * FROM act WHERE id = $1", act_id)
        assert act["description"] == f"Gåtur i stedet for træning; {pseudonym} fulgte borgeren"
        assert act["justification"].startswith("Borgeren var urolig") and act["feedback"] == f"Godt, {pseudonym}."
        # The history: the same entries, with the same ids, revisions, times, operations and actors.
        history_after = [tuple(r) for r in await conn.fetch(
            "SELECT id, tenant_id, revision, at, entity_type, entity_id, operation, actor, on_behalf_of"
            " FROM history ORDER BY id")]
        assert history_after[:len(history_before)] == history_before
        new = history_after[len(history_before):]
        assert {r[2] for r in new} == {erased["revision"]}
        assert {r[7] for r in new} == {f"person:{ids.people['jonas']}"}
        own = await conn.fetch("SELECT before, after FROM history WHERE entity_id = $1 ORDER BY id", anna_id)
        assert {(h["after"] or h["before"])["name"] for h in own} == {pseudonym}
        assert {(h["after"] or h["before"])["external_id"] for h in own} == {pseudo_ext}
        event = own[-1]
        assert event["after"]["erased_at"] and event["before"]["erased_at"] is None
        # The append-only guard is back in force after the erasure.
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE history SET after = NULL WHERE entity_id = $1", anna_id)

    # Who changed what, on whose behalf, resolves to the pseudonym.
    history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { actor operation after } } }",
                             {"id": act_id}, as_=ADMIN))["history"]["nodes"]
    assert history[0]["actor"] == f"person:{anna_id}" and history[0]["after"]["description"].endswith(
        f"{pseudonym} fulgte borgeren")
    shown = (await api.gql("query($id: ID!) { act(id: $id) { person { name } feedbackBy { name } } }",
                           {"id": act_id}, as_=ADMIN))["act"]
    assert shown == {"person": {"name": pseudonym}, "feedbackBy": {"name": "Mette Sørensen"}}

    # The old identity no longer authenticates, and the pseudonym never did.
    for external_id in (ANNA, pseudo_ext):
        denied = await api.gql("{ me { name } }", as_=external_id)
        assert denied.status == 401 and denied.body["error"]["code"] == "invalid_token"

    # Checks: the old external id is unknown now and then; the pseudonym answers for the past as recorded.
    request = {"person": ANNA, "area": "care/alternative-solutions", "unit": ids.unit("Plejecenter Solhaven"),
               "action": "ACT_AS_HVERDAGSDIREKTOER", "attributes": ALT}
    now = (await api.gql(CHECK, {"i": request}, as_=METTE))["check"]
    assert (now["decision"], now["reason"]) == (False, "unknown_person")
    then = (NOW + timedelta(minutes=30)).isoformat()
    assert (await api.gql(CHECK, {"i": {**request, "at": then}}, as_=METTE))["check"]["reason"] == "unknown_person"
    as_of = (await api.gql(CHECK, {"i": {**request, "person": pseudo_ext, "at": then}}, as_=METTE))["check"]
    assert (as_of["decision"], as_of["reason"], as_of["level"]) == (True, "allowed", 6)
    today = (await api.gql(CHECK, {"i": {**request, "person": pseudo_ext}}, as_=METTE))["check"]
    assert today["decision"] is False
    fatima_check = (await api.gql(CHECK, {"i": {**request, "person": FATIMA, "area": "care/relatives",
                                                "action": "DECIDE", "attributes": {
                                                    "consent": True, "health_information_shared": True}}},
                                  as_=METTE))["check"]
    assert (fatima_check["decision"], fatima_check["reason"]) == (True, "allowed")

    # The export now holds the pseudonym only; an erased person cannot be renamed or erased again.
    exported = (await api.gql(EXPORT, {"p": anna_id}, as_=ADMIN))["personalData"]
    assert exported["document"]["person"]["name"] == pseudonym
    assert not any(n.lower() in str(exported["document"]).lower() for n in needles)
    await api.engine.decision_log.flush(api.db)  # the checks above, written as the log's writer would
    after = await _everything(api.db)
    rename = (await api.gql("""mutation($id: ID!, $v: Int!) { updatePerson(id: $id, version: $v,
        input: {name: "Anna Jensen"}) { __typename ... on Error { code } } }""",
        {"id": anna_id, "v": person["version"]}, as_=ADMIN))["updatePerson"]
    assert rename == {"__typename": "InvalidInputError", "code": "erased"}
    again = (await api.gql(ERASE, {"id": anna_id, "v": person["version"]}, as_=ADMIN))["erasePerson"]
    assert again["code"] == "already_erased"
    assert await _everything(api.db) == after


async def test_a_stale_version_is_a_conflict_and_writes_nothing(api, clock):
    ids = await api.ids()
    await _end_everything(api, ids, clock)
    anna = await _anna(api, ids)
    before = await _everything(api.db)
    stale = (await api.gql(ERASE, {"id": anna["id"], "v": anna["version"] - 1}, as_=ADMIN))["erasePerson"]
    assert (stale["__typename"], stale["code"], stale["currentVersion"]) == ("ConflictError", "conflict",
                                                                            anna["version"])
    assert await _everything(api.db) == before


async def test_without_a_version_the_erasure_takes_the_current_one(api, clock):
    ids = await api.ids()
    await _end_everything(api, ids, clock)
    erased = (await api.gql("""mutation($id: ID!) { erasePerson(id: $id) { __typename
        ... on ErasePersonPayload { person { name erasedAt } } } }""", {"id": ids.people["anna"]}, as_=ADMIN))
    assert erased["erasePerson"]["person"]["name"].startswith("Slettet person ")


async def test_history_stays_append_only_outside_an_erasure(demo_db):
    async with demo_db.read() as conn:
        tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = 'eksempel'")
        other = await conn.fetchval("SELECT gen_random_uuid()")
        for setting, statement in [
            (None, "UPDATE history SET after = NULL WHERE id = (SELECT min(id) FROM history)"),
            (str(tenant), "DELETE FROM history WHERE id = (SELECT min(id) FROM history)"),
            (str(tenant), "UPDATE history SET actor = 'person:x' WHERE id = (SELECT min(id) FROM history)"),
            (str(tenant), "UPDATE history SET at = now() WHERE id = (SELECT min(id) FROM history)"),
            (str(other), "UPDATE history SET after = NULL WHERE id = (SELECT min(id) FROM history)"),
        ]:
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                async with conn.raw.transaction():
                    await conn.execute("SELECT set_config('registry.revision', '1', true)")
                    if setting is not None:
                        await conn.execute("SELECT set_config('registry.erasure', $1, true)", setting)
                    await conn.execute(statement)
