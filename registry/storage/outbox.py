"""SQL for the outbox (migration 0024): writing events in the caller's transaction, the pull feed,
and what the scheduled producer finds due."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from registry.domain.events import Event
from registry.storage.db import Conn

# One producer round at a time across every server (pg_try_advisory_lock): "registry outbox" as a number.
PRODUCER_LOCK = 0x726567_6F7574


class StoredEvent(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    id: UUID
    tenant_id: UUID
    type: str
    subject: UUID
    revision: int
    occurred_at: datetime
    data: dict
    recipients: tuple[UUID, ...] = ()
    dedupe_key: str | None = None


async def emit(tx, event: Event) -> bool:
    """Write the event in the caller's transaction (`tx`: a WriteTx, or the producer's), unless the
    outbox is off. A time-driven event whose dedupe key is written already is not written again.
    Returns whether it was written."""
    if not tx.outbox:
        return False
    status = await tx.conn.execute(
        """INSERT INTO outbox_event (tenant_id, type, subject, revision, occurred_at, data, recipients, dedupe_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING""",
        event.tenant_id, event.type, event.subject, event.revision, event.occurred_at, event.data,
        list(event.recipients), event.dedupe_key)
    return status.endswith(" 1")


async def page(conn: Conn, tenant_id: UUID, after: int, limit: int, type_prefix: str | None) -> list[StoredEvent]:
    """The organisation's events after `after` (a position), oldest first, at most `limit`."""
    found = await conn.fetch(
        """SELECT * FROM outbox_event WHERE tenant_id = $1 AND position > $2
             AND ($4::text IS NULL OR starts_with(type, $4))
           ORDER BY position LIMIT $3""", tenant_id, after, limit, type_prefix)
    return [msgspec.convert(dict(r), StoredEvent, strict=False) for r in found]


# --- who is told ------------------------------------------------------------------------------------

async def leaders_above(conn: Conn, tenant_id: UUID, unit_id: UUID, at: datetime) -> list[tuple[UUID, int]]:
    """The leaders (membership role leader, in force at `at`) of the unit and every unit above it,
    each with how many levels above the unit (0: the unit itself)."""
    found = await conn.fetch(
        """WITH RECURSIVE chain (id, parent_id, depth) AS (
               SELECT id, parent_id, 0 FROM org_unit WHERE tenant_id = $1 AND id = $2
               UNION ALL
               SELECT u.id, u.parent_id, c.depth + 1 FROM org_unit u JOIN chain c ON u.id = c.parent_id
                WHERE u.tenant_id = $1 AND c.depth < 50)
           SELECT m.person_id, c.depth FROM chain c JOIN membership m ON m.unit_id = c.id AND m.tenant_id = $1
            WHERE m.role = 'leader' AND m.archived_at IS NULL AND m.valid_from <= $3
              AND (m.valid_to IS NULL OR $3 < m.valid_to)""", tenant_id, unit_id, at)
    return [(r["person_id"], r["depth"]) for r in found]


async def team_members(conn: Conn, tenant_id: UUID, team_id: UUID, at: datetime) -> list[UUID]:
    found = await conn.fetch(
        """SELECT person_id FROM team_member WHERE tenant_id = $1 AND team_id = $2 AND archived_at IS NULL
             AND valid_from <= $3 AND (valid_to IS NULL OR $3 < valid_to) ORDER BY person_id""",
        tenant_id, team_id, at)
    return [r["person_id"] for r in found]


# --- the scheduled producer ---------------------------------------------------------------------------
# Each query finds, across organisations, what has come due within the catch-up window and has no
# event under its dedupe key yet (the key is made here, in SQL, and nowhere else).

_NOT_YET = "NOT EXISTS (SELECT 1 FROM outbox_event o WHERE o.tenant_id = {t} AND o.dedupe_key = {key})"


def _unreported(tenant: str, key: str) -> str:
    return _NOT_YET.format(t=tenant, key=key)


_EPOCH = "extract(epoch FROM {})::bigint::text"

DUE: dict[str, str] = {
    # 14 days before a delegation in force ends
    "delegation.expiring": f"""
        SELECT d.tenant_id, d.id AS subject, d.valid_until AS at, k.key FROM delegation d,
               LATERAL (SELECT 'expiring:' || d.id || ':' || {_EPOCH.format('d.valid_until')} AS key) k
         WHERE d.status = 'active' AND d.valid_until > $1 AND d.valid_until <= $1 + $2::interval
           AND {_unreported('d.tenant_id', 'k.key')}""",
    # a delegation in force whose period has ended
    "delegation.expired": f"""
        SELECT d.tenant_id, d.id AS subject, d.valid_until AS at, k.key FROM delegation d,
               LATERAL (SELECT 'expired:' || d.id || ':' || {_EPOCH.format('d.valid_until')} AS key) k
         WHERE d.status = 'active' AND d.valid_until <= $1 AND d.valid_until > $1 - $2::interval
           AND {_unreported('d.tenant_id', 'k.key')}""",
    # the review date has come (on the day, in Danish time)
    "review.due": f"""
        SELECT d.tenant_id, d.id AS subject, d.review_date AS at, k.key FROM delegation d,
               LATERAL (SELECT 'review:' || d.id || ':' || d.review_date AS key) k
         WHERE d.status = 'active' AND (d.valid_until IS NULL OR d.valid_until > $1)
           AND d.review_date <= ($1 AT TIME ZONE 'Europe/Copenhagen')::date
           AND d.review_date > (($1 - $2::interval) AT TIME ZONE 'Europe/Copenhagen')::date
           AND {_unreported('d.tenant_id', 'k.key')}""",
    # a justification asked for and not given by its deadline (subject: the act)
    "justification.overdue": f"""
        SELECT i.tenant_id, i.act_id AS subject, i.due_at AS at, k.key FROM due_item i,
               LATERAL (SELECT 'overdue:' || i.id AS key) k
         WHERE i.kind = 'justify' AND i.status = 'open' AND i.due_at <= $1 AND i.due_at > $1 - $2::interval
           AND {_unreported('i.tenant_id', 'k.key')}""",
    # a stand-in's period begins, and ends (one ended early is archived: it ended then, and said so)
    "stand_in.starting": f"""
        SELECT s.tenant_id, s.id AS subject, s.valid_from AS at, k.key FROM stand_in s,
               LATERAL (SELECT 'standin-start:' || s.id || ':' || {_EPOCH.format('s.valid_from')} AS key) k
         WHERE s.archived_at IS NULL AND s.valid_from <= $1 AND s.valid_until > $1
           AND s.valid_from > $1 - $2::interval AND {_unreported('s.tenant_id', 'k.key')}""",
    "stand_in.ending": f"""
        SELECT s.tenant_id, s.id AS subject, s.valid_until AS at, k.key FROM stand_in s,
               LATERAL (SELECT 'standin-end:' || s.id || ':' || {_EPOCH.format('s.valid_until')} AS key) k
         WHERE s.archived_at IS NULL AND s.valid_until <= $1 AND s.valid_until > $1 - $2::interval
           AND {_unreported('s.tenant_id', 'k.key')}""",
    # a suspension (a breach's, or a later response's) has run its course (`subject` here is the breach;
    # the event's is its delegation, or the person: services.events.suspended)
    "delegation.resumed": f"""
        SELECT b.tenant_id, b.id AS subject, b.effect_until AS at, k.key FROM breach b,
               LATERAL (SELECT 'resumed:' || b.id || ':' || {_EPOCH.format('b.effect_until')} AS key) k
         WHERE b.response = 'suspension' AND b.effect_until <= $1 AND b.effect_until > $1 - $2::interval
           AND {_unreported('b.tenant_id', 'k.key')}
        UNION ALL
        SELECT r.tenant_id, r.breach_id AS subject, r.effect_until AS at, k.key FROM breach_response r,
               LATERAL (SELECT 'resumed:' || r.id || ':' || {_EPOCH.format('r.effect_until')} AS key) k
         WHERE r.response = 'suspension' AND r.effect_until <= $1 AND r.effect_until > $1 - $2::interval
           AND {_unreported('r.tenant_id', 'k.key')}""",
}


class Due(msgspec.Struct, frozen=True):
    tenant_id: UUID
    subject: UUID
    at: datetime | date
    key: str


async def due(conn: Conn, kind: str, now: datetime, ahead, catch_up, limit: int) -> list[Due]:
    """What has come due of `kind` (DUE) and is not yet reported, oldest first, at most `limit`: $1 is
    now, $2 how far ahead (delegation.expiring) or how far back (the rest) to look."""
    found = await conn.fetch(f"SELECT * FROM ({DUE[kind]}) due ORDER BY at, key LIMIT {int(limit)}",
                             now, ahead if kind == "delegation.expiring" else catch_up)
    return [Due(r["tenant_id"], r["subject"], r["at"], r["key"]) for r in found]


async def lock_tenant(conn: Conn, tenant_id: UUID) -> int | None:
    """Take the organisation's row as its writers do (Db.write), so that the events written here take
    their positions in commit order with theirs; its revision (None: archived)."""
    return await conn.fetchval("SELECT revision FROM organisation WHERE id = $1 AND archived_at IS NULL FOR UPDATE",
                               tenant_id)
