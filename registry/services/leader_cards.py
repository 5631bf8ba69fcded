"""Use cases for the leader's card (issue 12, part 4; "at trække lederkortet", l. 648, 987 of the
publication): a leader who decides a matter she has delegated records it on the delegation: what was
decided, why, and when.

Who draws it: the leader chain above the delegation's unit (or a stand-in for such a leader, now, on
her behalf in history) and the delegation's accountable delegator (policies/registry_admin_policy.csv,
`recordLeaderCard`). Never the delegate herself, a colleague, a leader elsewhere, a system or an
administrator as such: the card says that a leader decided, so only someone who could have decided
in the delegate's place records it.

Who reads it (`Delegation.leaderCards`): the delegate (or the team's members, for a team delegation),
the delegator, the leader chain and a stand-in for it, HR and auditors; everyone else who reads the
delegation reads it without its cards (null), and a card's history is hidden from them the same way.

The card never changes the delegation (its version, its level, checks stay as they were); it is
counted per unit in the leader's follow-up (`leaderCardCount`) as a number, never per person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from registry.domain import rules
from registry.domain.model import Delegation, LeaderCard
from registry.errors import Invalid
from registry.services.delegations import relations_to_delegation
from registry.services.common import (Ctx, Result, Sight, check_text, load_facts, may, may_read_on_delegation,
                                      on_delegations, readable_subtree, require, require_person, standing_in_for)
from registry.storage import leader_cards as card_sql
from registry.storage import rows

DRAW = "recordLeaderCard"
READ = "Delegation.leaderCards"
COUNT = "leaderCardCount"
RECENT_DAYS = 90  # the follow-up page counts the cards drawn this many days back
MAX_DAYS = 3660


class CardInput(msgspec.Struct, frozen=True, kw_only=True):
    delegation_id: UUID
    decided: str
    why: str
    decided_at: datetime | None = None  # when the leader decided; now when not given


def _validate(data: CardInput, now: datetime) -> datetime:
    check_text(data.decided, "decided", max_len=4000)
    check_text(data.why, "why", max_len=4000)
    at = data.decided_at or now
    rules.check_dates(decidedAt=at)
    if at > now:
        raise Invalid("the leader's card records a decision already taken: decidedAt cannot be in the future",
                      field="decidedAt", code="invalid_instant")
    return at


async def record(ctx: Ctx, data: CardInput) -> Result:
    """Record that a leader decided a matter she has delegated. Writes only the card."""
    me = require_person(ctx, "the leader's card")
    now = ctx.now()
    decided_at = _validate(data, now)
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        delegation = await rows.get(tx.conn, "delegation", Delegation, ctx.tenant_id, data.delegation_id,
                                    field="delegationId")
        held, relations = await relations_to_delegation(ctx, tx.conn, facts, delegation)
        if delegation.delegate_person_id == me and "delegator" not in relations:
            relations.discard("leader")  # never her own card (a leader holding a delegation from above)
            relations.discard("standin")
        require(ctx, DRAW, relations, code="not_authorised_to_draw", field="delegationId",
                message="the leader's card is drawn by the leader chain above the delegation's unit, a stand-in "
                        "for it, or the delegation's delegator")
        if delegation.status == "revoked":
            raise Invalid("the delegation is revoked: there is nothing delegated to decide in its place",
                          field="delegationId", code="revoked")
        if decided_at < delegation.valid_from:
            raise Invalid("decidedAt is before the delegation began", field="decidedAt", code="invalid_instant")
        if "leader" not in relations and "delegator" not in relations:  # a stand-in, on the leader's behalf
            await tx.on_behalf_of(f"person:{standing_in_for(held, delegation.unit_id, facts.unit_tree)}")
        card = await rows.insert(tx, "leader_card", LeaderCard, dict(
            delegation_id=delegation.id, unit_id=delegation.unit_id, decided=data.decided.strip(),
            why=data.why.strip(), decided_at=decided_at, decided_by=me))
        return Result(card, tx.revision)


async def may_draw(ctx: Ctx, delegation: Delegation) -> bool:
    """Whether record() would let the caller draw the card on this delegation (asked, not enforced),
    so a page offers the form only to those it is for."""
    person = ctx.principal.person
    if person is None or delegation.status == "revoked":
        return False
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        _held, relations = await relations_to_delegation(ctx, conn, facts, delegation)
    if delegation.delegate_person_id == person.id and "delegator" not in relations:
        return False
    return may(ctx, DRAW, relations)


async def of_delegations(ctx: Ctx, delegations: list[Delegation]) -> list[list[LeaderCard] | None]:
    """Each delegation's cards, newest first, or None where the caller may not read them."""
    return await on_delegations(ctx, delegations, READ, card_sql.of_delegations)


async def may_read_row(sight: Sight, row: dict) -> bool:
    """A card's history entry (its values as JSON) is as private as the card."""
    return await may_read_on_delegation(sight, row, READ)


def _since(now: datetime, days: int) -> datetime:
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"days must be between 1 and {MAX_DAYS}", field="days", code="invalid_argument")
    return now - timedelta(days=days)


async def count_in_unit(ctx: Ctx, unit_id: UUID, days: int = RECENT_DAYS) -> tuple[int, datetime]:
    """How many leader's cards were drawn in the unit's subtree in the last `days` days (by when
    the leader decided): the unit's leader chain, a stand-in for it, HR and auditors. A number for
    the unit, never per person: it says how often the leader stepped in, not how anyone did."""
    since = _since(ctx.now(), days)
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        units = await readable_subtree(ctx, conn, facts, unit_id, COUNT, "the unit's count of leader's cards is for "
                                       "its leader chain, a stand-in for it, HR and auditors")
        return await card_sql.count_in_units(conn, ctx.tenant_id, units, since), since
