"""Use cases for breaches as learning (issue 12, part 6; l. 1050-1080 of the publication): "Det
handler ikke om at udskamme nogen, men om at prøve at forstå omstændighederne, så nye brud kan
forebygges."

* RESPONSES over time. The breach row is the first response (its response, effect window and
  lowered level, exactly as before: stored breaches need no migration); later ones are added by the
  leader chain above the unit, or a stand-in for it (`addBreachResponse`, as `followUpBreach`), with
  the same kinds and the same effects on checks (suspension denies, a lowered level caps, extra
  control adds a pre-approval, revocation revokes the delegation now). The publication's own case:
  a forventningssamtale, then two months of tættere kontrol. Not on a closed breach.
* The EMPLOYEE'S OWN ACCOUNT (`writeBreachAccount`): only the person concerned writes it, and she
  may rewrite it until the breach is closed. Editable rather than append-only: it is her voice, and
  a first account written in a hurry should not be the one that stands; the history keeps that and
  when she wrote and rewrote it (never the text), and closing the breach fixes the account the case
  was closed on.
* FRAME CHANGES (`recordFrameChange`): what the leader or the frame changes (resources, guidance,
  the level, the rules) - separate from responses, which are about the person.
* LEARNING POINTS (`recordLearningPoint`): a leader may mark one shareable when she confirms it
  holds no personal data; the registry refuses one that names a person of the organisation (or the
  person concerned by a part of her name), an e-mail address or a CPR number. The shared list of a
  unit (`sharedLearningPoints`, anyone in the organisation) shows the text, the cause and the date;
  the breach only to those who may read it, the person never.
* The UNIT OVERVIEW (`breachOverview`): breaches in the unit's subtree counted by cause, never by
  person, for its leader chain, a stand-in, HR and auditors; withheld for a subtree of fewer than
  MIN_PEOPLE people, where a count could point at someone.

The texts are personal data as the breach's description is: the history records each step without
them, and the retention purge and erasure empty them (a shareable learning point keeps its text).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from registry.domain import rules
from registry.domain.model import Breach, BreachAccount, BreachResponse, Delegation, FrameChange, LearningPoint, Person
from registry.errors import Conflict, Forbidden, Invalid
from registry.services import breaches as breach_uc
from registry.services import delegations as delegation_uc
from registry.services import events
from registry.services.common import (Ctx, Result, Sight, check_text, load_facts, may, readable_subtree, require)
from registry.storage import breach_learning as sql
from registry.storage import org as org_sql
from registry.storage import rows

RESPOND = "addBreachResponse"
ACCOUNT = "writeBreachAccount"
FRAME = "recordFrameChange"
LEARN = "recordLearningPoint"
SHARED = "sharedLearningPoints"
OVERVIEW = "breachOverview"

FRAME_CHANGES = ("resources", "guidance", "level", "rules", "other")
MIN_PEOPLE = 5          # below this many people in a unit's subtree, its counts are withheld
OVERVIEW_DAYS = 365
MAX_DAYS = 3660


class ResponseInput(msgspec.Struct, frozen=True, kw_only=True):
    response: str
    note: str | None = None
    given_at: datetime | None = None   # when the talk was held, the control began; now when not given
    until: datetime | None = None
    lowered_to: int | None = None


class ResponseView(msgspec.Struct, frozen=True, kw_only=True):
    """One response, the first (the breach row itself) or a later one, as the API and pages show it."""

    id: UUID
    first: bool
    response: str
    note: str | None
    given_at: datetime
    effect_from: datetime
    effect_until: datetime | None
    lowered_to: int | None
    recorded_by: UUID | None


class Overview(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: UUID
    since: datetime
    days: int
    withheld: bool
    by_cause: dict[str | None, int]  # empty when withheld

    @property
    def total(self) -> int | None:
        return None if self.withheld else sum(self.by_cause.values())


# --- reading ----------------------------------------------------------------------------------------

def _first(b: Breach) -> ResponseView:
    return ResponseView(id=b.id, first=True, response=b.response, note=b.response_note, given_at=b.effect_from,
                        effect_from=b.effect_from, effect_until=b.effect_until, lowered_to=b.lowered_to,
                        recorded_by=b.recorded_by)


def _later(r: BreachResponse) -> ResponseView:
    return ResponseView(id=r.id, first=False, response=r.response, note=r.note, given_at=r.given_at,
                        effect_from=r.effect_from, effect_until=r.effect_until, lowered_to=r.lowered_to,
                        recorded_by=r.recorded_by)


async def responses(ctx: Ctx, breach: Breach) -> list[ResponseView]:
    """The breach's responses in the order given, the first (the breach's own) first. For a breach
    the caller has read (breaches.get / list_visible decided that)."""
    async with ctx.db.read() as conn:
        later = await sql.responses_of(conn, ctx.tenant_id, [breach.id])
    return [_first(breach), *(_later(r) for r in later)]


async def account(ctx: Ctx, breach: Breach) -> BreachAccount | None:
    async with ctx.db.read() as conn:
        found = await sql.accounts_of(conn, ctx.tenant_id, [breach.id])
    return found[0] if found else None


async def frame_changes(ctx: Ctx, breach: Breach) -> list[FrameChange]:
    async with ctx.db.read() as conn:
        return await sql.frame_changes_of(conn, ctx.tenant_id, [breach.id])


async def learning_points(ctx: Ctx, breach: Breach) -> list[LearningPoint]:
    async with ctx.db.read() as conn:
        return await sql.learning_points_of(conn, ctx.tenant_id, [breach.id])


async def details_for_export(conn, tenant_id: UUID, breach_id: UUID) -> dict:
    """What follows a breach, for the person's data export (the caller may read the breach)."""
    def docs(items) -> list[dict]:
        return [{k: v for k, v in msgspec.to_builtins(i).items() if k != "tenant_id"} for i in items]
    found = await sql.accounts_of(conn, tenant_id, [breach_id])
    return {"responses": docs(await sql.responses_of(conn, tenant_id, [breach_id])),
            "account": docs(found)[0] if found else None,
            "frame_changes": docs(await sql.frame_changes_of(conn, tenant_id, [breach_id])),
            "learning_points": docs(await sql.learning_points_of(conn, tenant_id, [breach_id]))}


# --- the leader chain's steps -----------------------------------------------------------------------

async def _as_leader(ctx: Ctx, tx, breach_id: UUID, op: str, *, open_only: bool) -> tuple[Breach, UUID]:
    """The breach (locked), for the leader chain above its unit or a stand-in for it (on the
    leader's behalf), never for the person concerned; not once purged, nor (open_only) closed."""
    if ctx.principal.person is None:
        raise Forbidden("the leader chain follows up a breach", code="person_required")
    me = ctx.principal.person.id
    breach = await breach_uc._visible(ctx, tx.conn, breach_id, for_update=True)
    if breach.person_id == me:
        raise Forbidden("the leader chain follows up a breach", field="breachId", code="not_authorised_to_record")
    facts = await load_facts(tx.conn, ctx.tenant_id)
    await breach_uc._require_leader_chain(ctx, tx, facts, breach.unit_id, op)
    if breach.purged_at is not None:
        raise Invalid("the breach's details have been purged", field="breachId", code="purged")
    if open_only and breach.closed_at is not None:
        raise Invalid("the breach is closed", field="breachId", code="breach_closed")
    return breach, me


def _validate_response(data: ResponseInput, now: datetime) -> datetime:
    if data.response not in breach_uc.RESPONSES:
        raise Invalid(f"response must be one of {', '.join(breach_uc.RESPONSES)}", field="response",
                      code="invalid_choice")
    check_text(data.note, "note", max_len=4000, required=False)
    if data.response in breach_uc.TEMPORARY and (data.until is None or data.until <= now):
        raise Invalid(f"{data.response} is temporary: give `until`, a future instant", field="until",
                      code="invalid_validity")
    if data.response not in breach_uc.TEMPORARY and data.until is not None:
        raise Invalid("only a temporary response (extra control, a lowered level, suspension) has an end",
                      field="until", code="invalid_validity")
    if data.response == "lowered_level" and (data.lowered_to is None or not 1 <= data.lowered_to <= 6):
        raise Invalid("a lowered level must be 1-6", field="loweredTo", code="level_out_of_range")
    if data.response != "lowered_level" and data.lowered_to is not None:
        raise Invalid("loweredTo only goes with the lowered_level response", field="loweredTo", code="invalid_choice")
    at = data.given_at or now
    rules.check_dates(givenAt=at, until=data.until)
    if at > now:
        raise Invalid("a response is recorded when it is given: givenAt cannot be in the future", field="givenAt",
                      code="invalid_instant")
    return at


async def add_response(ctx: Ctx, breach_id: UUID, data: ResponseInput) -> Result:
    """A later response to a breach. Its effect on checks begins now, as a breach's does."""
    now = ctx.now()
    given_at = _validate_response(data, now)
    async with ctx.write() as tx:
        breach, me = await _as_leader(ctx, tx, breach_id, RESPOND, open_only=True)
        if given_at < breach.occurred_at:
            raise Invalid("a response comes after the breach occurred", field="givenAt", code="invalid_instant")
        delegation = None
        if breach.delegation_id is not None:
            delegation = await rows.get(tx.conn, "delegation", Delegation, ctx.tenant_id, breach.delegation_id,
                                        for_update=True)
        if data.response == "revocation" and (delegation is None or delegation.status == "revoked"):
            raise Invalid("revocation names a delegation in force: the breach has none", field="response",
                          code="revoked" if delegation is not None else "required")
        if data.response == "lowered_level" and delegation is not None and data.lowered_to >= delegation.level:
            raise Invalid(f"a lowered level must be below the delegation's level {delegation.level}",
                          field="loweredTo", code="level_out_of_range")
        added = await rows.insert(tx, "breach_response", BreachResponse, dict(
            breach_id=breach.id, person_id=breach.person_id, area_id=breach.area_id, unit_id=breach.unit_id,
            response=data.response, note=(data.note or "").strip() or None, given_at=given_at, effect_from=now,
            effect_until=data.until, lowered_to=data.lowered_to, recorded_by=me))
        if data.response == "revocation":
            await delegation_uc.revoke_in(ctx, tx, delegation, f"breach {breach.id}")
        if data.response == "suspension":  # that, and the ids: nothing about the breach
            await events.suspended(tx, delegation_id=breach.delegation_id, person_id=breach.person_id,
                                   unit_id=breach.unit_id, area_id=breach.area_id, at=now)
        return Result(added, tx.revision)


async def record_frame_change(ctx: Ctx, breach_id: UUID, kind: str, text: str,
                              decided_at: datetime | None = None) -> Result:
    """What the leader or the frame changes in response (not a sanction on the person)."""
    if kind not in FRAME_CHANGES:
        raise Invalid(f"kind must be one of {', '.join(FRAME_CHANGES)}", field="kind", code="invalid_choice")
    check_text(text, "text", max_len=4000)
    now = ctx.now()
    at = decided_at or now
    rules.check_dates(decidedAt=at)
    if at > now:
        raise Invalid("decidedAt cannot be in the future", field="decidedAt", code="invalid_instant")
    async with ctx.write() as tx:
        breach, me = await _as_leader(ctx, tx, breach_id, FRAME, open_only=False)
        added = await rows.insert(tx, "breach_frame_change", FrameChange, dict(
            breach_id=breach.id, person_id=breach.person_id, unit_id=breach.unit_id, kind=kind, text=text.strip(),
            decided_at=at, recorded_by=me))
        return Result(added, tx.revision)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_CPR = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")


async def _names_in(conn, tenant_id: UUID, text: str, concerned: Person) -> bool:
    """Whether a shareable text names someone: the person concerned by any part of her name, anyone
    in the organisation by full name, or holds an e-mail address or a CPR number."""
    def said(word: str) -> bool:
        return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text, re.IGNORECASE) is not None
    if _EMAIL.search(text) or _CPR.search(text):
        return True
    if any(said(part) for part in re.split(r"[\s,]+", concerned.name) if len(part) >= 3):
        return True
    names = await conn.fetch("SELECT name FROM person WHERE tenant_id = $1 AND erased_at IS NULL", tenant_id)
    return any(said(r["name"]) for r in names if " " in r["name"].strip())


async def record_learning_point(ctx: Ctx, breach_id: UUID, text: str, *, shareable: bool = False,
                                confirm_no_personal_data: bool = False) -> Result:
    """What was learned. Shareable only when the leader confirms it holds no personal data, and
    the registry finds no name, e-mail address or CPR number in it."""
    check_text(text, "text", max_len=2000)
    if shareable and not confirm_no_personal_data:
        raise Invalid("a shareable learning point needs your confirmation that it holds no personal data",
                      field="confirmNoPersonalData", code="confirm_no_personal_data")
    async with ctx.write() as tx:
        breach, me = await _as_leader(ctx, tx, breach_id, LEARN, open_only=False)
        if shareable:
            concerned = await rows.get(tx.conn, "person", Person, ctx.tenant_id, breach.person_id)
            if await _names_in(tx.conn, ctx.tenant_id, text, concerned):
                raise Invalid("a shareable learning point names no one: leave out names, e-mail addresses and CPR "
                              "numbers", field="text", code="personal_data_in_text")
        added = await rows.insert(tx, "learning_point", LearningPoint, dict(
            breach_id=breach.id, person_id=breach.person_id, unit_id=breach.unit_id, text=text.strip(),
            cause=breach.cause, shareable=shareable, confirmed_no_personal_data_by=me if shareable else None,
            learned_at=ctx.now(), recorded_by=me))
        return Result(added, tx.revision)


async def may_respond(ctx: Ctx, breach: Breach) -> bool:
    """Whether the leader's steps (responses, frame changes, learning points) are offered to the
    caller on the breach's page: the same relations and policy rows as the use cases."""
    return all([await breach_uc.may_follow_up(ctx, breach, op) for op in (RESPOND, FRAME, LEARN)])


# --- the employee's own account -----------------------------------------------------------------

async def write_account(ctx: Ctx, breach_id: UUID, text: str, version: int | None = None) -> Result:
    """The person concerned writes (or rewrites, giving the version she read) her account, until
    the breach is closed. Nobody else writes it."""
    check_text(text, "account", max_len=8000)
    async with ctx.write() as tx:
        breach = await breach_uc._visible(ctx, tx.conn, breach_id, for_update=True)
        person = ctx.principal.person
        mine = {"self"} if person is not None and person.id == breach.person_id else set()
        require(ctx, ACCOUNT, mine, code="not_your_breach", field="breachId",
                message="only the person the breach concerns writes her account of it")
        if breach.purged_at is not None:
            raise Invalid("the breach's details have been purged", field="breachId", code="purged")
        if breach.closed_at is not None:
            raise Invalid("the breach is closed: the account stands as it was", field="breachId",
                          code="breach_closed")
        found = await sql.accounts_of(tx.conn, ctx.tenant_id, [breach.id])
        if not found:
            if version is not None:
                raise Conflict("there is no account yet: leave out the version", current_version=None)
            written = await rows.insert(tx, "breach_account", BreachAccount, dict(
                breach_id=breach.id, person_id=breach.person_id, unit_id=breach.unit_id, account=text.strip(),
                written_at=ctx.now()))
        else:
            if version is None:
                raise Conflict("you have written an account already: give its version to rewrite it",
                               current_version=found[0].version)
            written = await rows.update(tx, "breach_account", BreachAccount, found[0].id, version,
                                        {"account": text.strip(), "written_at": ctx.now()})
        return Result(written, tx.revision)


async def may_write_account(ctx: Ctx, breach: Breach) -> bool:
    person = ctx.principal.person
    return (person is not None and person.id == breach.person_id and breach.closed_at is None
            and breach.purged_at is None and may(ctx, ACCOUNT, {"self"}))


# --- shared learning and the unit overview ----------------------------------------------------------

async def shared_learning_points(ctx: Ctx, unit_id: UUID) -> list[tuple[LearningPoint, bool]]:
    """The shareable learning points in the unit's subtree, newest first, each with whether the
    caller may read its breach (else the breach is not named to her)."""
    require(ctx, SHARED, code="person_required", message="shared learning points are read by people")
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        found = await sql.shared_points(conn, ctx.tenant_id, facts.subtree(unit_id))
        sight = Sight(ctx, conn)
        return [(p, await sight.may("breach", p.person_id, p.unit_id)) for p in found]


async def own_unit(ctx: Ctx) -> UUID | None:
    """The unit the caller belongs to now (her first membership), for pages that default to it."""
    person = ctx.principal.person
    if person is None:
        return None
    async with ctx.db.read() as conn:
        mine = [m for m in await org_sql.memberships_of_people(conn, ctx.tenant_id, [person.id])
                if m.active_at(ctx.now())]
    return mine[0].unit_id if mine else None


async def overview(ctx: Ctx, unit_id: UUID, days: int = OVERVIEW_DAYS) -> Overview:
    """Breaches in the unit's subtree that occurred in the last `days` days, by cause; never by
    person. Withheld when fewer than MIN_PEOPLE people belong to the subtree."""
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"days must be between 1 and {MAX_DAYS}", field="days", code="invalid_argument")
    now = ctx.now()
    since = now - timedelta(days=days)
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        units = await readable_subtree(ctx, conn, facts, unit_id, OVERVIEW, "a unit's breaches by cause are for its "
                                       "leader chain, a stand-in for it, HR and auditors")
        if await sql.people_in_units(conn, ctx.tenant_id, units, now) < MIN_PEOPLE:
            return Overview(unit_id=unit_id, since=since, days=days, withheld=True, by_cause={})
        return Overview(unit_id=unit_id, since=since, days=days, withheld=False,
                        by_cause=await sql.counts_by_cause(conn, ctx.tenant_id, units, since))
