"""Reads for the sync from the municipality's systems (registry.services.sync): the organisation as
the registry holds it, and the active delegations that organisation changes touch."""

from __future__ import annotations

from uuid import UUID

from registry.domain.model import Delegation, Membership, Person, Unit
from registry.storage.db import Conn
from registry.storage.rows import many


async def organisation(conn: Conn, tenant_id: UUID) -> tuple[list[Unit], list[Person], list[Membership]]:
    """Every unit, person and membership of the organisation (archived ones too: a unit or person
    back in the source is taken up again, not created twice)."""
    units = many(Unit, await conn.fetch("SELECT * FROM org_unit WHERE tenant_id = $1 ORDER BY id", tenant_id))
    people = many(Person, await conn.fetch("SELECT * FROM person WHERE tenant_id = $1 ORDER BY id", tenant_id))
    memberships = many(Membership, await conn.fetch(
        "SELECT * FROM membership WHERE tenant_id = $1 ORDER BY valid_from, id", tenant_id))
    return units, people, memberships


async def active_delegations(conn: Conn, tenant_id: UUID, *, delegators: list[UUID], delegates: list[UUID],
                             units: list[UUID]) -> list[Delegation]:
    """Active delegations that the given people answer for or hold, or that lie in the given units."""
    return many(Delegation, await conn.fetch(
        """SELECT * FROM delegation WHERE tenant_id = $1 AND status = 'active'
             AND (delegator_id = ANY($2::uuid[]) OR on_behalf_of_id = ANY($2::uuid[])
                  OR delegate_person_id = ANY($3::uuid[]) OR unit_id = ANY($4::uuid[]))
           ORDER BY id""", tenant_id, delegators, delegates, units))


async def ended_delegations_of(conn: Conn, tenant_id: UUID, people: list[UUID], since, until) -> list[Delegation]:
    """The people's own delegations (to them as persons) whose validity ended in [since, until]."""
    return many(Delegation, await conn.fetch(
        """SELECT * FROM delegation WHERE tenant_id = $1 AND delegate_person_id = ANY($2::uuid[])
             AND status = 'active' AND valid_until BETWEEN $3 AND $4 ORDER BY valid_until, id""",
        tenant_id, people, since, until))


async def joined_since(conn: Conn, tenant_id: UUID, units: list[UUID], since) -> list[Membership]:
    """Memberships in the units that began at or after `since` (and are not archived)."""
    return many(Membership, await conn.fetch(
        """SELECT * FROM membership WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[]) AND valid_from >= $3
             AND archived_at IS NULL ORDER BY valid_from, id""", tenant_id, units, since))
