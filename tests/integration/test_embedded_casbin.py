"""A Python system embeds pycasbin with the registry's policy, and the watcher follows changes."""

import asyncio

import asyncpg
import httpx

from registry.casbin import RegistryAdapter, RegistryWatcher, new_enforcer, request
from tests.support import Server, api_key

METTE = "mette.sorensen@eksempel.dk"


async def test_an_embedded_enforcer_agrees_and_the_watcher_applies_only_the_difference(demo_dsn, demo_db, settings):
    from registry.auth import JwtVerifier

    secret = await api_key(demo_db, ["check"], name="fagsystem")
    admin = await asyncpg.connect(demo_dsn)
    server = Server(demo_dsn)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await server.ready(client)
            # What the request names comes from the catalogue, as a system with a check key takes it.
            names = await asyncio.to_thread(RegistryAdapter(server.url, tenant="eksempel", api_key=secret).catalogue)
            unit = names["units"]["LOS-2110"]  # Plejecenter Solhaven
            assert unit == str(await admin.fetchval("SELECT id FROM org_unit WHERE name = 'Plejecenter Solhaven'"))
            declared = names["areas"]["care/alternative-solutions"]["attributes"]
            assert declared == {"citizen_category": "string", "deviation": "boolean"}
            ask = request(tenant="eksempel", person="anna.jensen@eksempel.dk", area="care/alternative-solutions",
                          unit=unit, action="act_as_hverdagsdirektoer",
                          attributes={"deviation": True, "citizen_category": "demens"}, declared=declared)
            enforcer = await asyncio.to_thread(new_enforcer, server.url, tenant="eksempel", api_key=secret)
            assert enforcer.enforce(*ask) is True
            palliative = request(tenant="eksempel", person="anna.jensen@eksempel.dk",
                                 area="care/alternative-solutions", unit=unit, action="act_as_hverdagsdirektoer",
                                 attributes={"deviation": True, "citizen_category": "palliativ"}, declared=declared)
            assert enforcer.enforce(*palliative) is False

            watcher = await asyncio.to_thread(RegistryWatcher, enforcer, server.url, tenant="eksempel",
                                              api_key=secret, wait_seconds=1)
            await asyncio.to_thread(watcher.poll_once)
            rules_before = len(enforcer.get_policy())
            reloads = []
            enforcer.load_policy = lambda: reloads.append(1)  # a full reload would show up here

            token = JwtVerifier(settings).mint(subject=METTE, tenant="eksempel", ttl_seconds=60)
            anna_id = str(await admin.fetchval("SELECT id FROM person WHERE external_id = 'anna.jensen@eksempel.dk'"))
            found = await client.post(f"{server.url}/graphql", headers={"Authorization": f"Bearer {token}"}, json={
                "query": """query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id version
                area { key } } } }""", "variables": {"p": anna_id}})
            own = next(n for n in found.json()["data"]["delegations"]["nodes"]
                       if n["area"]["key"] == "care/alternative-solutions")
            await client.post(f"{server.url}/graphql", headers={"Authorization": f"Bearer {token}"}, json={
                "query": """mutation($id: ID!, $v: Int!) { revokeDelegation(id: $id, version: $v, reason: "Pause") {
                __typename } }""", "variables": {"id": own["id"], "v": own["version"]}})
            assert await asyncio.to_thread(watcher.poll_once) is True
            assert enforcer.enforce(*ask) is False
            assert len(enforcer.get_policy()) == rules_before - 5  # the five action rules of that delegation
            assert reloads == []
    finally:
        await admin.close()
        server.stop()
