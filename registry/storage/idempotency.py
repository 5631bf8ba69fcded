"""SQL for idempotency keys (migration 0010)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from registry.storage.db import Conn


class Stored(msgspec.Struct, frozen=True, kw_only=True):
    request_hash: str
    revision: int
    response: dict


async def find(conn: Conn, tenant_id: UUID, principal: str, key: str, now: datetime) -> Stored | None:
    """The caller's unexpired answer under `key`, if there is one."""
    row = await conn.fetchrow(
        """SELECT request_hash, revision, response FROM idempotency_key
           WHERE tenant_id = $1 AND principal = $2 AND key = $3 AND expires_at > $4""",
        tenant_id, principal, key, now)
    return None if row is None else Stored(**dict(row))


async def store(conn: Conn, tenant_id: UUID, principal: str, key: str, *, request_hash: str, revision: int,
                response: dict, now: datetime, expires_at: datetime) -> None:
    """Keep the answer under `key`, replacing an expired one (a live one was found first, by `find`,
    in the same transaction)."""
    await conn.execute(
        """INSERT INTO idempotency_key (tenant_id, principal, key, request_hash, revision, response, created_at,
                                        expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (tenant_id, principal, key) DO UPDATE
               SET request_hash = EXCLUDED.request_hash, revision = EXCLUDED.revision,
                   response = EXCLUDED.response, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
               WHERE idempotency_key.expires_at <= EXCLUDED.created_at""",
        tenant_id, principal, key, request_hash, revision, response, now, expires_at)


async def purge(conn: Conn, now: datetime) -> int:
    """Delete every expired key (all tenants); returns how many."""
    status = await conn.execute("DELETE FROM idempotency_key WHERE expires_at <= $1", now)
    return int(status.split()[-1])
