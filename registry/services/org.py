"""Use cases for organisation data: units, people, memberships, teams and team members, areas.

All of them need an administrator. Each runs in one write transaction: a bad input raises before
anything is written, and the transaction rolls back whatever came before it.
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

import msgspec

from registry.domain import rules
from registry.domain.conditions import ConditionError, check_string_value, validate_attributes
from registry.domain.model import (MEMBERSHIP_ROLES, PERSON_ROLES, UNIT_KINDS, Area, AreaAttribute,
                                   Membership, Person, Team, TeamMember, Unit)
from registry.errors import Conflict, Invalid
from registry.policy.projection import INTERNAL_SUBJECT_PREFIXES
from registry.services import aliases as alias_uc
from registry.services.common import Ctx, Result, check_text, load_facts, require
from registry.storage import org as org_sql
from registry.storage import rows


def _choice(value: str, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise Invalid(f"{field} must be one of {', '.join(allowed)}", field=field, code="invalid_choice")


def _period(valid_from: datetime | None, valid_to: datetime | None, field: str = "validTo") -> None:
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise Invalid(f"{field} must be after validFrom", field=field, code="invalid_validity")


# --- units -------------------------------------------------------------------------------------

def _check_unit(values: dict) -> None:
    if "name" in values:
        check_text(values["name"], "name")
    if "kind" in values:
        _choice(values["kind"], UNIT_KINDS, "kind")
    if values.get("external_id") is not None:
        check_text(values["external_id"], "externalId")
    if values.get("kle_codes") is not None:  # a unit's KLE markup (issue 13), each a KLE number's form
        values["kle_codes"] = list(dict.fromkeys(rules.check_kle(c) for c in values["kle_codes"]))


async def _check_unit_external_id(ctx: Ctx, conn, values: dict, unit_id: UUID | None = None) -> None:
    """Checks name a unit by its id or its external id, the id first: so an external id may not be
    another unit's id, or it would name that unit."""
    external_id = values.get("external_id")
    try:
        as_id = UUID(external_id) if external_id is not None else None
    except ValueError:
        return
    if as_id is None or str(as_id) != external_id or as_id == unit_id:
        return
    if await rows.get_many(conn, "org_unit", Unit, ctx.tenant_id, [as_id]):
        raise Invalid("externalId is another unit's id; checks would name that unit", field="externalId",
                      code="invalid_external_id")


async def create_unit(ctx: Ctx, *, name: str, kind: str, parent_id: UUID | None, external_id: str | None = None,
                      deputies_may_delegate: bool = False, kle_codes: tuple[str, ...] = ()) -> Result:
    values = dict(name=name, kind=kind, parent_id=parent_id, external_id=external_id,
                  deputies_may_delegate=deputies_may_delegate)
    if kle_codes:
        values["kle_codes"] = list(kle_codes)
    _check_unit(values)
    async with ctx.write() as tx:
        if parent_id is not None:
            parent = await rows.get(tx.conn, "org_unit", Unit, ctx.tenant_id, parent_id, field="parentId")
            if parent.archived_at is not None:
                raise Invalid("the parent unit is archived", field="parentId", code="archived")
        await _check_unit_external_id(ctx, tx.conn, values)
        unit = await rows.insert(tx, "org_unit", Unit, values)
        return Result(unit, tx.revision)


async def update_unit(ctx: Ctx, unit_id: UUID, version: int, changes: dict) -> Result:
    _check_unit(changes)
    async with ctx.write() as tx:
        if "parent_id" in changes:
            facts = await load_facts(tx.conn, ctx.tenant_id)
            facts.unit(unit_id, "id")
            if changes["parent_id"] is not None:
                if facts.unit(changes["parent_id"], "parentId").archived_at is not None:
                    raise Invalid("the new parent unit is archived", field="parentId", code="archived")
            rules.check_unit_move(unit_id, changes["parent_id"], facts.unit_tree)
        await _check_unit_external_id(ctx, tx.conn, changes, unit_id)
        unit = await rows.update(tx, "org_unit", Unit, unit_id, version, changes)
        return Result(unit, tx.revision)


async def archive_unit(ctx: Ctx, unit_id: UUID, version: int) -> Result:
    async with ctx.write() as tx:
        live_children = await tx.conn.fetchval(
            "SELECT count(*) FROM org_unit WHERE tenant_id = $1 AND parent_id = $2 AND archived_at IS NULL",
            ctx.tenant_id, unit_id)
        if live_children:
            raise Invalid("archive or move the unit's sub-units first", field="id", code="unit_has_children")
        unit = await rows.update(tx, "org_unit", Unit, unit_id, version, {"archived_at": ctx.now()})
        return Result(unit, tx.revision)


# --- people and memberships --------------------------------------------------------------------

# External ids appear in the exported Casbin policy: they may not contain the policy file's
# separators, nor look like its own subject names (person:<id>, team:<id>).
_EXTERNAL_ID_FORBIDDEN = set(',()[]"#\n\r\t')


def _check_external_id(value: str) -> None:
    if value != value.strip() or _EXTERNAL_ID_FORBIDDEN & set(value) or value.startswith(INTERNAL_SUBJECT_PREFIXES):
        raise Invalid("externalId may not contain , ( ) [ ] \" # or surrounding spaces, nor start with person: "
                      "or team:", field="externalId", code="invalid_external_id")


def _check_person(values: dict) -> None:
    if "name" in values:
        check_text(values["name"], "name")
    if "external_id" in values:
        check_text(values["external_id"], "externalId")
        _check_external_id(values["external_id"])
    if values.get("email") is not None:
        email = values["email"]
        local, _, domain = email.rpartition("@")
        if not local or not domain or len(email) > 200 or any(c.isspace() or ord(c) < 32 or c in ',;<>"()[]\\'
                                                              for c in email) or "@" in local:
            # one address, nothing a mail header could read as more (a comma, a line break)
            raise Invalid("email is not an email address", field="email", code="invalid_email")
    for role in values.get("roles") or ():
        _choice(role, PERSON_ROLES, "roles")


def person_values(*, external_id: str, name: str, email: str | None = None, roles: tuple[str, ...] = ()) -> dict:
    """A new person's row, checked (raises Invalid before anything is written)."""
    values = dict(external_id=external_id, name=name, email=email, roles=list(dict.fromkeys(roles)))
    _check_person(values)
    return values


async def create_person(ctx: Ctx, *, external_id: str, name: str, email: str | None = None,
                        roles: tuple[str, ...] = ()) -> Result:
    values = person_values(external_id=external_id, name=name, email=email, roles=roles)
    if values["roles"]:
        _require_role_grant(ctx)
    async with ctx.write() as tx:
        try:
            person = await rows.insert(tx, "person", Person, values)
        except Conflict as exc:  # the external id may be another person's alias (issue 13)
            alias_uc.raise_if_external_id_taken(exc)
            raise
        return Result(person, tx.revision)


async def update_person(ctx: Ctx, person_id: UUID, version: int, changes: dict) -> Result:
    _check_person(changes)
    if changes.get("roles") is not None:  # null is refused by the storage layer (roles cannot be cleared so)
        changes = {**changes, "roles": list(dict.fromkeys(changes["roles"]))}
    async with ctx.write() as tx:
        current = await rows.get(tx.conn, "person", Person, ctx.tenant_id, person_id, for_update=True)
        if current.erased_at is not None:  # a pseudonym is never turned back into a person
            raise Invalid("the person has been erased", field="id", code="erased")
        if "roles" in changes or (current.roles and "external_id" in changes):
            _require_role_grant(ctx)  # re-pointing a role holder's login is granting her roles
        try:
            person = await rows.update(tx, "person", Person, person_id, version, changes)
        except Conflict as exc:  # the new external id may be another person's alias (issue 13)
            alias_uc.raise_if_external_id_taken(exc)
            raise
        return Result(person, tx.revision)


def _require_role_grant(ctx: Ctx) -> None:
    """Organisation-wide roles (admin, HR, auditor) are granted by administrators only: a system that
    keeps people in step (the `write` scope) cannot make anyone an administrator."""
    require(ctx, "grantRoles", code="admin_required", field="roles",
            message="roles are granted by an administrator")


async def archive_person(ctx: Ctx, person_id: UUID, version: int) -> Result:
    async with ctx.write() as tx:
        person = await rows.update(tx, "person", Person, person_id, version, {"archived_at": ctx.now()})
        return Result(person, tx.revision)


async def add_membership(ctx: Ctx, *, person_id: UUID, unit_id: UUID, role: str, valid_from: datetime | None,
                         valid_to: datetime | None) -> Result:
    _choice(role, MEMBERSHIP_ROLES, "role")
    valid_from = valid_from or ctx.now()
    _period(valid_from, valid_to)
    async with ctx.write() as tx:
        await rows.get(tx.conn, "person", Person, ctx.tenant_id, person_id, field="personId")
        await rows.get(tx.conn, "org_unit", Unit, ctx.tenant_id, unit_id, field="unitId")
        membership = await rows.insert(tx, "membership", Membership, dict(
            person_id=person_id, unit_id=unit_id, role=role, valid_from=valid_from, valid_to=valid_to))
        return Result(membership, tx.revision)


async def update_membership(ctx: Ctx, membership_id: UUID, version: int, changes: dict) -> Result:
    if "role" in changes:
        _choice(changes["role"], MEMBERSHIP_ROLES, "role")
    async with ctx.write() as tx:
        current = await rows.get(tx.conn, "membership", Membership, ctx.tenant_id, membership_id)
        _period(changes.get("valid_from", current.valid_from), changes.get("valid_to", current.valid_to))
        membership = await rows.update(tx, "membership", Membership, membership_id, version, changes)
        return Result(membership, tx.revision)


async def archive_membership(ctx: Ctx, membership_id: UUID, version: int) -> Result:
    async with ctx.write() as tx:
        membership = await rows.update(tx, "membership", Membership, membership_id, version,
                                       {"archived_at": ctx.now()})
        return Result(membership, tx.revision)


# --- teams -------------------------------------------------------------------------------------

async def create_team(ctx: Ctx, *, unit_id: UUID, name: str) -> Result:
    check_text(name, "name")
    async with ctx.write() as tx:
        await rows.get(tx.conn, "org_unit", Unit, ctx.tenant_id, unit_id, field="unitId")
        team = await rows.insert(tx, "team", Team, dict(unit_id=unit_id, name=name))
        return Result(team, tx.revision)


async def update_team(ctx: Ctx, team_id: UUID, version: int, changes: dict) -> Result:
    if "name" in changes:
        check_text(changes["name"], "name")
    async with ctx.write() as tx:
        if "unit_id" in changes:
            await rows.get(tx.conn, "org_unit", Unit, ctx.tenant_id, changes["unit_id"], field="unitId")
        team = await rows.update(tx, "team", Team, team_id, version, changes)
        return Result(team, tx.revision)


async def archive_team(ctx: Ctx, team_id: UUID, version: int) -> Result:
    async with ctx.write() as tx:
        team = await rows.update(tx, "team", Team, team_id, version, {"archived_at": ctx.now()})
        return Result(team, tx.revision)


async def add_team_member(ctx: Ctx, *, team_id: UUID, person_id: UUID, valid_from: datetime | None,
                          valid_to: datetime | None) -> Result:
    valid_from = valid_from or ctx.now()
    _period(valid_from, valid_to)
    async with ctx.write() as tx:
        await rows.get(tx.conn, "team", Team, ctx.tenant_id, team_id, field="teamId")
        await rows.get(tx.conn, "person", Person, ctx.tenant_id, person_id, field="personId")
        member = await rows.insert(tx, "team_member", TeamMember, dict(
            team_id=team_id, person_id=person_id, valid_from=valid_from, valid_to=valid_to))
        return Result(member, tx.revision)


async def update_team_member(ctx: Ctx, member_id: UUID, version: int, changes: dict) -> Result:
    async with ctx.write() as tx:
        current = await rows.get(tx.conn, "team_member", TeamMember, ctx.tenant_id, member_id)
        _period(changes.get("valid_from", current.valid_from), changes.get("valid_to", current.valid_to))
        member = await rows.update(tx, "team_member", TeamMember, member_id, version, changes)
        return Result(member, tx.revision)


async def archive_team_member(ctx: Ctx, member_id: UUID, version: int) -> Result:
    async with ctx.write() as tx:
        member = await rows.update(tx, "team_member", TeamMember, member_id, version, {"archived_at": ctx.now()})
        return Result(member, tx.revision)


# --- decision areas ----------------------------------------------------------------------------

MAX_ATTRIBUTE_VALUES = 100


def _check_attributes(attributes: list[AreaAttribute]) -> None:
    """Declared attributes must be usable in red-line conditions (and in exported Casbin rules)."""
    names = [a.name for a in attributes]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise Invalid(f"attributes declared twice: {', '.join(duplicates)}", field="attributes",
                      code="invalid_attribute")
    try:
        validate_attributes({a.name: a.type for a in attributes})
        for a in attributes:
            if a.values and a.type != "string":
                raise ConditionError(f"only a string attribute lists its values ({a.name} is a {a.type})")
            if len(a.values) > MAX_ATTRIBUTE_VALUES or len(set(a.values)) != len(a.values):
                raise ConditionError(f"{a.name}: at most {MAX_ATTRIBUTE_VALUES} values, each once")
            for value in a.values:
                check_string_value(value)
    except ConditionError as exc:
        raise Invalid(exc.message, field="attributes", code="invalid_attribute") from exc


def _check_area(values: dict) -> None:
    if "key" in values and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*", values["key"] or ""):
        raise Invalid("key must be a path of lower-case segments, like economy/purchase", field="key",
                      code="invalid_key")
    for field in ("name_da", "name_en"):
        if field in values:
            check_text(values[field], "nameDa" if field == "name_da" else "nameEn")
    if "description" in values:
        check_text(values["description"], "description", max_len=4000, required=False)
    if values.get("kle") is not None:
        values["kle"] = rules.check_kle(values["kle"])
    if "attributes" in values:
        _check_attributes(values["attributes"])


async def _check_area_placement(ctx: Ctx, tx, area_id: UUID | None, values: dict, key: str | None) -> None:
    facts = await load_facts(tx.conn, ctx.tenant_id)
    parent_id = values.get("parent_id")
    if parent_id is not None:
        parent = facts.area(parent_id, "parentId")
        if key is not None and not key.startswith(parent.key + "/"):
            raise Invalid(f"a sub-area's key must start with its parent's key '{parent.key}/'", field="key",
                          code="invalid_key")
    elif key is not None and "/" in key and "parent_id" in values:
        raise Invalid("a key with '/' names a sub-area: give its parentId", field="parentId", code="invalid_key")
    if area_id is not None and "parent_id" in values:
        rules.check_area_move(area_id, parent_id, facts.area_tree)
    if values.get("reserved_unit_id") is not None:
        facts.unit(values["reserved_unit_id"], "reservedUnitId")
    if "attributes" in values or (area_id is not None and "parent_id" in values):
        # A sub-area inherits its ancestors' attributes; a name declared twice along one chain
        # (above or below, or after a move) would be ambiguous.
        own = values["attributes"] if "attributes" in values else list(facts.areas[area_id].attributes)
        inherited = rules.effective_attributes(parent_id, facts.areas, facts.area_tree) if parent_id else {}
        below = set()
        if area_id is not None:
            for other in facts.areas.values():
                if other.id != area_id and facts.area_tree.is_within(other.id, area_id):
                    below.update(a.name for a in other.attributes)
            if "parent_id" in values:  # what moves along must not clash with the new ancestors either
                below_names = below | {a.name for a in own}
                clash = sorted(n for n in below_names if n in inherited)
                if clash:
                    raise Invalid(f"attributes already declared above the new place: {', '.join(clash)}",
                                  field="parentId", code="invalid_attribute")
        clash = sorted(a.name for a in own if a.name in inherited or a.name in below)
        if clash:
            raise Invalid(f"attributes already declared above or below this area: {', '.join(clash)}",
                          field="attributes", code="invalid_attribute")


def _area_row(values: dict) -> dict:
    if "attributes" in values:
        values = {**values, "attributes": msgspec.to_builtins(list(values["attributes"]))}
    return values


async def _check_area_names_apart(ctx: Ctx, tx, area_id: UUID | None, key: str | None, kle: str | None) -> None:
    """Checks name an area by its key or its KLE code (key first): a key that is another area's code,
    or a code that is another area's key, would silently turn a check to another area."""
    for field, own_key, own_kle in (("key", key, None), ("kle", None, kle)):
        if own_key is None and own_kle is None:
            continue
        other = await org_sql.area_names_clash(tx.conn, ctx.tenant_id, area_id, own_key, own_kle)
        if other is not None:
            raise Invalid(f"{field} is the {'KLE code' if field == 'key' else 'key'} of the area {other!r}; checks "
                          "name an area by either", field=field, code="area_name_clash")


async def create_area(ctx: Ctx, *, key: str, name_da: str, name_en: str, parent_id: UUID | None = None,
                      description: str = "", kle: str | None = None, attributes: list[AreaAttribute] = (),
                      delegable: bool = True, reserved_unit_id: UUID | None = None) -> Result:
    values = dict(key=key, name_da=name_da, name_en=name_en, parent_id=parent_id, description=description, kle=kle,
                  attributes=list(attributes), delegable=delegable, reserved_unit_id=reserved_unit_id)
    _check_area(values)
    async with ctx.write() as tx:
        await _check_area_placement(ctx, tx, None, values, key)
        await _check_area_names_apart(ctx, tx, None, key, values["kle"])
        area = await rows.insert(tx, "decision_area", Area, _area_row(values))
        return Result(area, tx.revision)


async def update_area(ctx: Ctx, area_id: UUID, version: int, changes: dict) -> Result:
    if "key" in changes:
        raise Invalid("an area's key is its stable name and cannot change; create a new area", field="key",
                      code="immutable")
    _check_area(changes)
    async with ctx.write() as tx:
        current = await rows.get(tx.conn, "decision_area", Area, ctx.tenant_id, area_id)
        if "parent_id" in changes or "attributes" in changes or "reserved_unit_id" in changes:
            placement = {"parent_id": current.parent_id, **changes}
            await _check_area_placement(ctx, tx, area_id, placement, current.key if "parent_id" in changes else None)
        if changes.get("kle") is not None:
            await _check_area_names_apart(ctx, tx, area_id, None, changes["kle"])
        area = await rows.update(tx, "decision_area", Area, area_id, version, _area_row(changes))
        return Result(area, tx.revision)


async def archive_area(ctx: Ctx, area_id: UUID, version: int) -> Result:
    async with ctx.write() as tx:
        area = await rows.update(tx, "decision_area", Area, area_id, version, {"archived_at": ctx.now()})
        return Result(area, tx.revision)

