"""Read use cases for the leader's delegation board (delegeringstavle) and the pages around it: what
a leader sees of her units, one delegation as its page shows it, and the red lines binding a unit.

The rules are the ones the write use cases apply (services.common.authority, domain.rules); these
only gather what the pages show, for the caller, in one read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from registry.domain import kle, rules
from registry.domain.model import Area, AreaAttribute, Delegation, DelegationCondition, Person, RedLine, Team, Unit
from registry.errors import Forbidden, NotFound
from registry.services import delegations as delegation_uc
from registry.services import queries, redlines
from registry.services.common import Ctx, Facts, authority, load_facts, may, relations_to_unit
from registry.storage import delegations as delegation_sql
from registry.storage import org as org_sql
from registry.storage import rows

EXPIRING_DAYS = 30  # a cell says when a delegation runs out within this many days


class AreaRow(msgspec.Struct, frozen=True):
    area: Area
    depth: int
    reserved_here: bool  # reserved (not delegable) where the board's unit is


class Column(msgspec.Struct, frozen=True):
    key: str  # the person's id, or "team:<id>" (the declare form's `modtager`)
    name: str
    team: bool


class Cell(msgspec.Struct, frozen=True):
    delegation: Delegation
    expiring: bool        # runs out within EXPIRING_DAYS
    review_due: bool      # its review date has come
    not_yet: bool         # starts later
    limited: bool = False  # it carries conditions (limits), its own or those of one it was passed on from


class Board(msgspec.Struct, frozen=True, kw_only=True):
    units: list[Unit]          # the units the caller may open a board for
    unit: Unit | None          # the chosen one
    areas: list[AreaRow]
    columns: list[Column]
    cells: dict[tuple[UUID, str], list[Cell]]


def area_rows(facts: Facts, unit_id: UUID | None) -> list[AreaRow]:
    """The catalogue in tree order (parents before their children, by Danish name), not archived."""
    live = {a.id: a for a in facts.areas.values() if a.archived_at is None}
    children: dict[UUID | None, list[Area]] = {}
    for a in live.values():
        children.setdefault(a.parent_id if a.parent_id in live else None, []).append(a)
    out: list[AreaRow] = []

    def walk(parent: UUID | None, depth: int) -> None:
        for a in sorted(children.get(parent, []), key=lambda x: x.name_da):
            reserved = False
            if unit_id is not None:
                try:
                    rules.check_area_delegable(a.id, unit_id, facts.areas, facts.area_tree, facts.unit_tree)
                except Forbidden:
                    reserved = True
            out.append(AreaRow(a, depth, reserved))
            walk(a.id, depth + 1)
    walk(None, 0)
    return out


async def _led_units(ctx: Ctx, conn, facts: Facts) -> list[Unit]:
    """The units the caller holds leader authority over (as leader, deputy who may delegate, or
    stand-in), with the units below them; an administrator's: every unit."""
    live = [u for u in facts.units.values() if u.archived_at is None]
    if may(ctx, "amendDelegation"):  # an administrator manages every delegation
        chosen = live
    else:
        held = await authority(conn, ctx, facts, deputies=True)
        chosen = [u for u in live if relations_to_unit(held, u.id, facts.unit_tree)]
    return _tree_order(chosen, facts)


def _tree_order(units: list[Unit], facts: Facts) -> list[Unit]:
    depth = {u.id: len(facts.unit_tree.ancestors(u.id)) for u in units}
    return sorted(units, key=lambda u: ([facts.units[a].name for a in reversed(facts.unit_tree.ancestors(u.id))],
                                        depth[u.id]))


async def board(ctx: Ctx, unit_id: UUID | None) -> Board:
    """The board of one of the caller's units (the only one, or the chosen one)."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        units = await _led_units(ctx, conn, facts)
        if unit_id is None:
            if not units:
                return Board(units=units, unit=None, areas=[], columns=[], cells={})
            unit_id = units[0].id  # her own unit first (tree order)
        unit = facts.unit(unit_id, "enhed")
        if unit not in units:
            raise Forbidden("you can only open the board of units you lead", code="not_the_leader", field="enhed")
        columns = await unit_columns(ctx, conn, unit.id)
        found = await delegation_sql.list_delegations(
            conn, ctx.tenant_id, delegation_sql.DelegationFilter(unit_subtree=unit.id), now=ctx.now(), after=None,
            limit=10_000)
        shown = [d for d in found if d.unit_id == unit.id and d.status_at(ctx.now()) not in ("revoked", "expired", "declined")]
        chains = await delegation_sql.ancestors(conn, ctx.tenant_id, [d.id for d in shown if d.parent_id is not None])
        # bound by conditions: its own, or those of one it was passed on from (as checks hold it)
        limited = {i for i, chain in chains.items() if any(p.conditions for p in chain)}
    now = ctx.now()
    cells: dict[tuple[UUID, str], list[Cell]] = {}
    for d in shown:
        key = str(d.delegate_person_id) if d.delegate_person_id is not None else f"team:{d.delegate_team_id}"
        cells.setdefault((d.area_id, key), []).append(cell(d, now, d.id in limited))
    return Board(units=units, unit=unit, areas=area_rows(facts, unit.id), columns=columns, cells=cells)


def cell(d: Delegation, now: datetime, limited: bool = False) -> Cell:
    return Cell(delegation=d,
                expiring=d.valid_until is not None and d.valid_until - now <= timedelta(days=EXPIRING_DAYS),
                review_due=d.review_date is not None and d.review_date <= now.date(),
                not_yet=d.valid_from > now, limited=limited or bool(d.conditions))



async def unit_columns(ctx: Ctx, conn, unit_id: UUID) -> list[Column]:
    """The people and teams of a unit: its members now, but not its leader (who holds the unit's
    decisions already) nor the caller."""
    now = ctx.now()
    me = ctx.principal.person.id if ctx.principal.person is not None else None
    members = [m for m in await org_sql.memberships_of_units(conn, ctx.tenant_id, [unit_id]) if m.active_at(now)]
    leaders = {m.person_id for m in members if m.role == "leader"}
    ids = list(dict.fromkeys(m.person_id for m in members if m.person_id != me and m.person_id not in leaders))
    people = [await rows.get(conn, "person", Person, ctx.tenant_id, i) for i in ids]
    teams = await org_sql.list_teams(conn, ctx.tenant_id, unit_id=unit_id, include_archived=False)
    return ([Column(str(p.id), p.name, False) for p in sorted(people, key=lambda p: p.name) if p.archived_at is None]
            + [Column(f"team:{t.id}", t.name, True) for t in teams])


class DeclareChoices(msgspec.Struct, frozen=True, kw_only=True):
    units: list[Unit]
    unit: Unit | None
    columns: list[Column]
    areas: list[AreaRow]
    suggested: list[Area] = []  # by the unit's KLE markup (issue 13): areas at or under its KLE numbers


async def declare_choices(ctx: Ctx, unit_id: UUID | None) -> DeclareChoices:
    """What the declare form offers: the caller's units, and the chosen unit's people, teams and areas."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        units = await _led_units(ctx, conn, facts)
        if unit_id is None and len(units) == 1:
            unit_id = units[0].id
        unit = facts.units.get(unit_id) if unit_id is not None else None
        if unit is not None and unit not in units:
            unit = None
        columns = await unit_columns(ctx, conn, unit.id) if unit is not None else []
    rows_ = area_rows(facts, unit.id if unit else None)
    offered = {row.area.id for row in rows_ if not row.reserved_here}
    suggested = [] if unit is None else [a for a in kle.suggested_areas(facts.areas.values(), unit.kle_codes)
                                         if a.id in offered]
    return DeclareChoices(units=units, unit=unit, columns=columns, areas=rows_, suggested=suggested)


class Version(msgspec.Struct, frozen=True):
    version: int | None
    at: datetime
    operation: str
    actor: str


class Inherited(msgspec.Struct, frozen=True):
    """A condition a delegation is bound by because it was passed on from one that states it."""

    condition: DelegationCondition
    delegation_id: UUID    # the delegation that states it
    holder: str            # who holds that one (the person or team it was passed on from)


class DelegationPage(msgspec.Struct, frozen=True, kw_only=True):
    delegation: Delegation
    area: Area
    unit: Unit
    delegator: Person
    on_behalf_of: Person | None
    delegate_person: Person | None
    delegate_team: Team | None
    trust_shown: bool
    manageable: bool
    versions: list[Version]
    actors: dict[str, str]  # "person:<id>" -> name, for the versions
    inherited: list[Inherited] = []  # its parents' conditions (checks hold it to them; they cannot be removed here)


async def delegation_page(ctx: Ctx, delegation_id: str) -> DelegationPage:
    """One delegation as the caller may see it (the same reading as GraphQL's `delegation`)."""
    found = await queries.get(ctx, "delegation", Delegation, delegation_id)
    if found is None:
        raise NotFound("no such delegation", field="id")
    d: Delegation = found
    [trust] = await delegation_uc.trust_shown(ctx, [d])
    manageable = await delegation_uc.manageable(ctx, d)
    history = await queries.history(ctx, str(d.id), 100, None)
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)

        async def person(pid: UUID | None) -> Person | None:
            return None if pid is None else await rows.get(conn, "person", Person, ctx.tenant_id, pid)
        team = None if d.delegate_team_id is None else await rows.get(conn, "team", Team, ctx.tenant_id,
                                                                     d.delegate_team_id)
        versions = [Version((e.after or {}).get("version"), e.at, e.operation, e.actor) for e in history.items]
        actors = {}
        for v in versions:
            if v.actor.startswith("person:") and v.actor not in actors:
                try:
                    actors[v.actor] = (await person(UUID(v.actor.removeprefix("person:")))).name
                except (ValueError, NotFound):
                    pass
        inherited = []
        for parent in (await delegation_sql.ancestors(conn, ctx.tenant_id, [d.id]))[d.id]:
            if not parent.conditions:
                continue
            if parent.delegate_person_id is not None:
                holder = (await person(parent.delegate_person_id)).name
            else:
                holder = "teamet " + (await rows.get(conn, "team", Team, ctx.tenant_id, parent.delegate_team_id)).name
            inherited += [Inherited(c, parent.id, holder) for c in parent.conditions]
        return DelegationPage(delegation=d, area=facts.areas[d.area_id], unit=facts.units[d.unit_id],
                              delegator=await person(d.delegator_id), on_behalf_of=await person(d.on_behalf_of_id),
                              delegate_person=await person(d.delegate_person_id), delegate_team=team,
                              trust_shown=trust, manageable=manageable, versions=versions, actors=actors,
                              inherited=inherited)


class RedLineRow(msgspec.Struct, frozen=True):
    line: RedLine
    area: Area
    attributes: list[AreaAttribute]  # the area's, inherited ones included (for the sentence)
    set_at: Unit
    from_above: bool


class RedLinesPage(msgspec.Struct, frozen=True, kw_only=True):
    units: list[Unit]       # the units to choose from: the caller's, or every unit if she leads none
    unit: Unit | None
    may_add: bool            # the chosen unit is one of hers (she may add red lines for it)
    lines: list[RedLineRow]  # tree order of areas
    areas: list[AreaRow]


async def red_lines_page(ctx: Ctx, unit_id: UUID | None) -> RedLinesPage:
    """The red lines binding a unit (anyone who may read the registry may read them, as in GraphQL)."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        led = await _led_units(ctx, conn, facts)
    units = led or _tree_order([u for u in facts.units.values() if u.archived_at is None], facts)
    if unit_id is None and len(units) == 1:
        unit_id = units[0].id
    if unit_id is None:
        return RedLinesPage(units=units, unit=None, may_add=False, lines=[], areas=area_rows(facts, None))
    unit = facts.unit(unit_id, "enhed")
    lines = await redlines.in_force(ctx, unit.id, None)
    order = {row.area.id: i for i, row in enumerate(area_rows(facts, None))}
    found = [RedLineRow(r, facts.areas[r.area_id], attributes_of(facts, r.area_id), facts.units[r.unit_id],
                        r.unit_id != unit.id)
             for r in lines if r.archived_at is None]
    found.sort(key=lambda x: (order.get(x.area.id, 1 << 30), x.from_above is False, x.line.consequence))
    return RedLinesPage(units=units, unit=unit, may_add=unit in led, lines=found, areas=area_rows(facts, unit.id))


def attributes_of(facts: Facts, area_id: UUID) -> list[AreaAttribute]:
    return facts.attributes_in_force(area_id)


async def area_attributes(ctx: Ctx) -> dict[UUID, list[AreaAttribute]]:
    """Every area's attributes in force (the red-line builder offers them)."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
    return {a: attributes_of(facts, a) for a in facts.areas}

