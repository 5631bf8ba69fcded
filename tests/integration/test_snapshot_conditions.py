"""A cold start reads each delegation's conditions and the delegation it was passed on from.

The engine (and `registry policy export`) builds its index from `changes.snapshot`; a delegation's
limits must be in force after a restart as they are after the change that set them.
"""

from __future__ import annotations

import json
import time

import asyncpg

from registry.demo import DEMO_TENANT
from registry.policy.engine import build_index
from registry.storage import changes


async def test_the_snapshot_carries_conditions_and_parents(demo_dsn):
    conn = await asyncpg.connect(demo_dsn)
    try:
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", DEMO_TENANT)
        orgs, tables = await changes.snapshot(conn, tenant)
        rows = await conn.fetch("SELECT id, parent_id, conditions FROM delegation WHERE tenant_id = $1", tenant)
        solhaven = await conn.fetchval("SELECT id FROM org_unit WHERE tenant_id = $1 AND name = 'Plejecenter Solhaven'",
                                       tenant)
    finally:
        await conn.close()
    index = build_index(orgs[0], tables)
    assert any(r["conditions"] for r in rows) and any(r["parent_id"] for r in rows)
    for r in rows:
        grant = index.grants[str(r["id"])]
        assert grant.parent == (None if r["parent_id"] is None else str(r["parent_id"]))
        assert [(c.text, c.text_da) for c in grant.conditions] == [(c["condition"], c["text_da"])
                                                                    for c in r["conditions"]]
        assert all(c.condition is not None for c in grant.conditions)
    # Anna's purchases: up to 10.000 kr. herself, up to 5.000 kr. through her team; after a cold start too
    anna = "anna.jensen@eksempel.dk"
    now = time.time()
    assert index.check(anna, "economy/purchase", str(solhaven), "decide", {"amount": 7000}, now).decision
    refused = index.check(anna, "economy/purchase", str(solhaven), "decide", {"amount": 12000}, now)
    assert not refused.decision and refused.reason == "outside_mandate"
    assert refused.condition is not None and refused.condition.condition == "amount <= 10000"  # her own
