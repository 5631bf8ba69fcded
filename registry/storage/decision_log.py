"""SQL for the decision log: batched writes (COPY), filtered newest-first reads, retention deletes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from registry.storage.db import Conn
from registry.storage.rows import many

# The order of the tuples the writer queues (registry.services.decision_log.DecisionLog.record).
COLUMNS = ("tenant_id", "decided_at", "at", "person", "person_id", "area", "area_id", "unit", "unit_id", "action",
           "allowed", "reason", "level", "revision", "source", "caller", "request_id")


class LoggedDecision(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    tenant_id: UUID
    decided_at: datetime
    at: datetime
    person: str
    person_id: UUID | None
    area: str
    area_id: UUID | None
    unit: str
    unit_id: UUID | None
    action: str
    allowed: bool
    reason: str
    level: int | None
    revision: int
    source: str
    caller: str
    request_id: str | None


async def write(conn: Conn, records: list[tuple]) -> None:
    """One batch, with COPY (a single round trip however many rows)."""
    await conn.raw.copy_records_to_table("decision_log", records=records, columns=COLUMNS)


async def search(conn: Conn, tenant_id: UUID, *, person_id: UUID | None, area_id: UUID | None,
                 units: list[UUID] | None, since: datetime | None, until: datetime | None, allowed: bool | None,
                 before: int | None, limit: int) -> list[LoggedDecision]:
    """Newest first. Only the filters given become SQL, so each query shape gets a plan that uses its
    index (an `$n IS NULL OR ...` clause would keep a generic plan from using any)."""
    where, args = ["tenant_id = $1"], [tenant_id]
    for clause, value in (("person_id = ${}", person_id), ("area_id = ${}", area_id),
                          ("unit_id = ANY(${}::uuid[])", units), ("decided_at >= ${}", since),
                          ("decided_at < ${}", until), ("allowed = ${}", allowed), ("id < ${}", before)):
        if value is not None:
            args.append(value)
            where.append(clause.format(len(args)))
    args.append(limit)
    sql = f"SELECT * FROM decision_log WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ${len(args)}"
    return many(LoggedDecision, await conn.fetch(sql, *args))


async def purge(conn: Conn, before: datetime, chunk: int = 10_000) -> int:
    """Delete every entry decided before `before`, in chunks (short transactions on a large table)."""
    total = 0
    while True:
        status = await conn.execute(
            """DELETE FROM decision_log WHERE (tenant_id, id) IN (
                   SELECT tenant_id, id FROM decision_log WHERE decided_at < $1 LIMIT $2)""", before, chunk)
        deleted = int(status.rsplit(" ", 1)[1])
        total += deleted
        if deleted < chunk:
            return total
