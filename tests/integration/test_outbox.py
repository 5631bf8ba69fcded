"""The outbox and the pull event feed (issue 14, part 1 and the feed of part 2): each use case writes its
event in its own transaction (and none when it fails), time-driven events are produced once however
many servers run the producer, the feed pages in order for `events` keys of the organisation only,
and no payload carries more than ids. Through the real app and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from uuid import UUID
from zoneinfo import ZoneInfo

from registry.demo import DEMO_TENANT
from registry.domain import events as ev
from registry.services.events import produce_due
from registry.storage import outbox as outbox_sql
from registry.storage.db import Db
from tests.support import api_key, other_tenant, snapshot

METTE, ANNA, FATIMA = "mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk", "fatima.ali@eksempel.dk"
ADMIN = "jonas.kristensen@eksempel.dk"
ERR = "... on Error { code message }"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


async def _last(db: Db) -> int:
    async with db.read() as conn:
        return await conn.fetchval("SELECT coalesce(max(position), 0) FROM outbox_event")


async def _since(db: Db, position: int) -> list[dict]:
    """Events written by use cases (not the producer's time-driven ones) after `position`."""
    async with db.read() as conn:
        found = await conn.fetch("SELECT * FROM outbox_event WHERE position > $1 AND dedupe_key IS NULL"
                                 " ORDER BY position", position)
    return [dict(r) for r in found]


async def _ok(api, query: str, variables: dict, as_: str | None, name: str, token: str | None = None) -> dict:
    result = (await api.gql(query, variables, as_=as_, token=token))[name]
    assert "code" not in result, (name, result)
    return result


DECLARE = """mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) { __typename
    ... on DelegationPayload { delegation { id version status offers { id version kind status } } } %s } }""" % ERR
ANSWER = """mutation($i: AnswerOfferInput!, $v: Int!) { answerOffer(input: $i, version: $v) { __typename
    ... on OfferPayload { offer { id } } %s } }""" % ERR
AMEND = """mutation($id: ID!, $v: Int!) { amendDelegation(id: $id, version: $v, input: {purpose: "Justeret"}) {
    __typename ... on DelegationPayload { delegation { id version } } %s } }""" % ERR
REVOKE = """mutation($id: ID!, $v: Int!) { revokeDelegation(id: $id, version: $v, reason: "Slut") {
    __typename ... on DelegationPayload { delegation { id version } } %s } }""" % ERR
REVIEW = """mutation($id: ID!, $v: Int!) { completeReview(delegationId: $id, version: $v, outcome: CONTINUE,
    nextReviewDate: "2099-01-01") { __typename ... on ReviewPayload { delegation { id version } } %s } }""" % ERR
RED_LINE = """mutation($u: ID!, $a: ID!) { createRedLine(input: {unitId: $u, areaId: $a, condition: "amount <= 1000",
    consequence: "Nej"}) { __typename ... on RedLinePayload { redLine { id version } } %s } }""" % ERR
RED_LINE_CHANGE = """mutation($id: ID!, $v: Int!) { updateRedLine(id: $id, version: $v, input: {consequence: "Stop"}) {
    __typename ... on RedLinePayload { redLine { id version } } %s } }""" % ERR
RED_LINE_END = """mutation($id: ID!, $v: Int!) { archiveRedLine(id: $id, version: $v) {
    __typename ... on RedLinePayload { redLine { id version } } %s } }""" % ERR
APPOINT = """mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) { appointStandIn(unitId: $u, standInId: $s,
    validFrom: $f, validUntil: $t, note: "ferie") { __typename ... on StandInPayload { standIn { id version } } %s } }
    """ % ERR
END_STAND_IN = """mutation($id: ID!, $v: Int!) { endStandIn(id: $id, version: $v) {
    __typename ... on StandInPayload { standIn { id version } } %s } }""" % ERR
RECORD_ACT = """mutation($i: RecordActInput!) { recordAct(input: $i) { __typename
    ... on ActPayload { act { id version delegation { id } } } %s } }""" % ERR
ASK = """mutation($id: ID!, $v: Int!) { askForJustification(id: $id, version: $v) { __typename
    ... on ActPayload { act { id version } } %s } }""" % ERR
JUSTIFY = """mutation($id: ID!, $v: Int!) { justifyAct(id: $id, version: $v, justification: "FAGLIG-TEKST") {
    __typename ... on ActPayload { act { id version } } %s } }""" % ERR
FEEDBACK = """mutation($id: ID!, $v: Int!) { giveFeedback(id: $id, version: $v, feedback: "FEEDBACK-TEKST",
    assessment: WELL_FOUNDED) { __typename ... on FeedbackPayload { act { id version } } %s } }""" % ERR
BREACH = """mutation($i: RecordBreachInput!) { recordBreach(input: $i) { __typename
    ... on BreachPayload { breach { id version } } %s } }""" % ERR


async def _anna_delegation(api, ids, area: str) -> dict:
    nodes = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes {
        id version area { key } } } }""", {"p": ids.people["anna"]}, as_=ADMIN))["delegations"]["nodes"]
    return next(d for d in nodes if d["area"]["key"] == area)


async def test_each_use_case_writes_exactly_its_event_with_subject_and_recipients(api):
    """A table of GraphQL mutations on the demo organisation, run in order (each builds on the one
    before); after each, exactly the events it should have written, about the right thing, to be told
    to the right people (Mette leads Plejecenter Solhaven, the nearest leader of everything here)."""
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    mette, anna, fatima, maria = (ids.people[k] for k in ("mette", "anna", "fatima", "maria"))
    purchase = await _anna_delegation(api, ids, "economy/purchase")
    alternative = await _anna_delegation(api, ids, "care/alternative-solutions")
    t: dict = {}

    async def declare():
        d = await _ok(api, DECLARE, {"i": {"delegatePersonId": fatima, "areaId": ids.areas["care/relatives"],
                                           "unitId": solhaven, "includeSubunits": False, "level": 6}},
                      METTE, "declareDelegation")
        t["d"] = d["delegation"]
        return d["delegation"]["id"]

    async def accept():
        offer = next(o for o in t["d"]["offers"] if o["status"] == "OPEN")
        await _ok(api, ANSWER, {"i": {"offerId": offer["id"], "answer": "ACCEPT"}, "v": offer["version"]},
                  FATIMA, "answerOffer")
        return t["d"]["id"]

    async def amend():
        current = (await api.gql("query($id: ID!) { delegation(id: $id) { version } }", {"id": t["d"]["id"]},
                                 as_=METTE))["delegation"]
        t["d"] = (await _ok(api, AMEND, {"id": t["d"]["id"], "v": current["version"]}, METTE,
                            "amendDelegation"))["delegation"]
        return t["d"]["id"]

    async def review():
        t["d"] = (await _ok(api, REVIEW, {"id": t["d"]["id"], "v": t["d"]["version"]}, METTE,
                            "completeReview"))["delegation"]
        return t["d"]["id"]

    async def revoke():
        await _ok(api, REVOKE, {"id": t["d"]["id"], "v": t["d"]["version"]}, METTE, "revokeDelegation")
        return t["d"]["id"]

    async def red_line():
        t["line"] = (await _ok(api, RED_LINE, {"u": solhaven, "a": ids.areas["economy/purchase"]}, METTE,
                               "createRedLine"))["redLine"]
        return t["line"]["id"]

    async def red_line_change():
        t["line"] = (await _ok(api, RED_LINE_CHANGE, {"id": t["line"]["id"], "v": t["line"]["version"]}, METTE,
                               "updateRedLine"))["redLine"]
        return t["line"]["id"]

    async def red_line_end():
        await _ok(api, RED_LINE_END, {"id": t["line"]["id"], "v": t["line"]["version"]}, METTE, "archiveRedLine")
        return t["line"]["id"]

    async def appoint():
        t["si"] = (await _ok(api, APPOINT, {"u": solhaven, "s": maria, "f": (_now() + timedelta(days=5)).isoformat(),
                                            "t": (_now() + timedelta(days=9)).isoformat()}, METTE,
                             "appointStandIn"))["standIn"]
        return t["si"]["id"]

    async def end_stand_in():
        await _ok(api, END_STAND_IN, {"id": t["si"]["id"], "v": t["si"]["version"]}, METTE, "endStandIn")
        return t["si"]["id"]

    async def act():
        t["act"] = (await _ok(api, RECORD_ACT, {"i": {
            "person": ANNA, "area": "economy/purchase", "unit": solhaven, "caseRef": "INDK-9",
            "description": "Måtte", "attributes": {"amount": 400, "on_contract": True},
            "occurredAt": _now().isoformat()}}, ANNA, "recordAct"))["act"]
        assert t["act"]["delegation"]["id"] == purchase["id"]
        return t["act"]["id"]

    async def ask():
        t["act"] = (await _ok(api, ASK, {"id": t["act"]["id"], "v": t["act"]["version"]}, METTE,
                              "askForJustification"))["act"]
        return t["act"]["id"]

    async def justify():
        t["act"] = (await _ok(api, JUSTIFY, {"id": t["act"]["id"], "v": t["act"]["version"]}, ANNA,
                              "justifyAct"))["act"]
        return t["act"]["id"]

    async def feedback():
        await _ok(api, FEEDBACK, {"id": t["act"]["id"], "v": t["act"]["version"]}, METTE, "giveFeedback")
        return t["act"]["id"]

    async def suspend():
        await _ok(api, BREACH, {"i": {"delegationId": alternative["id"], "occurredAt": _now().isoformat(),
                                      "description": "BRUD-BESKRIVELSE", "cause": "INTENTION",
                                      "response": "SUSPENSION", "until": (_now() + timedelta(days=14)).isoformat(),
                                      "learningNotes": "LÆRING-NOTE", "responseNote": "SVAR-NOTE"}},
                  METTE, "recordBreach")
        return alternative["id"]

    steps = [  # (what, expected types in order, recipients of each)
        (declare, ["delegation.offered"], [[fatima]]),
        (accept, ["delegation.accepted"], [[mette]]),
        (amend, ["delegation.amended"], [[fatima]]),
        (review, ["delegation.amended", "review.completed"], [[fatima], [fatima]]),
        (revoke, ["delegation.revoked"], [[fatima]]),
        (red_line, ["red_line.set"], [[mette]]),
        (red_line_change, ["red_line.changed"], [[mette]]),
        (red_line_end, ["red_line.ended"], [[mette]]),
        (appoint, ["stand_in.appointed"], [[maria, mette]]),
        (end_stand_in, ["stand_in.ended"], [[maria, mette]]),
        (act, ["act.recorded"], [[mette]]),
        (ask, ["justification.requested"], [[anna]]),
        (justify, ["justification.given"], [[mette]]),
        (feedback, ["feedback.given"], [[anna]]),
        (suspend, ["delegation.suspended"], [[anna]]),
    ]
    for step, types, recipients in steps:
        before = await _last(api.db)
        subject = await step()
        found = await _since(api.db, before)
        assert [e["type"] for e in found] == [ev.PREFIX + t for t in types], (step.__name__, found)
        for event, want in zip(found, recipients):
            assert str(event["subject"]) == subject, (step.__name__, event)
            assert [str(p) for p in event["recipients"]] == want, (step.__name__, event)
            assert event["tenant_id"] == ids.tenant and event["data"]["revision"] == event["revision"]
            assert event["data"]["textDa"] == ev.text_da(event["type"].removeprefix(ev.PREFIX))
            async with api.db.read() as conn:  # written at the revision of the change it reports
                assert event["revision"] == await conn.fetchval(
                    "SELECT max(revision) FROM history WHERE tenant_id = $1", ids.tenant)


async def test_a_breach_event_carries_ids_only(api):
    """A suspension says "delegation suspended" and its ids: not the breach's description, cause, notes,
    nor any name or trust note."""
    ids = await api.ids()
    alternative = await _anna_delegation(api, ids, "care/alternative-solutions")
    before = await _last(api.db)
    await _ok(api, BREACH, {"i": {"delegationId": alternative["id"], "occurredAt": _now().isoformat(),
                                  "description": "BRUD-BESKRIVELSE", "cause": "ILL_WILL", "response": "SUSPENSION",
                                  "until": (_now() + timedelta(days=14)).isoformat(),
                                  "learningNotes": "LÆRING-NOTE", "responseNote": "SVAR-NOTE"}}, METTE, "recordBreach")
    [event] = await _since(api.db, before)
    text = json.dumps({k: str(v) if not isinstance(v, (dict, list)) else v for k, v in event.items()},
                      ensure_ascii=False, default=str)
    for secret in ("BRUD-BESKRIVELSE", "ILL_WILL", "ill_will", "LÆRING-NOTE", "SVAR-NOTE", "Anna", "Jensen",
                   "Mette", "breach", "Bevidst"):
        assert secret not in text, secret
    assert event["type"] == "dk.registry.delegation.suspended"
    assert set(event["data"]) == {"delegation", "person", "unit", "area", "revision", "textDa"}
    assert event["data"]["textDa"] == "Delegeringen er midlertidigt sat i bero."
    # a delegation's trust notes and purpose stay out of its events too
    async with api.db.read() as conn:
        notes = [n for n in await conn.fetchval(
            "SELECT ARRAY[trust->'competence'->>'note', trust->'intention'->>'note', trust->'resources'->>'note',"
            " purpose] FROM delegation WHERE id = $1", UUID(alternative["id"])) if n]
    assert notes  # the demo's delegation has a purpose and trust notes
    await _ok(api, AMEND, {"id": alternative["id"], "v": alternative["version"]}, METTE, "amendDelegation")
    [amended] = await _since(api.db, event["position"])
    assert set(amended["data"]) == {"delegation", "unit", "area", "delegatePerson", "delegateTeam", "delegator",
                                    "revision", "textDa"}
    shown = json.dumps(amended["data"], ensure_ascii=False)
    assert "Justeret" not in shown and not [n for n in notes if n in shown]


async def test_a_write_that_fails_writes_no_event(api):
    ids = await api.ids()
    purchase = await _anna_delegation(api, ids, "economy/purchase")
    before, position = await snapshot(api.db), await _last(api.db)
    stale = (await api.gql(REVOKE, {"id": purchase["id"], "v": purchase["version"] + 7}, as_=METTE))["revokeDelegation"]
    assert stale["__typename"] == "ConflictError", stale
    refused = (await api.gql(REVOKE, {"id": purchase["id"], "v": purchase["version"]}, as_=FATIMA))["revokeDelegation"]
    assert refused["__typename"] == "ForbiddenError", refused
    # a breach refused half-way (after the delegation was read and locked): nothing of it, no event
    bad = (await api.gql(BREACH, {"i": {"delegationId": purchase["id"], "occurredAt": _now().isoformat(),
                                        "description": "x", "cause": "COMPETENCE", "response": "LOWERED_LEVEL",
                                        "loweredTo": 6, "until": (_now() + timedelta(days=3)).isoformat()}},
                         as_=METTE))["recordBreach"]
    assert bad.get("code") == "level_out_of_range", bad
    assert await snapshot(api.db) == before
    assert await _last(api.db) == position


async def test_an_event_written_before_the_transaction_fails_is_gone_with_it(api):
    """The event is part of the change's transaction: a use case that fails after writing it (here, by
    hand: the event written, then an error) leaves neither the change nor the event."""
    from registry.domain.model import Delegation
    from registry.services import events
    from registry.storage import rows
    from registry.storage.db import Actor

    ids = await api.ids()
    purchase = await _anna_delegation(api, ids, "economy/purchase")
    before, position = await snapshot(api.db), await _last(api.db)
    try:
        async with api.db.write(ids.tenant, Actor("cli")) as tx:
            d = await rows.get(tx.conn, "delegation", Delegation, ids.tenant, UUID(purchase["id"]), for_update=True)
            changed = await rows.update(tx, "delegation", Delegation, d.id, d.version, {"purpose": "Ny"})
            assert await events.delegation(tx, "amended", changed, _now())
            async with tx.conn.raw.transaction():  # (a savepoint: the event is there, inside the transaction)
                assert await tx.conn.fetchval("SELECT count(*) FROM outbox_event WHERE position > $1", position) == 1
            raise RuntimeError("the use case fails after its event was written")
    except RuntimeError:
        pass
    assert await snapshot(api.db) == before
    assert await _last(api.db) == position


async def test_the_outbox_off_writes_no_events(api):
    ids = await api.ids()
    purchase = await _anna_delegation(api, ids, "economy/purchase")
    position = await _last(api.db)
    api.db.outbox = False
    try:
        await _ok(api, AMEND, {"id": purchase["id"], "v": purchase["version"]}, METTE, "amendDelegation")
    finally:
        api.db.outbox = True
    assert await _last(api.db) == position


# --- the pull feed ----------------------------------------------------------------------------------

async def _feed(api, key: str, **params) -> tuple[int, dict]:
    response = await api.client.get("/events", params=params, headers={"X-Api-Key": key})
    return response.status_code, response.json()


async def test_the_feed_pages_in_order_for_events_keys_of_the_organisation_only(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    for n in range(3):
        line = (await _ok(api, RED_LINE, {"u": solhaven, "a": ids.areas["economy/purchase"]}, METTE,
                          "createRedLine"))["redLine"]
        await _ok(api, RED_LINE_CHANGE, {"id": line["id"], "v": line["version"]}, METTE, "updateRedLine")
    other = await other_tenant(api.db)  # its organisation writes events of its own
    await _ok(api, """mutation($u: ID!, $a: ID!) { createRedLine(input: {unitId: $u, areaId: $a, consequence: "Nej"}) {
        __typename ... on RedLinePayload { redLine { id } } %s } }""" % ERR, {"u": other["unit"], "a": other["area"]},
              None, "createRedLine", token=api.token("ole@anden.dk", "anden"))
    key, theirs = await api_key(api.db, ["events"]), await api_key(api.db, ["events"], tenant="anden")
    async with api.db.read() as conn:
        ours = [str(r["id"]) for r in await conn.fetch(
            "SELECT id FROM outbox_event WHERE tenant_id = $1 ORDER BY position", ids.tenant)]
    assert len(ours) > 6  # the demo's own, as it was built through the use cases, and these six

    seen, cursor = [], None
    while True:
        status, page = await _feed(api, key, limit=4, **({"after": cursor} if cursor else {}))
        assert status == 200, page
        if not page["events"]:
            assert page["next"] == cursor
            break
        seen += page["events"]
        cursor = page["next"]
        assert cursor == page["events"][-1]["position"]
    assert [e["id"] for e in seen] == ours
    assert [e["type"] for e in seen[-6:]] == ["dk.registry.red_line.set", "dk.registry.red_line.changed"] * 3
    first = seen[-6]
    assert first["specversion"] == "1.0" and first["source"] == f"/registry/{DEMO_TENANT}"
    assert first["type"] == "dk.registry.red_line.set" and first["datacontenttype"] == "application/json"
    assert first["subject"] == first["data"]["redLine"] and first["time"]
    positions = [int(e["position"]) for e in seen]
    assert positions == sorted(positions)

    status, changed = await _feed(api, key, type="red_line.changed", limit=1000)
    assert status == 200 and {e["type"] for e in changed["events"]} == {"dk.registry.red_line.changed"}
    assert [e["id"] for e in changed["events"]] == [e["id"] for e in seen if e["type"].endswith(".changed")]
    status, none = await _feed(api, key, type="dk.registry.justification.overdue")
    assert status == 200 and none["events"] == [] and none["next"] == "0"

    # Another organisation's key sees its own events only, never ours.
    status, them = await _feed(api, theirs)
    assert status == 200 and them["events"] and all(e["source"] == "/registry/anden" for e in them["events"])
    assert not {e["id"] for e in them["events"]} & set(ours)
    assert other["person"] not in json.dumps(seen)

    # Keys without `events`, and people (even an administrator), are refused.
    for scopes in (["read"], ["check"], ["write"], ["scim"]):
        status, body = await _feed(api, await api_key(api.db, scopes, name=f"no-{scopes[0]}"))
        assert status == 403 and body["error"]["code"] == "missing_scope", body
    response = await api.client.get("/events", headers={"Authorization": f"Bearer {api.token(ADMIN)}"})
    assert response.status_code == 403
    assert (await api.client.get("/events")).status_code == 401
    # and bad input is refused with its code
    for params, code in (({"after": "abc"}, "invalid_cursor"), ({"limit": 0}, "invalid_page_size"),
                         ({"limit": 5000}, "invalid_page_size"), ({"type": "nonsense"}, "invalid_choice")):
        status, body = await _feed(api, key, **params)
        assert status == 400 and body["error"]["code"] == code, (params, body)


async def test_an_events_key_does_nothing_else(api):
    key = await api_key(api.db, ["events"])
    result = await api.gql("query { units { nodes { id } } }", api_key=key)
    assert result.body.get("errors") and result.body["errors"][0]["extensions"]["code"] == "missing_scope"
    response = await api.client.post("/access/v1/evaluation", headers={"X-Api-Key": key}, json={
        "subject": {"type": "person", "id": ANNA}, "action": {"name": "decide"},
        "resource": {"type": "decision", "id": "care/relatives", "properties": {"unit": "x"}}})
    assert response.status_code == 403


# --- the scheduled producer ---------------------------------------------------------------------------

async def _due_things(api, ids) -> None:
    """A delegation ending in ten days whose review is today, and a stand-in who began an hour ago (for 5 days)."""
    solhaven = ids.unit("Plejecenter Solhaven")
    until = (_now() + timedelta(days=10)).isoformat()
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date().isoformat()
    d = await _ok(api, DECLARE, {"i": {"delegatePersonId": ids.people["fatima"], "areaId": ids.areas["care/relatives"],
                                       "unitId": solhaven, "includeSubunits": False, "level": 3,
                                       "validUntil": until, "reviewDate": today}}, METTE, "declareDelegation")
    assert d["delegation"]["status"] == "ACTIVE", d
    await _ok(api, APPOINT, {"u": solhaven, "s": ids.people["maria"], "f": (_now() - timedelta(hours=1)).isoformat(),
                             "t": (_now() + timedelta(days=5)).isoformat()}, METTE, "appointStandIn")


async def _timed(db: Db) -> list[dict]:
    async with db.read() as conn:
        return [dict(r) for r in await conn.fetch(
            "SELECT type, subject, dedupe_key, recipients FROM outbox_event WHERE dedupe_key IS NOT NULL")]


async def test_two_producers_at_once_write_each_reminder_once(api, demo_dsn):
    ids = await api.ids()
    await _due_things(api, ids)
    clock = _now
    # Two servers: each its own pool, its producer rounds at the same time, many times over.
    servers = [await Db.connect(demo_dsn, min_size=1, max_size=2) for _ in range(2)]
    try:
        rounds = await asyncio.gather(*(produce_due(db, clock) for _ in range(5) for db in servers))
    finally:
        for db in servers:
            await db.close()
    written = await _timed(api.db)
    keys = [e["dedupe_key"] for e in written]
    assert len(keys) == len(set(keys)) and sum(r or 0 for r in rounds) == len(keys)
    types = {e["type"].removeprefix(ev.PREFIX) for e in written}
    assert {"delegation.expiring", "review.due", "stand_in.starting"} <= types, types
    expiring = next(e for e in written if e["type"].endswith("delegation.expiring"))
    assert expiring["recipients"] == [UUID(ids.people["fatima"]), UUID(ids.people["mette"])]
    # Rounds later (another minute, another server) write nothing more.
    assert await produce_due(api.db, clock) == 0
    assert len(await _timed(api.db)) == len(keys)
    # Even without the lock (two producers that both got past it), the dedupe key holds: the same
    # event twice is one row.
    event = ev.make("review.due", subject=UUID(ids.people["anna"]), tenant_id=ids.tenant, revision=1,
                    occurred_at=_now(), ids={}, parties={}, dedupe_key="test:once")
    async with api.db.read() as conn, conn.raw.transaction():
        class Tx:
            outbox, tenant_id, revision = True, ids.tenant, 1
        Tx.conn = conn
        assert await outbox_sql.emit(Tx, event) is True
        assert await outbox_sql.emit(Tx, event) is False


async def test_a_producer_round_waits_for_none_and_skips_while_another_runs(api, demo_dsn):
    """While one server's round holds the lock, another's round returns at once (None) and writes nothing."""
    ids = await api.ids()
    await _due_things(api, ids)
    async with api.db.read() as conn:
        assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", outbox_sql.PRODUCER_LOCK)
        try:
            assert await produce_due(api.db, _now) is None
            assert await _timed(api.db) == []
        finally:
            await conn.fetchval("SELECT pg_advisory_unlock($1)", outbox_sql.PRODUCER_LOCK)
    assert await produce_due(api.db, _now) > 0


async def test_expired_ending_and_resumed_are_produced_when_their_instant_has_passed(api):
    ids = await api.ids()
    await _due_things(api, ids)
    alternative = await _anna_delegation(api, ids, "care/alternative-solutions")
    await _ok(api, BREACH, {"i": {"delegationId": alternative["id"], "occurredAt": _now().isoformat(),
                                  "description": "BRUD-BESKRIVELSE", "cause": "COMPETENCE", "response": "SUSPENSION",
                                  "until": (_now() + timedelta(days=5)).isoformat()}}, METTE, "recordBreach")
    later = lambda: _now() + timedelta(days=11)  # noqa: E731: past the ends of all three
    await produce_due(api.db, later)
    found = await _timed(api.db)
    types = [e["type"].removeprefix(ev.PREFIX) for e in found]
    assert types.count("delegation.expired") >= 1 and types.count("stand_in.ending") == 1, types
    [resumed] = [e for e in found if e["type"] == "dk.registry.delegation.resumed"]
    assert str(resumed["subject"]) == alternative["id"] and resumed["recipients"] == [UUID(ids.people["anna"])]
    async with api.db.read() as conn:
        data = await conn.fetchval("SELECT data FROM outbox_event WHERE type = 'dk.registry.delegation.resumed'")
    assert set(data) == {"delegation", "person", "unit", "area", "revision", "textDa"}
    assert await produce_due(api.db, later) == 0
