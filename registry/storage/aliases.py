"""SQL for a person's aliases (issue 13): the other ids the municipality's systems know her by."""

from __future__ import annotations

from uuid import UUID

import msgspec

from registry.domain.model import Person, PersonAlias
from registry.storage.db import Conn, WriteTx
from registry.storage.rows import many, run_write, to


async def of_people(conn: Conn, tenant_id: UUID, person_ids: list[UUID]) -> list[PersonAlias]:
    return many(PersonAlias, await conn.fetch(
        "SELECT * FROM person_alias WHERE tenant_id = $1 AND person_id = ANY($2::uuid[]) ORDER BY kind, id",
        tenant_id, person_ids))


async def of_tenant(conn: Conn, tenant_id: UUID) -> list[PersonAlias]:
    return many(PersonAlias, await conn.fetch(
        "SELECT * FROM person_alias WHERE tenant_id = $1 ORDER BY person_id, kind", tenant_id))


async def of_kind(conn: Conn, tenant_id: UUID, person_id: UUID, kind: str) -> PersonAlias | None:
    return to(PersonAlias, await conn.fetchrow(
        "SELECT * FROM person_alias WHERE tenant_id = $1 AND person_id = $2 AND kind = $3 FOR UPDATE",
        tenant_id, person_id, kind))


async def holder(conn: Conn, tenant_id: UUID, value: str) -> PersonAlias | None:
    """The alias with this value, ignoring case (at most one: person_alias_value)."""
    return to(PersonAlias, await conn.fetchrow(
        "SELECT * FROM person_alias WHERE tenant_id = $1 AND lower(value) = lower($2)", tenant_id, value))


async def person_with_external_id(conn: Conn, tenant_id: UUID, value: str, other_than: UUID | None) -> Person | None:
    """Another person whose external id is `value`, ignoring case."""
    return to(Person, await conn.fetchrow(
        """SELECT * FROM person WHERE tenant_id = $1 AND lower(external_id) = lower($2)
             AND id IS DISTINCT FROM $3 LIMIT 1""", tenant_id, value, other_than))


async def setting(conn: Conn, tenant_id: UUID, person_id: UUID, kind: str, value: str):
    """What setting the person's alias of `kind` to `value` depends on, in one read: (the person or
    None, her current alias of the kind, the alias holding the value (ignoring case), whether another
    person's external id is the value (ignoring case))."""
    row = await conn.fetchrow(
        """SELECT (SELECT to_jsonb(p) FROM person p WHERE p.tenant_id = $1 AND p.id = $2) AS person,
                  (SELECT to_jsonb(a) FROM person_alias a WHERE a.tenant_id = $1 AND a.person_id = $2
                     AND a.kind = $3) AS current,
                  (SELECT to_jsonb(a) FROM person_alias a WHERE a.tenant_id = $1
                     AND lower(a.value) = lower($4)) AS holder,
                  EXISTS (SELECT 1 FROM person p WHERE p.tenant_id = $1 AND lower(p.external_id) = lower($4)
                            AND p.id <> $2) AS named""", tenant_id, person_id, kind, value)
    found = [None if row[c] is None else msgspec.convert(_json(row[c]), t, strict=False)
             for c, t in (("person", Person), ("current", PersonAlias), ("holder", PersonAlias))]
    return (*found, row["named"])


def _json(value):
    return msgspec.json.decode(value) if isinstance(value, (str, bytes)) else value


async def insert(tx: WriteTx, person_id: UUID, kind: str, value: str) -> PersonAlias:
    return to(PersonAlias, await run_write(tx.conn.fetchrow(
        "INSERT INTO person_alias (tenant_id, person_id, kind, value) VALUES ($1, $2, $3, $4) RETURNING *",
        tx.tenant_id, person_id, kind, value), what="person alias"))


async def change(tx: WriteTx, alias_id: UUID, value: str) -> PersonAlias:
    return to(PersonAlias, await run_write(tx.conn.fetchrow(
        "UPDATE person_alias SET value = $3 WHERE tenant_id = $1 AND id = $2 RETURNING *",
        tx.tenant_id, alias_id, value), what="person alias"))


async def delete(tx: WriteTx, alias_id: UUID) -> None:
    await tx.conn.execute("DELETE FROM person_alias WHERE tenant_id = $1 AND id = $2", tx.tenant_id, alias_id)


async def delete_of_person(tx: WriteTx, person_id: UUID) -> list[PersonAlias]:
    return many(PersonAlias, await tx.conn.fetch(
        "DELETE FROM person_alias WHERE tenant_id = $1 AND person_id = $2 RETURNING *", tx.tenant_id, person_id))


async def values_in_history(conn: Conn, tenant_id: UUID, person_id: UUID) -> tuple[set[UUID], set[str]]:
    """Every alias the person has ever had: (the alias rows' ids, their values)."""
    found = await conn.fetch(
        """SELECT DISTINCT h.entity_id, x.value FROM history h,
                  LATERAL (VALUES (h.before ->> 'value'), (h.after ->> 'value')) AS x(value)
           WHERE h.tenant_id = $1 AND h.entity_type = 'person_alias'
             AND coalesce(h.after ->> 'person_id', h.before ->> 'person_id') = $2::text""",
        tenant_id, str(person_id))
    return {r["entity_id"] for r in found}, {r["value"] for r in found if r["value"] is not None}


async def person_by_alias(conn: Conn, tenant_id: UUID, value: str, kind: str) -> Person | None:
    """The person with this alias of this kind (a login's `sub`: exactly, as the kind is case-sensitive)."""
    return to(Person, await conn.fetchrow(
        """SELECT p.* FROM person_alias a JOIN person p ON p.tenant_id = a.tenant_id AND p.id = a.person_id
           WHERE a.tenant_id = $1 AND a.kind = $3 AND a.value = $2""", tenant_id, value, kind))


async def person_by_ref(conn: Conn, tenant_id: UUID, ref: str) -> Person | None:
    """The person named by her external id or, failing that, by an alias (as the decision index's
    person_ref: a UPN or UUID in any casing, a `sub` or payroll number exactly)."""
    return to(Person, await conn.fetchrow(
        """SELECT * FROM (
               SELECT p.*, 0 AS rank FROM person p WHERE p.tenant_id = $1 AND p.external_id = $2
               UNION ALL
               SELECT p.*, 1 AS rank FROM person_alias a JOIN person p ON p.tenant_id = a.tenant_id
                   AND p.id = a.person_id
                WHERE a.tenant_id = $1 AND lower(a.value) = lower($2) AND (a.value = $2 OR a.kind IN ('upn', 'uuid'))
           ) found ORDER BY rank LIMIT 1""", tenant_id, ref))
