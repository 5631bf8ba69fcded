"""Read use cases. Every read is scoped to the caller's tenant: another tenant's id is simply not found."""

from __future__ import annotations

from uuid import UUID

import msgspec

from registry.domain.model import Area, DelegationRequest, HistoryEntry, Organisation, Person, Team, Unit
from registry.errors import Invalid, NotFound
from registry.services import delegations as delegation_uc
from registry.services import leader_cards as leader_card_uc
from registry.services import offers as offer_uc
from registry.services import requests as request_uc
from registry.services.common import Ctx, Sight, load_facts, may, parse_uuid, require
from registry.storage import areas as area_sql
from registry.storage import delegations as delegation_sql
from registry.storage import history as history_sql
from registry.storage import aliases as alias_sql
from registry.storage import org as org_sql
from registry.storage import rows
from registry.storage.rows import Page, check_first, decode_cursor, page_of


async def organisation(ctx: Ctx) -> Organisation:
    async with ctx.db.read() as conn:
        return await org_sql.tenant_by_id(conn, ctx.tenant_id)


async def get(ctx: Ctx, table: str, kind, id: str):
    try:
        uid = UUID(str(id))
    except ValueError:
        return None
    async with ctx.db.read() as conn:
        try:
            return await rows.get(conn, table, kind, ctx.tenant_id, uid)
        except NotFound:
            return None


async def units(ctx: Ctx, include_archived: bool) -> list[Unit]:
    async with ctx.db.read() as conn:
        return await org_sql.all_units(conn, ctx.tenant_id, include_archived=include_archived)


async def person(ctx: Ctx, id: str | None, external_id: str | None) -> Person | None:
    if (id is None) == (external_id is None):
        raise Invalid("give either id or externalId", field="id", code="invalid_argument")
    if id is not None:
        return await get(ctx, "person", Person, id)
    async with ctx.db.read() as conn:  # by her external id, or one of her aliases (issue 13)
        return await alias_sql.person_by_ref(conn, ctx.tenant_id, external_id)


async def people(ctx: Ctx, unit_id: str | None, search: str | None, include_archived: bool, first: int,
                 after: str | None) -> Page:
    check_first(first)
    async with ctx.db.read() as conn:
        found = await org_sql.list_people(conn, ctx.tenant_id, unit_id=_opt(unit_id, "unitId"), search=search,
                                          include_archived=include_archived, after=decode_cursor(after),
                                          limit=first + 1)
    return page_of(found, first)


async def teams(ctx: Ctx, unit_id: str | None, include_archived: bool) -> list[Team]:
    async with ctx.db.read() as conn:
        return await org_sql.list_teams(conn, ctx.tenant_id, unit_id=_opt(unit_id, "unitId"),
                                        include_archived=include_archived)


async def areas(ctx: Ctx, include_archived: bool) -> list[Area]:
    async with ctx.db.read() as conn:
        found = await area_sql.all_areas(conn, ctx.tenant_id)
    return [a for a in found if include_archived or a.archived_at is None]


async def area(ctx: Ctx, id: str | None, key: str | None) -> Area | None:
    if (id is None) == (key is None):
        raise Invalid("give either id or key", field="id", code="invalid_argument")
    if id is not None:
        return await get(ctx, "decision_area", Area, id)
    async with ctx.db.read() as conn:
        return await area_sql.area_by_key(conn, ctx.tenant_id, key)


async def delegations(ctx: Ctx, f, first: int, after: str | None) -> Page:
    check_first(first)
    criteria = delegation_sql.DelegationFilter(
        unit_subtree=_opt(f.unit_id, "unitId"), delegate_person_id=_opt(f.delegate_person_id, "delegatePersonId"),
        delegate_team_id=_opt(f.delegate_team_id, "delegateTeamId"), delegator_id=_opt(f.delegator_id, "delegatorId"),
        area_subtree=_opt(f.area_id, "areaId"), status=None if f.status is None else f.status.value,
        valid_at=f.valid_at)
    async with ctx.db.read() as conn:
        found = await delegation_sql.list_delegations(conn, ctx.tenant_id, criteria, now=ctx.now(),
                                                      after=decode_cursor(after), limit=first + 1)
    return page_of(found, first)


async def history(ctx: Ctx, entity_id: str, first: int, after: str | None) -> Page:
    """One entity's changes, oldest first (anyone who may read the registry)."""
    check_first(first)
    entity = parse_uuid(entity_id, "entityId")
    async with ctx.db.read() as conn:
        found = await history_sql.search(conn, ctx.tenant_id, entity_id=entity, entity_type=None, actor=None,
                                         units=None, since=None, until=None, after=_history_cursor(after),
                                         limit=first + 1)
        return await _history_page(ctx, conn, found, first)


def _history_cursor(after: str | None) -> int | None:
    """History is paged by its own (integer) id."""
    if after is None:
        return None
    try:
        return int(after)
    except ValueError as exc:
        raise Invalid("malformed cursor", field="after", code="invalid_cursor") from exc


async def _history_page(ctx: Ctx, conn, found: list, first: int) -> Page:
    """A page of history as the caller may see it: without the entries she may not see (the cursor
    still moves past them), and without the values she may not read in the others."""
    more = len(found) > first
    found = found[:first]
    sight = Sight(ctx, conn)
    hidden = await _hidden(ctx, conn, sight, found)
    visible = [await _screened(sight, e) for e in found if e.id not in hidden]
    # No cursor for a page that shows nothing and ends: it would tell that hidden entries exist.
    return Page(visible, str(found[-1].id) if found and (visible or more) else None, more)


# Entities whose history is as private as the entity: acts (and their due items) and breaches (and
# leader's cards, below: as private as the delegation's cards).
_PRIVATE = {"act": "act", "due_item": "act", "breach": "breach",
            # issue 12, part 6: a breach's responses, account, frame changes and learning points
            # (each row carries the breach's person_id and unit_id)
            "breach_response": "breach", "breach_account": "breach", "breach_frame_change": "breach",
            "learning_point": "breach"}


async def _hidden(ctx: Ctx, conn, sight: Sight, entries: list) -> set[int]:
    """The history entries the caller may not read: an act's, a due item's or a breach's history is
    exactly as private as the thing (the policy's `act` and `breach` rows); API keys' history is
    for those who may read the audit history."""
    hidden: set[int] = set()
    for e in entries:
        if e.entity_type == "api_key":
            if not may(ctx, "auditHistory"):
                hidden.add(e.id)
            continue
        if e.entity_type == "leader_card":  # issue 12, part 4: as private as the delegation's cards
            if not await leader_card_uc.may_read_row(sight, e.after or e.before or {}):
                hidden.add(e.id)
            continue
        if e.entity_type == "delegation_offer":  # issue 12, part 1: as private as the delegation's offers
            if not await offer_uc.may_read_row(sight, e.after or e.before or {}):
                hidden.add(e.id)
            continue
        if e.entity_type == "delegation_request":  # the asker, and those who answer it
            request = await conn.fetchrow("SELECT * FROM delegation_request WHERE tenant_id = $1 AND id = $2",
                                          ctx.tenant_id, e.entity_id)
            if request is None or not await request_uc.may_read(ctx, conn, rows.to(DelegationRequest, request)):
                hidden.add(e.id)
            continue
        op = _PRIVATE.get(e.entity_type)
        if op is None:
            continue
        row = e.after or e.before or {}
        if e.entity_type == "due_item":
            row = await conn.fetchrow("SELECT person_id, unit_id, delegation_id FROM act WHERE tenant_id = $1"
                                      " AND id = $2", ctx.tenant_id, UUID(str(row.get("act_id")))) or {}
        delegation = row.get("delegation_id") if op == "act" else None
        if not row or not await sight.may(op, UUID(str(row["person_id"])), UUID(str(row["unit_id"])),
                                          None if delegation is None else UUID(str(delegation))):
            hidden.add(e.id)
    return hidden


_SCREENS = {"delegation": delegation_uc.without_hidden_trust, "review": delegation_uc.review_without_hidden_note}


async def _screened(sight: Sight, entry: HistoryEntry) -> HistoryEntry:
    """A delegation's values without the trust notes the caller may not read (as on the delegation),
    and a review's without its note, under the same rule."""
    screen = _SCREENS.get(entry.entity_type)
    if screen is None:
        return entry
    before = await screen(sight, entry.before)
    after = await screen(sight, entry.after)
    if before is entry.before and after is entry.after:
        return entry
    return msgspec.structs.replace(entry, before=before, after=after)


def _opt(value: str | None, field: str) -> UUID | None:
    return None if value is None else parse_uuid(value, field)


async def audit(ctx: Ctx, *, entity_id: str | None, entity_type: str | None, actor: str | None,
                unit_id: str | None, since, until, first: int, after: str | None) -> Page:
    """Who changed what, when, on whose behalf: for administrators and auditors (and admin keys)."""
    require(ctx, "auditHistory", code="auditor_required",
            message="the audit history is for administrators and auditors")
    check_first(first)
    async with ctx.db.read() as conn:
        units = None
        if unit_id is not None:
            facts = await load_facts(conn, ctx.tenant_id)
            root = facts.unit(parse_uuid(unit_id, "unitId")).id
            units = [u for u in facts.units if facts.unit_tree.is_within(u, root)]
        found = await history_sql.search(
            conn, ctx.tenant_id, entity_id=_opt(entity_id, "entityId"), entity_type=entity_type, actor=actor,
            units=units, since=since, until=until, after=_history_cursor(after), limit=first + 1)
        return await _history_page(ctx, conn, found, first)
