"""SQL for the decision engine: a consistent snapshot, the history since a revision, and as-of state."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

# The columns the decision index needs, per entity type; the order is the order they are applied in
# (units and areas before what refers to them).
SNAPSHOT = {
    "org_unit": "SELECT id, tenant_id, parent_id, name, external_id, archived_at FROM org_unit",
    "decision_area": """SELECT id, tenant_id, parent_id, key, kle, attributes, delegable, reserved_unit_id,
                               archived_at FROM decision_area""",
    "person": "SELECT id, tenant_id, external_id, name, archived_at FROM person",
    "person_alias": "SELECT id, tenant_id, person_id, kind, value FROM person_alias",
    "team": "SELECT id, tenant_id, unit_id, name, archived_at FROM team",
    "team_member": "SELECT id, tenant_id, team_id, person_id, valid_from, valid_to, archived_at FROM team_member",
    "membership": "SELECT id, tenant_id, person_id, unit_id, role, valid_from, valid_to, archived_at FROM membership",
    "delegation": """SELECT id, tenant_id, delegator_id, delegate_person_id, delegate_team_id, area_id, unit_id,
                            include_subunits, level, status, valid_from, valid_until, control, parent_id,
                            conditions FROM delegation""",
    "red_line": "SELECT id, tenant_id, unit_id, area_id, condition, consequence, set_by, archived_at FROM red_line",
    "stand_in": """SELECT id, tenant_id, unit_id, leader_id, stand_in_id, valid_from, valid_until, archived_at
                   FROM stand_in""",
    # Only what checks need: never the breach's details.
    "breach": """SELECT id, tenant_id, person_id, area_id, unit_id, response, effect_from, effect_until, lowered_to
                 FROM breach""",
    # A breach's later responses (issue 12, part 6): the same effect columns, applied the same way.
    "breach_response": """SELECT id, tenant_id, person_id, area_id, unit_id, response, effect_from, effect_until,
                                 lowered_to FROM breach_response""",
}


async def snapshot(conn: asyncpg.Connection, tenant_id: UUID | None = None):
    """(organisations, {entity type: rows}) read in one REPEATABLE READ transaction, so the rows are
    exactly the state at each organisation's revision."""
    where = "" if tenant_id is None else " WHERE tenant_id = $1"
    args = () if tenant_id is None else (tenant_id,)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        orgs = await conn.fetch("SELECT id, key, revision FROM organisation" +
                                ("" if tenant_id is None else " WHERE id = $1"), *args)
        tables = {}
        for entity_type, sql in SNAPSHOT.items():
            tables[entity_type] = await conn.fetch(sql + where, *args)
    return orgs, tables


async def revisions(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, key, revision FROM organisation")


async def since(conn: asyncpg.Connection, tenant_id: UUID, revision: int) -> tuple[int, list[asyncpg.Record]]:
    """(the tenant's committed revision, the history rows after `revision` in the order written).

    The revision is read first: every revision up to it has committed (writes commit in revision
    order), so the rows read next include all of them, and a write transaction that changed no rows
    still advances the revision.
    """
    current = await conn.fetchval("SELECT revision FROM organisation WHERE id = $1", tenant_id)
    rows = await conn.fetch(
        "SELECT revision, entity_type, operation, before, after FROM history"
        " WHERE tenant_id = $1 AND revision > $2 ORDER BY id", tenant_id, revision)
    return current or 0, rows


async def as_of(conn: asyncpg.Connection, tenant_id: UUID, entity_ids: list[UUID], at: datetime
                ) -> list[asyncpg.Record]:
    """The newest history row of each entity at `at` (deleted or not yet created ones come back as
    a delete or not at all)."""
    return await conn.fetch(
        """SELECT DISTINCT ON (entity_id) entity_id, entity_type, operation, before, after, revision FROM history
           WHERE tenant_id = $1 AND entity_id = ANY($2::uuid[]) AND at <= $3
           ORDER BY entity_id, at DESC, id DESC""", tenant_id, entity_ids, at)


async def revision_at(conn: asyncpg.Connection, tenant_id: UUID, at: datetime) -> int:
    return await conn.fetchval("SELECT revision FROM history WHERE tenant_id = $1 AND at <= $2"
                               " ORDER BY at DESC, id DESC LIMIT 1", tenant_id, at) or 0


async def red_lines_along(conn: asyncpg.Connection, tenant_id: UUID, units: list[UUID]) -> list[UUID]:
    """Red lines set at these units now, and every red line that has ever moved between units."""
    rows = await conn.fetch(
        """SELECT id FROM red_line WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[])
           UNION SELECT entity_id FROM history WHERE tenant_id = $1 AND entity_type = 'red_line'
             AND operation = 'update' AND (before ->> 'unit_id') IS DISTINCT FROM (after ->> 'unit_id')""",
        tenant_id, units)
    return [r["id"] for r in rows]
