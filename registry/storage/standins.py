"""SQL for stand-ins."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from registry.domain.model import StandIn
from registry.storage.db import Conn
from registry.storage.rows import many


async def active_for(conn: Conn, tenant_id: UUID, person_id: UUID, at: datetime) -> list[StandIn]:
    """The stand-in appointments the person holds at `at`."""
    return many(StandIn, await conn.fetch(
        """SELECT * FROM stand_in WHERE tenant_id = $1 AND stand_in_id = $2 AND archived_at IS NULL
             AND valid_from <= $3 AND $3 < valid_until ORDER BY valid_from, id""", tenant_id, person_id, at))


async def of_unit(conn: Conn, tenant_id: UUID, unit_id: UUID | None) -> list[StandIn]:
    return many(StandIn, await conn.fetch(
        "SELECT * FROM stand_in WHERE tenant_id = $1 AND ($2::uuid IS NULL OR unit_id = $2)"
        " ORDER BY valid_from, id", tenant_id, unit_id))
