"""The decision engine: an in-memory index per tenant, kept current from the change feed.

Start-up loads every tenant from one consistent snapshot. After that, changes arrive as history
rows: a LISTEN connection hears "<tenant>:<revision>" at each commit, and the engine applies the
history rows it has not seen, in order. Revisions are gap-safe (a tenant's writes are serialised
by its revision row lock), so "every row with revision > n" is exactly what is missing.

A poll of the organisations' revisions runs at least every `sync_interval` as well, however many
notifications keep arriving: it catches anything a lost notification or a reconnect missed, and it
confirms that the whole engine is current. A catch-up reads one tenant up to the database's committed
revision, so it confirms that tenant. Being busy is therefore never mistaken for being cut off: only
when neither can confirm currency within `stale_after` (the database or the feed is really gone) do
the checks answer `stale` (deny) and readiness fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
from collections.abc import Callable
from uuid import UUID

import asyncpg

from registry.policy.index import TenantIndex
from registry.storage import changes
from registry.storage.db import init_connection

log = logging.getLogger("registry.engine")
CHANNEL = "registry_changes"
# Changes that alter who may authenticate: a person (or her `sub` alias), an API key, an organisation (archived).
IDENTITY = frozenset({"person", "person_alias", "api_key", "organisation"})


def build_index(org, tables: dict[str, list]) -> TenantIndex:
    index = TenantIndex(str(org["id"]), org["key"], org["revision"])
    return index.load((entity_type, row) for entity_type, rows in tables.items() for row in rows)


class Engine:
    def __init__(self, dsn: str, *, sync_interval: float = 1.0, stale_after: float = 5.0,
                 min_revision_wait: float = 2.0):
        self.dsn = dsn
        self.sync_interval = sync_interval
        self.stale_after = stale_after
        self.min_revision_wait = min_revision_wait
        # Where checks record the decisions they answer (registry.services.decision_log.DecisionLog);
        # set by the app, None elsewhere.
        self.decision_log = None
        # Called when a person or an API key changes (revoked, archived, erased, roles changed), so
        # caches of who callers are (registry.auth.PrincipalCache) forget them at once.
        self.identity_listeners: list[Callable[[], None]] = []
        self.indexes: dict[str, TenantIndex] = {}     # tenant id -> index
        self.by_key: dict[str, TenantIndex] = {}
        # Monotonic times: when every tenant was last known current (a poll), when each tenant was
        # (its catch-up), and when the feed connection last read the database at all.
        self.confirmed_at = 0.0
        self._tenant_confirmed: dict[str, float] = {}
        self._feed_ok_at = 0.0
        self._conn: asyncpg.Connection | None = None  # LISTEN + catch-up reads
        self._lock = asyncio.Lock()
        self._advanced = asyncio.Condition()
        self._task: asyncio.Task | None = None
        self._pending: set[str] = set()
        self._wake = asyncio.Event()

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self._connect()
        await self.load()
        self._task = asyncio.create_task(self._run(), name="registry-engine-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._disconnect()

    async def _connect(self) -> None:
        # Named, so operators (and the fault tests) can tell this server's feed connection apart.
        self._conn = await asyncpg.connect(self.dsn, server_settings={"application_name": f"registry-feed:{os.getpid()}"})
        await init_connection(self._conn)
        await self._conn.add_listener(CHANNEL, self._on_notify)
        self._conn.add_termination_listener(lambda _conn: self._wake.set())

    async def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close()

    async def load(self, conn: asyncpg.Connection | None = None) -> None:
        """Replace every index from one consistent snapshot (read on `conn`, else the feed's connection:
        the demo loader records acts with an engine it never starts)."""
        async with self._lock:
            orgs, tables = await changes.snapshot(conn or self._conn)
            fresh = {}
            for org in orgs:
                mine = {t: [r for r in rows if r["tenant_id"] == org["id"]] for t, rows in tables.items()}
                fresh[str(org["id"])] = build_index(org, mine)
            self.indexes = fresh
            self.by_key = {i.tenant_key: i for i in fresh.values()}
            self.confirmed_at = self._feed_ok_at = time.monotonic()
            # The index is long-lived: keep the collector from walking its objects again and again
            # (a full collection over a Copenhagen-size index costs ~270 ms, a latency spike).
            gc.collect()
            gc.freeze()
        async with self._advanced:
            self._advanced.notify_all()

    # --- following the change feed --------------------------------------------------------------

    def _on_notify(self, _conn, _pid, _channel, payload: str) -> None:
        tenant, _, _revision = payload.partition(":")
        self._pending.add(tenant)
        self._wake.set()

    async def _run(self) -> None:
        next_poll = 0.0
        while True:
            try:
                if self._conn is None or self._conn.is_closed():
                    await self._disconnect()
                    await self._connect()
                    next_poll = 0.0  # notifications may have been missed while disconnected: poll at once
                # Wait for a notification, but never past the next poll: a steady stream of
                # notifications must not starve it (it finds tenants whose notification was lost).
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
                # arrives as the event fires, and stop() would then wait for this loop forever.
                left = next_poll - time.monotonic()
                if left > 0:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(left):
                            await self._wake.wait()
                self._wake.clear()
                pending, self._pending = self._pending, set()
                for tenant in pending:
                    await self.catch_up(tenant)
                if time.monotonic() >= next_poll:
                    await self.poll()
                    next_poll = time.monotonic() + self.sync_interval
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away; keep trying, and let staleness speak for us
                log.warning("engine sync failed; retrying", exc_info=True)
                await self._disconnect()
                await asyncio.sleep(min(self.sync_interval, 1.0))

    async def poll(self) -> None:
        """Compare every tenant's revision with the database's and catch up; confirms currency."""
        started = time.monotonic()
        for org in await changes.revisions(self._conn):
            index = self.indexes.get(str(org["id"]))
            if index is None:
                await self._load_tenant(org["id"])
            elif org["revision"] > index.revision:
                await self.catch_up(str(org["id"]))
        self.confirmed_at = self._feed_ok_at = started

    async def catch_up(self, tenant: str) -> None:
        async with self._lock:
            index = self.indexes.get(tenant)
            if index is None:
                await self._load_tenant(UUID(tenant), locked=True)
                return
            started = time.monotonic()
            committed, rows = await changes.since(self._conn, UUID(tenant), index.revision)
            for row in rows:
                index.apply(row["entity_type"], row["after"], row["before"])
                index.revision = max(index.revision, row["revision"])
            if any(row["entity_type"] in IDENTITY for row in rows):
                self._identities_changed()
            index.revision = max(index.revision, committed)
            if rows:
                self.by_key[index.tenant_key] = index
            # Read up to the database's committed revision: this tenant is current as of `started`.
            self._tenant_confirmed[tenant] = self._feed_ok_at = started
        async with self._advanced:
            self._advanced.notify_all()

    async def _load_tenant(self, tenant_id: UUID, locked: bool = False) -> None:
        async def load():
            started = time.monotonic()
            orgs, tables = await changes.snapshot(self._conn, tenant_id)
            self._tenant_confirmed[str(tenant_id)] = self._feed_ok_at = started
            for org in orgs:
                index = build_index(org, tables)
                self.indexes[str(org["id"])] = index
                self.by_key[index.tenant_key] = index
        if locked:
            await load()
        else:
            async with self._lock:
                await load()
        self._identities_changed()
        async with self._advanced:
            self._advanced.notify_all()

    def _identities_changed(self) -> None:
        for listener in self.identity_listeners:
            listener()

    async def committed(self, tenant_id: UUID, revision: int) -> None:
        """A write through this server committed: apply it before answering anyone (bounded)."""
        await self.wait_for(tenant_id, revision, timeout=1.0)

    # --- answering ------------------------------------------------------------------------------

    def current(self, tenant_id: UUID | str | None = None) -> bool:
        """Whether the engine (or, given one, this tenant's index) was confirmed current within the bound."""
        now = time.monotonic()
        if now - self.confirmed_at <= self.stale_after:
            return True
        return tenant_id is not None and now - self._tenant_confirmed.get(str(tenant_id), 0.0) <= self.stale_after

    def feed_alive(self) -> bool:
        """Whether the change feed has read the database within the bound. A check whose
        `min_revision` is reached needs only this: it asked for that revision, not for the newest."""
        return time.monotonic() - self._feed_ok_at <= self.stale_after

    def index(self, tenant_id: UUID | str) -> TenantIndex | None:
        return self.indexes.get(str(tenant_id))

    async def wait_for(self, tenant_id: UUID | str, revision: int, timeout: float | None = None) -> bool:
        """Wait (bounded) until the tenant's index has applied `revision`."""
        index = self.index(tenant_id)
        if index is not None and index.revision >= revision:
            return True
        self._pending.add(str(tenant_id))
        self._wake.set()
        deadline = time.monotonic() + (self.min_revision_wait if timeout is None else timeout)
        async with self._advanced:
            while True:
                index = self.index(tenant_id)
                if index is not None and index.revision >= revision:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await self._advanced.wait()

