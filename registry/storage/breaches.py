"""Breaches: the effects in force on a person (the details are read through rows, by visibility)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from registry.storage.db import Conn


async def effects_in_force(conn: Conn, tenant_id: UUID, person_id: UUID, areas: list[UUID], units: list[UUID],
                           at: datetime) -> list[tuple[str, int | None]]:
    """(response, lowered_to) of the person's breaches (and their later responses) in effect at `at` on any of these areas and
    units (a breach binds its area's sub-areas and its unit's subtree: pass the chains above)."""
    rows = await conn.fetch(
        """SELECT response, lowered_to FROM breach
            WHERE tenant_id = $1 AND person_id = $2 AND area_id = ANY($3::uuid[]) AND unit_id = ANY($4::uuid[])
              AND effect_from <= $5 AND (effect_until IS NULL OR effect_until > $5)
           UNION ALL
           SELECT response, lowered_to FROM breach_response
            WHERE tenant_id = $1 AND person_id = $2 AND area_id = ANY($3::uuid[]) AND unit_id = ANY($4::uuid[])
              AND effect_from <= $5 AND (effect_until IS NULL OR effect_until > $5)""",
        tenant_id, person_id, areas, units, at)
    return [(r["response"], r["lowered_to"]) for r in rows]
