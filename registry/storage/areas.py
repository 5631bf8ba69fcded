"""SQL for the decision-area catalogue."""

from __future__ import annotations

from uuid import UUID

from registry.domain.model import Area
from registry.storage.db import Conn
from registry.storage.rows import many, to


async def all_areas(conn: Conn, tenant_id: UUID) -> list[Area]:
    return many(Area, await conn.fetch("SELECT * FROM decision_area WHERE tenant_id = $1 ORDER BY key", tenant_id))


async def area_by_key(conn: Conn, tenant_id: UUID, key: str) -> Area | None:
    return to(Area, await conn.fetchrow("SELECT * FROM decision_area WHERE tenant_id = $1 AND key = $2",
                                        tenant_id, key))
