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
