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


async def along(conn: Conn, tenant_id: UUID, places: list[tuple[list[UUID], list[UUID]]]) -> list[list[UnitFrame]]:
    """For each place, (a chain of units, nearest first; teams), the frames holding there: the
    units' in the chain's order, then the teams'. One query for all of them."""
    units = {u for chain, _ in places for u in chain}
    teams = {t for _, team_ids in places for t in team_ids}
    found = many(UnitFrame, await conn.fetch(
        """SELECT * FROM unit_frame WHERE tenant_id = $1 AND (unit_id = ANY($2::uuid[]) OR team_id = ANY($3::uuid[]))
           ORDER BY id""", tenant_id, list(units), list(teams)))
    by_unit = {f.unit_id: f for f in found if f.unit_id is not None}
    by_team = {f.team_id: f for f in found if f.team_id is not None}
    return [[by_unit[u] for u in chain if u in by_unit] + [by_team[t] for t in team_ids if t in by_team]
            for chain, team_ids in places]
