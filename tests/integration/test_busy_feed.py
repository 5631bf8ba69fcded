"""A busy change feed is not a lost one: under a steady stream of writes, checks on the server taking
the writes and on a second server, in the busy organisation and in another, never answer `stale`,
and both servers stay ready. (The feed that is really cut still fails closed: test_two_servers.py.)"""

import asyncio
import time

import httpx

from registry.storage.db import Db
from tests.support import Server, api_key, other_tenant

WRITES_PER_SECOND = 20
DURATION = 20.0


async def _unit_id(db: Db, name: str) -> str:
    async with db.read() as conn:
        return str(await conn.fetchval("SELECT id FROM org_unit WHERE name = $1", name))


def _evaluation(person: str, area: str, unit: str) -> dict:
    return {"subject": {"type": "person", "id": person}, "action": {"name": "be_informed"},
            "resource": {"type": "decision", "id": area, "properties": {"unit": unit}}}


async def test_checks_stay_current_while_writes_keep_coming(demo_dsn):
    db = await Db.connect(demo_dsn)
    try:
        other = await other_tenant(db)
        write_key = await api_key(db, ["write"], name="hr-sync")
        demo_check_key = await api_key(db, ["check"], name="vagtplan")
        other_check_key = await api_key(db, ["check"], name="vagtplan", tenant="anden")
        solhaven = await _unit_id(db, "Plejecenter Solhaven")
    finally:
        await db.close()

    # Mette leads Solhaven and Ole leads Rådhuset: both checks are allowed whenever they are answered.
    demo_check = _evaluation("mette.sorensen@eksempel.dk", "care/activities", solhaven)
    demo_check["resource"]["properties"].update({"cost": 1, "outside_home": False, "staff_count": 1})
    other_check = _evaluation("ole@anden.dk", "economy", other["unit"])

    a, b = Server(demo_dsn), Server(demo_dsn)
    answers: list[tuple[str, dict]] = []
    unready: list[tuple[str, int]] = []
    written: list[int] = []
    stop = asyncio.Event()
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await a.ready(client)
            await b.ready(client)

            async def write_steadily():
                started = time.monotonic()
                for n in range(int(WRITES_PER_SECOND * DURATION)):
                    await asyncio.sleep(max(0.0, started + n / WRITES_PER_SECOND - time.monotonic()))
                    response = await client.post(f"{a.url}/graphql", headers={"X-Api-Key": write_key}, json={
                        "query": """mutation($u: ID!, $n: String!) { createTeam(input: {unitId: $u, name: $n}) {
                                    ... on TeamPayload { revision } ... on Error { code } } }""",
                        "variables": {"u": solhaven, "n": f"Vagthold {n}"}})
                    written.append(response.json()["data"]["createTeam"]["revision"])
                stop.set()

            async def check_steadily(server: Server, key: str, body: dict, label: str, with_revision: bool):
                while not stop.is_set():
                    # With the revision of the last write acknowledged: one this server has reached or soon will.
                    request = {**body, "context": {"min_revision": written[-1]}} if with_revision and written else body
                    response = await client.post(f"{server.url}/access/v1/evaluation", json=request,
                                                 headers={"X-Api-Key": key})
                    answers.append((label, response.json()))
                    await asyncio.sleep(0.02)

            async def watch_readiness(server: Server, label: str):
                while not stop.is_set():
                    status = (await client.get(f"{server.url}/health/ready")).status_code
                    if status != 200:
                        unready.append((label, status))
                    await asyncio.sleep(0.1)

            await asyncio.wait_for(asyncio.gather(
                write_steadily(),
                check_steadily(a, demo_check_key, demo_check, "A, same organisation", False),
                check_steadily(a, demo_check_key, demo_check, "A, same organisation, min_revision", True),
                check_steadily(b, demo_check_key, demo_check, "B, same organisation", False),
                check_steadily(b, demo_check_key, demo_check, "B, same organisation, min_revision", True),
                check_steadily(a, other_check_key, other_check, "A, other organisation", False),
                check_steadily(b, other_check_key, other_check, "B, other organisation", False),
                watch_readiness(a, "A"), watch_readiness(b, "B"),
            ), timeout=DURATION * 3)
    finally:
        a.stop()
        b.stop()

    assert len(written) == WRITES_PER_SECOND * DURATION and written == sorted(written)
    stale = [(label, body) for label, body in answers if body.get("context", {}).get("reason") == "stale"]
    refused = [(label, body) for label, body in answers if body.get("decision") is not True]
    labels = {label for label, _ in answers}
    assert len(labels) == 6 and len(answers) > 600, (len(answers), labels)
    assert stale == [], f"{len(stale)} of {len(answers)} checks answered stale, e.g. {stale[:3]}"
    assert refused == [], refused[:3]
    assert unready == [], unready[:5]
