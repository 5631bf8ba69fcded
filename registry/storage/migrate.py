"""A small migration runner: numbered plain SQL files, one transaction each, checksums recorded.

Runs under a session advisory lock, so concurrent `registry migrate` processes apply each file once.
An applied file whose content changed is refused.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Any constant works; it only has to be the same for every registry process.
LOCK_KEY = 0x7265_6769_7374_7279 & 0x7FFF_FFFF_FFFF_FFFF
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    pass


def discover(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, str, str]]:
    """(number, name, sql) for every migration file, in order; refuses gaps and duplicates."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise MigrationError(f"migrations must be numbered 1..n without gaps: {numbers}")
    return found


def checksum(sql: str) -> str:
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()


async def migrate(dsn_or_conn: str | asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date)."""
    conn = await asyncpg.connect(dsn_or_conn) if isinstance(dsn_or_conn, str) else dsn_or_conn
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        try:
            return await _apply(conn, discover(directory))
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    finally:
        if isinstance(dsn_or_conn, str):
            await conn.close()


async def _apply(conn: asyncpg.Connection, migrations: list[tuple[int, str, str]]) -> list[str]:
    # Only create when missing: a server running as a role without CREATE rights can still start
    # against an up-to-date database.
    if await conn.fetchval("SELECT to_regclass('schema_migration')") is None:
        await conn.execute(
            """CREATE TABLE schema_migration (
                   number integer PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())""")
    applied = {r["number"]: r for r in await conn.fetch("SELECT number, name, checksum FROM schema_migration")}
    done = []
    for number, name, sql in migrations:
        digest = checksum(sql)
        row = applied.get(number)
        if row is not None:
            if row["checksum"] != digest or row["name"] != name:
                raise MigrationError(
                    f"migration {name} was edited after it was applied (recorded {row['name']} "
                    f"sha256 {row['checksum'][:12]}…, file has {digest[:12]}…); add a new migration instead")
            continue
        async with conn.transaction():
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO schema_migration (number, name, checksum) VALUES ($1, $2, $3)", number, name, digest)
        done.append(name)
    unknown = sorted(set(applied) - {n for n, _, _ in migrations})
    if unknown:
        raise MigrationError(f"the database has migrations this code does not know: {unknown}")
    return done
