"""Two `registry` server processes on one PostgreSQL: a write on A is seen by B, and B never answers
from a state it cannot vouch for (it catches up after losing its feed, or fails closed)."""

import asyncio

import asyncpg
import httpx
import pytest

from tests.support import Server

METTE = "mette.sorensen@eksempel.dk"


async def _gql(client, server, token, query, variables=None):
    response = await client.post(f"{server.url}/graphql", json={"query": query, "variables": variables or {}},
                                 headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


CHECK = """query($i: CheckInput!) { check(input: $i) { decision reason revision } }"""


@pytest.fixture
async def b_role(demo_dsn):
    """Server B connects as its own login role, so the test can cut B off from the database."""
    conn = await asyncpg.connect(demo_dsn)
    try:
        await conn.execute("DROP ROLE IF EXISTS registry_b")
        await conn.execute("CREATE ROLE registry_b LOGIN")
        db = await conn.fetchval("SELECT current_database()")
        await conn.execute(f"GRANT ALL ON DATABASE {db} TO registry_b")
        await conn.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO registry_b")
        await conn.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO registry_b")
    finally:
        await conn.close()
    yield demo_dsn.replace("postgres:@", "registry_b:@")
    conn = await asyncpg.connect(demo_dsn)
    try:
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'registry_b'")
        await conn.execute("DROP OWNED BY registry_b")
        await conn.execute("DROP ROLE IF EXISTS registry_b")
    finally:
        await conn.close()


async def test_a_write_on_a_is_seen_on_b_and_b_never_answers_from_a_state_it_cannot_vouch_for(
        demo_dsn, b_role, settings):
    from registry.auth import JwtVerifier

    token = JwtVerifier(settings).mint(subject=METTE, tenant="eksempel", ttl_seconds=600)
    a, b = Server(demo_dsn), Server(b_role)
    admin = await asyncpg.connect(demo_dsn)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await a.ready(client)
            await b.ready(client)
            ids = await admin.fetch("SELECT key, id FROM decision_area WHERE key = 'care/relatives'")
            area = str(ids[0]["id"])
            unit = str(await admin.fetchval("SELECT id FROM org_unit WHERE name = 'Plejecenter Solhaven'"))
            fatima = str(await admin.fetchval("SELECT id FROM person WHERE external_id = 'fatima.ali@eksempel.dk'"))
            request = {"person": "fatima.ali@eksempel.dk", "area": "care/relatives", "unit": unit, "action": "DECIDE",
                       "attributes": {"consent": True, "health_information_shared": True}}

            # 1. A write on A, then a check on B that names the write's revision, reflects it.
            declared = (await _gql(client, a, token, """mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(
                input: {areaId: $a, unitId: $u, delegatePersonId: $p, level: 7}) { ... on DelegationPayload {
                revision delegation { id } } } }""", {"a": area, "u": unit, "p": fatima}))["declareDelegation"]
            # Fatima takes it up (issue 12, part 1), on A too: the write whose revision B must reflect
            as_fatima = JwtVerifier(settings).mint(subject="fatima.ali@eksempel.dk", tenant="eksempel", ttl_seconds=600)
            offer = (await _gql(client, a, as_fatima, "{ myOffers { id version } }"))["myOffers"][0]
            accepted = (await _gql(client, a, as_fatima, """mutation($o: ID!, $v: Int!) { answerOffer(input: {
                offerId: $o, answer: ACCEPT}, version: $v) { ... on OfferPayload { revision } } }""",
                {"o": offer["id"], "v": offer["version"]}))["answerOffer"]
            seen = (await _gql(client, b, token, CHECK, {"i": {**request, "minRevision": accepted["revision"]}}))
            assert (seen["check"]["decision"], seen["check"]["revision"] >= accepted["revision"]) == (True, True)

            # 2. Cut B's change feed (its LISTEN connection). A revokes. B must catch up or say stale.
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE usename = 'registry_b' AND application_name LIKE 'registry-feed:%'")
            assert killed == 1
            revoked = (await _gql(client, a, token, """mutation($id: ID!) { revokeDelegation(id: $id, version: 2,
                reason: "Forsøget er slut") { ... on DelegationPayload { revision } } }""",
                {"id": declared["delegation"]["id"]}))["revokeDelegation"]
            after_cut = (await _gql(client, b, token, CHECK, {"i": {**request,
                                                                    "minRevision": revoked["revision"]}}))["check"]
            assert after_cut["decision"] is False and after_cut["reason"] in ("revoked", "stale")
            caught_up = None
            for _ in range(50):  # B reconnects and catches up within its sync interval
                caught_up = (await _gql(client, b, token, CHECK, {"i": request}))["check"]
                if caught_up["reason"] == "revoked":
                    break
                assert caught_up["decision"] is False, caught_up  # never the old allow
                await asyncio.sleep(0.1)
            assert caught_up["reason"] == "revoked"

            # 3. B cannot reach the database at all: after its bound it denies with `stale` and is not ready.
            #    (A system that called B before is already authenticated from B's short-lived cache.)
            evaluation = {"subject": {"type": "person", "id": "anna.jensen@eksempel.dk"},
                          "action": {"name": "be_informed"},
                          "resource": {"type": "decision", "id": "care/activities",
                                       "properties": {"unit": unit, "cost": 1, "outside_home": False,
                                                      "staff_count": 1}}}
            warm = await client.post(f"{b.url}/access/v1/evaluation", json=evaluation,
                                     headers={"Authorization": f"Bearer {token}"})
            assert warm.json()["decision"] is True
            await admin.execute("ALTER ROLE registry_b NOLOGIN")
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'registry_b'")
            await asyncio.sleep(2.5)
            stale = await client.post(f"{b.url}/access/v1/evaluation", json=evaluation,
                                      headers={"Authorization": f"Bearer {token}"})
            assert stale.status_code == 200, stale.text
            assert stale.json()["decision"] is False and stale.json()["context"]["reason"] == "stale"
            assert (await client.get(f"{b.url}/health/ready")).status_code == 503
            other = JwtVerifier(settings).mint(subject="anna.jensen@eksempel.dk", tenant="eksempel", ttl_seconds=60)
            uncached = await client.post(f"{b.url}/access/v1/evaluation", json=evaluation,
                                         headers={"Authorization": f"Bearer {other}"})
            assert uncached.status_code == 503 and uncached.json()["error"]["code"] == "unavailable"

            # 4. The database comes back: B recovers by itself.
            await admin.execute("ALTER ROLE registry_b LOGIN")
            await b.ready(client, timeout=15)
    finally:
        await admin.close()
        a.stop()
        b.stop()
