"""The sync from the municipality's systems (issue 13): a source (registry.domain.sync) compared with
the registry, shown as a dry run or carried out through the organisation's use cases
(registry.services.org), as the system actor `system:sync:<source>` in history: in one
transaction, or a large plan in bounded batches, each recorded in the run (sync_run) as it commits,
so that a run that stops is continued by the next.

With the organisation's writes, in the same transaction as the step that causes each, what the
changes do to delegations (the rules in registry.domain.sync):
- a leader who leaves: the delegations she answers for stay in force and are due for review today on
  the unit's (next) leader's follow-up list (the list marks them "erklæret af en leder, der er
  fratrådt": registry.services.followup);
- a new leader: the delegations a former leader answers for in the unit are due for review within
  30 days (`review_days`);
- a person who moves unit: her delegations that cover the unit she left, and not the new one, end
  now (validity ends: the checks answer `expired`), and are due for review today on the old unit's
  leader's list."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from uuid import UUID

import msgspec

from registry import sources, texts
from registry.auth import Principal
from registry.domain import aliases as alias_rules
from registry.domain import sync as domain
from registry.domain.model import Delegation
from registry.domain.rules import accountable_delegator
from registry.errors import Conflict, Invalid, RegistryError
from registry.services import delegations as delegation_uc
from registry.services import events
from registry.services import org as org_uc
from registry.services import aliases as alias_uc
from registry.services.common import Ctx, check_text, require, utcnow
from registry.storage import aliases as alias_sql
from registry.storage import org as org_sql
from registry.storage import rows
from registry.storage.rows import check_first
from registry.storage import sync as syncs
from registry.storage.db import BoundDb, Db

EFFECT_REASONS_DA = {
    "delegator_left": "erklæret af en leder, der er fratrådt",
    "leader_changed": "erklæret af den tidligere leder (lederskifte)",
    "moved": "modtageren har skiftet enhed: ophører",
    "unit_closed": "enheden lukker",
}
MOVED_REASON = "flyttet til en anden enhed (synkronisering)"
log = logging.getLogger("registry.sync")


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
    run_id: UUID | None = None
    batches: int = 0
    continued: syncs.SyncRun | None = None    # the stopped run this one took up

    def lines(self) -> list[str]:
        found = []
        if self.continued is not None:
            c = self.continued
            found.append(f"Fortsætter synkroniseringen fra {c.started_at:%Y-%m-%d %H:%M}, der stoppede efter "
                         f"{c.steps_done} af {c.steps_total} trin" + (f" ({c.error_da})" if c.error_da else "")
                         + "; det skrevne er med, og resten følger her.")
        if self.plan.empty and not self.effects:
            return found + ["Ingen ændringer: registret svarer allerede til kilden."]
        head = "Synkroniseret:" if self.applied else "Prøvekørsel (intet er skrevet; tilføj --apply for at skrive):"
        found += [head, *domain.describe(self.plan)]
        reviews = sum(1 for e in self.effects if e.kind == "review")
        ended = sum(1 for e in self.effects if e.kind == "ended")
        closed = sum(1 for e in self.effects if e.kind == "unit_closed")
        found.append(f"Delegeringer: {reviews} til opfølgning, {ended} ophører (flytning), "
                     f"{closed} i enheder, der lukker")
        for e in self.effects:
            when = f", opfølgning {e.review_date.isoformat()}" if e.review_date else ""
            found.append(f"  delegering {e.delegation_id}: {EFFECT_REASONS_DA[e.reason]}{when}")
        if self.applied:
            found.append(f"Revision {self.revision}" + (f" ({self.batches} transaktioner)" if self.batches > 1 else ""))
        return found


def sync_principal(tenant_id: UUID, tenant_key: str, source: str) -> Principal:
    """The sync as a system in history (`system:sync:<source>`), with the `write` scope the
    organisation's use cases ask of systems; it grants no roles."""
    return Principal(tenant_id=tenant_id, tenant_key=tenant_key, api_key_name=f"sync:{source}",
                     scopes=frozenset({"write"}))


# A plan of more steps than this (a unit, or one person with her memberships) is written in batches
# of this many, each its own transaction: other writes to the organisation wait for one batch, not
# for the whole first import; 0 writes any plan in one transaction.
BATCH_SIZE = 2000

Progress = Callable[[int, int], None]   # (steps done, steps in all), after each step


def digest(source: domain.Source) -> str:
    return hashlib.sha256(msgspec.json.encode(source)).hexdigest()


async def run(db: Db, tenant_key: str, source: domain.Source, *, source_name: str = "csv", apply: bool = False,
              clock: Callable[[], datetime] = utcnow,
              review_days: int = domain.LEADER_CHANGE_REVIEW_DAYS, batch_size: int = BATCH_SIZE,
              trigger: str = "cli", progress: Progress | None = None) -> Report:
    """The plan (a dry run), or with `apply` the plan carried out: in one transaction, or for a plan
    of more than `batch_size` steps in batches of that many, each recorded in the run (sync_run) as
    it commits. A fault rolls back the batch it happens in (the use cases' typed errors pass through)
    and leaves the run `failed`; the next run of the source continues it: the plan of what is still
    to do is the remainder, because what is written is no longer in it."""
    if source_name not in sources.kinds():
        raise Invalid(f"source must be one of {', '.join(sources.kinds())}", field="source", code="invalid_choice")
    if not 0 <= review_days <= 365:
        raise Invalid("reviewDays must be 0-365", field="reviewDays", code="invalid_choice")
    if batch_size < 0:
        raise Invalid("batchSize must be 0 or more", field="batchSize", code="invalid_choice")
    _check_source(source)
    now = clock()
    async with db.read() as conn:
        tenant = await org_sql.tenant_by_key(conn, tenant_key)
    if not apply:
        async with db.read() as conn:
            the_plan, units, people = await _plan(conn, tenant.id, source, source_name, now)
            effects, _found, _causes = await _affected(conn, tenant.id, the_plan, units, people, now, review_days)
        return Report(plan=the_plan, applied=False, effects=effects)
    async with syncs.exclusive(db, tenant.id) as mine:
        if not mine:
            raise Conflict("another sync of this organisation is running", field="source", code="sync_running",
                           message_da="En anden synkronisering af organisationen kører allerede; prøv igen, "
                                      "når den er færdig")
        return await _apply(db, tenant, source, source_name, now, review_days, batch_size, trigger, progress)


async def _plan(conn, tenant_id: UUID, source: domain.Source, source_name: str, now: datetime):
    units, people, memberships = await syncs.organisation(conn, tenant_id)
    the_plan = domain.plan(source, units=units, people=people, memberships=memberships, now=now,
                           aliases=await alias_sql.of_tenant(conn, tenant_id),
                           since=await syncs.last_done(conn, tenant_id, source_name, before=now))
    return the_plan, units, people


async def _apply(db: Db, tenant, source: domain.Source, source_name: str, now: datetime, review_days: int,
                 batch_size: int, trigger: str, progress: Progress | None) -> Report:
    async with db.read() as conn:
        await syncs.stopped_runs(conn, tenant.id, now)
        continued = await syncs.unfinished(conn, tenant.id, source_name)
        the_plan, units, people = await _plan(conn, tenant.id, source, source_name, now)
        effects, found, causes = await _affected(conn, tenant.id, the_plan, units, people, now, review_days)
    steps = _steps(the_plan, people)
    keys = {key for key, _ops in steps}
    if any(e.kind != "unit_closed" and not causes[e.delegation_id] & keys for e in effects):
        # An effect of a change the source gave ahead of time (it took effect since the last sync)
        # has no write of its own to go with: it goes in a last step.
        steps.append(("effects", []))
    async with db.read() as conn:
        run_row = await syncs.start_run(conn, tenant.id, source=source_name, trigger=trigger, digest=digest(source),
                                        batch_size=batch_size, steps_total=len(steps), counts=the_plan.counts(),
                                        effects=len(effects), continues=continued.id if continued else None,
                                        now=now)
    if not steps:
        async with db.read() as conn:
            await syncs.finish_run(conn, run_row.id, now)
        return Report(plan=the_plan, applied=False, run_id=run_row.id, continued=continued, effects=effects)
    # Each effect is written with the first step that causes it (a mover's, a leaver's, a former
    # leader's), so a batch and the effects of its steps commit together.
    position = {key: i for i, (key, _ops) in enumerate(steps)}
    by_step: dict[int, list[Effect]] = {}
    for e in effects:
        if e.kind == "unit_closed":
            continue  # the unit is archived: checks refuse it; the delegation stays as it was, in history
        at = min((position[k] for k in causes[e.delegation_id] if k in position), default=len(steps) - 1)
        by_step.setdefault(at, []).append(e)
    size = batch_size if batch_size > 0 and len(steps) > batch_size else len(steps)
    ids = _Ids(units={u.external_id: u.id for u in units if u.external_id is not None},
               people={p.external_id: p.id for p in people})
    ctx = Ctx(db=db, principal=sync_principal(tenant.id, tenant.key, source_name), clock=lambda: now)
    revision = None
    batches = 0
    try:
        for first in range(0, len(steps), size):
            async with ctx.write() as tx:
                inner = Ctx(db=BoundDb(tx), principal=ctx.principal, clock=ctx.clock)  # type: ignore[arg-type]
                for i in range(first, min(first + size, len(steps))):
                    for op in steps[i][1]:
                        await _do(inner, tx, op, ids)
                    for e in by_step.get(i, ()):
                        await _effect(inner, tx, found[e.delegation_id], e, now)
                    if progress is not None:
                        progress(i + 1, len(steps))
                await syncs.batch_done(tx.conn, run_row.id, min(first + size, len(steps)), tx.revision)
                revision = tx.revision
            batches += 1
    except Exception as exc:
        if isinstance(exc, domain.SourceError):
            code, message = exc.code, str(exc)
        elif isinstance(exc, RegistryError):
            code, message = exc.code, danish(exc)
            log.warning("sync of %s from %s stopped after %d batches: %s", tenant.key, source_name, batches, exc)
        else:
            log.exception("sync of %s from %s failed after %d batches", tenant.key, source_name, batches)
            code, message = "internal_error", "uventet fejl (se serverens log)"
        async with db.read() as conn:
            await syncs.finish_run(conn, run_row.id, clock_now(), error_code=code, error_da=message)
        raise
    async with db.read() as conn:
        await syncs.finish_run(conn, run_row.id, clock_now())
    return Report(plan=the_plan, applied=True, revision=revision, effects=effects, run_id=run_row.id,
                  batches=batches, continued=continued)


def danish(exc: RegistryError) -> str:
    """What a person reads of a use case's refusal: its Danish text, never the English message (which
    may name internals, like a row's version)."""
    return exc.message_da or texts.ERRORS_DA.get(exc.code) or "registret afviste en ændring (se serverens log)"


def clock_now() -> datetime:
    """When a run finished, by the wall clock (the run's `now` is the instant its plan is for)."""
    return utcnow()


class _Ids(msgspec.Struct, kw_only=True):
    """Units and people by external id, as the run creates them."""

    units: dict[str, UUID]
    people: dict[str, UUID]


def _steps(plan: domain.Plan, people) -> list[tuple[str, list[tuple[str, object]]]]:
    """The plan as steps, in the order they are written: each unit created or changed (parents
    first), then each person with everything of hers (created, changed, memberships ended, changed
    and added, archived: a step never leaves her half-moved), then the units that close (the deepest
    first). A step is written whole in one transaction."""
    steps: dict[str, list[tuple[str, object]]] = {}
    for su in plan.create_units:
        steps.setdefault(f"unit:{su.id}", []).append(("create_unit", su))
    for change in plan.change_units:
        steps.setdefault(f"unit:{change.unit.external_id}", []).append(("change_unit", change))
    ext = {p.id: p.external_id for p in people}
    for sp in plan.create_people:
        steps.setdefault(f"person:{sp.external_id}", []).append(("create_person", sp))
    for change in plan.change_people:
        steps.setdefault(f"person:{change.person.external_id}", []).append(("change_person", change))
    for m in plan.end_memberships:
        steps.setdefault(f"person:{ext[m.person_id]}", []).append(("end_membership", m))
    for m, changes in plan.change_memberships:
        steps.setdefault(f"person:{ext[m.person_id]}", []).append(("change_membership", (m, changes)))
    for new in plan.add_memberships:
        steps.setdefault(f"person:{new.external_id}", []).append(("add_membership", new))
    for p in plan.archive_people:
        steps.setdefault(f"person:{p.external_id}", []).append(("archive_person", p))
    for u in plan.archive_units:
        steps.setdefault(f"close:{u.id}", []).append(("archive_unit", u))
    # The aliases the source manages: removals before the people's steps (a value can change hands,
    # and a new person's external id may be a value someone gives up), sets after them (a new person
    # exists by then), each on its own.
    removals = [(f"alias-:{c.current.person_id}:{c.kind}", [("remove_alias", c)])
                for c in plan.alias_changes if c.value is None]
    sets = [(f"alias+:{c.external_id}:{c.kind}", [("set_alias", c)]) for c in plan.alias_changes if c.value is not None]
    ordered = list(steps.items())
    units_end = sum(1 for key, _ in ordered if key.startswith("unit:"))
    closing = [step for step in ordered if step[0].startswith("close:")]
    people_steps = [step for step in ordered[units_end:] if not step[0].startswith("close:")]
    return ordered[:units_end] + removals + people_steps + sets + closing


async def _do(ctx: Ctx, tx, op: tuple[str, object], ids: _Ids) -> None:
    """One write of the plan, through the organisation's use cases."""
    kind, what = op
    now = ctx.now()
    if kind == "create_unit":
        su = what
        created = await org_uc.create_unit(ctx, name=su.name, kind=su.kind or "unit", external_id=su.id,
                                           parent_id=ids.units[su.parent_id] if su.parent_id else None,
                                           kle_codes=su.kle)
        ids.units[su.id] = created.value.id
    elif kind == "change_unit":
        change = what
        changes = dict(change.changes)
        if change.moves:
            changes["parent_id"] = ids.units[change.parent] if change.parent else None
        version = change.unit.version
        if "archived_at" in changes:  # back in the source: taken up again before anything hangs on it
            await org_uc.update_unit(ctx, change.unit.id, version, {"archived_at": None})
            changes.pop("archived_at")
            version += 1
        if changes:
            await org_uc.update_unit(ctx, change.unit.id, version, changes)
    elif kind == "create_person":
        sp = what
        created = await org_uc.create_person(ctx, external_id=sp.external_id, name=sp.name, email=sp.email)
        ids.people[sp.external_id] = created.value.id
    elif kind == "change_person":
        await org_uc.update_person(ctx, what.person.id, what.person.version, dict(what.changes))
    elif kind == "end_membership":
        m = what
        if m.valid_from >= now:  # not begun: it never holds
            await org_uc.archive_membership(ctx, m.id, m.version)
        else:
            await org_uc.update_membership(ctx, m.id, m.version, {"valid_to": now})
    elif kind == "change_membership":
        m, changes = what
        await org_uc.update_membership(ctx, m.id, m.version, changes)
    elif kind == "add_membership":
        new = what
        await org_uc.add_membership(ctx, person_id=ids.people[new.external_id], unit_id=ids.units[new.unit],
                                    role=new.role, valid_from=new.valid_from, valid_to=new.valid_to)
    elif kind == "archive_person":  # her name or e-mail may have changed in this step: the version now
        current = await rows.get(ctx.db.conn, "person", type(what), ctx.tenant_id, what.id)  # type: ignore[attr-defined]
        await org_uc.archive_person(ctx, what.id, current.version)
    elif kind == "remove_alias":
        await alias_uc.remove_in(ctx, tx, what.current.person_id, what.kind)
    elif kind == "set_alias":
        await alias_uc.set_in(ctx, tx, ids.people[what.external_id], what.kind, what.value)
    elif kind == "archive_unit":
        current = await rows.get(ctx.db.conn, "org_unit", type(what), ctx.tenant_id, what.id)  # type: ignore[attr-defined]
        await org_uc.archive_unit(ctx, what.id, current.version)
    else:  # pragma: no cover - the steps are made above
        raise ValueError(kind)


def _check_source(source: domain.Source) -> None:
    """The organisation's own rules for a unit's and a person's values (registry.services.org), asked
    of every row before anything is written, so that a fault names its line."""
    for su in source.units:
        try:
            check_text(su.name, "name")
        except Invalid as exc:
            raise domain.SourceError(exc.code, f"{exc.field}: {danish(exc)}", file=source.units_file,
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
            raise domain.SourceError(exc.code, f"{exc.field}: {danish(exc)}", file=source.people_file,
                                     line=sp.line) from exc


async def _affected(conn, tenant_id: UUID, plan: domain.Plan, units, people, now: datetime, review_days: int
                    ) -> tuple[list[Effect], dict[UUID, Delegation], dict[UUID, set[str]]]:
    """What the organisation changes do to delegations (the domain's rules), with the unit tree as the
    plan will leave it: each affected delegation once (the earliest review wins; a mover's ends), and
    those in units that close (listed: the checks refuse an archived unit); and for each, the steps
    that cause it (`person:<external id>`, `close:<unit id>`). Delegations whose validity has run
    out are not in force, and are left alone."""
    leavers = {p.id for p in plan.archive_people}
    former = {f for c in plan.leader_changes for f in c.former}
    movers = {m.person.id for m in plan.moves}
    closing = [u.id for u in plan.archive_units]
    if not (leavers or former or movers or closing):
        return [], {}, {}
    tree, unit_ids = domain.planned_tree(plan, units)
    ext = {p.id: p.external_id for p in people}
    found = [d for d in await syncs.active_delegations(conn, tenant_id, delegators=sorted(leavers | former),
                                                        delegates=sorted(movers),
                                                        units=[c.unit for c in plan.leader_changes] + closing)
             if d.valid_until is None or d.valid_until > now]
    today = now.date()
    reviews: dict[UUID, tuple[date, str]] = {}
    causes: dict[UUID, set[str]] = {}

    def due(d: Delegation, day: date, reason: str, cause: str) -> None:
        causes.setdefault(d.id, set()).add(cause)
        if d.id not in reviews or day < reviews[d.id][0]:
            reviews[d.id] = (day, reason)
    ended: set[UUID] = set()
    for move in plan.moves:
        for d in domain.mover_ends(found, move.person.id, move.from_unit,
                                   [unit_ids[u] for u in (move.after or (move.to_unit,))], tree):
            ended.add(d.id)
            due(d, today, "moved", f"person:{move.person.external_id}")
    for change in plan.leader_changes:
        for d, day in domain.leader_change_reviews(found, change.unit, set(change.former), today, review_days):
            for f in change.former:
                due(d, day, "leader_changed", f"person:{ext[f]}")
    for d in domain.leaver_reviews(found, leavers, today):
        due(d, today, "delegator_left", f"person:{ext[accountable_delegator(d)]}")
    effects = []
    for d in found:
        if d.id in reviews:
            day, reason = reviews[d.id]
            effects.append(Effect(delegation_id=d.id, kind="ended" if d.id in ended else "review", reason=reason,
                                  review_date=day))
        elif d.unit_id in closing:
            causes[d.id] = {f"close:{d.unit_id}"}
            effects.append(Effect(delegation_id=d.id, kind="unit_closed", reason="unit_closed"))
    return effects, {d.id: d for d in found}, causes


async def _effect(ctx: Ctx, tx, planned: Delegation, e: Effect, now: datetime) -> None:
    """One effect on a delegation, in the batch's transaction, on the delegation as it is now (it may
    have changed since the plan was made): the review date (an earlier one stays), and a mover's end
    of validity. Only the review date and the validity are written, directly on the row: the amend
    use case re-checks the whole delegation against the delegator's authority today, which a
    departed leader no longer holds, so it would refuse exactly the delegations that need following
    up; a review date changes no grant. History records the change as the sync's."""
    d = await rows.get(tx.conn, "delegation", Delegation, ctx.tenant_id, planned.id, for_update=True)
    if d.status != "active" or (d.valid_until is not None and d.valid_until <= now):
        return
    changes: dict = {}
    if d.review_date is None or d.review_date > e.review_date:
        changes["review_date"] = e.review_date
    if e.kind == "ended":
        if d.valid_from >= now:  # not begun: it is withdrawn instead
            await delegation_uc.revoke_in(ctx, tx, d, MOVED_REASON)
            return
        changes["valid_until"] = now
    if changes:
        updated = await rows.update(tx, "delegation", Delegation, d.id, d.version, changes)
        await events.delegation(tx, "amended", updated, now)


# --- the server's scheduled sync, and the runs for administrators -----------------------------------

RETRY_AFTER = timedelta(minutes=15)  # a failed scheduled run is tried again this soon (or at its interval)


def due(last: syncs.SyncRun | None, now: datetime, every: timedelta) -> bool:
    """Whether the scheduled sync should run now: never run, or its interval has passed since the
    last run began (a failed or interrupted one is tried again sooner). A run under way is left to
    finish (no server reads the source meanwhile) until an interval has passed: then, if it really
    is still running, the sync lock turns the new one away; if its process stopped, the new one
    continues it."""
    if last is None:
        return True
    wait = every if last.status in ("done", "running") else min(every, RETRY_AFTER)
    return last.started_at <= now - wait


async def scheduled(db: Db, tenant_key: str, config: sources.SourceConfig, *, every: timedelta,
                    batch_size: int = BATCH_SIZE, review_days: int = domain.LEADER_CHANGE_REVIEW_DAYS,
                    clock: Callable[[], datetime] = utcnow) -> syncs.SyncRun | None:
    """One round of the server's scheduled sync (REGISTRY_ORG_SYNC_*): when it is due, read the
    source and apply it, recorded as a `schedule` run. With several servers, one runs it (the sync
    lock) and the others find it done. A source that cannot be read is recorded as a failed run, with
    its code and Danish message, so administrators see it (`syncRuns`). Returns the run, if one ran."""
    now = clock()
    async with db.read() as conn:
        tenant = await org_sql.tenant_by_key(conn, tenant_key)
        recent = await syncs.runs(conn, tenant.id, 1, source=config.kind)
    if not due(recent[0] if recent else None, now, every):
        return None
    try:
        source = await sources.read(config)
        _check_source(source)
    except (sources.SourceUnavailable, domain.SourceError) as exc:
        log.warning("scheduled sync of %s from %s: the source was refused: %s: %s", tenant_key, config.kind,
                    exc.code, exc.message_da if isinstance(exc, sources.SourceUnavailable) else exc)
        message = exc.message_da if isinstance(exc, sources.SourceUnavailable) else str(exc)
        async with db.read() as conn:
            return await _record_failed(conn, tenant.id, config.kind, batch_size, now, exc.code, message)
    try:
        report = await run(db, tenant_key, source, source_name=config.kind, apply=True, clock=clock,
                           review_days=review_days, batch_size=batch_size, trigger="schedule")
    except Conflict as exc:
        if exc.code == "sync_running":
            return None  # another server runs it
        return await _failed_unless_recorded(db, tenant, config, batch_size, now, recent, exc)
    except Exception as exc:  # recorded in the run as failed (or here); the next round tries again
        log.warning("scheduled sync of %s from %s failed", tenant_key, config.kind, exc_info=True)
        return await _failed_unless_recorded(db, tenant, config, batch_size, now, recent, exc)
    if report.run_id is not None:
        log.info("scheduled sync of %s from %s: %s", tenant_key, config.kind,
                 {k: v for k, v in report.plan.counts().items() if v} or "no changes")
    async with db.read() as conn:
        return (await syncs.runs(conn, tenant.id, 1, source=config.kind))[0]


async def _failed_unless_recorded(db: Db, tenant, config: sources.SourceConfig, batch_size: int, now: datetime,
                                  before: list[syncs.SyncRun], exc: Exception) -> syncs.SyncRun:
    """The run that failed: recorded by `run` once it began; one that failed before that (reading the
    organisation, say) is recorded here, so administrators see it too."""
    async with db.read() as conn:
        latest = await syncs.runs(conn, tenant.id, 1, source=config.kind)
        if latest and (not before or latest[0].seq != before[0].seq):
            return latest[0]
        code = exc.code if isinstance(exc, RegistryError) else "internal_error"
        message = danish(exc) if isinstance(exc, RegistryError) else "uventet fejl (se serverens log)"
        return await _record_failed(conn, tenant.id, config.kind, batch_size, now, code, message)


async def _record_failed(conn, tenant_id: UUID, source: str, batch_size: int, now: datetime, code: str,
                         message_da: str) -> syncs.SyncRun:
    """A scheduled run that failed before it could begin, recorded (as it now stands: failed)."""
    failed = await syncs.start_run(conn, tenant_id, source=source, trigger="schedule", digest="",
                                   batch_size=batch_size, steps_total=0, counts={}, effects=0, continues=None,
                                   now=now)
    await syncs.finish_run(conn, failed.id, clock_now(), error_code=code, error_da=message_da)
    return (await syncs.runs(conn, tenant_id, 1, source=source))[0]


async def recent_runs(ctx: Ctx, first: int = 20) -> list[syncs.SyncRun]:
    """The organisation's latest sync runs (from the command line and the schedule), newest first:
    whether they finished, how far they came, what they changed and why one failed. For
    administrators and auditors."""
    require(ctx, "syncRuns", code="admin_required", message="sync runs are for administrators and auditors")
    check_first(first)
    async with ctx.db.read() as conn:
        return await syncs.runs(conn, ctx.tenant_id, first)


RUN_RETENTION = timedelta(days=365)


async def purge_runs(db: Db, now: datetime) -> int:
    """The runs past their retention (a year), deleted; the server's retention loop calls this."""
    async with db.read() as conn:
        return await syncs.purge_runs(conn, now - RUN_RETENTION)
