"""Shared row plumbing: convert records to domain values, insert, optimistic update, archive.

Table and column names only ever come from this package's code, never from clients.
"""

from __future__ import annotations

import base64
from typing import TypeVar
from uuid import UUID

import asyncpg
import msgspec

from registry.errors import Conflict, Invalid, NotFound
from registry.storage.db import Conn, WriteTx

T = TypeVar("T")

_UNIQUE = "23505"
_FOREIGN_KEY = "23503"
_CHECK = "23514"


def to(kind: type[T], row: asyncpg.Record | None) -> T | None:
    if row is None:
        return None
    return msgspec.convert(dict(row), kind, strict=False)


def many(kind: type[T], rows: list[asyncpg.Record]) -> list[T]:
    return [msgspec.convert(dict(r), kind, strict=False) for r in rows]


async def run_write(coro, *, what: str):
    """Turn constraint violations the domain did not catch first into the registry's errors."""
    try:
        return await coro
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"{what} already exists", field=_field(exc), code="duplicate") from exc
    except asyncpg.ForeignKeyViolationError as exc:
        raise NotFound(f"{what} refers to something that does not exist in this organisation", field=_field(exc),
                       code="not_found") from exc
    except asyncpg.CheckViolationError as exc:
        raise Invalid(f"{what} is not valid", field=_field(exc), code="invalid") from exc
    except asyncpg.NotNullViolationError as exc:  # an explicit null in a patch, for a value that cannot be cleared
        raise Invalid(f"{exc.column_name or 'a value'} may not be null", field=_field(exc), code="required") from exc


def _field(exc: asyncpg.PostgresError) -> str | None:
    detail = getattr(exc, "detail", None) or ""
    if detail.startswith("Key ("):
        cols = detail[5:detail.find(")")].split(", ")
        cols = [c for c in cols if c != "tenant_id"]
        return cols[0] if cols else None
    return getattr(exc, "column_name", None)


async def insert(tx: WriteTx, table: str, kind: type[T], values: dict) -> T:
    values = {"tenant_id": tx.tenant_id, **values}
    cols = list(values)
    sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(cols)))})"
           " RETURNING *")
    row = await run_write(tx.conn.fetchrow(sql, *values.values()), what=table.replace("_", " "))
    return to(kind, row)


async def get(conn: Conn, table: str, kind: type[T], tenant_id: UUID, id: UUID, *, for_update: bool = False,
              field: str = "id") -> T:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT * FROM {table} WHERE tenant_id = $1 AND id = $2{lock}", tenant_id, id)
    if row is None:
        raise NotFound(f"no {table.replace('_', ' ')} with id {id}", field=field)
    return to(kind, row)


async def get_many(conn: Conn, table: str, kind: type[T], tenant_id: UUID, ids: list[UUID]) -> dict[UUID, T]:
    rows = await conn.fetch(f"SELECT * FROM {table} WHERE tenant_id = $1 AND id = ANY($2::uuid[])", tenant_id, ids)
    return {r["id"]: to(kind, r) for r in rows}


async def update(tx: WriteTx, table: str, kind: type[T], id: UUID, version: int, changes: dict) -> T:
    """Optimistic update: only when the stored version is `version`; else Conflict or NotFound."""
    if not changes:
        current = await get(tx.conn, table, kind, tx.tenant_id, id, for_update=True)
        if current.version != version:
            raise Conflict(current_version=current.version)
        return current
    cols = list(changes)
    sets = ", ".join(f"{c} = ${i + 4}" for i, c in enumerate(cols))
    sql = f"UPDATE {table} SET {sets} WHERE tenant_id = $1 AND id = $2 AND version = $3 RETURNING *"
    row = await run_write(tx.conn.fetchrow(sql, tx.tenant_id, id, version, *changes.values()),
                          what=table.replace("_", " "))
    if row is None:
        current = await tx.conn.fetchval(f"SELECT version FROM {table} WHERE tenant_id = $1 AND id = $2",
                                         tx.tenant_id, id)
        if current is None:
            raise NotFound(f"no {table.replace('_', ' ')} with id {id}", field="id")
        raise Conflict(f"version {version} is stale; the current version is {current}", current_version=current)
    return to(kind, row)


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> UUID | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return UUID(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("malformed cursor", field="after", code="invalid_cursor") from exc


class Page(msgspec.Struct, frozen=True):
    items: list
    end_cursor: str | None
    has_next_page: bool


MAX_PAGE = 500


def page_of(items: list, first: int) -> Page:
    more = len(items) > first
    items = items[:first]
    return Page(items, encode_cursor(str(items[-1].id)) if items else None, more)


def paginate(items: list, first: int, after: str | None) -> Page:
    """Cursor pagination over a bounded catalogue (units, teams, areas) already in memory, by id."""
    check_first(first)
    after_id = decode_cursor(after)
    ordered = sorted(items, key=lambda i: i.id)
    if after_id is not None:
        ordered = [i for i in ordered if i.id > after_id]
    return page_of(ordered[:first + 1], first)


def check_first(first: int) -> int:
    if first < 1 or first > MAX_PAGE:
        raise Invalid(f"first must be between 1 and {MAX_PAGE}", field="first", code="invalid_page_size")
    return first


async def children(conn: Conn, table: str, kind: type[T], tenant_id: UUID, column: str, ids: list[UUID]) -> list[T]:
    """Rows whose `column` (a parent link) is one of `ids`: sub-units, sub-areas, teams of units, ..."""
    return many(kind, await conn.fetch(
        f"SELECT * FROM {table} WHERE tenant_id = $1 AND {column} = ANY($2::uuid[]) ORDER BY id", tenant_id, ids))
