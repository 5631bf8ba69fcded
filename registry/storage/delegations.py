"""SQL for delegations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from registry.domain.model import Delegation
from registry.storage.db import Conn
from registry.storage.rows import many


class DelegationFilter(msgspec.Struct, frozen=True, kw_only=True):
    unit_subtree: UUID | None = None
    delegate_person_id: UUID | None = None
    delegate_team_id: UUID | None = None
    delegator_id: UUID | None = None
    area_subtree: UUID | None = None
    # "active", "suspended", "revoked", "expired" (expired is derived from validity at `now`)
    status: str | None = None
    valid_at: datetime | None = None


async def list_delegations(conn: Conn, tenant_id: UUID, f: DelegationFilter, *, now: datetime,
                           after: UUID | None, limit: int) -> list[Delegation]:
    args: list = [tenant_id, after]
    where = ["d.tenant_id = $1", "($2::uuid IS NULL OR d.id > $2)"]
    ctes = []
    if f.unit_subtree is not None:
        args.append(f.unit_subtree)
        ctes.append(f"""units AS (
            SELECT id FROM org_unit WHERE tenant_id = $1 AND id = ${len(args)}
            UNION SELECT u.id FROM org_unit u JOIN units ON u.parent_id = units.id WHERE u.tenant_id = $1)""")
        where.append("d.unit_id IN (SELECT id FROM units)")
    if f.area_subtree is not None:
        args.append(f.area_subtree)
        ctes.append(f"""areas AS (
            SELECT id FROM decision_area WHERE tenant_id = $1 AND id = ${len(args)}
            UNION SELECT a.id FROM decision_area a JOIN areas ON a.parent_id = areas.id WHERE a.tenant_id = $1)""")
        where.append("d.area_id IN (SELECT id FROM areas)")
    for column, value in (("delegate_person_id", f.delegate_person_id), ("delegate_team_id", f.delegate_team_id),
                          ("delegator_id", f.delegator_id)):
        if value is not None:
            args.append(value)
            where.append(f"d.{column} = ${len(args)}")
    if f.status in ("active", "expired"):
        args.append(now)
        n = len(args)
        if f.status == "expired":
            where.append(f"d.status = 'active' AND d.valid_until IS NOT NULL AND d.valid_until <= ${n}")
        else:
            where.append(f"d.status = 'active' AND (d.valid_until IS NULL OR d.valid_until > ${n})")
    elif f.status is not None:
        args.append(f.status)
        where.append(f"d.status = ${len(args)}")
    if f.valid_at is not None:
        args.append(f.valid_at)
        n = len(args)
        where.append(f"d.valid_from <= ${n} AND (d.valid_until IS NULL OR ${n} < d.valid_until)")
    args.append(limit)
    with_clause = ("WITH RECURSIVE " + ", ".join(ctes) + " ") if ctes else ""
    sql = f"{with_clause}SELECT d.* FROM delegation d WHERE {' AND '.join(where)} ORDER BY d.id LIMIT ${len(args)}"
    return many(Delegation, await conn.fetch(sql, *args))


async def descendants(conn: Conn, tenant_id: UUID, delegation_id: UUID) -> list[Delegation]:
    """Every sub-delegation below `delegation_id`, at any depth, locked for update."""
    return many(Delegation, await conn.fetch(
        """WITH RECURSIVE sub AS (
               SELECT id FROM delegation WHERE tenant_id = $1 AND parent_id = $2
               UNION SELECT d.id FROM delegation d JOIN sub ON d.parent_id = sub.id WHERE d.tenant_id = $1)
           SELECT * FROM delegation WHERE tenant_id = $1 AND id IN (SELECT id FROM sub) ORDER BY id FOR UPDATE""",
        tenant_id, delegation_id))


async def ancestors(conn: Conn, tenant_id: UUID, delegation_ids: list[UUID]) -> dict[UUID, list[Delegation]]:
    """For each delegation, those it was passed on from, nearest first (their conditions bind it)."""
    found = await conn.fetch(
        """WITH RECURSIVE up(start, id, depth) AS (
               SELECT d.id, d.parent_id, 1 FROM delegation d
                WHERE d.tenant_id = $1 AND d.id = ANY($2::uuid[]) AND d.parent_id IS NOT NULL
               UNION ALL SELECT up.start, d.parent_id, up.depth + 1 FROM up
                 JOIN delegation d ON d.tenant_id = $1 AND d.id = up.id
                WHERE d.parent_id IS NOT NULL AND up.depth < 32)
           SELECT up.start, up.depth, d.* FROM up JOIN delegation d ON d.tenant_id = $1 AND d.id = up.id
            ORDER BY up.start, up.depth""", tenant_id, delegation_ids)
    chains: dict[UUID, list[Delegation]] = {i: [] for i in delegation_ids}
    for row in found:
        values = dict(row)
        start = values.pop("start")
        values.pop("depth")
        chains[start].append(msgspec.convert(values, Delegation, strict=False))
    return chains


async def of_delegate_in_area(conn: Conn, tenant_id: UUID, delegate_person_id: UUID | None,
                              delegate_team_id: UUID | None, area_id: UUID) -> list[Delegation]:
    """The delegate's delegations for the area that are not revoked (the candidates a new one could
    duplicate, rules.same_grant)."""
    return many(Delegation, await conn.fetch(
        """SELECT * FROM delegation WHERE tenant_id = $1 AND area_id = $4 AND status <> 'revoked'
             AND (delegate_person_id = $2 OR delegate_team_id = $3) ORDER BY id""",
        tenant_id, delegate_person_id, delegate_team_id, area_id))


async def in_units(conn: Conn, tenant_id: UUID, unit_ids: list[UUID]) -> list[Delegation]:
    """Every delegation (any status) whose unit is one of `unit_ids`."""
    return many(Delegation, await conn.fetch(
        "SELECT * FROM delegation WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[]) ORDER BY id", tenant_id, unit_ids))
