"""Use cases for checks: may this person take this action here, now; who may; what is my mandate.

Checks answer from the engine's in-memory index and never touch the database, except checks as of
a past instant, which rebuild the relevant part of the index from history.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from registry import logs, texts
from registry.domain import levels, rules
from registry.domain.decisions import ACTIONS, check_attribute_values, obligations
from registry.errors import Invalid
from registry.policy.engine import Engine
from registry.policy.index import BreachEffect, Decision, TenantIndex, fold_effects
from registry.services.common import Ctx
from registry.storage import changes

# A check whose `at` lies further in the past than this is answered from history.
AS_OF_TOLERANCE = timedelta(seconds=1)


class CheckRequest(msgspec.Struct, frozen=True, kw_only=True):
    person: str                       # external id, or an alias (TenantIndex.person_ref)
    area: str                         # area key, or KLE code (TenantIndex.area_ref)
    unit: str                         # unit id, or external id (TenantIndex.unit_ref)
    action: str
    attributes: dict[str, object] = {}
    at: datetime | None = None
    min_revision: int | None = None
    explain: bool = False


def _stale(revision: int) -> Decision:
    return Decision(False, "stale", revision)


async def _current_index(ctx: Ctx, engine: Engine, min_revision: int | None) -> TenantIndex | Decision:
    index = engine.index(ctx.tenant_id)
    if index is None:
        return _stale(0)
    if min_revision is not None:
        if index.revision < min_revision:
            if not await engine.wait_for(ctx.tenant_id, min_revision):
                return _stale(engine.index(ctx.tenant_id).revision)
            index = engine.index(ctx.tenant_id)
        if engine.feed_alive():
            return index
    if not engine.current(ctx.tenant_id):
        return _stale(index.revision)
    return index


def _validate(req: CheckRequest) -> None:
    if req.action not in ACTIONS:
        raise Invalid(f"unknown action {req.action!r}; one of {', '.join(ACTIONS)}", field="action",
                      code="unknown_action")
    if not req.person:
        raise Invalid("person is required", field="person", code="required")
    if req.attributes:
        check_attribute_values(req.attributes)


async def check(ctx: Ctx, engine: Engine, req: CheckRequest, now: datetime | None = None, *,
                source: str = "internal") -> Decision:
    """`now` lets a batch read the clock once for all its checks; `source` names the endpoint that
    answers the caller, for the decision log."""
    return await decide(ctx, engine, req, now, source=source)


async def decide(ctx: Ctx, engine: Engine, req: CheckRequest, now: datetime | None = None, *,
                 source: str = "internal") -> Decision:
    """The decision itself, for use cases that check on the caller's behalf (recording an act).
    Every decision answered goes through here or `answer_now`, and so to the decision log."""
    _validate(req)
    now = now or ctx.now()
    at = req.at or now
    if at < now - AS_OF_TOLERANCE:
        return _logged(ctx, engine, None, req, await check_as_of(ctx, engine, req, at), now, source)
    index = await _current_index(ctx, engine, req.min_revision)
    if isinstance(index, Decision):
        return _logged(ctx, engine, None, req, index, now, source)
    return _logged(ctx, engine, index, req, index.check(req.person, req.area, req.unit, req.action, req.attributes,
                                                        at.timestamp(), explain=req.explain), now, source)


def _logged(ctx: Ctx, engine: Engine, index: TenantIndex | None, req: CheckRequest, decision: Decision,
            now: datetime, source: str) -> Decision:
    """Queue the decision for the decision log when its mode keeps this kind (no I/O, no await)."""
    log = engine.decision_log
    if log is not None and log.wants(decision.decision):
        current = index or engine.index(ctx.tenant_id)
        # Ids as text, and the label the request's authentication set for its logs: cheap to get,
        # and an entry of atomic values only is not tracked by the garbage collector while queued.
        log.record(str(ctx.tenant_id) if current is None else current.tenant_id, current, req, decision, now, source,
                   logs.principal.get() or ctx.principal.actor().label)
    return decision


def live_index(ctx: Ctx, engine: Engine) -> TenantIndex | None:
    """The tenant's index when the engine vouches for it now (else None: take the slow path)."""
    return engine.index(ctx.tenant_id) if engine.current(ctx.tenant_id) else None


def answer_now(ctx: Ctx, engine: Engine, index: TenantIndex | None, req: CheckRequest, now: datetime,
               now_ts: float, *, source: str = "internal") -> Decision | None:
    """The in-memory answer, synchronously, when nothing needs waiting for or history (batches use
    it per item to skip the coroutine chain); None when `check` must take the full path."""
    if index is None or req.min_revision is not None or (req.at is not None and req.at < now - AS_OF_TOLERANCE):
        return None
    _validate(req)
    at = now_ts if req.at is None else req.at.timestamp()
    return _logged(ctx, engine, index, req, index.check(req.person, req.area, req.unit, req.action, req.attributes,
                                                        at, explain=req.explain), now, source)


# Checks per request (GraphQL `checks`, AuthZEN evaluations): one caller's batch may not hold the server
# up for long. A batch lets other requests in every YIELD_EVERY checks (in-memory checks never wait,
# so without this a batch would hold the event loop until its last check).
MAX_BATCH = 1000
YIELD_EVERY = 50


def check_batch_size(count: int, field: str) -> None:
    if count > MAX_BATCH:
        raise Invalid(f"at most {MAX_BATCH} checks (evaluations) per request, not {count}", field=field,
                      code="too_many")


async def let_others_in(done: int) -> None:
    """Between the checks of a batch: every YIELD_EVERY checks, let the event loop run other requests."""
    if done % YIELD_EVERY == 0:
        await asyncio.sleep(0)


async def checks(ctx: Ctx, engine: Engine, requests: list[CheckRequest], *, source: str = "internal"
                 ) -> list[Decision]:
    """Answered in order, the clock read once; refused whole (nothing answered, nothing logged) when
    there are more than MAX_BATCH."""
    check_batch_size(len(requests), "inputs")
    now = ctx.now()
    now_ts, answers = now.timestamp(), []
    for done, req in enumerate(requests, 1):
        decision = answer_now(ctx, engine, live_index(ctx, engine), req, now, now_ts, source=source)
        answers.append(decision if decision is not None else await check(ctx, engine, req, now, source=source))
        await let_others_in(done)
    return answers


async def check_as_of(ctx: Ctx, engine: Engine, req: CheckRequest, at: datetime) -> Decision:
    """What the registry held at `at`: delegations, red lines, memberships and validity as recorded."""
    current = engine.index(ctx.tenant_id)
    if current is None:
        return _stale(0)
    async with ctx.db.read() as conn:
        index = await index_as_of(conn.raw, current, req.person, at, req.unit)
    if index is None:
        return Decision(False, "unknown_person", 0)
    return index.check(req.person, req.area, req.unit, req.action, req.attributes, at.timestamp(),
                       explain=req.explain)


async def index_as_of(conn, current: TenantIndex, person_external_id: str, at: datetime,
                      unit: str | None = None) -> TenantIndex | None:
    """A decision index holding, as of `at`, the tree, the catalogue, the person, the person's teams
    and roles and stand-in appointments (with the roles of the leaders she stands in for) and
    breaches, the delegations to them, and the red lines along the unit's chain as it was then (every
    red line without a unit: for the mandate). Entity ids come from today's index and tables (rows
    are archived, never deleted), their content from history."""
    rules.check_dates(at=at)
    tenant = UUID(current.tenant_id)
    person = current.person_ref(person_external_id)  # by her external id or an alias she has today
    if person is None:
        return None
    order = {t: n for n, t in enumerate(changes.SNAPSHOT)}
    tree_ids = [UUID(i) for i in (*current.unit_parent, *current.area_parent)]
    tree_rows = await changes.as_of(conn, tenant, tree_ids, at)
    units = {str(r["after"]["id"]): r["after"] for r in tree_rows
             if r["entity_type"] == "org_unit" and r["operation"] != "delete"}
    parent = {uid: row["parent_id"] for uid, row in units.items()}
    if unit is not None and unit not in parent:  # named by the external id it had then
        unit = next((uid for uid, row in units.items() if row.get("external_id") == unit), None)
    chain, cursor = [], unit
    while cursor is not None and cursor not in chain:
        chain.append(cursor)
        cursor = parent.get(cursor)
    along = list(current.unit_parent) if unit is None else [u for u in chain if _is_uuid(u)]
    lines = await changes.red_lines_along(conn, tenant, [UUID(u) for u in along])
    links = list(current.links_of_person.get(person, ()))
    teams = {current.team_links[i].team for i in links}
    grants = [g for s in (person, *teams) for g in current.by_subject.get(s, ())]
    # The delegations they were passed on from: their conditions bind them too.
    for gid in list(grants):
        parent = current.grants[gid].parent
        while parent is not None and parent not in grants and parent in current.grants:
            grants.append(parent)
            parent = current.grants[parent].parent
    extra = await conn.fetch(
        """SELECT id FROM membership WHERE tenant_id = $1 AND person_id = $2
           UNION ALL SELECT id FROM stand_in WHERE tenant_id = $1 AND stand_in_id = $2
           UNION ALL SELECT m.id FROM membership m JOIN stand_in s ON s.tenant_id = m.tenant_id
             AND s.leader_id = m.person_id AND s.unit_id = m.unit_id WHERE s.tenant_id = $1 AND s.stand_in_id = $2
           UNION ALL SELECT id FROM breach WHERE tenant_id = $1 AND person_id = $2
           UNION ALL SELECT id FROM breach_response WHERE tenant_id = $1 AND person_id = $2""", tenant, UUID(person))
    ids = [UUID(i) for i in (person, *links, *teams, *grants)] + [r["id"] for r in extra] + lines
    rows = tree_rows + await changes.as_of(conn, tenant, ids, at)
    index = TenantIndex(current.tenant_id, current.tenant_key, await changes.revision_at(conn, tenant, at))
    index.load((row["entity_type"], _json(row["after"]))
               for row in sorted(rows, key=lambda r: order.get(r["entity_type"], 99))
               if row["operation"] != "delete")
    # Her aliases as they are today, so that a request naming her by one finds her as she was then.
    for aid, pid, kind, value in current.aliases_of(person):
        index.apply("person_alias", {"id": aid, "person_id": pid, "kind": kind, "value": value})
    return index


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
        return True
    except ValueError:
        return False


def _json(value):
    if isinstance(value, str):
        return msgspec.json.decode(value)
    return value


class Bound(msgspec.Struct, frozen=True):
    """A condition binding a delegation (its own, or inherited from one it was passed on from)."""

    delegation_id: str          # the delegation that states it
    condition: str
    text_da: str
    inherited: bool


def bound_by(index: TenantIndex, delegation_id: str | None) -> list[Bound]:
    """The conditions checks hold the delegation to (TenantIndex.conditions_of)."""
    grant = None if delegation_id is None else index.grants.get(delegation_id)
    if grant is None:
        return []
    return [Bound(owner, c.text, c.text_da, owner != grant.id) for owner, c in index.conditions_of(grant) or ()]


class WhoMayEntry(msgspec.Struct, frozen=True):
    person_id: str
    external_id: str
    decision: Decision
    basis: str = "delegation"  # delegation | leader_authority | stand_in (texts.BASES_OF_OTHERS_DA)
    conditions: list[Bound] = []  # the limits of the delegation that allows (they held for the facts given)


async def who_may(ctx: Ctx, engine: Engine, *, area: str, unit: str, action: str,
                  attributes: Mapping[str, object], at: datetime | None) -> list[WhoMayEntry] | Decision:
    if action not in ACTIONS:
        raise Invalid(f"unknown action {action!r}", field="action", code="unknown_action")
    check_attribute_values(attributes)
    index = await _current_index(ctx, engine, None)
    if isinstance(index, Decision):
        return index
    instant = (at or ctx.now()).timestamp()
    found = index.who_may(area, unit, action, attributes, instant)
    area_id, unit_id = (index.area_ref(area), index.unit_ref(unit)) if found else (None, None)

    def basis(person: str, d: Decision) -> str:
        if d.reason != "leader_authority":
            return "delegation"
        how = index.leader_authority(person, area_id, unit_id, instant)
        return "leader_authority" if how in (None, "leader") else "stand_in"
    return [WhoMayEntry(p, index.person_ext[p], d, basis(p, d), bound_by(index, next(iter(d.delegation_ids), None)))
            for p, d in found]


class Owed(msgspec.Struct, frozen=True):
    kind: str
    within_days: int | None


# A breach response as its effect on a mandate (and on checks): the code says nothing of the breach.
EFFECT_OF_RESPONSE = {"suspension": "suspended", "lowered_level": "level_capped", "extra_control": "pre_approval"}


class Effect(msgspec.Struct, frozen=True):
    """A breach response in force over (part of) a mandate entry: never which breach, or why."""

    kind: str                   # suspended | level_capped | pre_approval
    area_id: str                # it binds this area and those below it,
    unit_id: str                # in this unit and those below it
    whole: bool                 # it binds all of the entry (else only where its area and unit say)
    until: float                # FOREVER: until further notice
    capped_to: int | None = None
    label_da: str = ""


class MandateEntry(msgspec.Struct, frozen=True):
    basis: str                  # delegation | leader_authority (the check's reasons allowed | leader_authority)
    delegation_id: str | None
    area_id: str
    unit_id: str
    include_subunits: bool
    level: int                  # as held
    label_da: str
    suspended: bool             # all of it, now
    level_in_force: int | None  # after the responses binding all of it; None while suspended
    actions: list[str]          # allowed at level_in_force (where no narrower effect binds)
    red_line_ids: list[str]
    owes: list[Owed]
    valid_until: float
    via_team_id: str | None
    stand_in_for: str | None = None          # the leader's person id, when held as her stand-in
    except_area_ids: list[str] = []          # leader authority: not these areas (nor those below them)
    effects: list[Effect] = []
    area_key: str = ""                       # the area and unit as a system names them in a check
    unit_external_id: str | None = None
    conditions: list[Bound] = []             # a delegation's limits: it allows only cases within them


async def mandate(ctx: Ctx, engine: Engine, person_external_id: str, at: datetime | None
                  ) -> list[MandateEntry] | Decision:
    """Every area the person may decide (or take part in), where, at what level, within which red
    lines, what is owed afterwards, and until when; as checks see it: leader authority included,
    and the breach responses in force (their effect only)."""
    now = ctx.now()
    at = at or now
    if at < now - AS_OF_TOLERANCE:  # as checks do (check_as_of): what the registry held then
        current = engine.index(ctx.tenant_id)
        if current is None:
            return _stale(0)
        async with ctx.db.read() as conn:
            index = await index_as_of(conn.raw, current, person_external_id, at)
        if index is None:
            return []
    else:
        index = await _current_index(ctx, engine, None)
        if isinstance(index, Decision):
            return index
    person = index.person_id(person_external_id)
    if person is None:
        return []
    return mandate_of(index, person, at.timestamp())


def mandate_of(index: TenantIndex, person: str, instant: float) -> list[MandateEntry]:
    """The mandate from the index's holdings (TenantIndex.mandate: the rules checks use)."""
    entries = []
    lines_by_area: dict[str, list] = defaultdict(list)
    for line in index.lines.values():
        lines_by_area[line.area].append(line)
    for h in index.mandate(person, instant):
        suspended, cap, extra = fold_effects(h.whole)
        level = None if suspended else h.level if cap is None else min(h.level, cap)
        actions = [] if level is None else [a for a, need in ACTIONS.items() if level >= need]
        deciding = None if level is None else "act_as_hverdagsdirektoer" if level >= 6 else \
            "decide" if level >= 5 else None
        owes = []
        if deciding is not None and h.grant is not None:  # leader authority owes nothing, as in checks
            g = h.grant
            for o in obligations(deciding, level, g.control_form, g.cadence, g.justify_days, instant, g.account):
                owes.append(Owed(o.kind, None if o.deadline is None else round((o.deadline - instant) / 86400)))
        if extra and deciding is not None and not any(o.kind == "pre_approval" for o in owes):
            owes.append(Owed("pre_approval", None))
        lines = [line.id for area, found in lines_by_area.items() if _overlaps(index.area_chain, area, h.area)
                 for line in found if line.unit in index.unit_chain.get(h.unit, ())
                 or (h.subtree and h.unit in index.unit_chain.get(line.unit, ()))]
        effects = {_effect(b, True): None for b in h.whole} | {_effect(b, False): None for b in h.partial}
        g = h.grant
        entries.append(MandateEntry(
            h.basis, None if g is None else g.id, h.area, h.unit, h.subtree, h.level, levels.level(h.level).label_da,
            suspended, level, actions, sorted(lines), owes, h.until,
            g.subject if g is not None and g.subject_kind == "team" else None, h.stand_in_for, list(h.except_areas),
            list(effects), area_key=index.area_key.get(h.area, ""), unit_external_id=index.unit_ext.get(h.unit),
            conditions=bound_by(index, None if g is None else g.id)))
    return entries


def _effect(b: BreachEffect, whole: bool) -> Effect:
    kind = EFFECT_OF_RESPONSE[b.response]
    capped_to = b.lowered_to if kind == "level_capped" else None
    return Effect(kind, b.area, b.unit, whole, b.effect_until, capped_to, texts.effect_da(kind, capped_to))


def _overlaps(chains: dict[str, tuple[str, ...]], a: str, b: str) -> bool:
    return a in chains.get(b, ()) or b in chains.get(a, ())
