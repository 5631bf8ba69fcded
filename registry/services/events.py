"""Emitting the registry's events (registry.domain.events) to the outbox, and reading them back.

* Each use case that changes something someone should be told about calls one function here with the
  WriteTx it already holds, after its change: the event is written in the same transaction, so it
  exists exactly when the change does.
* `produce_due` is the scheduled producer of the time-driven events (registry.app runs it each
  minute on every server): one round at a time across all servers (a PostgreSQL advisory lock), and
  each event once (its dedupe key, unique per organisation: a second producer's insert does nothing).
* `feed` reads an organisation's events for the pull feed (GET /events).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from registry.domain import events as ev
from registry.domain.model import Act, Delegation, RedLine, StandIn
from registry.domain.rules import accountable_delegator
from registry.errors import Forbidden, Invalid
from registry.services.common import Ctx
from registry.storage import outbox as sql
from registry.storage import rows
from registry.storage.db import Conn, Db

log = logging.getLogger("registry.events")


async def _emit(tx, kind: str, *, subject: UUID, at: datetime, ids: dict, parties: dict, when=None,
                dedupe_key: str | None = None) -> bool:
    return await sql.emit(tx, ev.make(kind, subject=subject, tenant_id=tx.tenant_id, revision=tx.revision,
                                      occurred_at=at, ids=ids, parties=parties, when=when, dedupe_key=dedupe_key))


async def _leaders(tx, unit_id: UUID, at: datetime) -> list[UUID]:
    return ev.nearest_leaders(await sql.leaders_above(tx.conn, tx.tenant_id, unit_id, at))


async def _delegates(tx, d: Delegation, at: datetime) -> list[UUID]:
    if d.delegate_person_id is not None:
        return [d.delegate_person_id]
    return await sql.team_members(tx.conn, tx.tenant_id, d.delegate_team_id, at)


async def delegation(tx, kind: str, d: Delegation, at: datetime, *, when=None, dedupe_key: str | None = None,
                     **more_ids) -> bool:
    """delegation.<kind> (offered, declared, accepted, declined, amended, revoked, suspended, ...)."""
    if not tx.outbox:
        return False
    kind = kind if "." in kind else f"delegation.{kind}"
    wants = ev.AUDIENCE[kind]
    parties = {"delegate": await _delegates(tx, d, at) if "delegate" in wants else (),
               "delegator": [accountable_delegator(d)],
               "leaders": await _leaders(tx, d.unit_id, at) if "leaders" in wants else ()}
    ids = {"delegation": d.id, "unit": d.unit_id, "area": d.area_id, "delegatePerson": d.delegate_person_id,
           "delegateTeam": d.delegate_team_id, "delegator": accountable_delegator(d), **more_ids}
    return await _emit(tx, kind, subject=d.id, at=at, ids=ids, parties=parties, when=when, dedupe_key=dedupe_key)


async def delegations(tx, kind: str, changed: list[Delegation], at: datetime) -> None:
    for d in changed:
        await delegation(tx, kind, d, at)


async def red_line(tx, kind: str, line: RedLine, at: datetime) -> bool:
    """red_line.<kind>: set, changed, ended."""
    if not tx.outbox:
        return False
    return await _emit(tx, f"red_line.{kind}", subject=line.id, at=at,
                       ids={"redLine": line.id, "unit": line.unit_id, "area": line.area_id},
                       parties={"leaders": await _leaders(tx, line.unit_id, at)})


async def stand_in(tx, kind: str, s: StandIn, at: datetime, *, dedupe_key: str | None = None) -> bool:
    """stand_in.<kind>: appointed, starting, ending, ended."""
    if not tx.outbox:
        return False
    return await _emit(tx, f"stand_in.{kind}", subject=s.id, at=at, dedupe_key=dedupe_key,
                       ids={"standIn": s.id, "unit": s.unit_id, "standInPerson": s.stand_in_id,
                            "leader": s.leader_id},
                       parties={"stand_in": [s.stand_in_id], "leader": [s.leader_id]})


async def act(tx, kind: str, a: Act, at: datetime, *, dedupe_key: str | None = None, **more_ids) -> bool:
    """act.recorded, justification.requested / given / overdue, feedback.given (subject: the act)."""
    if not tx.outbox:
        return False
    wants = ev.AUDIENCE[kind]
    delegator = None
    if a.delegation_id is not None and "delegator" in wants:
        d = await rows.get(tx.conn, "delegation", Delegation, tx.tenant_id, a.delegation_id)
        delegator = accountable_delegator(d)
    parties = {"actor": [a.person_id], "delegator": [delegator],
               "leaders": await _leaders(tx, a.unit_id, at) if "leaders" in wants else ()}
    ids = {"act": a.id, "person": a.person_id, "unit": a.unit_id, "area": a.area_id, "delegation": a.delegation_id,
           **more_ids}
    return await _emit(tx, kind, subject=a.id, at=at, ids=ids, parties=parties, dedupe_key=dedupe_key)


async def suspended(tx, *, delegation_id: UUID | None, person_id: UUID, unit_id: UUID, area_id: UUID,
                    at: datetime, kind: str = "delegation.suspended", dedupe_key: str | None = None) -> bool:
    """delegation.suspended (a breach response suspends the mandate), delegation.resumed (it has run its
    course): that and the ids, nothing about the breach. The subject is the delegation, or the person
    where the breach names none (her mandate in the area and unit is suspended)."""
    if not tx.outbox:
        return False
    ids = {"delegation": delegation_id, "person": person_id, "unit": unit_id, "area": area_id}
    return await _emit(tx, kind, subject=delegation_id or person_id, at=at, ids=ids,
                       parties={"delegate": [person_id]}, dedupe_key=dedupe_key)


# --- the scheduled producer of time-driven events ------------------------------------------------------

class _ProducerTx:
    """What emitting needs of a transaction (WriteTx's conn, tenant_id, revision and outbox), for the
    producer, which changes nothing and so takes no new revision."""

    __slots__ = ("conn", "tenant_id", "revision", "outbox")

    def __init__(self, conn: Conn, tenant_id: UUID, revision: int):
        self.conn, self.tenant_id, self.revision, self.outbox = conn, tenant_id, revision, True


async def _produce_one(tx: _ProducerTx, kind: str, due: sql.Due, now: datetime) -> bool:
    conn, tenant = tx.conn, tx.tenant_id
    if kind.startswith("delegation.") and kind != "delegation.resumed" or kind == "review.due":
        d = await rows.get(conn, "delegation", Delegation, tenant, due.subject)
        return await delegation(tx, kind, d, now, when=due.at if kind != "delegation.expired" else None,
                                dedupe_key=due.key)
    if kind == "justification.overdue":
        a = await rows.get(conn, "act", Act, tenant, due.subject)
        return await act(tx, kind, a, now, dedupe_key=due.key)
    if kind.startswith("stand_in."):
        s = await rows.get(conn, "stand_in", StandIn, tenant, due.subject)
        return await stand_in(tx, kind.split(".", 1)[1], s, now, dedupe_key=due.key)
    breach = await conn.fetchrow("SELECT delegation_id, person_id, unit_id, area_id FROM breach"
                                 " WHERE tenant_id = $1 AND id = $2", tenant, due.subject)
    return await suspended(tx, kind=kind, at=now, dedupe_key=due.key, **dict(breach))


async def produce_due(db: Db, clock: Callable[[], datetime], *, batch: int = 500) -> int | None:
    """One round of the producer: every time-driven event that has come due and is not yet written,
    each in its organisation's transaction (taking its row as writers do, so the feed's order holds).
    None when another server's round is under way (it does the work); else how many were written."""
    if not db.outbox:
        return 0
    written = 0
    async with db.pool.acquire() as raw:
        conn = Conn(raw)
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", sql.PRODUCER_LOCK):
            return None
        try:
            now = clock()
            for kind in ev.TIMED:
                found = await sql.due(conn, kind, now, ev.EXPIRING_AHEAD, ev.CATCH_UP, batch)
                by_tenant: dict[UUID, list[sql.Due]] = {}
                for item in found:
                    by_tenant.setdefault(item.tenant_id, []).append(item)
                for tenant, items in by_tenant.items():
                    async with raw.transaction():
                        revision = await sql.lock_tenant(conn, tenant)
                        if revision is None:
                            continue  # an archived organisation is told nothing more
                        tx = _ProducerTx(conn, tenant, revision)
                        for item in items:
                            written += await _produce_one(tx, kind, item, now)
        finally:
            await conn.fetchval("SELECT pg_advisory_unlock($1)", sql.PRODUCER_LOCK)
    return written


# --- the pull feed -----------------------------------------------------------------------------------

MAX_PAGE = 1000


def parse_cursor(after: str | None) -> int:
    if after is None or after == "":
        return 0
    if not after.isdigit() or len(after) > 19:
        raise Invalid("malformed cursor: give the `next` of the previous page", field="after", code="invalid_cursor")
    return int(after)


async def feed(ctx: Ctx, after: str | None, limit: int, type_prefix: str | None) -> tuple[list[sql.StoredEvent], str]:
    """The caller's organisation's events after the cursor, oldest first, and the next cursor (the last
    event's position; the same cursor when there is nothing newer)."""
    if ctx.principal.person is not None:
        raise Forbidden("the event feed is for systems (an API key with the events scope)", code="missing_scope")
    position = parse_cursor(after)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit must be between 1 and {MAX_PAGE}", field="limit", code="invalid_page_size")
    if type_prefix is not None:
        if not type_prefix.startswith(ev.PREFIX):
            type_prefix = ev.PREFIX + type_prefix
        if not ev.type_prefix_ok(type_prefix):
            raise Invalid(f"no event type begins with {type_prefix!r}", field="type", code="invalid_choice")
    async with ctx.db.read() as conn:
        found = await sql.page(conn, ctx.tenant_id, position, limit, type_prefix)
    return found, str(found[-1].position if found else position)
