"""What the employee's pages show around a mandate (services.checks.mandate) and a who-may answer:
the names behind the ids (areas with their attributes, inherited ones included; units; the team; the
red lines; the delegation's purpose and rules), who to ask, and where she may record an act. A read
use case for the web app: the same things GraphQL's MandateEntry reaches by following its links.

Nothing here decides anything: the mandate and the checks do. This only names what they answered.
"""

from __future__ import annotations

from uuid import UUID

import msgspec

from registry.domain import rules
from registry.domain.model import Area, AreaAttribute, Delegation, Person, RedLine, Team, TrustStep, Unit, UnitFrame
from registry.errors import NotFound
from registry.services.checks import MandateEntry
from registry.services import frames as frame_uc
from registry.services.common import Ctx, Facts, load_facts, require
from registry.storage import org as org_sql
from registry.storage import redlines as red_line_sql
from registry.storage import rows

# Levels at which the person decides herself (and so records acts): 5-7.
DECIDING_FROM = 5


class EntryNames(msgspec.Struct, frozen=True, kw_only=True):
    """One mandate entry's names: what the card says instead of ids."""

    area: Area
    attributes: tuple[AreaAttribute, ...]   # the area's own and inherited ones
    unit: Unit
    team: Team | None
    red_lines: list[tuple[RedLine, tuple[AreaAttribute, ...], Area | None]]  # with its area and its attributes
    purpose: str
    rules: tuple[str, ...]
    next_step: TrustStep | None               # a planned step of trust on her delegation
    # the shared frames holding there (the unit chain's, then the team's), each with whose it is
    frames: list[tuple[str, UnitFrame]] = []
    ask: Person | None                        # the delegator who answers for it, or the leader above
    stand_in_for: Person | None
    except_areas: list[Area]


class Choice(msgspec.Struct, frozen=True):
    """An area or unit offered in a form, with its depth in the tree (for indenting)."""

    id: str
    key: str
    name: str
    depth: int


class Place(msgspec.Struct, frozen=True):
    """Where an act may be recorded: the areas and units of the entries she decides in."""

    areas: list[Choice]
    units: list[Choice]


async def _person(conn, ctx: Ctx, person_id: UUID | None, cache: dict) -> Person | None:
    if person_id is None:
        return None
    if person_id not in cache:
        try:
            cache[person_id] = await rows.get(conn, "person", Person, ctx.tenant_id, person_id)
        except NotFound:
            cache[person_id] = None
    return cache[person_id]


async def _leader_above(conn, ctx: Ctx, facts: Facts, unit_id: UUID, me: UUID | None) -> UUID | None:
    """The nearest active leader of the units above this one who is not `me`."""
    chain = facts.unit_tree.ancestors(unit_id)[1:]
    if not chain:
        return None
    now = ctx.now()
    memberships = await org_sql.memberships_of_units(conn, ctx.tenant_id, chain)
    for unit in chain:
        for m in memberships:
            if m.unit_id == unit and m.role == "leader" and m.active_at(now) and m.person_id != me:
                return m.person_id
    return None


async def names(ctx: Ctx, entries: list[MandateEntry]) -> list[EntryNames]:
    """The names of each entry's area, unit, team, red lines and who to ask, in the entries' order."""
    require(ctx, "mandate")
    me = None if ctx.principal.person is None else ctx.principal.person.id
    people: dict = {}
    found = []
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        lines = {r.id: r for r in await red_line_sql.all_red_lines(conn, ctx.tenant_id)}
        teams = {t.id: t for t in await org_sql.list_teams(conn, ctx.tenant_id, unit_id=None, include_archived=True)}
        held_frames = await frame_uc.frames_in(conn, ctx.tenant_id, facts, [
            (UUID(e.unit_id), None if e.via_team_id is None else UUID(e.via_team_id)) for e in entries])
        for e, frames in zip(entries, held_frames):
            area_id, unit_id = UUID(e.area_id), UUID(e.unit_id)
            purpose, rules_, ask, step = "", (), None, None
            if e.delegation_id is not None:
                delegation = await rows.get(conn, "delegation", Delegation, ctx.tenant_id, UUID(e.delegation_id))
                purpose, rules_, step = delegation.purpose, delegation.rules, delegation.next_step
                ask = rules.accountable_delegator(delegation)
            else:
                # her own leader authority, or the absent leader's she holds: the leader above answers
                ask = await _leader_above(conn, ctx, facts, unit_id, me)
            binding = [lines[UUID(i)] for i in e.red_line_ids if UUID(i) in lines]
            found.append(EntryNames(
                area=facts.area(area_id), attributes=_attributes(facts, area_id), unit=facts.unit(unit_id),
                team=None if e.via_team_id is None else teams.get(UUID(e.via_team_id)),
                red_lines=[(r, _attributes(facts, r.area_id), facts.areas.get(r.area_id)) for r in binding],
                purpose=purpose, rules=rules_, next_step=step,
                frames=[(facts.units[f.unit_id].name if f.unit_id is not None else
                         f"teamet {teams[f.team_id].name}" if f.team_id in teams else "teamet", f) for f in frames],
                ask=await _person(conn, ctx, ask, people),
                stand_in_for=await _person(conn, ctx, None if e.stand_in_for is None else UUID(e.stand_in_for), people),
                except_areas=[facts.areas[UUID(a)] for a in e.except_area_ids if UUID(a) in facts.areas]))
    return found


def _attributes(facts: Facts, area_id: UUID) -> tuple[AreaAttribute, ...]:
    return tuple(facts.attributes_in_force(area_id))


def deciding(entries: list[MandateEntry]) -> list[MandateEntry]:
    """The entries in which she decides herself now (level in force 5-7): where she records acts."""
    return [e for e in entries if e.level_in_force is not None and e.level_in_force >= DECIDING_FROM]


async def places(ctx: Ctx, entries: list[MandateEntry]) -> Place:
    """The areas (with the areas below them, but not those excepted) and units (with those below
    them when the entry includes them) where she decides: what the act form offers. The use case
    that records the act checks it, whatever is offered."""
    require(ctx, "mandate")
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
    area_ids: set[UUID] = set()
    unit_ids: set[UUID] = set()
    for e in deciding(entries):
        top, excepted = UUID(e.area_id), [UUID(a) for a in e.except_area_ids]
        area_ids |= {a for a, area in facts.areas.items() if area.archived_at is None
                     and facts.area_tree.is_within(a, top)
                     and not any(facts.area_tree.is_within(a, x) for x in excepted)}
        unit = UUID(e.unit_id)
        unit_ids |= {u for u, found in facts.units.items() if found.archived_at is None
                     and (u == unit or (e.include_subunits and facts.unit_tree.is_within(u, unit)))}
    return Place(areas=tree_choices(facts.areas, facts.area_tree, area_ids, key=lambda a: a.key,
                                    name=lambda a: a.name_da),
                 units=tree_choices(facts.units, facts.unit_tree, unit_ids, key=lambda u: u.external_id or "",
                                    name=lambda u: u.name))


def tree_choices(items: dict, tree, wanted: set[UUID] | None, *, key, name) -> list[Choice]:
    """Items in tree order (parents first, siblings by name), with their depth; only `wanted` ones
    (None: every live one)."""
    children: dict = {}
    for i, item in items.items():
        if item.archived_at is None:
            children.setdefault(item.parent_id if item.parent_id in items else None, []).append(i)
    out: list[Choice] = []

    def walk(parent, depth):  # depth counts the ancestors shown
        for i in sorted(children.get(parent, ()), key=lambda x: name(items[x])):
            shown = wanted is None or i in wanted
            if shown:
                out.append(Choice(str(i), key(items[i]), name(items[i]), depth))
            walk(i, depth + 1 if shown else depth)
    walk(None, 0)
    return out


async def catalogue(ctx: Ctx) -> tuple[list[Choice], list[Choice]]:
    """Every live area and unit, in tree order: what "Hvem kan beslutte?" offers."""
    require(ctx, "whoMay")
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
    return (tree_choices(facts.areas, facts.area_tree, None, key=lambda a: a.key, name=lambda a: a.name_da),
            tree_choices(facts.units, facts.unit_tree, None, key=lambda u: u.external_id or "", name=lambda u: u.name))


async def attributes_of(ctx: Ctx, area_key: str) -> tuple[Area, tuple[AreaAttribute, ...]] | None:
    """An area by its key, with its attributes (inherited ones included); None when unknown."""
    require(ctx, "decisionArea")
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
    area = next((a for a in facts.areas.values() if a.key == area_key and a.archived_at is None), None)
    return None if area is None else (area, _attributes(facts, area.id))


async def people(ctx: Ctx, ids: list[str]) -> dict[str, Person]:
    """People by id (for the names in a who-may answer)."""
    require(ctx, "person")
    cache: dict = {}
    async with ctx.db.read() as conn:
        for i in ids:
            await _person(conn, ctx, UUID(i), cache)
    return {str(k): v for k, v in cache.items() if v is not None}


async def names_of(ctx: Ctx, *, area_id: UUID, unit_id: UUID, people_ids: list[UUID | None]
                   ) -> tuple[Area | None, tuple[AreaAttribute, ...], Unit | None, dict[UUID, Person]]:
    """An act's area (with its attributes), unit and the people it names (the actor, who gave feedback)."""
    require(ctx, "person")
    cache: dict = {}
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        for i in people_ids:
            await _person(conn, ctx, i, cache)
    area = facts.areas.get(area_id)
    return (area, () if area is None else _attributes(facts, area_id), facts.units.get(unit_id),
            {k: v for k, v in cache.items() if v is not None})


async def tree_names(ctx: Ctx) -> tuple[dict[UUID, Area], dict[UUID, Unit]]:
    """Every area and unit by id (archived ones too: an old act still names them)."""
    require(ctx, "decisionAreas")
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
    return facts.areas, facts.units
