"""The decision log: which check decisions are kept (off, denies, all), how they are written (bounded
queue, batches, at shutdown), who may read them, and the query's filters."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from registry.app import create_app, new_engine
from registry.services import decision_log as decision_log_uc
from registry.settings import Settings
from registry.storage import decision_log as decision_log_sql
from tests.conftest import JWT_SECRET
from tests.support import Api, api_key, other_tenant

ANNA, METTE = "anna.jensen@eksempel.dk", "mette.sorensen@eksempel.dk"
AUDITOR, ADMIN = "henrik.bach@eksempel.dk", "jonas.kristensen@eksempel.dk"
CHECK = """query($in: CheckInput!) { check(input: $in) { decision reason } }"""
CHECKS = """query($in: [CheckInput!]!) { checks(inputs: $in) { decision reason } }"""
LOG = """query($person: ID, $area: ID, $unit: ID, $since: DateTime, $until: DateTime, $allowed: Boolean,
                $first: Int = 50, $after: String) {
  decisionLog(personId: $person, areaId: $area, unitId: $unit, since: $since, until: $until, allowed: $allowed,
              first: $first, after: $after) {
    nodes { id decidedAt at person personId area areaId unit unitId action allowed reason level revision source
            caller requestId }
    pageInfo { endCursor hasNextPage }
  }
}"""


def settings_for(**env: str) -> Settings:
    return Settings.from_env({"REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_DATA_DIR": "/tmp/registry-test-unused",
                              "REGISTRY_RATE_LIMIT_PERSON": "10000", **env})


@asynccontextmanager
async def started(db, dsn, clock, **env: str):
    """The real app with these decision-log settings. httpx runs no lifespan, so nothing is written
    until a test flushes (or starts the writer itself)."""
    settings = settings_for(**env)
    engine = new_engine(settings, dsn)
    await engine.start()
    app = create_app(settings, clock=clock, db=db, engine=engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry.test") as c:
            api = Api(c, db, settings, clock)
            api.engine, api.app = engine, app
            yield api
    finally:
        await engine.stop()


def log_of(api):
    return api.app.state.decision_log


async def rows(db) -> list:
    async with db.read() as conn:
        return await conn.fetch("SELECT * FROM decision_log ORDER BY id")


def check_input(ids, person=ANNA, category="demens", unit="Plejecenter Solhaven", area="care/alternative-solutions"):
    """Anna acting as hverdagsdirektør at Solhaven: allowed for a citizen with dementia, denied by a red
    line for palliative care."""
    return {"person": person, "area": area, "unit": ids.unit(unit), "action": "ACT_AS_HVERDAGSDIREKTOER",
            "attributes": {"deviation": True, "citizen_category": category}}


def evaluation(ids, person=ANNA, category="demens", unit="Plejecenter Solhaven"):
    return {"subject": {"type": "person", "id": person},
            "resource": {"type": "decision", "id": "care/alternative-solutions",
                         "properties": {"unit": ids.unit(unit), "deviation": True, "citizen_category": category}},
            "action": {"name": "act_as_hverdagsdirektoer"}}


async def one_of_each(api, ids, key) -> None:
    """An allowed and a denied decision through GraphQL `check` and through AuthZEN `evaluation`."""
    for category, expected in (("demens", True), ("palliativ", False)):
        answer = (await api.gql(CHECK, {"in": check_input(ids, category=category)}, as_=METTE))["check"]
        assert answer["decision"] is expected
        response = await api.client.post("/access/v1/evaluation", json=evaluation(ids, category=category),
                                          headers={"X-Api-Key": key, "X-Request-ID": f"req-{category}"})
        assert response.json()["decision"] is expected


@pytest.mark.parametrize("mode, kept", [("off", []), ("denies", [False, False]),
                                        ("all", [True, True, False, False])])
async def test_the_setting_decides_which_decisions_are_written(demo_db, demo_dsn, clock, mode, kept):
    async with started(demo_db, demo_dsn, clock, REGISTRY_DECISION_LOG=mode) as api:
        ids, key = await api.ids(), await api_key(demo_db, ["check"])
        await one_of_each(api, ids, key)
        written = await log_of(api).flush(demo_db)
        assert written == len(kept)
        assert log_of(api).counters() == {"mode": mode, "queued": len(kept), "written": len(kept), "dropped": 0,
                                          "pending": 0}
    found = await rows(demo_db)
    assert sorted(r["allowed"] for r in found) == sorted(kept)


async def test_an_entry_says_who_asked_what_where_and_what_was_answered(demo_db, demo_dsn, clock):
    async with started(demo_db, demo_dsn, clock, REGISTRY_DECISION_LOG="all") as api:
        ids, key = await api.ids(), await api_key(demo_db, ["check"])
        await one_of_each(api, ids, key)
        await log_of(api).flush(demo_db)
    found = await rows(demo_db)
    assert [(r["source"], r["allowed"]) for r in found] == [
        ("graphql.check", True), ("authzen.evaluation", True), ("graphql.check", False), ("authzen.evaluation", False)]
    mette, anna = f"person:{ids.people['mette']}", ids.people["anna"]
    first, evaluated, denied = found[0], found[1], found[3]
    assert (first["caller"], str(first["tenant_id"]), first["person"], str(first["person_id"])) == (
        mette, str(ids.tenant), ANNA, anna)
    assert (first["area"], str(first["area_id"]), first["unit"], str(first["unit_id"])) == (
        "care/alternative-solutions", ids.areas["care/alternative-solutions"], ids.unit("Plejecenter Solhaven"),
        ids.unit("Plejecenter Solhaven"))
    assert (first["action"], first["reason"], first["level"]) == ("act_as_hverdagsdirektoer", "allowed", 6)
    assert first["revision"] == api.engine.index(ids.tenant).revision and first["at"] == first["decided_at"]
    assert evaluated["caller"].startswith("apikey:") and evaluated["request_id"] == "req-demens"
    assert (denied["reason"], denied["request_id"]) == ("red_line", "req-palliativ")


async def test_batches_and_other_endpoints_are_logged_with_their_source(demo_db, demo_dsn, clock):
    async with started(demo_db, demo_dsn, clock, REGISTRY_DECISION_LOG="all") as api:
        ids, key = await api.ids(), await api_key(demo_db, ["check"])
        answers = (await api.gql(CHECKS, {"in": [check_input(ids), check_input(ids, category="palliativ")]},
                                 as_=METTE))["checks"]
        assert [a["decision"] for a in answers] == [True, False]
        batch = {**evaluation(ids), "evaluations": [{}, evaluation(ids, category="palliativ"),
                                                    {"context": {"at": "2000-01-01T00:00:00Z"}}]}
        response = await api.client.post("/access/v1/evaluations", json=batch, headers={"X-Api-Key": key})
        assert [e["decision"] for e in response.json()["evaluations"]] == [True, False, False]
        await api.client.post("/access/v1/search/action", json={k: evaluation(ids)[k] for k in ("subject", "resource")},
                              headers={"X-Api-Key": key})
        await log_of(api).flush(demo_db)
    found = await rows(demo_db)
    sources = [r["source"] for r in found]
    assert sources[:5] == ["graphql.checks", "graphql.checks"] + ["authzen.evaluations"] * 3
    assert sources[5:] == ["authzen.search_action"] * 5  # one decision per action
    as_of = found[4]  # answered from history: the instant asked is kept beside the wall time
    assert as_of["at"] == datetime(2000, 1, 1, tzinfo=timezone.utc) and as_of["decided_at"] > as_of["at"]


async def test_unknown_names_are_kept_as_asked_without_ids(demo_db, demo_dsn, clock):
    async with started(demo_db, demo_dsn, clock) as api:  # the default: denies
        ids = await api.ids()
        bad = {**check_input(ids), "person": "nobody@eksempel.dk", "unit": "not-a-unit", "area": "no/such-area"}
        assert (await api.gql(CHECK, {"in": bad}, as_=METTE))["check"]["decision"] is False
        await log_of(api).flush(demo_db)
    [entry] = await rows(demo_db)
    assert (entry["person"], entry["person_id"], entry["area"], entry["area_id"], entry["unit"], entry["unit_id"]) == (
        "nobody@eksempel.dk", None, "no/such-area", None, "not-a-unit", None)


async def test_text_postgresql_cannot_hold_does_not_lose_the_batch(demo_db, demo_dsn, clock):
    async with started(demo_db, demo_dsn, clock) as api:
        ids, key = await api.ids(), await api_key(demo_db, ["check"])
        for person in ("nobody@eksempel.dk", "no\u0000body@eksempel.dk"):
            response = await api.client.post("/access/v1/evaluation", json=evaluation(ids, person=person),
                                              headers={"X-Api-Key": key})
            assert response.json()["context"]["reason"] == "unknown_person"
        assert await log_of(api).flush(demo_db) == 2
    assert [r["person"] for r in await rows(demo_db)] == ["nobody@eksempel.dk"] * 2


async def test_a_full_batch_is_written_at_once_and_the_rest_at_shutdown(demo_db, demo_dsn, clock, monkeypatch):
    batches = []
    write = decision_log_sql.write

    async def counting(conn, records):
        batches.append(len(records))
        await write(conn, records)
    monkeypatch.setattr(decision_log_sql, "write", counting)
    async with started(demo_db, demo_dsn, clock, REGISTRY_DECISION_LOG_BATCH_SIZE="3",
                       REGISTRY_DECISION_LOG_FLUSH_INTERVAL="3600") as api:
        ids = await api.ids()
        log = log_of(api)
        log.start(demo_db)
        for _ in range(7):
            await api.gql(CHECK, {"in": check_input(ids, category="palliativ")}, as_=METTE)
        for _ in range(100):  # the writer wakes when a batch is full, not after the (hour-long) interval
            if log.written == 6:
                break
            await asyncio.sleep(0.02)
        assert (log.written, log.pending, batches) == (6, 1, [3, 3])
        await log.close(demo_db)
        assert (log.written, log.pending, batches) == (7, 0, [3, 3, 1])
    assert len(await rows(demo_db)) == 7


async def test_the_writer_writes_every_interval(demo_db, demo_dsn, clock):
    async with started(demo_db, demo_dsn, clock, REGISTRY_DECISION_LOG_FLUSH_INTERVAL="0.05") as api:
        ids = await api.ids()
        log_of(api).start(demo_db)
        await api.gql(CHECK, {"in": check_input(ids, category="palliativ")}, as_=METTE)
        for _ in range(100):
            if log_of(api).written:
                break
            await asyncio.sleep(0.02)
        assert log_of(api).written == 1
        await log_of(api).close(demo_db)


async def test_a_full_queue_drops_and_counts_and_warns_once_in_a_while(demo_db, demo_dsn, clock, monkeypatch):
    warnings = []
    monkeypatch.setattr(decision_log_uc.log, "warning", lambda message, *args: warnings.append(message % args))
    async with started(demo_db, demo_dsn, clock, REGISTRY_DECISION_LOG="all",
                       REGISTRY_DECISION_LOG_QUEUE_SIZE="2") as api:
        ids, key = await api.ids(), await api_key(demo_db, ["check"])
        for _ in range(5):
            response = await api.client.post("/access/v1/evaluation", json=evaluation(ids), headers={"X-Api-Key": key})
            assert response.json()["decision"] is True  # the check itself is never refused
        assert log_of(api).counters() == {"mode": "all", "queued": 2, "written": 0, "dropped": 3, "pending": 2}
        assert len(warnings) == 1 and "queue full" in warnings[0]  # rate-limited: one for the three drops
        ready = (await api.client.get("/health/ready")).json()
        assert ready["decision_log"]["dropped"] == 3
        await log_of(api).flush(demo_db)
        assert log_of(api).counters()["written"] == 2
    assert len(await rows(demo_db)) == 2


async def test_the_lifespan_writes_what_is_queued_at_shutdown(demo_db, demo_dsn, clock):
    settings = settings_for(REGISTRY_DECISION_LOG="all", REGISTRY_DECISION_LOG_FLUSH_INTERVAL="3600")
    engine = new_engine(settings, demo_dsn)
    await engine.start()
    try:
        app = create_app(settings, clock=clock, db=demo_db, engine=engine)
        key = await api_key(demo_db, ["check"])
        ids = await Api(None, demo_db, settings, clock).ids()
        async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                     base_url="http://registry.test") as client:
            for _ in range(3):
                await client.post("/access/v1/evaluation", json=evaluation(ids), headers={"X-Api-Key": key})
            assert app.state.decision_log.pending == 3
        assert app.state.decision_log.counters()["written"] == 3
    finally:
        await engine.stop()
    assert len(await rows(demo_db)) == 3


async def decisions_for_queries(api, ids, key, clock) -> tuple[datetime, datetime, list]:
    """Decisions an hour apart: at t0 Anna at Solhaven (allowed, and denied by a red line) and Ida at
    Demensafsnittet; at t1 Anna at Børnehuset and Mette on another area. Returns t0, t1 and what was
    decided, oldest first: (person, unit, decision, time)."""
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=1)
    t1 = t0 + timedelta(hours=1)
    other_area = evaluation(ids, person=METTE)
    other_area["resource"]["id"] = "care/relatives"
    made = []
    for at, bodies in ((t0, (evaluation(ids), evaluation(ids, category="palliativ"),
                             evaluation(ids, person="ida.rasmussen@eksempel.dk", unit="Demensafsnittet"))),
                       (t1, (evaluation(ids, unit="Børnehuset"), other_area))):
        clock.value = at
        for body in bodies:
            answer = (await api.client.post("/access/v1/evaluation", json=body, headers={"X-Api-Key": key})).json()
            made.append((body["subject"]["id"], body["resource"]["properties"]["unit"], answer["decision"], at))
    clock.value = None
    await log_of(api).flush(api.db)
    return t0, t1, made


async def test_the_decision_log_is_filtered_by_person_area_unit_subtree_time_and_outcome(demo_db, demo_dsn, clock):
    async with started(demo_db, demo_dsn, clock, REGISTRY_DECISION_LOG="all") as api:
        ids, key = await api.ids(), await api_key(demo_db, ["check"])
        t0, t1, made = await decisions_for_queries(api, ids, key, clock)
        assert {d for _, _, d, _ in made} == {True, False}
        solhaven, demens, boern = (ids.unit(u) for u in ("Plejecenter Solhaven", "Demensafsnittet", "Børnehuset"))

        async def query(**variables):
            page = (await api.gql(LOG, variables, as_=AUDITOR))["decisionLog"]
            return [(n["person"], n["unit"], n["allowed"]) for n in page["nodes"]]

        def expected(keep=lambda p, u, d, at: True):
            return [(p, u, d) for p, u, d, at in reversed(made) if keep(p, u, d, at)]  # newest first
        assert await query() == expected()
        assert await query(person=ids.people["anna"]) == expected(lambda p, u, d, at: p == ANNA)
        assert await query(area=ids.areas["care/relatives"]) == expected(lambda p, u, d, at: p == METTE)
        assert await query(unit=solhaven) == expected(lambda p, u, d, at: u in (solhaven, demens))  # the subtree
        assert await query(unit=demens) == expected(lambda p, u, d, at: u == demens)
        assert await query(unit=boern) == expected(lambda p, u, d, at: u == boern)
        assert await query(since=(t1 - timedelta(minutes=1)).isoformat()) == expected(lambda p, u, d, at: at == t1)
        assert await query(until=(t1 - timedelta(minutes=1)).isoformat()) == expected(lambda p, u, d, at: at == t0)
        assert await query(since=t0.isoformat(), until=t1.isoformat(), allowed=True) == expected(
            lambda p, u, d, at: at == t0 and d)
        assert await query(allowed=False) == expected(lambda p, u, d, at: not d)
        assert await query(person=ids.people["anna"], unit=solhaven, allowed=False) == [(ANNA, solhaven, False)]

        first = (await api.gql(LOG, {"first": 2}, as_=ADMIN))["decisionLog"]
        assert len(first["nodes"]) == 2 and first["pageInfo"]["hasNextPage"]
        rest = (await api.gql(LOG, {"after": first["pageInfo"]["endCursor"]}, as_=ADMIN))["decisionLog"]
        assert [n["id"] for n in first["nodes"] + rest["nodes"]] == [n["id"] for n in (
            await api.gql(LOG, {}, as_=ADMIN))["decisionLog"]["nodes"]]
        assert len(rest["nodes"]) == len(made) - 2 and not rest["pageInfo"]["hasNextPage"]
        bad = await api.gql(LOG, {"after": "not-a-cursor"}, as_=ADMIN)
        assert bad.errors[0]["extensions"]["code"] == "invalid_cursor"


async def test_the_decision_log_is_for_administrators_and_auditors_only(demo_db, demo_dsn, clock):
    async with started(demo_db, demo_dsn, clock, REGISTRY_DECISION_LOG="all") as api:
        for who in (METTE, ANNA):
            refused = await api.gql(LOG, {}, as_=who)
            assert refused.data is None and refused.errors[0]["extensions"]["code"] == "auditor_required"
        reader = await api_key(demo_db, ["read", "check"], name="reader")
        refused = await api.gql(LOG, {}, api_key=reader)  # a key is refused for the scope it lacks (admin)
        assert refused.data is None and refused.errors[0]["extensions"]["code"] in ("auditor_required",
                                                                                   "missing_scope")
        admin_key = await api_key(demo_db, ["admin"], name="admin-system")
        assert (await api.gql(LOG, {}, api_key=admin_key))["decisionLog"]["nodes"] == []


async def test_another_organisations_decisions_are_invisible(demo_db, demo_dsn, clock):
    theirs = await other_tenant(demo_db)
    their_key = await api_key(demo_db, ["admin"], name="anden-admin", tenant="anden")
    async with started(demo_db, demo_dsn, clock) as api:
        ids, key = await api.ids(), await api_key(demo_db, ["check"])
        await api.client.post("/access/v1/evaluation", json=evaluation(ids, category="palliativ"),
                              headers={"X-Api-Key": key})
        their_check = {"subject": {"type": "person", "id": "ole@anden.dk"}, "action": {"name": "decide"},
                       "resource": {"type": "decision", "id": "economy",
                                    "properties": {"unit": ids.unit("Børnehuset")}}}
        assert (await api.client.post("/access/v1/evaluation", json=their_check,
                                      headers={"X-Api-Key": their_key})).json()["decision"] is False
        await log_of(api).flush(demo_db)
        ours = (await api.gql(LOG, {}, as_=AUDITOR))["decisionLog"]["nodes"]
        assert [n["person"] for n in ours] == [ANNA]
        seen = (await api.gql(LOG, {}, api_key=their_key, tenant="anden"))["decisionLog"]["nodes"]
        assert [(n["person"], n["personId"], n["unitId"]) for n in seen] == [("ole@anden.dk", theirs["person"], None)]
        assert (await api.gql(LOG, {"unit": ids.unit("Børnehuset")}, api_key=their_key)).errors[0][
            "extensions"]["code"] == "not_found"


async def test_entries_past_their_retention_are_deleted(demo_db, demo_dsn, clock):
    async with started(demo_db, demo_dsn, clock) as api:
        ids = await api.ids()
        now = datetime.now(timezone.utc)
        for days in (400, 10):
            clock.value = now - timedelta(days=days)
            log_of(api).record(ids.tenant, None, _Req(), _Denied(), clock.value, "test", "cli")
        clock.value = None
        await log_of(api).flush(demo_db)
    assert await decision_log_uc.purge(demo_db, now, timedelta(days=365)) == 1
    assert [r["decided_at"] for r in await rows(demo_db)] == [now - timedelta(days=10)]


class _Req:
    person, area, unit, action, at = ANNA, "care", "x", "decide", None


class _Denied:
    decision, reason, level, revision = False, "no_delegation", None, 1


@pytest.mark.parametrize("env, message", [
    ({"REGISTRY_DECISION_LOG": "some"}, "REGISTRY_DECISION_LOG must be 'off', 'denies' or 'all'"),
    ({"REGISTRY_DECISION_LOG_QUEUE_SIZE": "0"}, "REGISTRY_DECISION_LOG_QUEUE_SIZE must be a positive whole number"),
    ({"REGISTRY_DECISION_LOG_BATCH_SIZE": "ten"}, "REGISTRY_DECISION_LOG_BATCH_SIZE must be a positive whole number"),
    ({"REGISTRY_DECISION_LOG_FLUSH_INTERVAL": "-1"}, "REGISTRY_DECISION_LOG_FLUSH_INTERVAL must be a positive"),
    ({"REGISTRY_DECISION_LOG_RETENTION_DAYS": "1.5"}, "REGISTRY_DECISION_LOG_RETENTION_DAYS must be a positive"),
])
def test_bad_settings_are_refused_with_a_clear_message(env, message):
    with pytest.raises(ValueError, match=message):
        settings_for(**env)


def test_the_default_keeps_denies():
    settings = settings_for()
    assert (settings.decision_log, settings.decision_log_retention_days) == ("denies", 365)
