"""SQL for breaches as learning (issue 12, part 6): a breach's later responses, the employee's
account, frame changes and learning points; the shared learning points and the count by cause."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from registry.domain.model import BreachAccount, BreachResponse, FrameChange, LearningPoint
from registry.storage.db import Conn
from registry.storage.rows import many


async def responses_of(conn: Conn, tenant_id: UUID, breach_ids: list[UUID]) -> list[BreachResponse]:
    return many(BreachResponse, await conn.fetch(
        "SELECT * FROM breach_response WHERE tenant_id = $1 AND breach_id = ANY($2::uuid[])"
        " ORDER BY given_at, created_at, id", tenant_id, breach_ids))


async def accounts_of(conn: Conn, tenant_id: UUID, breach_ids: list[UUID]) -> list[BreachAccount]:
    return many(BreachAccount, await conn.fetch(
        "SELECT * FROM breach_account WHERE tenant_id = $1 AND breach_id = ANY($2::uuid[])", tenant_id, breach_ids))


async def frame_changes_of(conn: Conn, tenant_id: UUID, breach_ids: list[UUID]) -> list[FrameChange]:
    return many(FrameChange, await conn.fetch(
        "SELECT * FROM breach_frame_change WHERE tenant_id = $1 AND breach_id = ANY($2::uuid[])"
        " ORDER BY decided_at, created_at, id", tenant_id, breach_ids))


async def learning_points_of(conn: Conn, tenant_id: UUID, breach_ids: list[UUID]) -> list[LearningPoint]:
    return many(LearningPoint, await conn.fetch(
        "SELECT * FROM learning_point WHERE tenant_id = $1 AND breach_id = ANY($2::uuid[])"
        " ORDER BY learned_at, created_at, id", tenant_id, breach_ids))


async def shared_points(conn: Conn, tenant_id: UUID, unit_ids: list[UUID]) -> list[LearningPoint]:
    """The shareable learning points on breaches in these units, newest first."""
    return many(LearningPoint, await conn.fetch(
        """SELECT * FROM learning_point WHERE tenant_id = $1 AND shareable AND unit_id = ANY($2::uuid[])
           ORDER BY learned_at DESC, id""", tenant_id, unit_ids))


async def counts_by_cause(conn: Conn, tenant_id: UUID, unit_ids: list[UUID], since: datetime) -> dict[str | None, int]:
    """How many breaches in these units occurred at `since` or later, by cause (None: purged)."""
    found = await conn.fetch(
        """SELECT cause, count(*) AS n FROM breach
            WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[]) AND occurred_at >= $3 GROUP BY cause""",
        tenant_id, unit_ids, since)
    return {r["cause"]: r["n"] for r in found}


async def people_in_units(conn: Conn, tenant_id: UUID, unit_ids: list[UUID], at: datetime) -> int:
    """How many different people belong to these units at `at` (any role)."""
    return await conn.fetchval(
        """SELECT count(DISTINCT person_id) FROM membership
            WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[]) AND archived_at IS NULL
              AND (valid_from IS NULL OR valid_from <= $3) AND (valid_to IS NULL OR valid_to > $3)""",
        tenant_id, unit_ids, at)


async def purge(conn: Conn, tenant_id: UUID, breach_id: UUID) -> None:
    """Empty the personal texts that follow a breach (inside the caller's write transaction, so the
    history records that they were emptied): every response's note, the account, every frame
    change's and every learning point's text, except the shareable learning points, which the
    leader confirmed hold no personal data."""
    await conn.execute("UPDATE breach_response SET note = NULL WHERE tenant_id = $1 AND breach_id = $2"
                       " AND note IS NOT NULL", tenant_id, breach_id)
    await conn.execute("UPDATE breach_account SET account = NULL WHERE tenant_id = $1 AND breach_id = $2"
                       " AND account IS NOT NULL", tenant_id, breach_id)
    await conn.execute("UPDATE breach_frame_change SET text = NULL WHERE tenant_id = $1 AND breach_id = $2"
                       " AND text IS NOT NULL", tenant_id, breach_id)
    await conn.execute("UPDATE learning_point SET text = NULL WHERE tenant_id = $1 AND breach_id = $2"
                       " AND text IS NOT NULL AND NOT shareable", tenant_id, breach_id)
