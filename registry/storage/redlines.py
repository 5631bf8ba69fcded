"""SQL for red lines."""

from __future__ import annotations

from uuid import UUID

from registry.domain.model import RedLine
from registry.storage.db import Conn
from registry.storage.rows import many


async def all_red_lines(conn: Conn, tenant_id: UUID, *, include_archived: bool = False) -> list[RedLine]:
    sql = "SELECT * FROM red_line WHERE tenant_id = $1"
    if not include_archived:
        sql += " AND archived_at IS NULL"
    return many(RedLine, await conn.fetch(sql + " ORDER BY created_at, id", tenant_id))
