"""Use cases for a delegation offered and taken up (issue 12, part 1; "Tillid kan aldrig beordres",
l. 216-227 of the publication; the employee must choose to take the trust up, l. 83-86).

* A new delegation at a level the organisation says the delegate takes up herself (by default 5-7:
  `organisation.acceptance_from_level`) starts `offered`: checks deny it with `awaiting_acceptance`
  until the delegate (for a team: any member, recorded by name) accepts. She may decline with a
  reason (the delegation becomes `declined`, for good) or ask to talk it over first (it stays offered).
* An amendment that widens an accepted delegation is offered again: the widening keys wait in the
  offer, the old terms stay in force until she accepts; what narrows or changes nothing she may
  decide takes effect at once, and a narrowing leaves her a notice (`narrowing`) she marks as seen.
* Who answers: only the delegate (policy `answerOffer`, relation `delegate`). Nobody answers for her:
  not her leader, a colleague, an administrator or a system.
* Who reads the offers on a delegation: as its other private parts (`Delegation.offers`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from registry import texts
from registry.domain import offers as offer_rules
from registry.domain.model import OFFER_ANSWERS, Delegation, DelegationDraft, DelegationOffer
from registry.errors import Conflict, Forbidden, Invalid
from registry.services import events
from registry.services.common import (Ctx, Result, Sight, check_text, load_facts, may_read_on_delegation,
                                      on_delegations, readable_subtree, require, require_person)
from registry.storage import offers as offer_sql
from registry.storage import org as org_sql
from registry.storage import rows
from registry.storage.db import WriteTx

ANSWER = "answerOffer"
WITHDRAW = "withdrawOffer"
READ = "Delegation.offers"
IN_UNIT = "offers"
SET_RULE = "setAcceptanceRule"


# --- the organisation's rule ----------------------------------------------------------------------

async def acceptance_from_level(conn, tenant_id: UUID) -> int | None:
    return await offer_sql.acceptance_from_level(conn, tenant_id)


async def set_acceptance_rule(ctx: Ctx, from_level: int | None) -> Result:
    """From which level a delegate takes up a delegation herself (None: never); tenant administrators.
    It binds what is declared or widened from now on; what is already offered stays offered."""
    require(ctx, SET_RULE, code="not_authorised", field="fromLevel",
            message="the organisation's settings are set by its administrators")
    if from_level is not None and not 1 <= from_level <= 7:
        raise Invalid("fromLevel must be between 1 and 7, or null for never", field="fromLevel",
                      code="invalid_level")
    async with ctx.write() as tx:
        await offer_sql.set_acceptance_from_level(tx.conn, ctx.tenant_id, from_level)
        return Result(await org_sql.tenant_by_id(tx.conn, ctx.tenant_id), tx.revision)


# --- written by declaring and amending (services/delegations.py) ----------------------------------

def _values(delegation: Delegation) -> dict:
    return {k: getattr(delegation, k) for k in DelegationDraft.__struct_fields__}


async def offer_new(tx: WriteTx, ctx: Ctx, delegation: Delegation) -> DelegationOffer:
    """The offer of a delegation just declared as `offered`."""
    person = ctx.principal.person
    return await rows.insert(tx, "delegation_offer", DelegationOffer, dict(
        delegation_id=delegation.id, kind="new", changes={}, summary_da="", offered_at=ctx.now(),
        offered_by=None if person is None else person.id))


async def split_amendment(tx: WriteTx, ctx: Ctx, current: Delegation, changes: dict, new_level: int) -> dict:
    """For an amendment of `current` (its changes canonical, as stored): what takes effect now.

    * An offered delegation she has not answered changes at once, and its offer is made anew: she
      answers the terms she can read, never older ones (an answer names the offer's version).
    * For an accepted one, what widens it waits in one open widening offer, when the organisation's
      rule says she takes it up herself: an open widening is replaced, its keys not changed again
      still waiting; what narrows takes effect and leaves her a notice. The rest is at once."""
    person = ctx.principal.person
    by = None if person is None else person.id
    if current.status == "offered":
        for old in await offer_sql.open_of(tx.conn, ctx.tenant_id, current.id, ("new",), for_update=True):
            await rows.update(tx, "delegation_offer", DelegationOffer, old.id, old.version, {"status": "withdrawn"})
        await rows.insert(tx, "delegation_offer", DelegationOffer, dict(
            delegation_id=current.id, kind="new", changes={}, summary_da="", offered_at=ctx.now(), offered_by=by))
        return changes
    if current.status not in ("active", "suspended"):
        return changes
    values = _values(current)
    widening, narrowing, _neutral = offer_rules.split(values, changes)
    from_level = await offer_sql.acceptance_from_level(tx.conn, ctx.tenant_id)
    now_changes = dict(changes)
    offered = dict(widening) if offer_rules.needs_acceptance(new_level, from_level) else {}
    if "level" in offered and "next_step" in changes and changes["next_step"] is None and current.next_step \
            and current.next_step.level == offered["level"]:
        offered["next_step"] = None  # the planned step is offered with the level: it ends when she takes it
    for key in offered:
        del now_changes[key]
    # One open widening at a time: one this amendment offers more on, or changes again, is replaced,
    # and its keys not changed now keep waiting in the new one.
    pending = {}
    for old in await offer_sql.open_of(tx.conn, ctx.tenant_id, current.id, ("widening",), for_update=True):
        if not offered and not set(old.changes) & set(changes):
            continue
        pending = {k: v for k, v in old.changes.items() if k not in changes}
        await rows.update(tx, "delegation_offer", DelegationOffer, old.id, old.version, {"status": "withdrawn"})
    if offered or pending:
        stored = {**pending, **{k: msgspec.to_builtins(v) for k, v in offered.items()}}
        shown = {**_decoded(current, pending), **offered}
        await rows.insert(tx, "delegation_offer", DelegationOffer, dict(
            delegation_id=current.id, kind="widening", changes=stored, summary_da=texts.changes_da(values, shown),
            offered_at=ctx.now(), offered_by=by))
    if narrowing:
        await rows.insert(tx, "delegation_offer", DelegationOffer, dict(
            delegation_id=current.id, kind="narrowing", changes={k: msgspec.to_builtins(v) for k, v in narrowing.items()},
            summary_da=texts.changes_da(values, narrowing), offered_at=ctx.now(), offered_by=by))
    return now_changes


def _decoded(current: Delegation, stored: dict) -> dict:
    """An offer's stored changes (JSON) as the delegation's own values again."""
    if not stored:
        return {}
    merged = {**msgspec.to_builtins(_values(current)), **stored}
    draft = msgspec.convert(merged, DelegationDraft, strict=False)
    return {k: getattr(draft, k) for k in stored}


async def close_on_revoke(tx: WriteTx, ctx: Ctx, delegation_id: UUID) -> None:
    """A revoked delegation's open offers are withdrawn (a notice is left as it is: she may still read it)."""
    for offer in await offer_sql.open_of(tx.conn, ctx.tenant_id, delegation_id, ("new", "widening"), for_update=True):
        await rows.update(tx, "delegation_offer", DelegationOffer, offer.id, offer.version, {"status": "withdrawn"})


# --- her answer -----------------------------------------------------------------------------------

async def _is_delegate(conn, ctx: Ctx, delegation: Delegation, person_id: UUID) -> bool:
    if delegation.delegate_person_id is not None:
        return delegation.delegate_person_id == person_id
    return delegation.delegate_team_id in await org_sql.team_ids_of_person(conn, ctx.tenant_id, person_id, ctx.now())


async def answer(ctx: Ctx, offer_id: UUID, version: int, answer: str, note: str = "") -> Result:
    """The delegate's answer: accept (the delegation, or the widening, takes effect), decline (with a
    reason), talk (not ready yet: the offer stays open, the leader sees her note), or seen (a notice)."""
    me = require_person(ctx, "answering an offer")
    if answer not in (*OFFER_ANSWERS, "seen"):
        raise Invalid(f"answer must be one of {', '.join((*OFFER_ANSWERS, 'seen'))}", field="answer",
                      code="invalid_choice")
    check_text(note, "note", max_len=4000, required=answer == "decline")
    async with ctx.write() as tx:
        offer = await rows.get(tx.conn, "delegation_offer", DelegationOffer, ctx.tenant_id, offer_id, for_update=True,
                               field="offerId")
        delegation = await rows.get(tx.conn, "delegation", Delegation, ctx.tenant_id, offer.delegation_id,
                                    for_update=True)
        relations = {"delegate"} if await _is_delegate(tx.conn, ctx, delegation, me) else set()
        require(ctx, ANSWER, relations, code="not_the_delegate", field="offerId",
                message="only the delegate (or a member of the team it is offered to) answers an offer")
        # closed says more than stale: an offer answered or withdrawn since is not answered again
        if offer.status != "open" or delegation.status == "revoked":
            raise Invalid("the offer is already answered or withdrawn", field="offerId", code="offer_closed")
        if offer.version != version:
            raise Conflict(f"the offer is at version {offer.version}", current_version=offer.version)
        if (answer == "seen") != (offer.kind == "narrowing"):
            raise Invalid("a notice is marked as seen; an offer is accepted, declined or talked over",
                          field="answer", code="invalid_answer")
        now = ctx.now()
        if answer in ("accept", "talk") and delegation.valid_until is not None and now >= delegation.valid_until:
            raise Invalid("the delegation's period is over: the offer has expired", field="offerId",
                          code="offer_expired")
        status = {"accept": "accepted", "decline": "declined", "talk": "open", "seen": "seen"}[answer]
        if answer == "accept":
            await _take_effect(ctx, tx, delegation, offer)
        elif answer == "decline" and offer.kind == "new":
            await rows.update(tx, "delegation", Delegation, delegation.id, delegation.version, {"status": "declined"})
        updated = await rows.update(tx, "delegation_offer", DelegationOffer, offer.id, offer.version, dict(
            status=status, answer=answer, answer_note=note.strip(), answered_by=me, answered_at=now))
        if answer in ("accept", "decline"):  # her note stays out of the event: it is hers and the leader's
            await events.delegation(tx, f"{answer.removesuffix('e')}ed", delegation, now, offer=offer.id)
        return Result(updated, tx.revision)


async def _take_effect(ctx: Ctx, tx: WriteTx, delegation: Delegation, offer: DelegationOffer) -> None:
    if offer.kind == "new":
        await rows.update(tx, "delegation", Delegation, delegation.id, delegation.version, {"status": "active"})
        return
    # A widening: the waiting changes, checked again against the organisation as it is now (the
    # delegator's authority, the parent it was passed on from), as if the delegator amended it now.
    from registry.services import delegations as delegation_uc  # it writes offers: imported when used

    facts = await load_facts(tx.conn, ctx.tenant_id)
    try:
        await delegation_uc.amend_in(ctx, tx, facts, delegation, _decoded(delegation, offer.changes), offered=False)
    except (Forbidden, Invalid) as exc:  # the organisation has changed since it was offered
        raise Invalid(f"the widening can no longer take effect ({exc.message}); the leader can withdraw it",
                      field="offerId", code="offer_no_longer_valid") from exc


async def withdraw(ctx: Ctx, offer_id: UUID, version: int) -> Result:
    """The leader takes back a widening she offered (those who may amend the delegation). A new
    delegation's offer is taken back by revoking the delegation; a notice is not hers to take back."""
    from registry.services import delegations as delegation_uc

    async with ctx.write() as tx:
        offer = await rows.get(tx.conn, "delegation_offer", DelegationOffer, ctx.tenant_id, offer_id, for_update=True,
                               field="offerId")
        delegation = await rows.get(tx.conn, "delegation", Delegation, ctx.tenant_id, offer.delegation_id)
        facts = await load_facts(tx.conn, ctx.tenant_id)
        await delegation_uc.may_manage(ctx, tx, facts, delegation, WITHDRAW)
        if offer.version != version:
            raise Conflict(f"the offer is at version {offer.version}", current_version=offer.version)
        if offer.kind != "widening":
            raise Invalid("only a widening is withdrawn; revoke a delegation that is offered", field="offerId",
                          code="invalid_answer")
        if offer.status != "open":
            raise Invalid("the offer is already answered or withdrawn", field="offerId", code="offer_closed")
        updated = await rows.update(tx, "delegation_offer", DelegationOffer, offer.id, offer.version,
                                    {"status": "withdrawn"})
        return Result(updated, tx.revision)


# --- reading --------------------------------------------------------------------------------------

async def open_for_me(ctx: Ctx) -> list[tuple[DelegationOffer, Delegation]]:
    """Offers waiting for the caller's answer, and notices she has not seen, with their delegations."""
    person = ctx.principal.person
    if person is None:
        return []
    async with ctx.db.read() as conn:
        teams = await org_sql.team_ids_of_person(conn, ctx.tenant_id, person.id, ctx.now())
        found = await offer_sql.open_to(conn, ctx.tenant_id, person.id, list(teams), ctx.now())
        delegations = await rows.get_many(conn, "delegation", Delegation, ctx.tenant_id,
                                          list({o.delegation_id for o in found}))
    return [(o, delegations[o.delegation_id]) for o in found]


async def of_delegations(ctx: Ctx, delegations: list[Delegation]) -> list[list[DelegationOffer] | None]:
    """Each delegation's offers and notices, newest first, or None where the caller may not read them."""
    return await on_delegations(ctx, delegations, READ, offer_sql.of_delegations)


async def may_read_row(sight: Sight, row: dict) -> bool:
    """An offer's history entry is as private as the offers on its delegation."""
    return await may_read_on_delegation(sight, row, READ)


async def in_unit(ctx: Ctx, unit_id: UUID, answered_since: datetime | None = None
                  ) -> list[tuple[DelegationOffer, Delegation]]:
    """For the unit's leader chain (and a stand-in, HR, auditors): offers waiting for an answer on
    delegations in the unit and below, and those answered since `answered_since`."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        units = await readable_subtree(ctx, conn, facts, unit_id, IN_UNIT, "a unit's offers are for its leader chain, "
                                       "a stand-in for it, HR and auditors")
        found = await offer_sql.in_units(conn, ctx.tenant_id, units, ctx.now(), answered_since=answered_since)
        delegations = await rows.get_many(conn, "delegation", Delegation, ctx.tenant_id,
                                          list({o.delegation_id for o in found}))
    return [(o, delegations[o.delegation_id]) for o in found]
