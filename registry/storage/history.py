"""SQL for the append-only history (written by triggers; read here)."""

from __future__ import annotations

from uuid import UUID

from registry.domain.model import HistoryEntry
from registry.storage.db import Conn
from registry.storage.rows import many


async def search(conn: Conn, tenant_id: UUID, *, entity_id: UUID | None, entity_type: str | None,
                 actor: str | None, units: list[UUID] | None, since, until, after: int | None,
                 limit: int) -> list[HistoryEntry]:
    """Changes filtered by entity, entity type, actor (or on-behalf-of), unit subtree and time."""
    return many(HistoryEntry, await conn.fetch(
        """SELECT * FROM history WHERE tenant_id = $1
             AND ($2::uuid IS NULL OR entity_id = $2) AND ($3::text IS NULL OR entity_type = $3)
             AND ($4::text IS NULL OR actor = $4 OR on_behalf_of = $4)
             AND ($5::uuid[] IS NULL OR entity_id = ANY($5)
                  OR (coalesce(after, before) ->> 'unit_id')::uuid = ANY($5))
             AND ($6::timestamptz IS NULL OR at >= $6) AND ($7::timestamptz IS NULL OR at < $7)
             AND ($8::bigint IS NULL OR id > $8)
           ORDER BY id LIMIT $9""",
        tenant_id, entity_id, entity_type, actor, units, since, until, after, limit))
