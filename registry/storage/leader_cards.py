"""SQL for the leader's card (issue 12, part 4): a delegation's cards, and how many a unit saw."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from registry.domain.model import LeaderCard
from registry.storage.db import Conn
from registry.storage.rows import many


async def of_delegations(conn: Conn, tenant_id: UUID, delegation_ids: list[UUID]) -> list[LeaderCard]:
    """The cards drawn on these delegations, newest decision first."""
    return many(LeaderCard, await conn.fetch(
        """SELECT * FROM leader_card WHERE tenant_id = $1 AND delegation_id = ANY($2::uuid[])
           ORDER BY decided_at DESC, id""", tenant_id, delegation_ids))


async def count_in_units(conn: Conn, tenant_id: UUID, unit_ids: list[UUID], since: datetime) -> int:
    """How many cards were drawn on delegations in these units, decided at `since` or later."""
    return await conn.fetchval(
        """SELECT count(*) FROM leader_card
            WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[]) AND decided_at >= $3""",
        tenant_id, unit_ids, since)
