"""Read use cases for the leader's follow-up ("Opfølgning"): per unit the caller holds leader
authority over (as its leader, or as a stand-in for its absent leader: common.authority), what waits
for her. Built from the same use cases GraphQL answers with (acts, reviews, stand-ins), scoped to
those units only, so a leader never sees another unit's follow-up here.

Also the choices the follow-up forms offer (the people of her units, their delegations) and the names
the pages show. Nothing here writes; the write use cases (reviews, standins, breaches) decide.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import msgspec

from registry.domain import rules
from registry.domain import sync as sync_rules
from registry.domain.model import Act, Area, Delegation, DueItem, Person, RedLine, StandIn, Team, Unit
from registry.services import acts as act_uc
from registry.services import reviews as review_uc
from registry.services import standins as standin_uc
from registry.services.common import Ctx, authority, load_facts
from registry.storage import delegations as delegation_sql
from registry.storage import org as org_sql
from registry.storage import redlines as red_line_sql
from registry.storage import rows
from registry.storage import sync as sync_sql

HORIZON = timedelta(days=30)  # reviews and ends within this are shown as coming up


class WaitingAct(msgspec.Struct, frozen=True, kw_only=True):
    act: Act
    justify: DueItem | None   # the act's justification item (its deadline)
    overdue: bool


class UnitFollowUp(msgspec.Struct, frozen=True, kw_only=True):
    unit: Unit
    standing_in_for: UUID | None         # the absent leader, when the caller stands in for her
    may_appoint: bool                    # the caller is the unit's own leader (appoints stand-ins)
    awaiting_justification: list[WaitingAct]
    awaiting_feedback: list[Act]
    due_for_review: list[Delegation]
    expiring: list[Delegation]
    stand_ins: list[StandIn]             # in force or planned (not ended, not run out)
    red_lines_due: list[RedLine] = []    # set in the unit or below, to be taken up again within 30 days
    # Why a delegation due for review is there, beyond its date (domain.sync.review_reason): its id -> code.
    review_reasons: dict[UUID, str] = {}
    # People who joined the unit within 30 days, with their delegations a move ended (domain.sync.moved_in).
    moved_in: list[tuple[UUID, list[Delegation]]] = []

    @property
    def overdue(self) -> int:
        return sum(1 for w in self.awaiting_justification if w.overdue)


class Names(msgspec.Struct, frozen=True, kw_only=True):
    """What the pages call people, teams, units and areas by."""

    people: dict[UUID, Person]
    teams: dict[UUID, Team]
    units: dict[UUID, Unit]
    areas: dict[UUID, Area]

    def person(self, person_id: UUID | None) -> str:
        person = self.people.get(person_id) if person_id is not None else None
        return "" if person is None else person.name

    def delegate(self, d: Delegation) -> str:
        if d.delegate_person_id is not None:
            return self.person(d.delegate_person_id)
        team = self.teams.get(d.delegate_team_id)
        return "" if team is None else team.name

    def unit(self, unit_id: UUID | None) -> str:
        unit = self.units.get(unit_id) if unit_id is not None else None
        return "" if unit is None else unit.name

    def area(self, area_id: UUID | None) -> str:
        area = self.areas.get(area_id) if area_id is not None else None
        return "" if area is None else area.name_da


class Overview(msgspec.Struct, frozen=True, kw_only=True):
    units: list[UnitFollowUp]
    names: Names


async def held_units(ctx: Ctx) -> tuple[list[Unit], dict[UUID, UUID | None], set[UUID]]:
    """The top units the caller holds authority over (a unit inside another she holds is covered by
    it), the authority map (common.authority) and the units she leads herself as their leader."""
    now = ctx.now()
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        held = await authority(conn, ctx, facts)
        own: set[UUID] = set()
        if ctx.principal.person is not None:
            memberships = await org_sql.memberships_of_people(conn, ctx.tenant_id, [ctx.principal.person.id])
            own = rules.leads(memberships, facts.units, now, deputies=False)
    tops = [facts.units[u] for u in held
            if not any(a in held for a in facts.unit_tree.ancestors(u)[1:])]
    tops.sort(key=lambda u: u.name)
    return tops, held, own


async def overview(ctx: Ctx) -> Overview:
    """What waits for the caller, unit by unit: acts awaiting justification (overdue marked), acts
    awaiting her feedback, delegations due for review (review date passed, or within 30 days), ending
    within 30 days, and stand-ins in force or planned."""
    now = ctx.now()
    tops, held, own = await held_units(ctx)
    all_stand_ins = [s for s in await standin_uc.list_for(ctx, None) if s.archived_at is None and s.valid_until > now]
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        lines = [r for r in await red_line_sql.all_red_lines(conn, ctx.tenant_id)
                 if r.review_date is not None and r.review_date <= (now + HORIZON).date()]
    found = []
    for unit in tops:
        waiting = []
        for act, due in await act_uc.list_acts(ctx, mine=False, unit_id=unit.id, awaiting="justification"):
            justify = next((i for i in due if i.kind == "justify" and i.status == "open"), None)
            waiting.append(WaitingAct(act=act, justify=justify,
                                      overdue=justify is not None and justify.status_at(now) == "overdue"))
        waiting.sort(key=lambda w: (not w.overdue, w.justify.due_at if w.justify and w.justify.due_at else now))
        feedback = [a for a, _ in await act_uc.list_acts(ctx, mine=False, unit_id=unit.id, awaiting="feedback")]
        review = await review_uc.due(ctx, unit.id, review_to=(now + HORIZON).date())
        expiring = await review_uc.due(ctx, unit.id, expiring_from=now, expiring_to=now + HORIZON)
        stand_ins = [s for s in all_stand_ins if facts.unit_tree.is_within(s.unit_id, unit.id)]
        async with ctx.db.read() as conn:
            below = [u for u in facts.units if facts.unit_tree.is_within(u, unit.id)]
            recent = [m for m in await sync_sql.joined_since(conn, ctx.tenant_id, below, now - HORIZON)
                      if m.active_at(now)]
            ended = await sync_sql.ended_delegations_of(conn, ctx.tenant_id, sorted({m.person_id for m in recent}),
                                                        now - HORIZON, now) if recent else []
        moved_in = sync_rules.moved_in(recent, ended, unit.id, facts.unit_tree, now, HORIZON)
        found.append(UnitFollowUp(unit=unit, standing_in_for=held[unit.id], may_appoint=unit.id in own,
                                  awaiting_justification=waiting, awaiting_feedback=feedback, due_for_review=review,
                                  expiring=expiring, stand_ins=stand_ins, moved_in=moved_in,
                                  red_lines_due=sorted((r for r in lines if facts.unit_tree.is_within(r.unit_id, unit.id)),
                                                       key=lambda r: r.review_date)))
    answering = {rules.accountable_delegator(d) for f in found for d in f.due_for_review}
    if answering:
        async with ctx.db.read() as conn:
            gone = {p.id for p in (await rows.get_many(conn, "person", Person, ctx.tenant_id, list(answering))).values()
                    if p.archived_at is not None}
        found = [msgspec.structs.replace(f, review_reasons={d.id: reason for d in f.due_for_review
                                                            if (reason := sync_rules.review_reason(d, gone))})
                 for f in found]
    people: set[UUID] = set()
    teams: set[UUID] = set()
    for f in found:
        people |= {w.act.person_id for w in f.awaiting_justification} | {a.person_id for a in f.awaiting_feedback}
        for d in f.due_for_review + f.expiring:
            if d.delegate_person_id is not None:
                people.add(d.delegate_person_id)
            else:
                teams.add(d.delegate_team_id)
        people |= {s.leader_id for s in f.stand_ins} | {s.stand_in_id for s in f.stand_ins}
        people |= {p for p, _ in f.moved_in}
        if f.standing_in_for is not None:
            people.add(f.standing_in_for)
    return Overview(units=found, names=await names(ctx, people=people, teams=teams))


async def names(ctx: Ctx, *, people=(), teams=()) -> Names:
    """Names of people and teams (who may read the organisation may read them), and every unit and area."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        found_people = await rows.get_many(conn, "person", Person, ctx.tenant_id, [p for p in people if p])
        found_teams = await rows.get_many(conn, "team", Team, ctx.tenant_id, [t for t in teams if t])
    return Names(people=found_people, teams=found_teams, units=facts.units, areas=facts.areas)


class Choices(msgspec.Struct, frozen=True, kw_only=True):
    """What a follow-up form offers: the units (top first, then those below), the people in them
    (not the caller), and their active delegations."""

    units: list[Unit]
    people: list[Person]
    delegations: list[Delegation]
    names: Names


async def choices(ctx: Ctx, *, own_units_only: bool = False, with_delegations: bool = False) -> Choices:
    """For the caller's units (only those she leads herself with `own_units_only`, as appointing a
    stand-in asks): the units within them, their members, and (with `with_delegations`) their active
    delegations."""
    now = ctx.now()
    tops, _held, own = await held_units(ctx)
    me = ctx.principal.person.id if ctx.principal.person is not None else None
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        units: list[Unit] = []
        if own_units_only:
            units = sorted((facts.units[u] for u in own), key=lambda u: u.name)
        else:
            for top in tops:
                below = [u for u in facts.units.values() if u.archived_at is None
                         and facts.unit_tree.is_within(u.id, top.id) and u.id != top.id]
                units += [top] + sorted(below, key=lambda u: u.name)
        members = await org_sql.memberships_of_units(conn, ctx.tenant_id, [u.id for u in units])
        person_ids = sorted({m.person_id for m in members if m.active_at(now)} - {me})
        found = await rows.get_many(conn, "person", Person, ctx.tenant_id, person_ids)
        people = sorted((p for p in found.values() if p.archived_at is None), key=lambda p: p.name)
        delegations: list[Delegation] = []
        if with_delegations:
            for top in tops:
                found_here = await delegation_sql.list_delegations(
                    conn, ctx.tenant_id, delegation_sql.DelegationFilter(unit_subtree=top.id, status="active"),
                    now=now, after=None, limit=1000)
                delegations += [d for d in found_here if d.delegate_person_id is None or d.delegate_person_id != me]
    team_ids = {d.delegate_team_id for d in delegations if d.delegate_team_id}
    named = await names(ctx, people={p.id for p in people} | {d.delegate_person_id for d in delegations},
                        teams=team_ids)
    delegations.sort(key=lambda d: (named.delegate(d), named.area(d.area_id)))
    return Choices(units=units, people=people, delegations=delegations, names=named)
