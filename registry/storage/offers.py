"""SQL for offers of delegations and employees' requests (issue 12, part 1)."""

from __future__ import annotations

from uuid import UUID

from registry.domain.model import DEFAULT_ACCEPTANCE_FROM_LEVEL, DelegationOffer, DelegationRequest
from registry.storage.db import Conn
from registry.storage.rows import many


async def acceptance_from_level(conn: Conn, tenant_id: UUID) -> int | None:
    """The organisation's setting: the lowest level a delegate must accept herself (None: none)."""
    row = await conn.fetchrow("SELECT acceptance_from_level FROM organisation WHERE id = $1", tenant_id)
    return DEFAULT_ACCEPTANCE_FROM_LEVEL if row is None else row["acceptance_from_level"]


async def set_acceptance_from_level(conn: Conn, tenant_id: UUID, level: int | None) -> None:
    await conn.execute("UPDATE organisation SET acceptance_from_level = $2 WHERE id = $1", tenant_id, level)


async def of_delegations(conn: Conn, tenant_id: UUID, delegation_ids: list[UUID]) -> list[DelegationOffer]:
    """Every offer and notice on these delegations, newest first."""
    return many(DelegationOffer, await conn.fetch(
        """SELECT * FROM delegation_offer WHERE tenant_id = $1 AND delegation_id = ANY($2::uuid[])
           ORDER BY offered_at DESC, id""", tenant_id, delegation_ids))


async def open_of(conn: Conn, tenant_id: UUID, delegation_id: UUID, kinds: tuple[str, ...],
                  for_update: bool = False) -> list[DelegationOffer]:
    lock = " FOR UPDATE" if for_update else ""
    return many(DelegationOffer, await conn.fetch(
        f"""SELECT * FROM delegation_offer WHERE tenant_id = $1 AND delegation_id = $2 AND status = 'open'
             AND kind = ANY($3::text[]) ORDER BY offered_at{lock}""", tenant_id, delegation_id, list(kinds)))


async def open_to(conn: Conn, tenant_id: UUID, person_id: UUID, team_ids: list[UUID], now) -> list[DelegationOffer]:
    """Open offers and unseen notices on delegations to the person or to her teams, oldest first; an
    offer whose delegation's period has ended waits for nobody."""
    return many(DelegationOffer, await conn.fetch(
        """SELECT o.* FROM delegation_offer o JOIN delegation d ON d.tenant_id = o.tenant_id AND d.id = o.delegation_id
            WHERE o.tenant_id = $1 AND o.status = 'open' AND d.status <> 'revoked'
              AND (d.delegate_person_id = $2 OR d.delegate_team_id = ANY($3::uuid[]))
              AND (o.kind = 'narrowing' OR d.valid_until IS NULL OR d.valid_until > $4)
            ORDER BY o.offered_at, o.id""", tenant_id, person_id, team_ids, now))


async def in_units(conn: Conn, tenant_id: UUID, unit_ids: list[UUID], now, *, answered_since=None
                   ) -> list[DelegationOffer]:
    """Offers waiting for an answer on delegations in these units (and, with `answered_since`, those
    answered since then), for the leaders' follow-up; notices of narrowing are not listed, nor offers
    whose delegation's period has ended."""
    return many(DelegationOffer, await conn.fetch(
        """SELECT o.* FROM delegation_offer o JOIN delegation d ON d.tenant_id = o.tenant_id AND d.id = o.delegation_id
            WHERE o.tenant_id = $1 AND d.unit_id = ANY($2::uuid[]) AND o.kind IN ('new', 'widening')
              AND ((o.status = 'open' AND (d.valid_until IS NULL OR d.valid_until > $4))
                   OR ($3::timestamptz IS NOT NULL AND o.answered_at >= $3))
            ORDER BY o.offered_at, o.id""", tenant_id, unit_ids, answered_since, now))


async def requests_of(conn: Conn, tenant_id: UUID, person_id: UUID) -> list[DelegationRequest]:
    return many(DelegationRequest, await conn.fetch(
        """SELECT * FROM delegation_request WHERE tenant_id = $1 AND person_id = $2
           ORDER BY created_at DESC, id""", tenant_id, person_id))


async def requests_in_units(conn: Conn, tenant_id: UUID, unit_ids: list[UUID], *, open_only: bool
                            ) -> list[DelegationRequest]:
    return many(DelegationRequest, await conn.fetch(
        """SELECT * FROM delegation_request WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[])
              AND (NOT $3 OR status = 'open')
           ORDER BY created_at, id""", tenant_id, unit_ids, open_only))
