"""Use cases for a person's aliases (issue 13): set or remove the `sub`, UUID, UPN or payroll number
she is known by elsewhere. The same operations as the person's own (administrators and systems with
`write`: setPersonAlias, removePersonAlias); a `sub` is a login, so on someone who holds an
organisation-wide role it is set or removed by an administrator only, as her external id is.

A value names one person only: no other alias has it and it is no other person's external id,
ignoring case either way (checked here, inside the write transaction, which holds the tenant's write
lock; the storage's unique index backs the first). So a check by any of her names is never ambiguous.
"""

from __future__ import annotations

from uuid import UUID

from registry.domain import aliases as domain
from registry.domain.model import Person, PersonAlias
from registry.errors import Conflict, Invalid, NotFound
from registry.services.common import Ctx, Result, require
from registry.storage import aliases as sql
from registry.storage import rows
from registry.storage.db import WriteTx


def _taken(message: str) -> Conflict:
    return Conflict(message, field="value", code="alias_taken")


def _may_change(ctx: Ctx, person: Person | None, kind: str) -> Person:
    if person is None:
        raise NotFound("no person with that id", field="personId")
    if person.erased_at is not None:
        raise Invalid("the person has been erased", field="personId", code="erased")
    if kind == "sub" and person.roles:  # re-pointing a role holder's login is granting her roles
        require(ctx, "grantRoles", code="admin_required", field="kind",
                message="the login of someone with an organisation-wide role is changed by an administrator")
    return person


async def _person(ctx: Ctx, tx: WriteTx, person_id: UUID, kind: str) -> Person:
    return _may_change(ctx, await rows.get(tx.conn, "person", Person, ctx.tenant_id, person_id, field="personId"),
                       kind)


async def set_in(ctx: Ctx, tx: WriteTx, person_id: UUID, kind: str, value: str) -> PersonAlias:
    """Within a write transaction (the sync's): set the person's alias of this kind. One read (the
    transaction holds the tenant's write lock, so nothing changes between it and the write)."""
    value = domain.normalise(kind, value)
    person, current, holder, named = await sql.setting(tx.conn, ctx.tenant_id, person_id, kind, value)
    _may_change(ctx, person, kind)
    if current is not None and current.value == value:
        return current
    if holder is not None and holder.person_id != person_id:
        raise _taken("the value is another person's alias")
    if holder is not None and (current is None or holder.id != current.id):
        raise _taken(f"the value is already the person's {holder.kind} alias")
    if named:
        raise _taken("the value is another person's external id")
    try:
        if current is None:
            return await sql.insert(tx, person_id, kind, value)
        return await sql.change(tx, current.id, value)
    except Conflict as exc:  # the unique index, should anything have slipped past the checks
        raise _taken("the value is another person's alias") from exc


async def remove_in(ctx: Ctx, tx: WriteTx, person_id: UUID, kind: str) -> PersonAlias | None:
    """Within a write transaction: remove the person's alias of this kind (None: she had none)."""
    domain.check_kind(kind)
    await _person(ctx, tx, person_id, kind)
    current = await sql.of_kind(tx.conn, ctx.tenant_id, person_id, kind)
    if current is not None:
        await sql.delete(tx, current.id)
    return current


async def set_alias(ctx: Ctx, *, person_id: UUID, kind: str, value: str) -> Result:
    """Set (add or replace) the person's alias of `kind`; the person comes back."""
    domain.normalise(kind, value)  # a bad kind or value is refused before the transaction opens
    async with ctx.write() as tx:
        await set_in(ctx, tx, person_id, kind, value)
        person = await rows.get(tx.conn, "person", Person, ctx.tenant_id, person_id)
        return Result(person, tx.revision)


async def remove_alias(ctx: Ctx, *, person_id: UUID, kind: str) -> Result:
    """Remove the person's alias of `kind` (nothing to remove: not_found, and nothing is written)."""
    domain.check_kind(kind)
    async with ctx.write() as tx:
        if await remove_in(ctx, tx, person_id, kind) is None:
            raise NotFound(f"the person has no {kind} alias", field="kind")
        person = await rows.get(tx.conn, "person", Person, ctx.tenant_id, person_id)
        return Result(person, tx.revision)


def raise_if_external_id_taken(exc: Conflict) -> None:
    """A person's write refused because her (new) external id is another person's alias (the
    person_external_id_not_alias trigger: checks would otherwise name one of two people by it) is
    raised as `alias_taken`; any other conflict is the caller's to re-raise."""
    if getattr(exc.__cause__, "constraint_name", None) == "person_external_id_is_alias":
        raise Conflict("externalId is another person's alias; checks would name two people by it",
                       field="externalId", code="alias_taken") from exc
