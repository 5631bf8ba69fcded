"""What every use case needs: the caller, the clock, access checks and the organisation's facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timezone
from uuid import UUID

import msgspec

from registry.access import access
from registry.auth import Principal
from registry.domain.conditions import ConditionError, compile_condition
from registry.domain.decisions import check_number
from registry.domain.model import Area, AreaAttribute, Delegation, Team, Unit
from registry.domain.rules import accountable_delegator, attributes_in_force, leads, peer_of
from registry.domain.tree import Tree
from registry.errors import Forbidden, Invalid, NotFound
from registry.storage import areas as area_sql
from registry.storage import delegations as delegation_sql
from registry.storage import org as org_sql
from registry.storage import rows
from registry.storage import standins as standin_sql
from registry.storage.db import Conn, Db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Ctx(msgspec.Struct, frozen=True, kw_only=True):
    """One call's context: the database, who is calling, and the clock (injectable for tests)."""

    db: Db
    principal: Principal
    clock: Callable[[], datetime] = utcnow

    @property
    def tenant_id(self) -> UUID:
        return self.principal.tenant_id

    def now(self) -> datetime:
        return self.clock()

    def write(self):
        """One write transaction for this caller, stamped in history with this context's clock."""
        return self.db.write(self.tenant_id, self.principal.actor(), at=self.now())


def require(ctx: Ctx, op: str, relations: Iterable[str] = (), *, code: str | None = None,
            message: str | None = None, field: str | None = None) -> None:
    """Refuse unless the registry's policy (registry.access) allows `op` to the caller, given its
    relations to the target (see relations_to_unit)."""
    access().require(ctx.principal, op, relations, code=code, message=message, field=field)


def may(ctx: Ctx, op: str, relations: Iterable[str] = ()) -> bool:
    return access().may(ctx.principal, op, relations)


def require_person(ctx: Ctx, what: str) -> UUID:
    if ctx.principal.person is None:
        raise Forbidden(f"{what} must be done by a person, not a system", code="person_required")
    return ctx.principal.person.id


class Result(msgspec.Struct, frozen=True):
    """A use case's value and the revision its write committed at."""

    value: object
    revision: int


class Facts(msgspec.Struct, frozen=True, kw_only=True):
    units: dict[UUID, Unit]
    unit_tree: Tree
    areas: dict[UUID, Area]
    area_tree: Tree

    def unit(self, unit_id: UUID, field: str = "unitId") -> Unit:
        unit = self.units.get(unit_id)
        if unit is None:
            raise NotFound(f"no unit with id {unit_id}", field=field)
        return unit

    def subtree(self, unit_id: UUID) -> list[UUID]:
        """The unit and every unit below it (archived ones too)."""
        self.unit(unit_id)
        return [u for u in self.units if self.unit_tree.is_within(u, unit_id)]

    def attributes_in_force(self, area_id: UUID) -> list[AreaAttribute]:
        """The area's attributes, its own and those it inherits (rules.attributes_in_force)."""
        chain = [self.areas[a] for a in self.area_tree.ancestors(area_id) if a in self.areas]
        return [attr for attr, _ in attributes_in_force(chain)]

    def compile_condition(self, condition: str, area_id: UUID, field: str = "condition") -> str:
        """A condition (a red line's, a delegation's) parsed and type-checked against the area's
        attributes, as the canonical text to store; `invalid_condition` otherwise."""
        attributes = {a.name: a.type for a in self.attributes_in_force(area_id)}
        try:
            compiled = compile_condition(condition, attributes)
        except ConditionError as exc:
            where = f" (at position {exc.position})" if exc.position is not None else ""
            raise Invalid(f"{exc.message}{where}", field=field, code="invalid_condition") from exc
        # Checked when written, not when compiled: stored conditions must keep loading into the index.
        for number in compiled.numbers():
            check_number(number, field, f"{number!r} in the condition")
        return compiled.text

    def area(self, area_id: UUID, field: str = "areaId") -> Area:
        area = self.areas.get(area_id)
        if area is None:
            raise NotFound(f"no decision area with id {area_id}", field=field)
        return area


async def load_facts(conn: Conn, tenant_id: UUID) -> Facts:
    units = {u.id: u for u in await org_sql.all_units(conn, tenant_id)}
    areas = {a.id: a for a in await area_sql.all_areas(conn, tenant_id)}
    return Facts(units=units, unit_tree=Tree.of(units.values()), areas=areas, area_tree=Tree.of(areas.values()))


async def authority(conn: Conn, ctx: Ctx, facts: Facts, *, deputies: bool = False) -> dict[UUID, UUID | None]:
    """The units whose subtrees the caller holds leader authority over, now: unit -> None when the
    caller leads it, or -> the absent leader's id when the caller stands in for that leader (while
    that leader still leads the unit). Deputies count only with `deputies` (declaring delegations,
    where the unit lets them): everything else a leader does is the leader's and her stand-in's."""
    if ctx.principal.person is None:
        return {}
    person, now = ctx.principal.person.id, ctx.now()
    memberships = await org_sql.memberships_of_people(conn, ctx.tenant_id, [person])
    held: dict[UUID, UUID | None] = {}
    appointments = [s for s in await standin_sql.active_for(conn, ctx.tenant_id, person, now)
                    if s.unit_id in facts.units and facts.units[s.unit_id].archived_at is None]
    if appointments:
        theirs = await org_sql.memberships_of_people(conn, ctx.tenant_id, list({s.leader_id for s in appointments}))
        leading = {(m.person_id, m.unit_id) for m in theirs if m.role == "leader" and m.active_at(now)}
        for s in appointments:
            if (s.leader_id, s.unit_id) in leading:
                held[s.unit_id] = s.leader_id
    for unit in leads(memberships, facts.units, now, deputies=deputies):
        held[unit] = None
    return held


def relations_to_unit(held: dict[UUID, UUID | None], unit_id: UUID, tree: Tree) -> set[str]:
    """The caller's relations to a unit, from `authority`: "leader" when it leads the unit or one
    above, "standin" when it stands in for such a leader."""
    chain = tree.ancestors(unit_id)
    return {"leader" if held[u] is None else "standin" for u in chain if u in held}


class Sight:
    """Whether the caller may read private things about a person in a unit: acts and breaches (as
    that person, by role (HR, auditor, ...), or by her relation to the unit or the delegation the
    thing was done under: its delegator, or a colleague where its control is peer sparring), and a delegation's trust notes (`may_read_trust`). The caller's authority
    (and her teams) is loaded once, however many things are asked about."""

    def __init__(self, ctx: Ctx, conn: Conn):
        self.ctx, self.conn = ctx, conn
        self._facts: Facts | None = None
        self._held: dict[UUID, UUID | None] = {}
        self._teams: set[UUID] | None = None
        self._units: set[UUID] | None = None

    async def may(self, op: str, person_id: UUID, unit_id: UUID, delegation_id: UUID | None = None) -> bool:
        person = self.ctx.principal.person
        relations = {"self"} if person is not None and person.id == person_id else set()
        if may(self.ctx, op, relations):
            return True
        if person is None:
            return False  # a system holds no relation to a unit or a delegation
        relations |= await self._to_delegation(delegation_id)
        return await self._through_unit(op, unit_id, relations)

    async def relations(self, person_id: UUID, unit_id: UUID, delegation_id: UUID | None = None) -> set[str]:
        """All the caller's relations to something `person_id` did in `unit_id` under `delegation_id`
        (an act): self; delegator, peer (a colleague under peer sparring, `rules.peer_of`); leader or
        standin through the unit. The one rule `may` decides with, for use cases that need to know
        in which capacity the caller acts (feedback records it)."""
        person = self.ctx.principal.person
        if person is None:
            return set()
        relations = {"self"} if person.id == person_id else set()
        relations |= await self._to_delegation(delegation_id)
        await self._load()
        if unit_id in self._facts.units:
            relations |= relations_to_unit(self._held, unit_id, self._facts.unit_tree)
        return relations

    async def authority(self) -> tuple[Facts, dict[UUID, UUID | None]]:
        """The organisation's facts and the caller's authority (`authority`), loaded once."""
        await self._load()
        return self._facts, self._held

    async def peer_delegations(self) -> list[Delegation]:
        """The delegations under whose acts the caller is a peer: peer sparring, in a unit she has a
        position in now (`rules.peer_of`, the same rule `may` applies to one act)."""
        if self.ctx.principal.person is None:
            return []
        units = await self._my_units()
        return [d for d in await delegation_sql.in_units(self.conn, self.ctx.tenant_id, list(units))
                if peer_of(d, units)]

    async def _to_delegation(self, delegation_id: UUID | None) -> set[str]:
        """The caller's relations to the delegation a thing was done under: delegator, peer."""
        found: set[str] = set()
        if delegation_id is None:
            return found
        delegation = await rows.get(self.conn, "delegation", Delegation, self.ctx.tenant_id, delegation_id)
        if accountable_delegator(delegation) == self.ctx.principal.person.id:
            found.add("delegator")
        # (the form first: only a peer-sparring delegation needs the caller's positions loaded)
        if delegation.control.form == "peer_sparring" and peer_of(delegation, await self._my_units()):
            found.add("peer")
        return found

    async def _my_units(self) -> set[UUID]:
        """The units the caller has a position in now (any membership role)."""
        if self._units is None:
            now = self.ctx.now()
            self._units = {m.unit_id for m in await org_sql.memberships_of_people(
                self.conn, self.ctx.tenant_id, [self.ctx.principal.person.id]) if m.active_at(now)}
        return self._units

    async def _load(self) -> None:
        if self._facts is None:
            self._facts = await load_facts(self.conn, self.ctx.tenant_id)
            self._held = await authority(self.conn, self.ctx, self._facts)

    async def may_read_trust(self, delegation: Delegation) -> bool:
        """A delegation's trust notes (the policy's `Delegation.trust`): the delegate, or a member of
        the team it was given to (now); the delegator who answers for it; the leader chain above its
        unit, or a stand-in for it now; HR. Everyone else who may read the delegation reads it
        without them."""
        return await self.may_on_delegation("Delegation.trust", delegation)

    async def may_on_delegation(self, op: str, delegation: Delegation) -> bool:
        """`op` about a delegation, with the caller's relations to it: self (the delegate, or a
        member of its team now), delegator, and leader/standin through its unit."""
        if may(self.ctx, op):
            return True
        person = self.ctx.principal.person
        if person is None:
            return False
        relations: set[str] = set()
        if delegation.delegate_person_id == person.id or (
                delegation.delegate_team_id is not None and delegation.delegate_team_id in await self._my_teams()):
            relations.add("self")
        if accountable_delegator(delegation) == person.id:
            relations.add("delegator")
        return await self._through_unit(op, delegation.unit_id, relations)

    async def _through_unit(self, op: str, unit_id: UUID, relations: set[str]) -> bool:
        """`op` with the relations known so far, else with the caller's authority over the unit too."""
        if may(self.ctx, op, relations):
            return True
        await self._load()
        if unit_id in self._facts.units:
            relations = relations | relations_to_unit(self._held, unit_id, self._facts.unit_tree)
        return may(self.ctx, op, relations)

    async def _my_teams(self) -> set[UUID]:
        if self._teams is None:
            self._teams = await org_sql.team_ids_of_person(self.conn, self.ctx.tenant_id,
                                                           self.ctx.principal.person.id, self.ctx.now())
        return self._teams


def standing_in_for(held: dict[UUID, UUID | None], unit_id: UUID, tree: Tree) -> UUID | None:
    """Whose authority the caller uses at `unit_id`: None for the caller's own (preferred), else
    the leader the caller stands in for."""
    chain = tree.ancestors(unit_id)
    if any(u in held and held[u] is None for u in chain):
        return None
    return next((held[u] for u in chain if u in held), None)


def parse_uuid(value: str, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise NotFound(f"'{value}' is not a known id", field=field) from exc


def check_text(value: str | None, field: str, *, max_len: int = 200, required: bool = True) -> None:
    if value is None:
        if required:
            raise Invalid(f"{field} is required", field=field, code="required")
        return
    if required and not value.strip():
        raise Invalid(f"{field} may not be empty", field=field, code="required")
    if len(value) > max_len:
        raise Invalid(f"{field} is longer than {max_len} characters", field=field, code="too_long")


async def live_team(conn: Conn, tenant_id: UUID, team_id: UUID, field: str = "teamId") -> Team:
    """The team, refused when it is archived (nothing new is hung on it)."""
    team = await rows.get(conn, "team", Team, tenant_id, team_id, field=field)
    if team.archived_at is not None:
        raise Invalid("the team is archived", field=field, code="archived")
    return team


async def on_delegations(ctx: Ctx, delegations: list[Delegation], op: str,
                         fetch: Callable[[Conn, UUID, list[UUID]], Awaitable[list]]) -> list[list | None]:
    """Things recorded on delegations (leader's cards, offers), as private as the policy's `op` on the
    delegation says: for each delegation its things in `fetch`'s order, or None where the caller may
    not read them. One read for all of them."""
    async with ctx.db.read() as conn:
        sight = Sight(ctx, conn)
        shown = [await sight.may_on_delegation(op, d) for d in delegations]
        ids = [d.id for d, ok in zip(delegations, shown) if ok]
        found = await fetch(conn, ctx.tenant_id, ids) if ids else []
    grouped: dict[UUID, list] = defaultdict(list)
    for thing in found:
        grouped[thing.delegation_id].append(thing)
    return [grouped.get(d.id, []) if ok else None for d, ok in zip(delegations, shown)]


async def may_read_on_delegation(sight: Sight, row: dict, op: str) -> bool:
    """A history entry (its values as JSON) of a thing recorded on a delegation is as private as
    the thing: `op` on that delegation."""
    try:
        delegation = await rows.get(sight.conn, "delegation", Delegation, sight.ctx.tenant_id,
                                    UUID(str(row["delegation_id"])))
    except (KeyError, ValueError):
        return False
    return await sight.may_on_delegation(op, delegation)


async def readable_subtree(ctx: Ctx, conn: Conn, facts: Facts, unit_id: UUID, op: str, message: str) -> list[UUID]:
    """The unit's subtree, for reading `op` there: by a role the policy gives it as such (HR,
    auditors), or as the unit's leader chain or a stand-in for it; refused otherwise."""
    facts.unit(unit_id)
    relations: set[str] = set()
    if not may(ctx, op):
        relations = relations_to_unit(await authority(conn, ctx, facts), unit_id, facts.unit_tree)
    require(ctx, op, relations, code="not_authorised_to_read", field="unitId", message=message)
    return facts.subtree(unit_id)
