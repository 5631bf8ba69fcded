"""Who the development login page offers to sign in as (REGISTRY_MODE=development only): every
person of every open organisation, leaders first, each with what she is in the organisation."""

from __future__ import annotations

from datetime import datetime

import msgspec

from registry import texts
from registry.storage import org as org_sql
from registry.storage.db import Db

_ORDER = {"leader": 0, "deputy": 1, "employee": 3}
MAX_PEOPLE = 200


class Choice(msgspec.Struct, frozen=True):
    tenant_key: str
    tenant_name: str
    external_id: str
    name: str
    what: str  # "leder, Plejecenter Solhaven"


async def choices(db: Db, now: datetime) -> list[Choice]:
    found: list[tuple[tuple, Choice]] = []
    async with db.read() as conn:
        for tenant in await org_sql.list_tenants(conn, include_archived=False):
            units = {u.id: u for u in await org_sql.all_units(conn, tenant.id, include_archived=False)}
            people = await org_sql.list_people(conn, tenant.id, unit_id=None, search=None, include_archived=False,
                                               after=None, limit=MAX_PEOPLE)
            memberships = await org_sql.memberships_of_people(conn, tenant.id, [p.id for p in people])
            for person in people:
                held = [m for m in memberships if m.person_id == person.id and m.active_at(now) and m.unit_id in units]
                held.sort(key=lambda m: _ORDER.get(m.role, 2))
                parts = [f"{texts.MEMBERSHIP_ROLES_DA.get(m.role, m.role)}, {units[m.unit_id].name}" for m in held[:2]]
                parts += [texts.PERSON_ROLES_DA.get(r, r) for r in person.roles]
                rank = min([_ORDER.get(m.role, 2) for m in held] + [2 if person.roles else 4])
                found.append(((tenant.name, rank, person.name),
                              Choice(tenant.key, tenant.name, person.external_id, person.name,
                                     "; ".join(parts) or "uden tilknytning")))
    return [choice for _, choice in sorted(found, key=lambda pair: pair[0])]
