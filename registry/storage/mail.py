"""SQL for e-mail (migration 0025): the mailer's cursor in each organisation's outbox, the mail log
(one row per person and mail, the guard against sending twice), the digest preferences, and who may
get a digest."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from registry.storage.db import Conn
from registry.storage.outbox import StoredEvent

import msgspec

# One mailer round at a time across every server (pg_try_advisory_lock): "registry mail" as a number.
MAILER_LOCK = 0x726567_6D61696C


async def tenants(conn: Conn) -> list[UUID]:
    return [r["id"] for r in await conn.fetch("SELECT id FROM organisation WHERE archived_at IS NULL ORDER BY id")]


async def cursor(conn: Conn, tenant_id: UUID) -> int:
    return await conn.fetchval("SELECT position FROM mail_cursor WHERE tenant_id = $1", tenant_id) or 0


async def advance(conn: Conn, tenant_id: UUID, position: int) -> None:
    await conn.execute("""INSERT INTO mail_cursor (tenant_id, position) VALUES ($1, $2)
                          ON CONFLICT (tenant_id) DO UPDATE SET position = greatest(mail_cursor.position, $2)""",
                       tenant_id, position)


async def events_after(conn: Conn, tenant_id: UUID, position: int, limit: int) -> list[StoredEvent]:
    found = await conn.fetch("SELECT * FROM outbox_event WHERE tenant_id = $1 AND position > $2"
                             " ORDER BY position LIMIT $3", tenant_id, position, limit)
    return [msgspec.convert(dict(r), StoredEvent, strict=False) for r in found]


async def claim(conn: Conn, tenant_id: UUID, person_id: UUID, key: str, status: str, at: datetime) -> bool:
    """Write the mail log's row (in the caller's transaction, before the mail is handed over): False when
    it is there already (the mail was sent, or skipped, before)."""
    status_ = await conn.execute("""INSERT INTO mail_sent (tenant_id, person_id, key, status, at)
                                    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
                                 tenant_id, person_id, key, status, at)
    return status_.endswith(" 1")


async def set_status(conn: Conn, tenant_id: UUID, person_id: UUID, key: str, status: str) -> None:
    await conn.execute("UPDATE mail_sent SET status = $4 WHERE tenant_id = $1 AND person_id = $2 AND key = $3",
                       tenant_id, person_id, key, status)


async def logged(conn: Conn, tenant_id: UUID, keys: list[str]) -> set[tuple[UUID, str]]:
    found = await conn.fetch("SELECT person_id, key FROM mail_sent WHERE tenant_id = $1 AND key = ANY($2::text[])",
                             tenant_id, keys)
    return {(r["person_id"], r["key"]) for r in found}


async def purge(conn: Conn, before: datetime) -> int:
    status = await conn.execute("DELETE FROM mail_sent WHERE at < $1", before)
    return int(status.split()[-1])


class Recipient(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    email: str | None
    archived: bool


async def people(conn: Conn, tenant_id: UUID, ids: list[UUID]) -> dict[UUID, Recipient]:
    found = await conn.fetch("SELECT id, name, email, archived_at IS NOT NULL AS archived FROM person"
                             " WHERE tenant_id = $1 AND id = ANY($2::uuid[])", tenant_id, ids)
    return {r["id"]: Recipient(r["id"], r["name"], r["email"], r["archived"]) for r in found}


async def names(conn: Conn, tenant_id: UUID, area_id, unit_id) -> tuple[str | None, str | None]:
    area = await conn.fetchval("SELECT name_da FROM decision_area WHERE tenant_id = $1 AND id = $2::uuid",
                               tenant_id, area_id) if area_id else None
    unit = await conn.fetchval("SELECT name FROM org_unit WHERE tenant_id = $1 AND id = $2::uuid",
                               tenant_id, unit_id) if unit_id else None
    return area, unit


async def open_pre_approval(conn: Conn, tenant_id: UUID, act_id) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM due_item WHERE tenant_id = $1 AND act_id = $2::uuid"
                                    " AND kind = 'pre_approval' AND status = 'open'", tenant_id, act_id))


async def leaders_now(conn: Conn, tenant_id: UUID, now: datetime) -> list[UUID]:
    """Who may get a leader's digest: the leaders of a unit, and stand-ins in force, now."""
    found = await conn.fetch(
        """SELECT person_id FROM membership WHERE tenant_id = $1 AND role = 'leader' AND archived_at IS NULL
             AND valid_from <= $2 AND (valid_to IS NULL OR $2 < valid_to)
           UNION
           SELECT stand_in_id FROM stand_in WHERE tenant_id = $1 AND archived_at IS NULL
             AND valid_from <= $2 AND $2 < valid_until""", tenant_id, now)
    return sorted(r[0] for r in found)


# --- preferences -------------------------------------------------------------------------------------

async def default_digest(conn: Conn, tenant_id: UUID) -> str | None:
    return await conn.fetchval("SELECT digest FROM mail_default WHERE tenant_id = $1", tenant_id)


async def own_digests(conn: Conn, tenant_id: UUID, person_ids: list[UUID]) -> dict[UUID, str]:
    found = await conn.fetch("SELECT person_id, digest FROM mail_preference WHERE tenant_id = $1"
                             " AND person_id = ANY($2::uuid[])", tenant_id, person_ids)
    return {r["person_id"]: r["digest"] for r in found}


async def set_own(conn: Conn, tenant_id: UUID, person_id: UUID, digest: str | None, at: datetime) -> None:
    """A person's choice; None: follow the organisation's default again."""
    if digest is None:
        await conn.execute("DELETE FROM mail_preference WHERE tenant_id = $1 AND person_id = $2", tenant_id, person_id)
        return
    await conn.execute("""INSERT INTO mail_preference (tenant_id, person_id, digest, updated_at) VALUES ($1, $2, $3, $4)
                          ON CONFLICT (tenant_id, person_id) DO UPDATE SET digest = $3, updated_at = $4""",
                       tenant_id, person_id, digest, at)


async def set_default(conn: Conn, tenant_id: UUID, digest: str, at: datetime) -> None:
    await conn.execute("""INSERT INTO mail_default (tenant_id, digest, updated_at) VALUES ($1, $2, $3)
                          ON CONFLICT (tenant_id) DO UPDATE SET digest = $2, updated_at = $3""", tenant_id, digest, at)
