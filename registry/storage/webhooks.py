"""SQL for webhooks (migration 0026): subscriptions, the fan-out of outbox events to deliveries, claiming
deliveries across servers (a lease taken with FOR UPDATE SKIP LOCKED), their outcomes, dead letters and
the retention of what was delivered."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from registry.storage.db import Conn

_COLUMNS = "id, tenant_id, api_key_id, url, types, created_at, failures, paused_until"


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    api_key_id: UUID | None
    url: str
    types: tuple[str, ...]
    created_at: datetime
    failures: int = 0
    paused_until: datetime | None = None


class Claimed(msgspec.Struct, frozen=True, kw_only=True):
    """One attempt to make: the delivery (its id is the webhook-id), where to, and the event."""
    id: UUID
    subscription_id: UUID
    attempts: int
    window_from: datetime
    url: str
    secret: str
    tenant_key: str
    event: dict


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    subscription_id: UUID
    event_id: UUID
    type: str
    subject: UUID
    attempts: int
    last_status: int | None
    last_error: str | None
    window_from: datetime


def _sub(row) -> Subscription:
    return msgspec.convert(dict(row), Subscription, strict=False)


async def count(conn: Conn, tenant_id: UUID) -> int:
    return await conn.fetchval("SELECT count(*) FROM webhook_subscription WHERE tenant_id = $1", tenant_id)


async def lock_subscriptions(conn: Conn, tenant_id: UUID) -> None:
    """One subscriber of an organisation at a time (the cap holds under concurrent requests)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || $1::uuid::text, 0))", tenant_id)


async def create(conn: Conn, tenant_id: UUID, api_key_id: UUID | None, url: str, types: list[str], secret: str,
                 now: datetime, *, replay_last: int = 0) -> Subscription:
    """A new subscription, from the organisation's newest event on (older ones: GET /events), or
    with the `replay_last` newest events before it too."""
    start = ("(SELECT coalesce(max(position), 0) FROM outbox_event WHERE tenant_id = $1)" if replay_last <= 0 else
             f"""(SELECT coalesce(min(position) - 1, 0) FROM (SELECT position FROM outbox_event WHERE tenant_id = $1
                   ORDER BY position DESC LIMIT {int(replay_last)}) newest)""")
    row = await conn.fetchrow(
        f"""INSERT INTO webhook_subscription (tenant_id, api_key_id, url, types, secret, created_at, cursor)
            VALUES ($1, $2, $3, $4, $5, $6, {start})
            RETURNING {_COLUMNS}""", tenant_id, api_key_id, url, types, secret, now)
    return _sub(row)


async def of_tenant(conn: Conn, tenant_id: UUID, api_key_id: UUID | None = None) -> list[Subscription]:
    """The organisation's subscriptions (only the key's, given one), oldest first."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM webhook_subscription WHERE tenant_id = $1 AND ($2::uuid IS NULL OR api_key_id = $2)
            ORDER BY created_at, id""", tenant_id, api_key_id)
    return [_sub(r) for r in rows]


async def get(conn: Conn, tenant_id: UUID, subscription_id: UUID) -> Subscription | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM webhook_subscription WHERE tenant_id = $1 AND id = $2",
                              tenant_id, subscription_id)
    return None if row is None else _sub(row)


async def delete(conn: Conn, tenant_id: UUID, subscription_id: UUID) -> bool:
    status = await conn.execute("DELETE FROM webhook_subscription WHERE tenant_id = $1 AND id = $2",
                                tenant_id, subscription_id)
    return status.endswith(" 1")


# --- delivery -----------------------------------------------------------------------------------------

async def fan_out(conn: Conn, now: datetime, batch: int) -> int:
    """Queue a delivery for every outbox event past each subscription's cursor whose type it wants, and
    move the cursor. Within an organisation events take their positions in commit order (migration
    0024), so a cursor never passes an event still to commit. Subscriptions being fanned out by another
    server are skipped (SKIP LOCKED); the unique (subscription, position) makes a repeat harmless.
    Returns how many deliveries were queued."""
    async with conn.raw.transaction():
        subs = await conn.fetch("SELECT id, tenant_id, types, cursor FROM webhook_subscription"
                                " ORDER BY id FOR UPDATE SKIP LOCKED")
        queued = 0
        for s in subs:
            top = await conn.fetchval(
                """SELECT max(position) FROM (SELECT position FROM outbox_event
                    WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3) e""",
                s["tenant_id"], s["cursor"], batch)
            if top is None:
                continue
            status = await conn.execute(
                """INSERT INTO webhook_delivery (subscription_id, tenant_id, position, subject, window_from, next_at)
                   SELECT $1, e.tenant_id, e.position, e.subject, $5, $5 FROM outbox_event e
                    WHERE e.tenant_id = $2 AND e.position > $3 AND e.position <= $4
                      AND EXISTS (SELECT 1 FROM unnest($6::text[]) t WHERE starts_with(e.type, t))
                    ORDER BY e.position
                   ON CONFLICT (subscription_id, position) DO NOTHING""",
                s["id"], s["tenant_id"], s["cursor"], top, now, s["types"])
            queued += int(status.rsplit(" ", 1)[1])
            await conn.execute("UPDATE webhook_subscription SET cursor = $2 WHERE id = $1", s["id"], top)
    return queued


async def claim(conn: Conn, now: datetime, lease: timedelta, limit: int) -> list[Claimed]:
    """Claim up to `limit` attempts that are due: pending, not leased (or the lease ran out: a server
    died mid-attempt), the subscription not backing off, and no earlier pending delivery about the same
    subject to the same subscription (in order per subject). FOR UPDATE SKIP LOCKED: two servers never
    claim the same row; the lease, committed, keeps it theirs while the request is under way."""
    rows = await conn.fetch(
        """WITH claimed AS (
               UPDATE webhook_delivery d SET lease_until = $1 + $2::interval, attempts = d.attempts + 1
                WHERE d.id IN (
                    SELECT d.id FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id
                     WHERE d.status = 'pending' AND d.next_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1)
                       AND (s.paused_until IS NULL OR s.paused_until <= $1)
                       AND NOT EXISTS (SELECT 1 FROM webhook_delivery p WHERE p.subscription_id = d.subscription_id
                                         AND p.subject = d.subject AND p.position < d.position
                                         AND p.status = 'pending')
                     ORDER BY d.position LIMIT $3 FOR UPDATE OF d SKIP LOCKED)
               RETURNING d.id, d.subscription_id, d.position, d.attempts, d.window_from)
           SELECT c.id, c.subscription_id, c.attempts, c.window_from, s.url, s.secret, o.key AS tenant_key,
                  to_jsonb(e) AS event
             FROM claimed c JOIN webhook_subscription s ON s.id = c.subscription_id
             JOIN outbox_event e ON e.position = c.position JOIN organisation o ON o.id = e.tenant_id
            ORDER BY c.position""", now, lease, limit)
    return [msgspec.convert(dict(r), Claimed, strict=False) for r in rows]


async def delivered(conn: Conn, delivery_id: UUID, subscription_id: UUID, status: int, now: datetime) -> None:
    async with conn.raw.transaction():
        await conn.execute(
            """UPDATE webhook_delivery SET status = 'delivered', delivered_at = $2, lease_until = NULL,
                      last_status = $3, last_error = NULL WHERE id = $1 AND status = 'pending'""",
            delivery_id, now, status)
        await conn.execute("UPDATE webhook_subscription SET failures = 0, paused_until = NULL"
                           " WHERE id = $1 AND failures <> 0", subscription_id)


async def failed(conn: Conn, delivery_id: UUID, *, status: int | None, error: str, dead: bool,
                 next_at: datetime) -> None:
    await conn.execute(
        """UPDATE webhook_delivery SET status = CASE WHEN $2 THEN 'dead' ELSE 'pending' END, next_at = $3,
                  lease_until = NULL, last_status = $4, last_error = $5 WHERE id = $1 AND status = 'pending'""",
        delivery_id, dead, next_at, status, error[:500])


async def receiver_failed(conn: Conn, subscription_id: UUID, now: datetime) -> int:
    """Count one more failure of the subscription's receiver (once per pause: attempts under way when it
    began to fail do not count again); its consecutive failures."""
    return await conn.fetchval(
        """UPDATE webhook_subscription SET failures = failures + 1
            WHERE id = $1 AND (paused_until IS NULL OR paused_until <= $2) RETURNING failures""",
        subscription_id, now) or 0


async def pause(conn: Conn, subscription_id: UUID, until: datetime) -> None:
    await conn.execute("UPDATE webhook_subscription SET paused_until = $2 WHERE id = $1", subscription_id, until)


async def dead_letters(conn: Conn, tenant_id: UUID, limit: int = 1000) -> list[DeadLetter]:
    rows = await conn.fetch(
        """SELECT d.id, d.subscription_id, e.id AS event_id, e.type, d.subject, d.attempts, d.last_status,
                  d.last_error, d.window_from
             FROM webhook_delivery d JOIN outbox_event e ON e.position = d.position
            WHERE d.tenant_id = $1 AND d.status = 'dead' ORDER BY d.position LIMIT $2""", tenant_id, limit)
    return [msgspec.convert(dict(r), DeadLetter, strict=False) for r in rows]


async def replay(conn: Conn, tenant_id: UUID, delivery_id: UUID, now: datetime) -> bool:
    """A dead letter is pending again, with a new retry window, due now (and its subscription, if
    backing off, is tried at once). The same delivery: the same webhook-id."""
    async with conn.raw.transaction():
        sid = await conn.fetchval(
            """UPDATE webhook_delivery SET status = 'pending', window_from = $3, next_at = $3, lease_until = NULL
                WHERE tenant_id = $1 AND id = $2 AND status = 'dead' RETURNING subscription_id""",
            tenant_id, delivery_id, now)
        if sid is None:
            return False
        await conn.execute("UPDATE webhook_subscription SET paused_until = NULL WHERE id = $1", sid)
    return True


async def purge(conn: Conn, now: datetime, keep: timedelta) -> int:
    """Delete outbox events older than `keep` that nobody still waits for: no delivery pending or dead
    (a dead letter stays until it is replayed and delivered, or its subscription deleted), and every
    subscription of the organisation has fanned it out. Their delivered deliveries go with them."""
    status = await conn.execute(
        """DELETE FROM outbox_event e WHERE e.occurred_at < $1
             AND NOT EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.position = e.position
                               AND d.status IN ('pending', 'dead'))
             AND NOT EXISTS (SELECT 1 FROM webhook_subscription s WHERE s.tenant_id = e.tenant_id
                               AND s.cursor < e.position)""", now - keep)
    return int(status.rsplit(" ", 1)[1])
