"""SQL for units' and teams' shared frames (kerneopgave and fælles spilleregler)."""

from __future__ import annotations

from uuid import UUID

from registry.domain.model import UnitFrame
from registry.storage.db import Conn
from registry.storage.rows import many, to


async def of(conn: Conn, tenant_id: UUID, *, unit_id: UUID | None = None, team_id: UUID | None = None,
             for_update: bool = False) -> UnitFrame | None:
    """The frame of one unit or one team, if it has one."""
    column, value = ("unit_id", unit_id) if unit_id is not None else ("team_id", team_id)
    lock = " FOR UPDATE" if for_update else ""
    return to(UnitFrame, await conn.fetchrow(
        f"SELECT * FROM unit_frame WHERE tenant_id = $1 AND {column} = $2{lock}", tenant_id, value))


async def along(conn: Conn, tenant_id: UUID, unit_chain: list[UUID], team_ids: list[UUID]) -> list[UnitFrame]:
    """The frames of a chain of units (nearest first, in its order) and then of the teams."""
    found = many(UnitFrame, await conn.fetch(
        """SELECT * FROM unit_frame WHERE tenant_id = $1 AND (unit_id = ANY($2::uuid[]) OR team_id = ANY($3::uuid[]))
           ORDER BY id""", tenant_id, unit_chain, team_ids))
    order = {u: n for n, u in enumerate(unit_chain)}
    return sorted(found, key=lambda f: (f.team_id is not None, order.get(f.unit_id, 0)))
