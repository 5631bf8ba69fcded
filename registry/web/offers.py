"""A delegation offered and taken up, on the web (issue 12, part 1): on Mit mandat the offers waiting
for her answer (Ja tak · Ikke klar endnu · Nej tak) and the notices of narrowing, her requests and
proposed rules and the forms to make them; on the leader's follow-up page the employees' requests and
proposals with her answers, and the offers still waiting or just answered.

Thin: the use cases (services/offers.py, services/requests.py) decide who may answer, ask and see.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import msgspec
from litestar import Request, post
from litestar.response import Redirect

from registry import errors
from registry.domain.levels import level as level_of
from registry.domain.model import Area, Delegation, DelegationOffer, DelegationRequest, Person, Team, Unit
from registry.errors import Invalid, RegistryError
from registry.services import offers as offer_uc
from registry.services import requests as request_uc
from registry.services.common import Ctx, load_facts
from registry.storage import org as org_sql
from registry.storage import rows
from registry.web.door import ctx
from registry.web.forms import failure, form_values, optional_uuid, parse_int

# The web's answers -> the use case's.
ANSWERS = {"ja": "accept", "snak": "talk", "nej": "decline", "set": "seen"}
ANSWERED_DAYS = 30  # the follow-up page shows the answers of the last month


class ShownOffer(msgspec.Struct, frozen=True, kw_only=True):
    offer: DelegationOffer
    delegation: Delegation
    area: str
    unit: str
    team: str | None
    person: str | None           # who it is offered to (a person's name)
    level: str                   # "6 Hverdagsdirektør – Medarbejderen beslutter …"
    by: str | None = None        # who answered
    conditions: tuple[str, ...] = ()


class ShownRequest(msgspec.Struct, frozen=True, kw_only=True):
    request: DelegationRequest
    person: str
    unit: str
    team: str | None
    area: str | None
    area_id: UUID | None
    level: str


async def _names(c: Ctx, people: set, teams: set) -> tuple[dict, dict, dict, dict]:
    async with c.db.read() as conn:
        facts = await load_facts(conn, c.tenant_id)
        persons = await rows.get_many(conn, "person", Person, c.tenant_id, [p for p in people if p]) if people else {}
        found_teams = await rows.get_many(conn, "team", Team, c.tenant_id, [t for t in teams if t]) if teams else {}
    return facts.units, facts.areas, persons, found_teams


async def shown_offers(c: Ctx, found: list[tuple[DelegationOffer, Delegation]]) -> list[ShownOffer]:
    people = {d.delegate_person_id for _o, d in found} | {o.answered_by for o, _d in found}
    units, areas, persons, teams = await _names(c, people, {d.delegate_team_id for _o, d in found})
    shown = []
    for o, d in found:
        lvl = level_of(d.level)
        team = teams.get(d.delegate_team_id)
        shown.append(ShownOffer(
            offer=o, delegation=d, area=_area_name(areas.get(d.area_id)), unit=_unit_name(units.get(d.unit_id)),
            team=None if team is None else team.name,
            person=None if d.delegate_person_id not in persons else persons[d.delegate_person_id].name,
            level=f"{lvl.number} {lvl.short_da} – {lvl.team_label_da if team else lvl.label_da}",
            by=None if o.answered_by not in persons else persons[o.answered_by].name,
            conditions=tuple(x.text_da for x in d.conditions)))
    return shown


def _area_name(area: Area | None) -> str:
    return "" if area is None else area.name_da


def _unit_name(unit: Unit | None) -> str:
    return "" if unit is None else unit.name


async def shown_requests(c: Ctx, found: list[DelegationRequest]) -> list[ShownRequest]:
    units, areas, persons, teams = await _names(c, {r.person_id for r in found}, {r.team_id for r in found})
    return [ShownRequest(
        request=r, person=persons[r.person_id].name if r.person_id in persons else "",
        unit=_unit_name(units.get(r.unit_id)), team=teams[r.team_id].name if r.team_id in teams else None,
        area=None if r.area_id is None else _area_name(areas.get(r.area_id)), area_id=r.area_id,
        level=request_uc.level_label(r.level)) for r in found]


async def mandate_context(c: Ctx) -> dict:
    """What Mit mandat shows of offers and requests, and the choices of its request forms."""
    person = c.principal.person
    offers = await shown_offers(c, await offer_uc.open_for_me(c))
    mine = await shown_requests(c, await request_uc.mine(c))
    async with c.db.read() as conn:
        facts = await load_facts(conn, c.tenant_id)
        now = c.now()
        my_units = {m.unit_id for m in await org_sql.memberships_of_people(conn, c.tenant_id, [person.id])
                    if m.active_at(now) and m.unit_id in facts.units}
        team_ids = await org_sql.team_ids_of_person(conn, c.tenant_id, person.id, now)
        my_teams = await rows.get_many(conn, "team", Team, c.tenant_id, list(team_ids)) if team_ids else {}
    areas = sorted((a for a in facts.areas.values() if a.archived_at is None and a.delegable),
                   key=lambda a: a.key)
    units = sorted((facts.units[u] for u in my_units if facts.units[u].archived_at is None), key=lambda u: u.name)
    return {"offers": offers, "my_requests": mine, "ask_areas": areas, "ask_units": units,
            "ask_teams": sorted(my_teams.values(), key=lambda t: t.name)}


async def followup_context(c: Ctx, unit_ids: list[UUID]) -> dict:
    """Per unit on the follow-up page: the open requests and proposals, and the offers waiting or
    answered in the last ANSWERED_DAYS days."""
    requests, offers, accepted = {}, {}, {}
    since = c.now() - timedelta(days=ANSWERED_DAYS)
    me = c.principal.person.id
    for u in unit_ids:
        requests[u] = await shown_requests(c, await request_uc.in_unit(c, u))
        # what asks something of her: offers still waiting, and answers other than a plain yes (a no with
        # its reason, a wish to talk); yeses are counted. Offers made to herself are not hers to follow up.
        found = [(o, d) for o, d in await offer_uc.in_unit(c, u, since) if d.delegate_person_id != me]
        accepted[u] = sum(1 for o, _d in found if o.status == "accepted")
        offers[u] = await shown_offers(c, [(o, d) for o, d in found if o.status != "accepted"])
    return {"unit_requests": requests, "unit_offers": offers, "unit_accepted": accepted,
            "answered_days": ANSWERED_DAYS}


# --- the delegate answers ------------------------------------------------------------------------

@post("/tilbud/{id:str}", opt={"ops": ("answerOffer",)}, status_code=303)
async def answer_offer(request: Request, id: str) -> object:
    from registry.web.mandate import render_mandate  # the page the answer is given on

    form = await form_values(request)
    c = ctx(request)
    try:
        answer = ANSWERS.get(form.get("svar") or "")
        if answer is None:
            raise Invalid("choose an answer", field="answer", code="invalid_choice")
        await offer_uc.answer(c, optional_uuid(id, "offerId") or UUID(int=0), parse_int(form, "version", "version"),
                              answer, form.get("note") or "")
    except errors.Unauthenticated:
        raise
    except RegistryError as exc:
        status, message, _at = failure(exc, {})
        return await render_mandate(request, error=message, status=status, failed_offer=id,
                                    offer_note=form.get("note"), offer_error=message)
    return Redirect(f"/mit-mandat?svaret={form.get('svar')}#tilbud", status_code=303)


# --- the employee asks ---------------------------------------------------------------------------

REQUEST_FIELDS = {"areaId": "omraade", "level": "niveau", "why": "tekst", "text": "tekst", "unitId": "hvor",
                  "teamId": "hvor"}


@post("/mit-mandat/oensker", opt={"ops": ("askForDelegation", "proposeRule")}, status_code=303)
async def ask(request: Request) -> object:
    from registry.web.mandate import render_mandate

    form = await form_values(request)
    c = ctx(request)
    kind = "rule" if form.get("slags") == "regel" else "delegation"
    where = form.get("hvor") or ""
    try:
        team = optional_uuid(where.removeprefix("team:"), "teamId") if where.startswith("team:") else None
        unit = None if team is not None else optional_uuid(where, "unitId")
        level = parse_int(form, "niveau", "level") if kind == "delegation" and form.get("niveau") else None
        await request_uc.ask(c, request_uc.RequestInput(
            kind=kind, text=form.get("tekst") or "", unit_id=unit, team_id=team,
            area_id=optional_uuid(form.get("omraade"), "areaId") if kind == "delegation" else None, level=level))
    except errors.Unauthenticated:
        raise
    except RegistryError as exc:
        status, message, at = failure(exc, REQUEST_FIELDS)
        return await render_mandate(request, error=message, status=status, ask_values=form, ask_errors=at)
    return Redirect("/mit-mandat?spurgt=1#oensker", status_code=303)


# --- the leader answers a request ------------------------------------------------------------------

@post("/opfoelgning/oensker/{id:str}", opt={"ops": ("answerRequest",)}, status_code=303)
async def answer_request(request: Request, id: str) -> object:
    form = await form_values(request)
    c = ctx(request)
    try:
        answer = {"vedtag": "adopt", "nej": "decline"}.get(form.get("svar") or "")
        if answer is None:
            raise Invalid("choose an answer", field="answer", code="invalid_choice")
        await request_uc.answer(c, optional_uuid(id, "requestId") or UUID(int=0),
                                parse_int(form, "version", "version"), answer, form.get("note") or "")
    except errors.Unauthenticated:
        raise
    except RegistryError as exc:
        from registry.web.followup import render_follow_up

        status, message, _at = failure(exc, {})
        return await render_follow_up(request, error=message, status=status)
    return Redirect("/opfoelgning?gemt=1#oensker", status_code=303)


ROUTES = [answer_offer, ask, answer_request]
