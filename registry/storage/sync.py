"""Reads for the sync from the municipality's systems (registry.services.sync): the organisation as
the registry holds it, and the active delegations that organisation changes touch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

import msgspec

from registry.domain.model import Delegation, Membership, Person, Unit
from registry.storage.db import Conn, Db
from registry.storage.rows import many


async def organisation(conn: Conn, tenant_id: UUID) -> tuple[list[Unit], list[Person], list[Membership]]:
    """Every unit, person and membership of the organisation (archived ones too: a unit or person
    back in the source is taken up again, not created twice)."""
    units = many(Unit, await conn.fetch("SELECT * FROM org_unit WHERE tenant_id = $1 ORDER BY id", tenant_id))
    people = many(Person, await conn.fetch("SELECT * FROM person WHERE tenant_id = $1 ORDER BY id", tenant_id))
    memberships = many(Membership, await conn.fetch(
        "SELECT * FROM membership WHERE tenant_id = $1 ORDER BY valid_from, id", tenant_id))
    return units, people, memberships


async def active_delegations(conn: Conn, tenant_id: UUID, *, delegators: list[UUID], delegates: list[UUID],
                             units: list[UUID]) -> list[Delegation]:
    """Active delegations that the given people answer for or hold, or that lie in the given units."""
    return many(Delegation, await conn.fetch(
        """SELECT * FROM delegation WHERE tenant_id = $1 AND status = 'active'
             AND (delegator_id = ANY($2::uuid[]) OR on_behalf_of_id = ANY($2::uuid[])
                  OR delegate_person_id = ANY($3::uuid[]) OR unit_id = ANY($4::uuid[]))
           ORDER BY id""", tenant_id, delegators, delegates, units))


async def ended_delegations_of(conn: Conn, tenant_id: UUID, people: list[UUID], since, until) -> list[Delegation]:
    """The people's own delegations (to them as persons) whose validity ended in [since, until]."""
    return many(Delegation, await conn.fetch(
        """SELECT * FROM delegation WHERE tenant_id = $1 AND delegate_person_id = ANY($2::uuid[])
             AND status = 'active' AND valid_until BETWEEN $3 AND $4 ORDER BY valid_until, id""",
        tenant_id, people, since, until))


async def joined_since(conn: Conn, tenant_id: UUID, units: list[UUID], since) -> list[Membership]:
    """Memberships in the units that began at or after `since` (and are not archived)."""
    return many(Membership, await conn.fetch(
        """SELECT * FROM membership WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[]) AND valid_from >= $3
             AND archived_at IS NULL ORDER BY valid_from, id""", tenant_id, units, since))


# --- the runs of `sync --apply` (migration 0021) ----------------------------------------------------

class SyncRun(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    seq: int
    tenant_id: UUID
    source: str
    trigger: str
    status: str
    source_digest: str
    batch_size: int
    steps_total: int
    steps_done: int
    counts: dict
    effects: int
    continues: UUID | None
    first_revision: int | None
    last_revision: int | None
    error_code: str | None
    error_da: str | None
    started_at: datetime
    finished_at: datetime | None


def _run(row) -> SyncRun:
    return msgspec.convert(dict(row), SyncRun)


@asynccontextmanager
async def exclusive(db: Db, tenant_id: UUID) -> AsyncIterator[bool]:
    """Hold the organisation's sync lock (a session advisory lock on a connection of its own) for
    the block: True when this process has it, False when another sync of the organisation runs."""
    key = lock_key(tenant_id)
    async with db.read() as conn:
        got = await conn.fetchval("SELECT pg_try_advisory_lock($1::bigint)", key)
        try:
            yield bool(got)
        finally:
            if got:
                await conn.fetchval("SELECT pg_advisory_unlock($1::bigint)", key)


def lock_key(tenant_id: UUID) -> int:
    """The organisation's sync lock: 48 bits of its id (a 32-bit hash of it could make two
    organisations share a lock), marked as the sync's by the top 16 bits."""
    return int.from_bytes(bytes([0x5e, 0x1c]) + tenant_id.bytes[2:8], "big", signed=True)


async def stopped_runs(conn: Conn, tenant_id: UUID, now: datetime) -> list[SyncRun]:
    """Runs left `running` by a process that stopped without a word (the caller holds the lock, so
    none is really running): marked `interrupted`, and returned."""
    return [_run(r) for r in await conn.fetch(
        """UPDATE sync_run SET status = 'interrupted', finished_at = $2
            WHERE tenant_id = $1 AND status = 'running' RETURNING *""", tenant_id, now)]


async def unfinished(conn: Conn, tenant_id: UUID, source: str) -> SyncRun | None:
    """The source's latest run, when it stopped part-way (failed or interrupted with steps to go)."""
    row = await conn.fetchrow(
        """SELECT * FROM sync_run WHERE tenant_id = $1 AND source = $2
            ORDER BY seq DESC LIMIT 1""", tenant_id, source)
    if row is None or row["status"] not in ("failed", "interrupted") or row["steps_done"] >= row["steps_total"]:
        return None  # done, or stopped before it wrote anything (a source that could not be read)
    return _run(row)


async def last_done(conn: Conn, tenant_id: UUID, source: str, *, before: datetime) -> datetime | None:
    """When the source's last finished run began (its plan saw the organisation as of then)."""
    return await conn.fetchval(
        "SELECT max(started_at) FROM sync_run WHERE tenant_id = $1 AND source = $2 AND status = 'done'"
        " AND started_at < $3", tenant_id, source, before)


async def start_run(conn: Conn, tenant_id: UUID, *, source: str, trigger: str, digest: str, batch_size: int,
                    steps_total: int, counts: dict, effects: int, continues: UUID | None,
                    now: datetime) -> SyncRun:
    return _run(await conn.fetchrow(
        """INSERT INTO sync_run (tenant_id, source, trigger, source_digest, batch_size, steps_total, counts,
                                 effects, continues, started_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *""",
        tenant_id, source, trigger, digest, batch_size, steps_total, counts, effects, continues, now))


async def batch_done(conn: Conn, run_id: UUID, steps_done: int, revision: int) -> None:
    """In the batch's own transaction: how far the run has come."""
    await conn.execute(
        """UPDATE sync_run SET steps_done = $2, last_revision = $3, first_revision = coalesce(first_revision, $3)
            WHERE id = $1""", run_id, steps_done, revision)


async def finish_run(conn: Conn, run_id: UUID, now: datetime, *, error_code: str | None = None,
                     error_da: str | None = None) -> None:
    await conn.execute(
        """UPDATE sync_run SET status = CASE WHEN $3::text IS NULL THEN 'done' ELSE 'failed' END,
                  finished_at = $2, error_code = $3, error_da = $4 WHERE id = $1""",
        run_id, now, error_code, error_da)


async def runs(conn: Conn, tenant_id: UUID, limit: int, *, source: str | None = None) -> list[SyncRun]:
    """The latest runs, newest first (of one source, or all)."""
    return [_run(r) for r in await conn.fetch(
        """SELECT * FROM sync_run WHERE tenant_id = $1 AND ($3::text IS NULL OR source = $3)
            ORDER BY seq DESC LIMIT $2""", tenant_id, limit, source)]


async def purge_runs(conn: Conn, before: datetime) -> int:
    """Delete the runs that began before `before` (a failed run's reason may name a person's external id)."""
    found = await conn.fetchval(
        """WITH gone AS (DELETE FROM sync_run WHERE started_at < $1 AND status <> 'running' RETURNING 1)
           SELECT count(*) FROM gone""", before)
    return int(found)
