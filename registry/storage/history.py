"""SQL for the append-only history (written by triggers; read here)."""

from __future__ import annotations

from uuid import UUID

from registry.domain.model import HistoryEntry
from registry.storage.db import Conn
from registry.storage.rows import many


async def of_entity(conn: Conn, tenant_id: UUID, entity_id: UUID, *, after: int | None, limit: int
                    ) -> list[HistoryEntry]:
    return many(HistoryEntry, await conn.fetch(
        """SELECT * FROM history WHERE tenant_id = $1 AND entity_id = $2 AND ($3::bigint IS NULL OR id > $3)
           ORDER BY id LIMIT $4""", tenant_id, entity_id, after, limit))
