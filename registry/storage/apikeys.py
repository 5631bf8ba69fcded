"""SQL for API keys. Only a hash of each key is stored."""

from __future__ import annotations

import hashlib
from uuid import UUID

import msgspec

from registry.storage.db import Conn


class ApiKeyRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    name: str
    prefix: str
    scopes: tuple[str, ...]
    expires_at: object = None
    revoked_at: object = None
    last_used_at: object = None


def digest(secret: str) -> bytes:
    # Keys are 256-bit random values, so a plain SHA-256 is enough (no slow KDF needed).
    return hashlib.sha256(secret.encode()).digest()


async def by_secret(conn: Conn, secret: str) -> ApiKeyRow | None:
    row = await conn.fetchrow(
        "SELECT id, tenant_id, name, prefix, scopes, expires_at, revoked_at, last_used_at FROM api_key"
        " WHERE secret_hash = $1", digest(secret))
    return None if row is None else msgspec.convert(dict(row), ApiKeyRow, strict=False)


async def create(tx, name: str, scopes: list[str], secret: str, prefix: str, expires_at=None) -> UUID:
    """Store a new key for the transaction's tenant (only its hash); returns its id."""
    return await tx.conn.fetchval(
        "INSERT INTO api_key (tenant_id, name, prefix, secret_hash, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6)"
        " RETURNING id", tx.tenant_id, name, prefix, digest(secret), scopes, expires_at)


async def of_tenant(conn: Conn, tenant_id: UUID) -> list[ApiKeyRow]:
    rows = await conn.fetch(
        "SELECT id, tenant_id, name, prefix, scopes, expires_at, revoked_at, last_used_at FROM api_key"
        " WHERE tenant_id = $1 ORDER BY created_at, id", tenant_id)
    return [msgspec.convert(dict(r), ApiKeyRow, strict=False) for r in rows]


async def revoke(tx, key_id: UUID, at) -> ApiKeyRow | None:
    row = await tx.conn.fetchrow(
        "UPDATE api_key SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL"
        " RETURNING id, tenant_id, name, prefix, scopes, expires_at, revoked_at, last_used_at",
        tx.tenant_id, key_id, at)
    return None if row is None else msgspec.convert(dict(row), ApiKeyRow, strict=False)


async def mark_used(conn: Conn, key_id: UUID, at) -> None:
    """Bookkeeping outside any write transaction (no history, no version: see migration 0005)."""
    await conn.execute("UPDATE api_key SET last_used_at = $2 WHERE id = $1", key_id, at)


# --- platform keys: a platform operator's, outside every tenant (migration 0009) -----------------

class PlatformKeyRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    prefix: str
    expires_at: object = None
    revoked_at: object = None
    last_used_at: object = None
    created_at: object = None
    created_by: str | None = None


_PLATFORM_COLUMNS = "id, name, prefix, expires_at, revoked_at, last_used_at, created_at, created_by"


async def platform_by_secret(conn: Conn, secret: str) -> PlatformKeyRow | None:
    row = await conn.fetchrow(f"SELECT {_PLATFORM_COLUMNS} FROM platform_key WHERE secret_hash = $1", digest(secret))
    return None if row is None else msgspec.convert(dict(row), PlatformKeyRow, strict=False)


async def create_platform(conn: Conn, name: str, secret: str, prefix: str, expires_at, created_by: str) -> UUID:
    return await conn.fetchval(
        "INSERT INTO platform_key (name, prefix, secret_hash, expires_at, created_by) VALUES ($1, $2, $3, $4, $5)"
        " RETURNING id", name, prefix, digest(secret), expires_at, created_by)


async def platform_keys(conn: Conn) -> list[PlatformKeyRow]:
    rows = await conn.fetch(f"SELECT {_PLATFORM_COLUMNS} FROM platform_key ORDER BY created_at, id")
    return [msgspec.convert(dict(r), PlatformKeyRow, strict=False) for r in rows]


async def revoke_platform(conn: Conn, key_id: UUID, at, revoked_by: str) -> bool:
    return await conn.fetchval(
        "UPDATE platform_key SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL"
        " RETURNING true", key_id, at, revoked_by) is not None


async def mark_platform_used(conn: Conn, key_id: UUID, at) -> None:
    await conn.execute("UPDATE platform_key SET last_used_at = $2 WHERE id = $1", key_id, at)
