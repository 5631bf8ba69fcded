"""SQL for the organisation: tenants, units, people, memberships, teams and team members."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from registry.domain.model import Membership, Organisation, Person, Team, TeamMember, Unit
from registry.errors import NotFound
from registry.storage.db import Conn, WriteTx
from registry.storage.rows import many, run_write, to


async def tenant_by_key(conn: Conn, key: str) -> Organisation:
    org = to(Organisation, await conn.fetchrow("SELECT * FROM organisation WHERE key = $1", key))
    if org is None:
        raise NotFound(f"no organisation with key {key!r}", field="tenant")
    return org


async def tenant_by_id(conn: Conn, tenant_id: UUID) -> Organisation:
    org = to(Organisation, await conn.fetchrow("SELECT * FROM organisation WHERE id = $1", tenant_id))
    if org is None:
        raise NotFound("no such organisation", field="tenant")
    return org


async def insert_tenant(conn: Conn, key: str, name: str, kind: str) -> UUID:
    """A new tenant, inside a write transaction that creates it (registry.storage.db.Db.write)."""
    return await run_write(conn.fetchval(
        "INSERT INTO organisation (key, name, kind, created_by, updated_by)"
        " VALUES ($1, $2, $3, current_setting('registry.actor'), current_setting('registry.actor')) RETURNING id",
        key, name, kind), what="organisation")


async def list_tenants(conn: Conn, *, include_archived: bool) -> list[Organisation]:
    sql = "SELECT * FROM organisation" + ("" if include_archived else " WHERE archived_at IS NULL")
    return many(Organisation, await conn.fetch(sql + " ORDER BY key"))


async def archive_tenant(tx: WriteTx, at: datetime) -> Organisation:
    """Archive the transaction's tenant (its write transaction was the last one it takes)."""
    return to(Organisation, await tx.conn.fetchrow(
        "UPDATE organisation SET archived_at = $2, version = version + 1, updated_at = now(),"
        " updated_by = current_setting('registry.actor') WHERE id = $1 RETURNING *", tx.tenant_id, at))


async def all_units(conn: Conn, tenant_id: UUID, *, include_archived: bool = True) -> list[Unit]:
    sql = "SELECT * FROM org_unit WHERE tenant_id = $1"
    if not include_archived:
        sql += " AND archived_at IS NULL"
    return many(Unit, await conn.fetch(sql + " ORDER BY name, id", tenant_id))


async def person_by_external_id(conn: Conn, tenant_id: UUID, external_id: str) -> Person | None:
    return to(Person, await conn.fetchrow("SELECT * FROM person WHERE tenant_id = $1 AND external_id = $2",
                                          tenant_id, external_id))


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_people(conn: Conn, tenant_id: UUID, *, unit_id: UUID | None, search: str | None,
                      include_archived: bool, after: UUID | None, limit: int) -> list[Person]:
    sql = ["SELECT p.* FROM person p WHERE p.tenant_id = $1 AND ($2::uuid IS NULL OR p.id > $2)"]
    args: list = [tenant_id, after]
    if not include_archived:
        sql.append("AND p.archived_at IS NULL")
    if unit_id is not None:
        args.append(unit_id)
        sql.append(f"AND EXISTS (SELECT 1 FROM membership m WHERE m.tenant_id = p.tenant_id AND m.person_id = p.id"
                   f" AND m.unit_id = ${len(args)} AND m.archived_at IS NULL)")
    if search:  # a substring, taken literally: %, _ and a backslash are escaped, never wildcards
        args.append(f"%{_like_literal(search.lower())}%")
        sql.append(f"AND (lower(p.name) LIKE ${len(args)} ESCAPE '\\' OR lower(p.external_id) LIKE ${len(args)}"
                   f" ESCAPE '\\')")
    args.append(limit)
    sql.append(f"ORDER BY p.id LIMIT ${len(args)}")
    return many(Person, await conn.fetch(" ".join(sql), *args))


async def memberships_of_people(conn: Conn, tenant_id: UUID, person_ids: list[UUID]) -> list[Membership]:
    return many(Membership, await conn.fetch(
        "SELECT * FROM membership WHERE tenant_id = $1 AND person_id = ANY($2::uuid[]) ORDER BY valid_from, id",
        tenant_id, person_ids))


async def memberships_of_units(conn: Conn, tenant_id: UUID, unit_ids: list[UUID]) -> list[Membership]:
    return many(Membership, await conn.fetch(
        "SELECT * FROM membership WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[]) ORDER BY valid_from, id",
        tenant_id, unit_ids))


async def list_teams(conn: Conn, tenant_id: UUID, *, unit_id: UUID | None, include_archived: bool) -> list[Team]:
    sql = "SELECT * FROM team WHERE tenant_id = $1 AND ($2::uuid IS NULL OR unit_id = $2)"
    if not include_archived:
        sql += " AND archived_at IS NULL"
    return many(Team, await conn.fetch(sql + " ORDER BY name, id", tenant_id, unit_id))


async def team_members_of_teams(conn: Conn, tenant_id: UUID, team_ids: list[UUID]) -> list[TeamMember]:
    return many(TeamMember, await conn.fetch(
        "SELECT * FROM team_member WHERE tenant_id = $1 AND team_id = ANY($2::uuid[]) ORDER BY valid_from, id",
        tenant_id, team_ids))


async def team_ids_of_person(conn: Conn, tenant_id: UUID, person_id: UUID, at: datetime) -> set[UUID]:
    rows = await conn.fetch(
        """SELECT tm.team_id FROM team_member tm JOIN team t ON t.tenant_id = tm.tenant_id AND t.id = tm.team_id
           WHERE tm.tenant_id = $1 AND tm.person_id = $2 AND tm.archived_at IS NULL AND t.archived_at IS NULL
             AND tm.valid_from <= $3 AND (tm.valid_to IS NULL OR $3 < tm.valid_to)""",
        tenant_id, person_id, at)
    return {r["team_id"] for r in rows}


async def area_names_clash(conn: Conn, tenant_id: UUID, area_id: UUID | None, key: str | None,
                           kle: str | None) -> str | None:
    """The key of another area whose KLE code is `key`, or whose key is `kle` (checks name an area by
    either, key first), if there is one."""
    return await conn.fetchval(
        """SELECT key FROM decision_area WHERE tenant_id = $1 AND id IS DISTINCT FROM $2
           AND ((kle = $3 AND $3 IS NOT NULL) OR (key = $4 AND $4 IS NOT NULL)) LIMIT 1""",
        tenant_id, area_id, key, kle)
