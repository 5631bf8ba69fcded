"""The database layer: a pool, transactions that carry the actor and revision, and a query counter.

All SQL runs through `Db` so that the actor and revision are always set for the history triggers,
and so that tests can count the queries behind a request.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from registry.errors import Invalid, NotFound

# Counts statements issued in the current task (tests use this to prove DataLoaders batch).
query_counter: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("query_counter", default=None)


def _count() -> None:
    counter = query_counter.get()
    if counter is not None:
        counter[0] += 1


def _refuse_text(exc: asyncpg.DataError) -> None:
    """Text PostgreSQL cannot hold - a NUL character (refused in text, and as \\u0000 in jsonb) or an
    unpaired surrogate (a JSON escape can carry one; asyncpg cannot encode it) - is the caller's input:
    refused as invalid, not left to fail as a server error (found by fuzzing,
    tests/integration/test_fuzzing.py)."""
    if isinstance(exc, (asyncpg.exceptions.CharacterNotInRepertoireError,
                        asyncpg.exceptions.UntranslatableCharacterError)) or \
            isinstance(exc.__cause__, UnicodeEncodeError):
        raise Invalid("Text may not contain NUL characters or unpaired surrogates.", code="invalid_text") from exc


def _encode_json(value) -> str:
    return msgspec.json.encode(value).decode()


async def init_connection(conn: asyncpg.Connection) -> None:
    """Codecs every registry connection uses (the pool's, the change feed's, the CLI's)."""
    # msgspec decodes JSON several times faster than the standard library (history rows are JSON).
    for name in ("jsonb", "json"):
        await conn.set_type_codec(name, encoder=_encode_json, decoder=msgspec.json.decode, schema="pg_catalog")


# The database is out of reach: stopped or restarting (a fast stop terminates every session with
# 57P01), refusing us, or the connection was lost in the middle of a request. The request changed
# nothing (a transaction that lost its connection is rolled back); the API answers 503
# `unavailable`, which a client may retry (registry.api.errors, and GraphQL in registry.api.graphql.schema).
CONNECTION_LOST = (OSError,  # refused, reset, timed out (TimeoutError) while connecting or talking
                   asyncpg.PostgresConnectionError,  # class 08, and ConnectionDoesNotExistError
                   asyncpg.InterfaceError,  # "connection is closed", "pool is closing"/"pool is closed"
                   asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CrashShutdownError,
                   asyncpg.exceptions.CannotConnectNowError, asyncpg.exceptions.IdleSessionTimeoutError,
                   asyncpg.InvalidAuthorizationSpecificationError, asyncpg.exceptions.TooManyConnectionsError)


def connection_lost(exc: BaseException) -> bool:
    """Whether an exception means the database could not be reached (see CONNECTION_LOST)."""
    return isinstance(exc, CONNECTION_LOST)


class Conn:
    """A connection wrapper that counts statements; the only way the storage modules run SQL."""

    __slots__ = ("raw",)

    def __init__(self, raw: asyncpg.Connection):
        self.raw = raw

    async def fetch(self, sql: str, *args) -> list[asyncpg.Record]:
        _count()
        try:
            return await self.raw.fetch(sql, *args)
        except asyncpg.DataError as exc:
            _refuse_text(exc)
            raise

    async def fetchrow(self, sql: str, *args) -> asyncpg.Record | None:
        _count()
        try:
            return await self.raw.fetchrow(sql, *args)
        except asyncpg.DataError as exc:
            _refuse_text(exc)
            raise

    async def fetchval(self, sql: str, *args):
        _count()
        try:
            return await self.raw.fetchval(sql, *args)
        except asyncpg.DataError as exc:
            _refuse_text(exc)
            raise

    async def execute(self, sql: str, *args) -> str:
        _count()
        try:
            return await self.raw.execute(sql, *args)
        except asyncpg.DataError as exc:
            _refuse_text(exc)
            raise


class Actor:
    """Who a write is attributed to in history: `person:<uuid>`, `system:<key name>` or `cli`."""

    __slots__ = ("label", "on_behalf_of")

    def __init__(self, label: str, on_behalf_of: str | None = None):
        self.label = label
        self.on_behalf_of = on_behalf_of


class Db:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool
        # Called with (tenant id, revision) after each write commits; the app uses it so that this
        # server's own checks see its writes at once (read-your-writes).
        self.after_commit: Callable[[UUID, int], Awaitable[None]] | None = None
        # Whether writes emit their events to the outbox (REGISTRY_OUTBOX; registry.storage.outbox).
        self.outbox = True

    @classmethod
    async def connect(cls, dsn: str, *, min_size: int = 1, max_size: int = 10) -> "Db":
        pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=init_connection)
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        async with self.pool.acquire() as raw:
            yield Conn(raw)

    @asynccontextmanager
    async def write(self, tenant_id: UUID | None, actor: Actor, at: datetime | None = None, *,
                    create: Callable[[Conn], Awaitable[UUID]] | None = None) -> AsyncIterator["WriteTx"]:
        """One write transaction: bumps the tenant's revision and sets the actor (and the instant,
        when the caller's clock is not the database's) for history. An archived tenant takes no writes.

        With `create`, the tenant is new: `create` inserts it in this same transaction (its creation
        is revision 1 in history) and returns its id, so whatever the transaction writes next is in
        it, and a failure leaves no tenant behind."""
        async with self.pool.acquire() as raw:
            async with raw.transaction():
                conn = Conn(raw)
                if create is not None:
                    await _stamp(conn, 1, actor, at)
                    tenant_id = await create(conn)
                revision = await conn.fetchval(
                    "UPDATE organisation SET revision = revision + 1 WHERE id = $1 AND archived_at IS NULL"
                    " RETURNING revision", tenant_id)
                if revision is None:
                    raise NotFound("Unknown organisation", field="tenant")
                await _stamp(conn, revision, actor, at)
                yield WriteTx(conn, tenant_id, revision, actor, outbox=self.outbox)
        if self.after_commit is not None:
            await self.after_commit(tenant_id, revision)


async def _stamp(conn: Conn, revision: int, actor: Actor, at: datetime | None) -> None:
    """What the history triggers record: the revision, the actor (and on whose behalf), the instant."""
    await conn.execute(
        "SELECT set_config('registry.revision', $1, true), set_config('registry.actor', $2, true),"
        " set_config('registry.on_behalf_of', $3, true), set_config('registry.at', $4, true)",
        str(revision), actor.label, actor.on_behalf_of or "", "" if at is None else at.isoformat())


class WriteTx:
    __slots__ = ("conn", "tenant_id", "revision", "actor", "outbox")

    def __init__(self, conn: Conn, tenant_id: UUID, revision: int, actor: Actor, *, outbox: bool = True):
        self.conn = conn
        self.tenant_id = tenant_id
        self.revision = revision
        self.actor = actor
        self.outbox = outbox  # whether its events are written (registry.storage.outbox.emit)

    async def on_behalf_of(self, label: str) -> None:
        """Record the rest of this transaction's changes as done on behalf of `label` (a stand-in
        acting for an absent leader)."""
        self.actor = Actor(self.actor.label, label)
        await self.conn.execute("SELECT set_config('registry.on_behalf_of', $1, true)", label)


class _SerialConn(Conn):
    """A Conn that runs one statement at a time: GraphQL resolves sibling fields concurrently, and
    one asyncpg connection takes one statement at a time."""

    __slots__ = ("lock",)

    def __init__(self, raw: asyncpg.Connection):
        super().__init__(raw)
        self.lock = asyncio.Lock()

    async def fetch(self, sql: str, *args) -> list[asyncpg.Record]:
        async with self.lock:
            return await super().fetch(sql, *args)

    async def fetchrow(self, sql: str, *args) -> asyncpg.Record | None:
        async with self.lock:
            return await super().fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args):
        async with self.lock:
            return await super().fetchval(sql, *args)

    async def execute(self, sql: str, *args) -> str:
        async with self.lock:
            return await super().execute(sql, *args)


class BoundDb:
    """A `Db` bound to one open write transaction (a request done once, registry.services.idempotency):
    reads run inside it, so they see its writes, and each write is a savepoint of it, at its revision,
    that rolls back alone when its use case fails. `writes` counts the writes that completed.

    Writes must not overlap reads (a savepoint begins outside the statement lock): GraphQL runs a
    request's mutations one after another, each with its payload, so they do not."""

    def __init__(self, tx: WriteTx):
        self.tenant_id = tx.tenant_id
        self.revision = tx.revision
        self.outbox = tx.outbox
        self.conn = _SerialConn(tx.conn.raw)
        self.writes = 0

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        yield self.conn

    @asynccontextmanager
    async def write(self, tenant_id: UUID, actor: Actor, at: datetime | None = None) -> AsyncIterator["WriteTx"]:
        if tenant_id != self.tenant_id:
            raise RuntimeError("a bound transaction writes to its own organisation only")
        async with self.conn.raw.transaction():  # nested: a savepoint
            await self.conn.execute(
                "SELECT set_config('registry.actor', $1, true), set_config('registry.on_behalf_of', $2, true),"
                " set_config('registry.at', $3, true)",
                actor.label, actor.on_behalf_of or "", "" if at is None else at.isoformat())
            yield WriteTx(self.conn, tenant_id, self.revision, actor, outbox=self.outbox)
        self.writes += 1
