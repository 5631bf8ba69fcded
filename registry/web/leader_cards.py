"""The leader's card on the web (issue 12, part 4; "Træk lederkortet"): the form on a delegation's
page for those who may draw it, the cards on that page and on the delegate's Mit mandat, and the
unit's count on the follow-up page. Thin: the use cases (services/leader_cards.py) decide who may
draw and read a card; a refused form is shown again on the delegation's page with its values kept.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec
from litestar import Request, post
from litestar.response import Redirect

from registry import errors
from registry.domain.model import Delegation, LeaderCard, Person
from registry.errors import Invalid, RegistryError
from registry.services import leader_cards as card_uc
from registry.services.common import Ctx
from registry.storage import rows
from registry.web.door import ctx
from registry.web.forms import failure, form_values, parse_date
from registry.web.render import DANISH_TIME

# The use case's field names -> the form's.
FIELDS = {"decided": "besluttet", "why": "hvorfor", "decidedAt": "besluttet_dato", "delegationId": None}


class ShownCard(msgspec.Struct, frozen=True):
    card: LeaderCard
    by: str  # the name of the leader who decided


async def cards_of(c: Ctx, delegations: list[Delegation]) -> dict[UUID, list[ShownCard] | None]:
    """Each delegation's cards as the caller may read them (None: not for her), with the leaders' names."""
    found = await card_uc.of_delegations(c, delegations)
    people = {card.decided_by for cards in found if cards for card in cards}
    async with c.db.read() as conn:
        names = {pid: p.name for pid, p in (await rows.get_many(conn, "person", Person, c.tenant_id,
                                                                 list(people))).items()} if people else {}
    return {d.id: None if cards is None else [ShownCard(card, names.get(card.decided_by, "")) for card in cards]
            for d, cards in zip(delegations, found)}


async def page_context(c: Ctx, delegation: Delegation, values: dict | None = None,
                       errors_at: dict | None = None) -> dict:
    """What the delegation's page shows of the leader's card: the cards, and the form when she may draw."""
    return {"leader_cards": (await cards_of(c, [delegation]))[delegation.id],
            "may_draw_card": await card_uc.may_draw(c, delegation),
            "card_values": values or {}, "card_errors": errors_at or {}}


async def counts(c: Ctx, unit_ids: list[UUID]) -> dict[UUID, int]:
    """The follow-up page: cards drawn in each unit's subtree in the last RECENT_DAYS days."""
    return {u: (await card_uc.count_in_unit(c, u))[0] for u in unit_ids}


def _decided_at(form: dict, now: datetime) -> datetime | None:
    """The day the leader decided (today when left empty): noon that day, or now when it is today."""
    day = parse_date(form, "besluttet_dato", "decidedAt")
    if day is None or day == now.astimezone(DANISH_TIME).date():
        return None
    return datetime.combine(day, datetime.min.time().replace(hour=12), DANISH_TIME)


@post("/delegeringer/{id:str}/lederkort", opt={"ops": ("recordLeaderCard",)}, status_code=303)
async def draw(request: Request, id: str) -> object:
    from registry.web import board  # the delegation's page is board's

    form = await form_values(request)
    c = ctx(request)
    try:
        found = await board.board_uc.delegation_page(c, id)
        await card_uc.record(c, card_uc.CardInput(
            delegation_id=found.delegation.id, decided=form.get("besluttet") or "", why=form.get("hvorfor") or "",
            decided_at=_decided_at(form, c.now())))
    except errors.Unauthenticated:
        raise
    except RegistryError as exc:
        status, message, at = failure(exc, FIELDS)
        if status in (403, 404) and not isinstance(exc, Invalid):
            raise
        return await board.render_delegation_page(request, id, error=message, status=status,
                                                  card_values=form, card_errors=at)
    return Redirect(f"/delegeringer/{found.delegation.id}?gemt=lederkort#lederkort-liste", status_code=303)


ROUTES = [draw]
