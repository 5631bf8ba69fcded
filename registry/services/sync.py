"""The sync from the municipality's systems (issue 13): a source (registry.domain.sync) compared with
the registry, shown as a dry run or carried out in one transaction through the organisation's use
cases (registry.services.org), as the system actor `system:sync:<source>` in history.

After the organisation is written, in the same transaction, what the changes do to delegations
(the rules in registry.domain.sync):
- a leader who leaves: the delegations she answers for stay in force and are due for review today on
  the unit's (next) leader's follow-up list (the list marks them "erklæret af en leder, der er
  fratrådt": registry.services.followup);
- a new leader: the delegations a former leader answers for in the unit are due for review within
  30 days (`review_days`);
- a person who moves unit: her delegations that cover the unit she left, and not the new one, end
  now (validity ends: the checks answer `expired`), and are due for review today on the old unit's
  leader's list.
Only the review date (and, for a mover, the end of validity) is written, directly on the delegation
row: the amend use case re-checks the whole delegation against the delegator's authority today,
which a departed leader no longer holds, so it would refuse exactly the delegations that need
following up; a review date changes no grant. History records the change as the sync's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID

import msgspec

from registry import sources
from registry.auth import Principal
from registry.domain import sync as domain
from registry.domain.model import Delegation
from registry.domain.tree import Tree
from registry.errors import Invalid
from registry.domain import aliases as alias_rules
from registry.services import aliases as alias_uc
from registry.services import delegations as delegation_uc
from registry.services import org as org_uc
from registry.services.common import Ctx, check_text, utcnow
from registry.storage import aliases as alias_sql
from registry.storage import org as org_sql
from registry.storage import rows
from registry.storage import sync as sync_sql
from registry.storage.db import BoundDb, Db

EFFECT_REASONS_DA = {
    "delegator_left": "erklæret af en leder, der er fratrådt",
    "leader_changed": "erklæret af den tidligere leder (lederskifte)",
    "moved": "modtageren har skiftet enhed: ophører",
    "unit_closed": "enheden lukker",
}
MOVED_REASON = "flyttet til en anden enhed (synkronisering)"


class Effect(msgspec.Struct, frozen=True, kw_only=True):
    """What the sync did to one delegation: `review` (due for review on `review_date`, with the reason
    `delegator_left`, `leader_changed` or `moved`) or `ended` (a mover's)."""

    delegation_id: UUID
    kind: str
    reason: str
    review_date: date | None = None


class Report(msgspec.Struct, frozen=True, kw_only=True):
    plan: domain.Plan
    applied: bool
    revision: int | None = None
    effects: list[Effect] = []

    def lines(self) -> list[str]:
        if self.plan.empty:
            return ["Ingen ændringer: registret svarer allerede til kilden."]
        head = "Synkroniseret:" if self.applied else "Prøvekørsel (intet er skrevet; tilføj --apply for at skrive):"
        found = [head, *domain.describe(self.plan)]
        reviews = sum(1 for e in self.effects if e.kind == "review")
        ended = sum(1 for e in self.effects if e.kind == "ended")
        closed = sum(1 for e in self.effects if e.kind == "unit_closed")
        found.append(f"Delegeringer: {reviews} til opfølgning, {ended} ophører (flytning), "
                     f"{closed} i enheder, der lukker")
        for e in self.effects:
            when = f", opfølgning {e.review_date.isoformat()}" if e.review_date else ""
            found.append(f"  delegering {e.delegation_id}: {EFFECT_REASONS_DA[e.reason]}{when}")
        if self.applied:
            found.append(f"Revision {self.revision}")
        return found


def sync_principal(tenant_id: UUID, tenant_key: str, source: str) -> Principal:
    """The sync as a system in history (`system:sync:<source>`), with the `write` scope the
    organisation's use cases ask of systems; it grants no roles."""
    return Principal(tenant_id=tenant_id, tenant_key=tenant_key, api_key_name=f"sync:{source}",
                     scopes=frozenset({"write"}))


async def run(db: Db, tenant_key: str, source: domain.Source, *, source_name: str = "csv", apply: bool = False,
              clock: Callable[[], datetime] = utcnow,
              review_days: int = domain.LEADER_CHANGE_REVIEW_DAYS) -> Report:
    """The plan (a dry run), or with `apply` the plan carried out in one transaction. A fault rolls
    back everything (the use cases' typed errors pass through)."""
    if source_name not in sources.kinds():
        raise Invalid(f"source must be one of {', '.join(sources.kinds())}", field="source", code="invalid_choice")
    if not 0 <= review_days <= 365:
        raise Invalid("reviewDays must be 0-365", field="reviewDays", code="invalid_choice")
    _check_source(source)
    now = clock()
    async with db.read() as conn:
        tenant = await org_sql.tenant_by_key(conn, tenant_key)
        units, people, memberships = await sync_sql.organisation(conn, tenant.id)
        the_plan = domain.plan(source, units=units, people=people, memberships=memberships, now=now,
                               aliases=await alias_sql.of_tenant(conn, tenant.id))
        if not apply and not the_plan.empty:  # the dry run lists the delegations affected, too
            tree, unit_ids = domain.planned_tree(the_plan, units)
            effects, _found = await _affected(conn, tenant.id, the_plan, tree, unit_ids, now, review_days)
            return Report(plan=the_plan, applied=False, effects=effects)
    if not apply or the_plan.empty:
        return Report(plan=the_plan, applied=False)
    ctx = Ctx(db=db, principal=sync_principal(tenant.id, tenant.key, source_name), clock=lambda: now)
    async with ctx.write() as tx:
        # Read again inside the transaction: the plan carried out is the one for what it sees.
        units, people, memberships = await sync_sql.organisation(tx.conn, tenant.id)
        the_plan = domain.plan(source, units=units, people=people, memberships=memberships, now=now,
                               aliases=await alias_sql.of_tenant(tx.conn, tenant.id))
        inner = Ctx(db=BoundDb(tx), principal=ctx.principal, clock=ctx.clock)  # type: ignore[arg-type]
        await _write_organisation(inner, the_plan, units, people)
        effects = await _delegations(inner, tx, the_plan, now, review_days)
        return Report(plan=the_plan, applied=True, revision=tx.revision, effects=effects)


def _check_source(source: domain.Source) -> None:
    """The organisation's own rules for a unit's and a person's values (registry.services.org), asked
    of every row before anything is written, so that a fault names its line."""
    for su in source.units:
        try:
            check_text(su.name, "name")
        except Invalid as exc:
            raise domain.SourceError(exc.code, f"{exc.field}: {exc.message}", file=source.units_file,
                                     line=su.line) from exc
    aliases_seen: dict[str, domain.SourcePerson] = {}
    for sp in source.people:
        try:
            org_uc.person_values(external_id=sp.external_id, name=sp.name, email=sp.email)
            for kind, value in sorted(sp.aliases.items()):  # issue 13: each alias's form, one person each
                stored = alias_rules.normalise(kind, value)
                other = aliases_seen.setdefault(stored.lower(), sp)
                if other is not sp:
                    raise domain.SourceError("alias_taken", f"{alias_rules.KIND_NAMES_DA[kind]} »{value}« står også "
                                             f"ved personen »{other.external_id}« (linje {other.line})",
                                             file=source.people_file, line=sp.line)
        except Invalid as exc:
            raise domain.SourceError(exc.code, f"{exc.field}: {exc.message}", file=source.people_file,
                                     line=sp.line) from exc


async def _write_organisation(ctx: Ctx, plan: domain.Plan, units, people) -> dict[str, UUID]:
    now = ctx.now()
    unit_ids = {u.external_id: u.id for u in units if u.external_id is not None}
    for su in plan.create_units:
        created = await org_uc.create_unit(ctx, name=su.name, kind=su.kind, external_id=su.id,
                                           parent_id=unit_ids[su.parent_id] if su.parent_id else None)
        unit_ids[su.id] = created.value.id
    for change in plan.change_units:
        changes = dict(change.changes)
        if change.moves:
            changes["parent_id"] = unit_ids[change.parent] if change.parent else None
        if "archived_at" in changes:  # back in the source: taken up again before anything hangs on it
            await org_uc.update_unit(ctx, change.unit.id, change.unit.version, {"archived_at": None})
            changes.pop("archived_at")
            version = change.unit.version + 1
        else:
            version = change.unit.version
        if changes:
            await org_uc.update_unit(ctx, change.unit.id, version, changes)
    people_ids = {p.external_id: p.id for p in people}
    for sp in plan.create_people:
        created = await org_uc.create_person(ctx, external_id=sp.external_id, name=sp.name, email=sp.email)
        people_ids[sp.external_id] = created.value.id
    for change in plan.change_people:
        await org_uc.update_person(ctx, change.person.id, change.person.version, dict(change.changes))
    for m in plan.end_memberships:
        if m.valid_from >= now:  # not begun: it never holds
            await org_uc.archive_membership(ctx, m.id, m.version)
        else:
            await org_uc.update_membership(ctx, m.id, m.version, {"valid_to": now})
    for m, changes in plan.change_memberships:
        await org_uc.update_membership(ctx, m.id, m.version, changes)
    for new in plan.add_memberships:
        await org_uc.add_membership(ctx, person_id=people_ids[new.external_id], unit_id=unit_ids[new.unit],
                                    role=new.role, valid_from=new.valid_from, valid_to=new.valid_to)
    await _write_aliases(ctx, plan, people_ids)
    for p in plan.archive_people:
        await org_uc.archive_person(ctx, p.id, p.version)
    for u in plan.archive_units:
        current = await rows.get(ctx.db.conn, "org_unit", type(u), ctx.tenant_id, u.id)  # type: ignore[attr-defined]
        await org_uc.archive_unit(ctx, u.id, current.version)
    return people_ids


async def _write_aliases(ctx: Ctx, plan: domain.Plan, people_ids: dict[str, UUID]) -> None:
    """The people's aliases the source manages (removals first, so a value can change hands), through
    the alias use cases: a value held by someone the source cannot take it from is refused (alias_taken)."""
    if not plan.alias_changes:
        return
    async with ctx.write() as tx:
        for change in plan.alias_changes:
            if change.value is None:
                await alias_uc.remove_in(ctx, tx, change.current.person_id, change.kind)
            else:
                await alias_uc.set_in(ctx, tx, people_ids[change.external_id], change.kind, change.value)


async def _affected(conn, tenant_id: UUID, plan: domain.Plan, tree: Tree, unit_ids: dict[str, UUID],
                    now: datetime, review_days: int) -> tuple[list[Effect], dict[UUID, Delegation]]:
    """What the organisation changes do to delegations (the domain's rules), with the unit tree as it
    will be: each affected delegation once (the earliest review wins; a mover's ends), and those in
    units that close (listed: the checks refuse an archived unit)."""
    leavers = {p.id for p in plan.archive_people}
    former = {f for c in plan.leader_changes for f in c.former}
    movers = {m.person.id for m in plan.moves}
    closing = [u.id for u in plan.archive_units]
    if not (leavers or former or movers or closing):
        return [], {}
    found = await sync_sql.active_delegations(conn, tenant_id, delegators=sorted(leavers | former),
                                              delegates=sorted(movers),
                                              units=[c.unit for c in plan.leader_changes] + closing)
    today = now.date()
    reviews: dict[UUID, tuple[date, str]] = {}

    def due(d: Delegation, day: date, reason: str) -> None:
        if d.id not in reviews or day < reviews[d.id][0]:
            reviews[d.id] = (day, reason)
    ended: set[UUID] = set()
    for move in plan.moves:
        for d in domain.mover_ends(found, move.person.id, move.from_unit, unit_ids[move.to_unit], tree):
            ended.add(d.id)
            due(d, today, "moved")
    for change in plan.leader_changes:
        for d, day in domain.leader_change_reviews(found, change.unit, set(change.former), today, review_days):
            due(d, day, "leader_changed")
    for d in domain.leaver_reviews(found, leavers, today):
        due(d, today, "delegator_left")
    effects = []
    for d in found:
        if d.id in reviews:
            day, reason = reviews[d.id]
            effects.append(Effect(delegation_id=d.id, kind="ended" if d.id in ended else "review", reason=reason,
                                  review_date=day))
        elif d.unit_id in closing:
            effects.append(Effect(delegation_id=d.id, kind="unit_closed", reason="unit_closed"))
    return effects, {d.id: d for d in found}


async def _delegations(ctx: Ctx, tx, plan: domain.Plan, now: datetime, review_days: int) -> list[Effect]:
    """The effects on delegations, written in `tx`: the review date (and a mover's end of validity)."""
    conn = ctx.db.conn  # type: ignore[attr-defined]
    units, _people, _ms = await sync_sql.organisation(conn, ctx.tenant_id)
    unit_ids = {u.external_id: u.id for u in units if u.external_id is not None}
    effects, found = await _affected(conn, ctx.tenant_id, plan, Tree.of(units), unit_ids, now, review_days)
    for e in effects:
        d = found[e.delegation_id]
        if e.kind == "unit_closed":
            continue  # the unit is archived: checks refuse it; the delegation stays as it was, in history
        changes: dict = {"review_date": e.review_date}
        if e.kind == "ended":
            if d.valid_from >= now:  # not begun: it is withdrawn instead
                await delegation_uc.revoke_in(ctx, tx, d, MOVED_REASON)
                continue
            changes["valid_until"] = now
        await rows.update(tx, "delegation", Delegation, d.id, d.version, changes)
    return effects
