"""Breaches as learning (issue 12, part 6): responses over time, the employee's own account, frame
changes, shareable learning points and the unit's count by cause, through the real app."""

from datetime import datetime, timedelta, timezone

import pytest

from registry.services import breaches as breach_uc
from tests.support import snapshot

METTE = "mette.sorensen@eksempel.dk"
ANNA = "anna.jensen@eksempel.dk"
FATIMA = "fatima.ali@eksempel.dk"
KASPER = "kasper.nielsen@eksempel.dk"
PIA = "pia.schmidt@eksempel.dk"
HR = "louise.thomsen@eksempel.dk"
AUDITOR = "henrik.bach@eksempel.dk"
KAREN = "karen.pedersen@eksempel.dk"
ERR = "... on Error { code field message messageDa }"
BREACH_FIELDS = """id version repairStatus responseNote
    responses { id first response responseDa note givenAt effectFrom effectUntil loweredTo recordedBy { name } }
    account { id version account writtenAt }
    frameChanges { id kind kindDa text decidedAt recordedBy { name } }
    learningPoints { id text shareable learnedAt }"""
RECORD = """mutation($i: RecordBreachInput!) { recordBreach(input: $i) { __typename
    ... on BreachPayload { breach { %s } } %s } }""" % (BREACH_FIELDS, ERR)
RESPOND = """mutation($b: ID!, $i: AddBreachResponseInput!) { addBreachResponse(breachId: $b, input: $i) { __typename
    ... on BreachPayload { breach { %s } } %s } }""" % (BREACH_FIELDS, ERR)
ACCOUNT = """mutation($b: ID!, $a: String!, $v: Int) { writeBreachAccount(breachId: $b, account: $a, version: $v) {
    __typename ... on BreachPayload { breach { %s } } %s } }""" % (BREACH_FIELDS, ERR)
FRAME = """mutation($b: ID!, $i: RecordFrameChangeInput!) { recordFrameChange(breachId: $b, input: $i) { __typename
    ... on BreachPayload { breach { %s } } %s } }""" % (BREACH_FIELDS, ERR)
LEARN = """mutation($b: ID!, $i: RecordLearningPointInput!) { recordLearningPoint(breachId: $b, input: $i) {
    __typename ... on BreachPayload { breach { %s } } %s } }""" % (BREACH_FIELDS, ERR)
FOLLOW_UP = """mutation($id: ID!, $v: Int!, $i: FollowUpBreachInput!) { followUpBreach(id: $id, version: $v, input: $i) {
    __typename ... on BreachPayload { breach { id version } } %s } }""" % ERR
SHARED = """query($u: ID!) { sharedLearningPoints(unitId: $u) { id text cause causeDa learnedAt breachId
    unit { name } } }"""
OVERVIEW = """query($u: ID!, $d: Int) { breachOverview(unitId: $u, days: $d) { since days withheld minPeople total
    textDa byCause { cause causeDa count } unit { name } } }"""
CHECK = "query($i: CheckInput!) { check(input: $i) { decision reason level obligations { kind } } }"
ALT = {"deviation": True, "citizen_category": "demens"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _in(days: int) -> str:
    return (_now() + timedelta(days=days)).isoformat()


async def _breach(api, ids, **extra) -> dict:
    """Mette records a breach about Anna's alternative solutions in Solhaven: first an expectations talk."""
    data = {"personId": ids.people["anna"], "areaId": ids.areas["care/alternative-solutions"],
            "unitId": ids.unit("Plejecenter Solhaven"), "occurredAt": _in(-3),
            "description": "Anna Jensen valgte en løsning uden at tale med de pårørende.", "cause": "COMPETENCE",
            "response": "DIALOGUE", "responseNote": "Forventningssamtale: vi talte om, hvornår de pårørende inddrages.",
            **extra}
    recorded = (await api.gql(RECORD, {"i": data}, as_=METTE))["recordBreach"]
    assert recorded["__typename"] == "BreachPayload", recorded
    return recorded["breach"]


async def _check(api, ids) -> dict:
    return (await api.gql(CHECK, {"i": {"person": ANNA, "area": "care/alternative-solutions",
                                        "unit": ids.unit("Plejecenter Solhaven"), "action": "ACT_AS_HVERDAGSDIREKTOER",
                                        "attributes": ALT}}, as_=METTE))["check"]


# --- responses over time --------------------------------------------------------------------------

async def test_a_breach_takes_responses_over_time_and_checks_honour_each(api):
    ids = await api.ids()
    before = await _check(api, ids)
    assert before["decision"] is True and "pre_approval" not in {o["kind"] for o in before["obligations"]}
    breach = await _breach(api, ids)
    assert [r["responseDa"] for r in breach["responses"]] == ["Forventningssamtale"]
    assert breach["responses"][0]["first"] is True and breach["responses"][0]["id"] == breach["id"]
    assert breach["responses"][0]["note"].startswith("Forventningssamtale: vi talte")
    assert (await _check(api, ids))["obligations"] == before["obligations"]  # a talk changes nothing in checks

    # Then two months of closer control: the check now owes a pre-approval.
    control = (await api.gql(RESPOND, {"b": breach["id"], "i": {
        "response": "EXTRA_CONTROL", "until": _in(61), "note": "Tættere kontrol i to måneder."}},
        as_=METTE))["addBreachResponse"]
    assert control["__typename"] == "BreachPayload", control
    responses = control["breach"]["responses"]
    assert [(r["response"], r["first"]) for r in responses] == [("DIALOGUE", True), ("EXTRA_CONTROL", False)]
    assert responses[1]["responseDa"] == "Midlertidig ekstra kontrol" and responses[1]["effectUntil"]
    assert responses[1]["recordedBy"]["name"] == "Mette Sørensen"
    during = await _check(api, ids)
    assert during["decision"] is True and "pre_approval" in {o["kind"] for o in during["obligations"]}

    # A lowered level caps, a suspension denies: exactly as when they were a breach's one response.
    lowered = (await api.gql(RESPOND, {"b": breach["id"], "i": {"response": "LOWERED_LEVEL", "loweredTo": 3,
                                                                "until": _in(10)}}, as_=METTE))["addBreachResponse"]
    assert lowered["__typename"] == "BreachPayload", lowered
    capped = await _check(api, ids)
    assert capped["decision"] is False and capped["level"] == 3, capped
    suspended = (await api.gql(RESPOND, {"b": breach["id"], "i": {"response": "SUSPENSION", "until": _in(5)}},
                               as_=METTE))["addBreachResponse"]
    assert suspended["__typename"] == "BreachPayload", suspended
    assert (await _check(api, ids))["reason"] == "suspended"
    async with api.web(as_=ANNA) as web:  # her mandate shows the effect, never the breach
        mandate = await web.get("/mit-mandat")
        assert mandate.status_code == 200 and "valgte en løsning" not in mandate.text


async def test_an_old_single_response_breach_reads_as_its_first_response(api):
    ids = await api.ids()
    breach = await _breach(api, ids, response="EXTRA_CONTROL", until=_in(30), responseNote=None)
    assert [(r["response"], r["first"], r["note"]) for r in breach["responses"]] == [("EXTRA_CONTROL", True, None)]
    ended = (await api.gql(FOLLOW_UP, {"id": breach["id"], "v": breach["version"], "i": {"effectUntil": _in(1)}},
                           as_=METTE))["followUpBreach"]
    assert ended["__typename"] == "BreachPayload", ended


async def test_a_later_revocation_revokes_the_delegation_and_a_stand_in_responds_for_the_leader(api):
    ids = await api.ids()
    found = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id level
        area { key } } } }""", {"p": ids.people["anna"]}, as_=METTE))["delegations"]["nodes"]
    delegation = next(d for d in found if d["area"]["key"] == "care/alternative-solutions")
    breach = await _breach(api, ids, delegationId=delegation["id"], personId=None, areaId=None, unitId=None)
    # A level at or above the delegation's is no lowering.
    before = await snapshot(api.db)
    same = (await api.gql(RESPOND, {"b": breach["id"], "i": {"response": "LOWERED_LEVEL", "until": _in(5),
                                                             "loweredTo": delegation["level"]}}, as_=METTE))
    assert same["addBreachResponse"]["code"] == "level_out_of_range"
    assert await snapshot(api.db) == before
    # Maria stands in for Mette: her response is recorded on Mette's behalf.
    appointed = (await api.gql("""mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) { appointStandIn(unitId: $u,
        standInId: $s, validFrom: $f, validUntil: $t) { __typename } }""", {
        "u": ids.unit("Plejecenter Solhaven"), "s": ids.people["maria"], "f": _in(-1), "t": _in(14)},
        as_=METTE))["appointStandIn"]
    assert appointed["__typename"] == "StandInPayload", appointed
    revoked = (await api.gql(RESPOND, {"b": breach["id"], "i": {"response": "REVOCATION", "note": "Vi starter forfra."}},
                             as_="maria.larsen@eksempel.dk"))["addBreachResponse"]
    assert revoked["__typename"] == "BreachPayload", revoked
    assert revoked["breach"]["responses"][-1]["recordedBy"]["name"] == "Maria Larsen"
    status = (await api.gql("query($id: ID!) { delegation(id: $id) { status } }", {"id": delegation["id"]},
                            as_=METTE))["delegation"]["status"]
    assert status == "REVOKED"
    async with api.db.read() as conn:
        behalf = await conn.fetchval("SELECT on_behalf_of FROM history WHERE entity_type = 'breach_response'"
                                     " AND entity_id = $1", revoked["breach"]["responses"][-1]["id"])
    assert behalf == f"person:{ids.people['mette']}"


@pytest.mark.parametrize("who, code", [(ANNA, "not_authorised_to_record"), (FATIMA, "not_found"),
                                       (PIA, "not_found"), (HR, "not_authorised_to_record"),
                                       (AUDITOR, "not_found")])
@pytest.mark.parametrize("op", ["respond", "frame", "learn"])
async def test_only_the_leader_chain_responds_changes_the_frame_and_marks_learning(api, who, code, op):
    ids = await api.ids()
    breach = await _breach(api, ids)
    call = {"respond": (RESPOND, {"response": "GUIDANCE"}, "addBreachResponse"),
            "frame": (FRAME, {"kind": "RESOURCES", "text": "Mere tid"}, "recordFrameChange"),
            "learn": (LEARN, {"text": "Tal med de pårørende først"}, "recordLearningPoint")}[op]
    before = await snapshot(api.db)
    refused = (await api.gql(call[0], {"b": breach["id"], "i": call[1]}, as_=who))[call[2]]
    assert refused["code"] == code, refused
    assert refused["messageDa"], refused
    assert await snapshot(api.db) == before


@pytest.mark.parametrize("data, field, code", [
    ({"response": "EXTRA_CONTROL"}, "until", "invalid_validity"),
    ({"response": "DIALOGUE", "until": "2030-01-01T00:00:00Z"}, "until", "invalid_validity"),
    ({"response": "LOWERED_LEVEL", "loweredTo": 9, "until": "2099-01-01T00:00:00Z"}, "loweredTo",
     "level_out_of_range"),
    ({"response": "GUIDANCE", "givenAt": "2099-01-01T00:00:00Z"}, "givenAt", "invalid_instant"),
    ({"response": "REVOCATION"}, "response", "required"),  # this breach names no delegation
    ({"response": "OTHER", "note": "x" * 4001}, "note", "too_long"),
])
async def test_a_response_that_does_not_hold_is_refused_and_writes_nothing(api, data, field, code):
    ids = await api.ids()
    breach = await _breach(api, ids)
    before = await snapshot(api.db)
    refused = (await api.gql(RESPOND, {"b": breach["id"], "i": data}, as_=METTE))["addBreachResponse"]
    assert (refused["__typename"], refused["field"], refused["code"]) == ("InvalidInputError", field, code), refused
    assert await snapshot(api.db) == before


async def test_a_closed_breach_takes_no_more_responses_and_its_account_stands(api):
    ids = await api.ids()
    breach = await _breach(api, ids)
    written = (await api.gql(ACCOUNT, {"b": breach["id"], "a": "Min beretning."}, as_=ANNA))["writeBreachAccount"]
    closed = (await api.gql(FOLLOW_UP, {"id": breach["id"], "v": written["breach"]["version"],
                                        "i": {"repairStatus": "CLOSED"}}, as_=METTE))["followUpBreach"]
    assert closed["__typename"] == "BreachPayload", closed
    before = await snapshot(api.db)
    refused = (await api.gql(RESPOND, {"b": breach["id"], "i": {"response": "GUIDANCE"}}, as_=METTE))
    assert refused["addBreachResponse"]["code"] == "breach_closed"
    rewrite = (await api.gql(ACCOUNT, {"b": breach["id"], "a": "Ny", "v": written["breach"]["account"]["version"]},
                             as_=ANNA))["writeBreachAccount"]
    assert rewrite["code"] == "breach_closed" and "afsluttet" in rewrite["messageDa"]
    assert await snapshot(api.db) == before
    # Learning goes on after the case is closed.
    learned = (await api.gql(LEARN, {"b": breach["id"], "i": {"text": "Inddrag de pårørende tidligt."}},
                             as_=METTE))["recordLearningPoint"]
    assert learned["__typename"] == "BreachPayload", learned


# --- the employee's own account -------------------------------------------------------------------

async def test_the_employee_writes_and_rewrites_her_own_account(api):
    ids = await api.ids()
    breach = await _breach(api, ids)
    first = (await api.gql(ACCOUNT, {"b": breach["id"], "a": "Jeg troede, at de pårørende var orienteret."},
                           as_=ANNA))["writeBreachAccount"]
    assert first["__typename"] == "BreachPayload", first
    account = first["breach"]["account"]
    assert account["account"] == "Jeg troede, at de pårørende var orienteret." and account["writtenAt"]
    # Rewriting names the version she read; without it, she is told one exists.
    before = await snapshot(api.db)
    stale = (await api.gql(ACCOUNT, {"b": breach["id"], "a": "Igen"}, as_=ANNA))["writeBreachAccount"]
    assert stale["__typename"] == "ConflictError", stale
    assert await snapshot(api.db) == before
    again = (await api.gql(ACCOUNT, {"b": breach["id"], "a": "Jeg troede, at de pårørende var orienteret af "
                                     "aftenvagten.", "v": account["version"]}, as_=ANNA))["writeBreachAccount"]
    assert again["breach"]["account"]["account"].endswith("af aftenvagten.")
    # The leader reads it with the breach.
    read = (await api.gql("query($id: ID!) { breach(id: $id) { account { account } } }", {"id": breach["id"]},
                          as_=METTE))["breach"]
    assert read["account"]["account"].endswith("af aftenvagten.")


@pytest.mark.parametrize("who, kind, code", [(FATIMA, "NotFoundError", "not_found"),
                                             (METTE, "ForbiddenError", "not_your_breach"),
                                             (HR, "ForbiddenError", "not_your_breach"),
                                             (PIA, "NotFoundError", "not_found")])
async def test_only_she_writes_her_account(api, who, kind, code):
    ids = await api.ids()
    breach = await _breach(api, ids)
    before = await snapshot(api.db)
    refused = (await api.gql(ACCOUNT, {"b": breach["id"], "a": "Det skete sådan her."}, as_=who))["writeBreachAccount"]
    assert (refused["__typename"], refused["code"]) == (kind, code), refused
    assert refused["messageDa"]
    assert await snapshot(api.db) == before


# --- frame changes and learning points -----------------------------------------------------------

async def test_the_frame_changes_apart_from_the_person(api):
    ids = await api.ids()
    breach = await _breach(api, ids, cause="RESOURCES")
    changed = (await api.gql(FRAME, {"b": breach["id"], "i": {
        "kind": "GUIDANCE", "text": "Vi skriver en kort vejledning om, hvornår de pårørende inddrages."}},
        as_=METTE))["recordFrameChange"]
    assert changed["__typename"] == "BreachPayload", changed
    [change] = changed["breach"]["frameChanges"]
    assert change["kindDa"] == "Vejledning og oplæring" and change["recordedBy"]["name"] == "Mette Sørensen"
    assert [r["response"] for r in changed["breach"]["responses"]] == ["DIALOGUE"]  # not a sanction
    before = await snapshot(api.db)
    refused = (await api.gql(FRAME, {"b": breach["id"], "i": {"kind": "RESOURCES", "text": " "}},
                             as_=METTE))["recordFrameChange"]
    assert refused["code"] == "required"
    assert await snapshot(api.db) == before


@pytest.mark.parametrize("text, confirm, code", [
    ("Inddrag de pårørende, før en løsning vælges.", False, "confirm_no_personal_data"),
    ("Anna skulle have spurgt de pårørende.", True, "personal_data_in_text"),          # her first name
    ("Spørg JENSEN om det næste gang.", True, "personal_data_in_text"),                # her last name
    ("Fatima Ali kender de pårørende bedst.", True, "personal_data_in_text"),          # anyone's full name
    ("Skriv til anna.jensen@eksempel.dk først.", True, "personal_data_in_text"),
    ("Borgeren 010203-1234 blev ikke spurgt.", True, "personal_data_in_text"),
])
async def test_a_shareable_learning_point_holds_no_personal_data(api, text, confirm, code):
    ids = await api.ids()
    breach = await _breach(api, ids)
    before = await snapshot(api.db)
    refused = (await api.gql(LEARN, {"b": breach["id"], "i": {"text": text, "shareable": True,
                                                              "confirmNoPersonalData": confirm}},
                             as_=METTE))["recordLearningPoint"]
    assert (refused["__typename"], refused["code"]) == ("InvalidInputError", code), refused
    assert refused["messageDa"]
    assert await snapshot(api.db) == before


async def test_shared_learning_shows_text_cause_and_date_never_the_person(api):
    ids = await api.ids()
    breach = await _breach(api, ids, cause="RESOURCES")
    shared = (await api.gql(LEARN, {"b": breach["id"], "i": {
        "text": "Tal med de pårørende, før en alternativ løsning vælges.", "shareable": True,
        "confirmNoPersonalData": True}}, as_=METTE))["recordLearningPoint"]
    assert shared["__typename"] == "BreachPayload", shared
    private = (await api.gql(LEARN, {"b": breach["id"], "i": {"text": "Anna har brug for mere sparring."}},
                             as_=METTE))["recordLearningPoint"]
    assert [p["shareable"] for p in private["breach"]["learningPoints"]] == [True, False]
    solhaven = ids.unit("Plejecenter Solhaven")
    as_colleague = (await api.gql(SHARED, {"u": solhaven}, as_=FATIMA))["sharedLearningPoints"]
    mine = [p for p in as_colleague if p["text"].startswith("Tal med de pårørende")]
    assert len(mine) == 1 and mine[0]["causeDa"] == "Rammer og ressourcer" and mine[0]["learnedAt"]
    assert mine[0]["breachId"] is None and mine[0]["unit"]["name"] == "Plejecenter Solhaven"
    shown = str(as_colleague)
    assert "Anna" not in shown and ids.people["anna"] not in shown and breach["id"] not in shown
    assert "mere sparring" not in shown  # not shareable: never in the list
    as_leader = (await api.gql(SHARED, {"u": solhaven}, as_=METTE))["sharedLearningPoints"]
    assert breach["id"] in {p["breachId"] for p in as_leader}
    # From another unit, anyone in the organisation reads what Solhaven learned.
    assert any(p["text"].startswith("Tal med de pårørende")
               for p in (await api.gql(SHARED, {"u": solhaven}, as_=PIA))["sharedLearningPoints"])


# --- the unit's overview --------------------------------------------------------------------------

async def test_the_unit_overview_counts_by_cause_never_by_person(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    before = (await api.gql(OVERVIEW, {"u": solhaven}, as_=METTE))["breachOverview"]
    await _breach(api, ids, cause="RESOURCES")
    await _breach(api, ids, cause="COMPETENCE")
    after = (await api.gql(OVERVIEW, {"u": solhaven}, as_=METTE))["breachOverview"]
    assert after["withheld"] is False and after["total"] == before["total"] + 2
    counts = {c["cause"]: c["count"] for c in after["byCause"]}
    old = {c["cause"]: c["count"] for c in before["byCause"]}
    assert counts["RESOURCES"] == old.get("RESOURCES", 0) + 1 and counts["COMPETENCE"] == old.get("COMPETENCE", 0) + 1
    assert after["textDa"] == f"{after['total']} tillidsbrud de seneste 365 dage."
    for who in (HR, AUDITOR):
        assert (await api.gql(OVERVIEW, {"u": solhaven}, as_=who))["breachOverview"]["total"] == after["total"]
    # A colleague, or a leader elsewhere, is not shown the count.
    for who in (FATIMA, PIA):
        response = await api.client.post("/graphql", json={"query": OVERVIEW, "variables": {"u": solhaven}},
                                          headers={"Authorization": f"Bearer {api.token(who)}"})
        assert response.json()["errors"][0]["extensions"]["code"] == "not_authorised_to_read"


async def test_a_small_unit_is_not_counted(api):
    ids = await api.ids()
    demens = ids.unit("Demensafsnittet")
    await _breach(api, ids, unitId=demens, personId=ids.people["mads"])
    found = (await api.gql(OVERVIEW, {"u": demens}, as_=METTE))["breachOverview"]
    assert found["withheld"] is True and found["total"] is None and found["byCause"] == []
    assert found["textDa"].startswith("Tallene vises ikke, fordi enheden har færre end 5 personer")
    refused = await api.client.post("/graphql", json={"query": OVERVIEW, "variables": {"u": demens, "d": 0}},
                                    headers={"Authorization": f"Bearer {api.token(METTE)}"})
    assert refused.json()["errors"][0]["extensions"]["code"] == "invalid_argument"


# --- history, the export, the purge ---------------------------------------------------------------

async def test_every_step_is_in_history_without_its_text(api):
    ids = await api.ids()
    breach = await _breach(api, ids)
    control = (await api.gql(RESPOND, {"b": breach["id"], "i": {"response": "EXTRA_CONTROL", "until": _in(60),
                                                                "note": "Fortroligt notat"}},
                             as_=METTE))["addBreachResponse"]["breach"]["responses"][1]
    account = (await api.gql(ACCOUNT, {"b": breach["id"], "a": "Min hemmelige beretning"}, as_=ANNA)
               )["writeBreachAccount"]["breach"]["account"]
    history = """query($id: ID!) { history(entityId: $id) { nodes { entityType operation actor after } } }"""
    for entity, text in ((control["id"], "Fortroligt notat"), (account["id"], "Min hemmelige beretning")):
        [entry] = (await api.gql(history, {"id": entity}, as_=METTE))["history"]["nodes"]
        assert entry["operation"] == "CREATE" or entry["operation"] == "create", entry
        assert text not in str(entry["after"]) and entry["after"]["breach_id"] == breach["id"]
        assert (await api.gql(history, {"id": entity}, as_=FATIMA))["history"]["nodes"] == []  # as private as it


async def test_her_data_export_holds_her_account_and_the_responses(api):
    ids = await api.ids()
    breach = await _breach(api, ids)
    await api.gql(RESPOND, {"b": breach["id"], "i": {"response": "GUIDANCE", "note": "Sparring hver uge"}}, as_=METTE)
    await api.gql(ACCOUNT, {"b": breach["id"], "a": "Sådan oplevede jeg det."}, as_=ANNA)
    await api.gql(FRAME, {"b": breach["id"], "i": {"kind": "RULES", "text": "Ny spilleregel"}}, as_=METTE)
    export = (await api.gql("query($p: ID!) { personalData(personId: $p) { document } }", {"p": ids.people["anna"]},
                            as_=ANNA))["personalData"]["document"]
    [doc] = [b for b in export["breaches"] if b["id"] == breach["id"]]
    assert doc["account"]["account"] == "Sådan oplevede jeg det."
    assert [r["note"] for r in doc["responses"]] == ["Sparring hver uge"]
    assert doc["response_note"].startswith("Forventningssamtale") and doc["frame_changes"][0]["text"] == "Ny spilleregel"


async def test_the_purge_empties_the_texts_and_keeps_what_was_shared(api):
    ids = await api.ids()
    breach = await _breach(api, ids)
    await api.gql(RESPOND, {"b": breach["id"], "i": {"response": "GUIDANCE", "note": "Sparring"}}, as_=METTE)
    await api.gql(ACCOUNT, {"b": breach["id"], "a": "Min beretning"}, as_=ANNA)
    await api.gql(FRAME, {"b": breach["id"], "i": {"kind": "RESOURCES", "text": "Mere tid"}}, as_=METTE)
    await api.gql(LEARN, {"b": breach["id"], "i": {"text": "Del dette", "shareable": True,
                                                   "confirmNoPersonalData": True}}, as_=METTE)
    last = (await api.gql(LEARN, {"b": breach["id"], "i": {"text": "Del ikke dette"}}, as_=METTE)
            )["recordLearningPoint"]["breach"]
    await api.gql(FOLLOW_UP, {"id": breach["id"], "v": last["version"], "i": {"repairStatus": "CLOSED"}}, as_=METTE)
    assert await breach_uc.purge_closed(api.db, _now() + timedelta(days=800)) >= 1
    async with api.db.read() as conn:
        b = breach["id"]
        assert await conn.fetchval("SELECT response_note FROM breach WHERE id = $1", b) is None
        assert await conn.fetchval("SELECT count(note) FROM breach_response WHERE breach_id = $1", b) == 0
        assert await conn.fetchval("SELECT count(account) FROM breach_account WHERE breach_id = $1", b) == 0
        assert await conn.fetchval("SELECT count(text) FROM breach_frame_change WHERE breach_id = $1", b) == 0
        kept = await conn.fetch("SELECT text FROM learning_point WHERE breach_id = $1 AND text IS NOT NULL", b)
        assert [r["text"] for r in kept] == ["Del dette"]
        # The purge's own history holds no text either.
        assert await conn.fetchval("SELECT count(*) FROM history WHERE after::text LIKE '%Min beretning%'"
                                   " OR before::text LIKE '%Min beretning%'") == 0


# --- the demo ------------------------------------------------------------------------------------

async def test_the_demo_breach_is_learned_from(api):
    found = (await api.gql("query { breaches { person { name } causeDa repairStatusDa %s } }" % BREACH_FIELDS,
                           as_=METTE))["breaches"]
    [demo] = [b for b in found if b["person"]["name"] == "Kasper Nielsen"]
    assert [r["responseDa"] for r in demo["responses"]] == ["Forventningssamtale", "Midlertidig ekstra kontrol"]
    assert demo["responses"][1]["note"].startswith("Tættere kontrol i to måneder")
    assert demo["account"]["account"].startswith("Om aftenen er jeg alene")
    assert [f["kindDa"] for f in demo["frameChanges"]] == ["Ressourcer"]
    assert [p["shareable"] for p in demo["learningPoints"]] == [True]
    assert demo["causeDa"] == "Rammer og ressourcer" and demo["repairStatusDa"] == "Under reparation"
    # The control has ended: Kasper's medicine is checked as before.
    assert all(r["effectUntil"] is None or r["effectUntil"] < _now().isoformat() for r in demo["responses"])


# --- the pages -----------------------------------------------------------------------------------

async def test_the_breach_page_walks_the_learning_through(api):
    ids = await api.ids()
    breach = await _breach(api, ids)
    page_path = f"/tillidsbrud/{breach['id']}"
    async with api.web(as_=METTE) as web:
        page = await web.get(page_path)
        assert page.status_code == 200
        assert "Svar over tid" in page.text and "Forventningssamtale: vi talte" in page.text
        assert "Tilføj et svar" in page.text and "Det ændrer vi i rammen" in page.text
        assert "Gem din beretning" not in page.text  # hers alone
        added = await web.post(f"{page_path}/svar", {"svar_type": "extra_control", "svar_note": "To måneders kontrol",
                                                     "svar_til": (_now() + timedelta(days=60)).date().isoformat()})
        assert added.status_code == 303, added.text
        framed = await web.post(f"{page_path}/ramme", {"ramme_type": "resources", "ramme_tekst": "Mere tid om aftenen"})
        assert framed.status_code == 303
        learned = await web.post(f"{page_path}/laering", {"laering_tekst": "Tal med de pårørende først.",
                                                          "laering_del": "ja", "laering_bekraeft": "ja"})
        assert learned.status_code == 303
        page = await web.get(page_path)
        assert "Midlertidig ekstra kontrol" in page.text and "To måneders kontrol" in page.text
        assert "Mere tid om aftenen" in page.text and "Kan deles – uden personoplysninger" in page.text
        # A refused form comes back with the Danish message, and nothing is written.
        before = await snapshot(api.db)
        refused = await web.post(f"{page_path}/laering", {"laering_tekst": "Anna glemte det.", "laering_del": "ja",
                                                          "laering_bekraeft": "ja"})
        assert refused.status_code == 400 and "Teksten nævner en person" in refused.text
        assert "Anna glemte det." in refused.text  # her words are kept in the form
        assert await snapshot(api.db) == before
    async with api.web(as_=ANNA) as web:
        page = await web.get(page_path)
        assert "Din egen beretning" in page.text and "Tilføj et svar" not in page.text
        written = await web.post(f"{page_path}/beretning", {"beretning": "Jeg troede, de var orienteret."})
        assert written.status_code == 303
        page = await web.get(page_path)
        assert "Jeg troede, de var orienteret." in page.text
    async with api.web(as_=FATIMA) as web:  # a colleague: the breach does not exist for her
        assert (await web.get(page_path)).status_code == 404
        before = await snapshot(api.db)
        refused = await web.post(f"{page_path}/beretning", {"beretning": "Jeg skriver for hende."})
        assert refused.status_code == 404
        assert await snapshot(api.db) == before


async def test_the_follow_up_page_counts_by_cause_and_the_board_shows_what_was_learned(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    async with api.web(as_=METTE) as web:
        page = await web.get("/opfoelgning")
        assert page.status_code == 200
        assert "Tillidsbrud efter årsag" in page.text and "Rammer og ressourcer: 1" in page.text  # the demo's
        assert "Kasper" not in page.text.split("Tillidsbrud efter årsag")[1].split("</div>")[0]
        assert f'/laering?enhed={solhaven}' in (await web.get(f"/tavle?enhed={solhaven}")).text
    async with api.web(as_=FATIMA) as web:
        page = await web.get(f"/laering?enhed={solhaven}")
        assert page.status_code == 200
        assert "Se på bemandingen i de travle timer" in page.text and "Rammer og ressourcer" in page.text
        assert "Kasper" not in page.text and "/tillidsbrud/" not in page.text


async def test_a_check_as_of_a_past_instant_applies_the_responses_then_in_force(api, clock):
    ids = await api.ids()
    start = _now()
    clock.value = start
    breach = await _breach(api, ids)
    clock.value = start + timedelta(hours=1)
    added = (await api.gql(RESPOND, {"b": breach["id"], "i": {"response": "EXTRA_CONTROL",
                                                              "until": (start + timedelta(days=2)).isoformat()}},
                           as_=METTE))["addBreachResponse"]
    assert added["__typename"] == "BreachPayload", added
    clock.value = start + timedelta(days=5)  # the control has ended; ask history about the days before

    async def owed(at: datetime) -> set[str]:
        found = (await api.gql(CHECK, {"i": {"person": ANNA, "area": "care/alternative-solutions",
                                             "unit": ids.unit("Plejecenter Solhaven"), "attributes": ALT,
                                             "action": "ACT_AS_HVERDAGSDIREKTOER", "at": at.isoformat()}},
                               as_=METTE))["check"]
        return {o["kind"] for o in found["obligations"]}
    assert "pre_approval" not in await owed(start + timedelta(minutes=30))   # only the talk then
    assert "pre_approval" in await owed(start + timedelta(days=1))           # the control in force
    assert "pre_approval" not in await owed(start + timedelta(days=4))       # ended by itself
