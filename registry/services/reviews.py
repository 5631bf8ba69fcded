"""Use cases for reviews: delegations due for review or expiring, and completing a review."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from registry.domain import rules
from registry.domain.model import Delegation, Review
from registry.errors import Invalid
from registry.services import delegations as delegation_uc
from registry.services import events
from registry.services.common import Ctx, Result, check_text, load_facts, require_person
from registry.storage import rows

OUTCOMES = ("continue", "adjust", "end")


async def due(ctx: Ctx, unit_id: UUID, *, review_from: date | None = None, review_to: date | None = None,
              expiring_from: datetime | None = None, expiring_to: datetime | None = None) -> list[Delegation]:
    """Active delegations in the unit's subtree whose review date, or end, falls within the period."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        units = facts.subtree(unit_id)
        found = rows.many(Delegation, await conn.fetch(
            """SELECT * FROM delegation WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[]) AND status = 'active'
                 AND ($3::date IS NULL OR review_date >= $3) AND ($4::date IS NULL OR review_date <= $4)
                 AND ($5::timestamptz IS NULL OR valid_until >= $5) AND ($6::timestamptz IS NULL OR valid_until <= $6)
                 AND ($3::date IS NULL AND $4::date IS NULL OR review_date IS NOT NULL)
                 AND ($5::timestamptz IS NULL AND $6::timestamptz IS NULL OR valid_until IS NOT NULL)
               ORDER BY coalesce(review_date, valid_until::date), id""",
            ctx.tenant_id, units, review_from, review_to, expiring_from, expiring_to))
    return found


async def complete(ctx: Ctx, delegation_id: UUID, version: int, *, outcome: str, note: str,
                   next_review_date: date | None, changes: dict | None = None) -> Result:
    """continue (set the next review date), adjust (a new version with other level, control or
    validity) or end (revoke). The review itself is recorded with its note."""
    if outcome not in OUTCOMES:
        raise Invalid(f"outcome must be one of {', '.join(OUTCOMES)}", field="outcome", code="invalid_choice")
    check_text(note, "note", max_len=4000, required=False)
    if outcome == "adjust" and not changes:
        raise Invalid("an adjusting review says what changes", field="adjust", code="required")
    if outcome != "adjust" and changes:
        raise Invalid("only an adjusting review changes the delegation", field="adjust", code="invalid_choice")
    rules.check_dates(nextReviewDate=next_review_date)
    if outcome != "end" and next_review_date is None:
        raise Invalid("set the next review date", field="nextReviewDate", code="required")
    require_person(ctx, "completing a review")
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        current = await delegation_uc.locked(tx, delegation_id, version)
        await delegation_uc.may_manage(ctx, tx, facts, current, "completeReview")
        if outcome == "end":
            delegation = await delegation_uc.revoke_in(ctx, tx, current, f"ended at review: {note}".strip())
        else:
            delegation = await delegation_uc.amend_in(ctx, tx, facts, current,
                                                      {**(changes or {}), "review_date": next_review_date})
        reviewer = ctx.principal.person.id
        review = await rows.insert(tx, "review", Review, dict(
            delegation_id=delegation_id, outcome=outcome, note=note, next_review_date=next_review_date,
            reviewed_by=reviewer))
        await events.delegation(tx, "review.completed", delegation, ctx.now(), review=review.id)
        return Result(delegation, tx.revision)
