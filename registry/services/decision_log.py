"""The decision log: every check decision answered to a caller, kept for accountability (issue #5).

The check path only calls `DecisionLog.record`, which appends a tuple to a bounded in-memory queue:
no await, no I/O. A background task (started in the app's lifespan) writes the queue in batches with
COPY, every `flush_interval` seconds or as soon as a batch is full, and once more at shutdown. When
the queue is full the entry is dropped and counted (and a warning logged at most every 10 s):
checks are never slowed or refused because the log cannot keep up.

`search` is the read use case (administrators and auditors); `purge` applies the retention.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from registry import logs
from registry.errors import Invalid
from registry.services.common import Ctx, load_facts, parse_uuid, require
from registry.storage import decision_log as sql
from registry.storage.db import Db
from registry.storage.rows import Page, check_first

log = logging.getLogger("registry.decision_log")

MODES = ("off", "denies", "all")
WARN_EVERY = 10.0   # seconds between warnings about dropped entries
MAX_TEXT = 200      # what a caller asked (external id, area key, unit) is cut to this length
# Server errors worth retrying (the database is restarting, full, or out of connections). On other
# server errors and values that cannot be encoded the batch is salvaged row by row, so one bad row
# cannot block the log for good; anything else (a lost connection, a timeout) propagates and the
# batch is retried at the next round.
TRANSIENT = (asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError,
             asyncpg.exceptions.InsufficientResourcesError)
REFUSED = (asyncpg.PostgresError, ValueError, TypeError)


class DecisionLog:
    def __init__(self, mode: str = "denies", *, queue_size: int = 50_000, batch_size: int = 500,
                 flush_interval: float = 1.0):
        if mode not in MODES:
            raise ValueError(f"decision log mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        # Read on the check path: which decisions to keep.
        self.keep_allowed = mode == "all"
        self.keep_denied = mode in ("all", "denies")
        self.queue_size = queue_size
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.queued = 0      # entries accepted into the queue
        self.written = 0     # entries written to the database
        self.dropped = 0     # entries lost: the queue was full, the database refused them, or shutdown
        self._queue: deque[tuple] = deque()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._warned_at = 0.0
        self._dropped_since_warning = 0

    def wants(self, allowed: bool) -> bool:
        return self.keep_allowed if allowed else self.keep_denied

    # --- the check path -----------------------------------------------------------------------

    def record(self, tenant_id: str, index, req, decision, now: datetime, source: str, caller: str) -> None:
        """Queue one decision (the caller has asked `wants` first). `index` is the tenant's current
        decision index (or None), used only to resolve what was asked to ids."""
        if len(self._queue) >= self.queue_size:
            self.dropped += 1
            self._dropped_since_warning += 1
            if time.monotonic() - self._warned_at >= WARN_EVERY:
                self._warn()
            return
        person_id = area_id = unit_id = None
        if index is not None:
            person_id = index.person_ref(req.person)
            area_id = index.area_ref(req.area, strict=False)
            unit_id = index.unit_ref(req.unit)
        self._queue.append((
            tenant_id, now, req.at or now, req.person[:MAX_TEXT], person_id, req.area[:MAX_TEXT], area_id,
            req.unit[:MAX_TEXT], unit_id, req.action, decision.decision, decision.reason, decision.level,
            decision.revision, source, caller, logs.request_id.get()))
        self.queued += 1
        if len(self._queue) >= self.batch_size:
            self._wake.set()

    def _warn(self) -> None:
        log.warning("decision log queue full (%d entries): dropped %d entries since the last warning, %d in all",
                    self.queue_size, self._dropped_since_warning, self.dropped)
        self._warned_at = time.monotonic()
        self._dropped_since_warning = 0

    # --- the writer ---------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._queue)

    def counters(self) -> dict:
        return {"mode": self.mode, "queued": self.queued, "written": self.written, "dropped": self.dropped,
                "pending": len(self._queue)}

    def start(self, db: Db) -> None:
        if self.mode != "off" and self._task is None:
            self._task = asyncio.create_task(self._run(db), name="registry-decision-log")

    async def close(self, db: Db, timeout: float = 10.0) -> None:
        """Stop the writer and write what is still queued (bounded: shutdown must not hang on an
        unreachable database)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._queue:
            try:
                await asyncio.wait_for(self.flush(db), timeout)
            except Exception:
                log.warning("decision log: %d entries could not be written at shutdown", len(self._queue),
                            exc_info=True)
            if self._queue:
                self.dropped += len(self._queue)
                self._queue.clear()

    async def _run(self, db: Db) -> None:
        """Full batches as soon as they are full; everything, partial batch included, every interval."""
        last = time.monotonic()
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
            # arrives as the event fires, and close() would then wait for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, last + self.flush_interval - time.monotonic())):
                    await self._wake.wait()
            self._wake.clear()
            due = time.monotonic() - last >= self.flush_interval
            try:
                await self.flush(db, full_only=not due)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away: the entries stay queued for the next round
                log.warning("decision log write failed; %d entries stay queued", len(self._queue), exc_info=True)
            if due:
                last = time.monotonic()

    async def flush(self, db: Db, *, full_only: bool = False) -> int:
        """Write what is queued (only full batches, with `full_only`), a batch at a time; returns how
        many entries were written. A batch leaves the queue only once written (or refused for good),
        so a failed write loses nothing."""
        written = 0
        async with self._lock:
            while len(self._queue) >= (self.batch_size if full_only else 1):
                batch = list(itertools.islice(self._queue, self.batch_size))
                try:
                    async with db.read() as conn:
                        await sql.write(conn, batch)
                    done = len(batch)
                except TRANSIENT:
                    raise
                except REFUSED:
                    done = await self._salvage(db, batch)
                self.written += done
                written += done
                for _ in range(len(batch)):  # entries queued meanwhile were appended behind the batch
                    self._queue.popleft()
        return written

    async def _salvage(self, db: Db, batch: list[tuple]) -> int:
        """A refused batch: without NUL characters (what a caller sends is kept as sent, but text in
        PostgreSQL cannot hold them), then row by row, so only rows refused on their own are lost."""
        clean = [tuple(v.replace("\x00", "") if isinstance(v, str) else v for v in row) for row in batch]
        try:
            async with db.read() as conn:
                await sql.write(conn, clean)
            return len(clean)
        except TRANSIENT:
            raise
        except REFUSED:
            pass
        done = 0
        for row in clean:
            try:
                async with db.read() as conn:
                    await sql.write(conn, [row])
                done += 1
            except TRANSIENT:
                raise
            except REFUSED:
                log.error("decision log: the database refused an entry; dropped", exc_info=True)
                self.dropped += 1
        return done


# --- the use cases ------------------------------------------------------------------------------


async def search(ctx: Ctx, *, person_id: str | None, area_id: str | None, unit_id: str | None,
                 since: datetime | None, until: datetime | None, allowed: bool | None, first: int,
                 after: str | None) -> Page:
    """Logged decisions in the caller's organisation, newest first; `unit_id` matches its subtree.
    For administrators and auditors (and admin keys), like the audit history."""
    require(ctx, "decisionLog", code="auditor_required", message="the decision log is for administrators and auditors")
    check_first(first)
    async with ctx.db.read() as conn:
        units = None
        if unit_id is not None:
            facts = await load_facts(conn, ctx.tenant_id)
            root = facts.unit(parse_uuid(unit_id, "unitId")).id
            units = [u for u in facts.units if facts.unit_tree.is_within(u, root)]
        found = await sql.search(
            conn, ctx.tenant_id, person_id=_opt(person_id, "personId"), area_id=_opt(area_id, "areaId"),
            units=units, since=since, until=until, allowed=allowed, before=_cursor(after), limit=first + 1)
    more = len(found) > first
    found = found[:first]
    return Page(found, str(found[-1].id) if found else None, more)


def _opt(value: str | None, field: str) -> UUID | None:
    return None if value is None else parse_uuid(value, field)


def _cursor(after: str | None) -> int | None:
    if after is None:
        return None
    try:
        return int(after)
    except ValueError as exc:
        raise Invalid("malformed cursor", field="after", code="invalid_cursor") from exc


async def purge(db: Db, now: datetime, retention: timedelta) -> int:
    """Delete entries decided more than `retention` ago; returns how many."""
    async with db.read() as conn:
        return await sql.purge(conn, now - retention)
