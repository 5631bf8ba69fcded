"""Mit mandat: what the signed-in person may decide, where, at what level, within which red lines,
what she owes afterwards, who to ask and until when (services.checks.mandate), and a print view for
the tavlemøde. "Hvem kan beslutte?": who may decide on an area in a unit (services.checks.who_may).

Thin: the use cases answer; this names their codes in Danish (registry/texts.py) and renders.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from uuid import UUID

import msgspec
from litestar import Request, get

from registry import texts
from registry.domain.decisions import ACTIONS
from registry.domain.levels import level as level_of
from registry.domain.model import Delegation
from registry.errors import Unavailable
from registry.policy.index import FOREVER, Decision
from registry.services import checks as check_uc
from registry.services import mandate_view
from registry.storage import rows
from registry.web import door
from registry.web import leader_cards as leader_card_web  # issue 12, part 4
from registry.web.forms import last_day
from registry.web.render import page

DEFAULT_ACTION = "act_as_hverdagsdirektoer"


def instant(value: float | None) -> datetime | None:
    """An index instant as a date to show; None for "until further notice"."""
    return None if value is None or value >= FOREVER else datetime.fromtimestamp(value, timezone.utc)


def last_day_of(value: float | None):
    """An end (exclusive, an index instant) as the last day it covers: "til og med" that day."""
    return last_day(instant(value))


class Owed(msgspec.Struct, frozen=True):
    label: str
    within_days: int | None


class Effect(msgspec.Struct, frozen=True):
    label: str
    until: date | None
    whole: bool


class Card(msgspec.Struct, frozen=True, kw_only=True):
    """One mandate entry as the page says it."""

    area: str
    area_key: str
    unit: str
    where: str                       # "og underenheder", "for hele enheden", ""
    level: int                       # the level she may use now (the held one while suspended)
    held: int
    sentence: str
    team: str | None
    basis: str
    red_lines: list[tuple[str, str, str]]  # (condition as a sentence, consequence, why)
    limits: list[tuple[str, bool]]    # the delegation's conditions: (Danish sentence, inherited)
    owes: list[Owed]
    ask: str | None
    until: date | None
    effects: list[Effect]
    suspended: bool
    purpose: str
    rules: tuple[str, ...]
    except_areas: list[str]
    stand_in_for: str | None
    next_step: str | None = None     # a planned step of trust, as a sentence
    frames: list[tuple[str, str, tuple[str, ...], str]] = []  # (whose, core task, shared rules, when agreed)
    leader_cards: list = []  # issue 12, part 4: the leader's cards on the delegation (web.leader_cards.ShownCard)

    @property
    def deciding(self) -> bool:
        return self.level >= mandate_view.DECIDING_FROM


async def mandate_cards(request: Request) -> list[Card]:
    """The signed-in person's mandate, as cards: she decides herself (5-7) first, then where she
    takes part (1-4); higher levels first, then by area."""
    ctx = door.ctx(request)
    me = door.principal(request).person.external_id
    entries = await check_uc.mandate(ctx, request.app.state.engine, me, None)
    if isinstance(entries, Decision):
        raise Unavailable("the registry cannot confirm it is current; try again shortly", code="stale")
    named = await mandate_view.names(ctx, entries)
    cards = [_card(e, n) for e, n in zip(entries, named)]
    cards = await _with_leader_cards(ctx, entries, cards)  # issue 12, part 4
    return sorted(cards, key=lambda c: (-c.level, c.area, c.unit))


async def _with_leader_cards(ctx, entries: list, cards: list[Card]) -> list[Card]:
    """Issue 12, part 4: each card from a delegation with the leader's cards drawn on it (she reads them)."""
    ids = {UUID(e.delegation_id) for e in entries if e.delegation_id}
    if not ids:
        return cards
    async with ctx.db.read() as conn:
        delegations = await rows.get_many(conn, "delegation", Delegation, ctx.tenant_id, list(ids))
    drawn = await leader_card_web.cards_of(ctx, list(delegations.values()))
    return [msgspec.structs.replace(c, leader_cards=drawn.get(UUID(e.delegation_id)) or [])
            if e.delegation_id else c for e, c in zip(entries, cards)]


def _card(e: check_uc.MandateEntry, n: mandate_view.EntryNames) -> Card:
    now_level = e.level if e.level_in_force is None else e.level_in_force
    lvl = level_of(now_level)
    basis = "stand_in" if e.stand_in_for is not None else "delegation_team" if e.via_team_id is not None else e.basis
    if e.basis == "leader_authority":
        where = "for hele enheden"
    else:
        where = "og underenheder" if e.include_subunits else ""
    return Card(
        area=n.area.name_da, area_key=n.area.key, unit=n.unit.name, where=where, level=now_level, held=e.level,
        sentence=lvl.team_label_da if n.team is not None else lvl.label_da,
        team=None if n.team is None else n.team.name, basis=texts.BASES_DA[basis],
        red_lines=[(_on(area, n.area) + texts.condition_da(line.condition, attrs), line.consequence, line.why)
                   for line, attrs, area in n.red_lines],
        limits=[(b.text_da, b.inherited) for b in e.conditions],
        owes=[Owed(texts.OBLIGATIONS_DA.get(o.kind, o.kind), o.within_days) for o in e.owes],
        ask=None if n.ask is None else n.ask.name, until=last_day_of(e.valid_until),
        effects=[Effect(f.label_da, last_day_of(f.until), f.whole) for f in e.effects], suspended=e.suspended,
        purpose=n.purpose, rules=n.rules, except_areas=[a.name_da for a in n.except_areas],
        stand_in_for=None if n.stand_in_for is None else n.stand_in_for.name,
        next_step=None if n.next_step is None else texts.trust_step_da(n.next_step),
        frames=[(whose, f.core_task, f.rules, texts.frame_agreed_da(f.agreed_on, f.agreed_how)) for whose, f in n.frames])


ATTRIBUTE_FIELD = "attr."
NOT_A_NUMBER_DA = "Skriv et tal, fx 1500 eller 2,5."
_GROUPED = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


def attribute_values(attributes, data) -> tuple[dict[str, object], dict[str, str], dict[str, str]]:
    """The area's attributes from a form (fields `attr.<name>`): (values to check with, the texts as
    typed, a Danish error per field). Empty fields are left out: a check then says what is missing."""
    values: dict[str, object] = {}
    typed: dict[str, str] = {}
    errors: dict[str, str] = {}
    for attr in attributes:
        raw = data.get(ATTRIBUTE_FIELD + attr.name)
        text = raw.strip() if isinstance(raw, str) else ""
        typed[attr.name] = text
        if not text:
            continue
        if attr.type == "number":
            number = text.replace(" ", "").replace("\u00a0", "")
            if "," in number or _GROUPED.match(number):
                number = number.replace(".", "").replace(",", ".")
            try:
                parsed = float(number)
            except ValueError:
                errors[attr.name] = NOT_A_NUMBER_DA
                continue
            values[attr.name] = int(parsed) if parsed.is_integer() and abs(parsed) < 2 ** 53 else parsed
        elif attr.type == "boolean":
            if text in ("ja", "nej"):
                values[attr.name] = text == "ja"
        else:
            values[attr.name] = text
    return values, typed, errors


def _on(area, entry_area) -> str:
    """A red line set on an area below the entry's names it ("Ændring af dosis: …")."""
    return "" if area is None or area.id == entry_area.id else f"{area.name_da}: "


@get("/mit-mandat", opt={"ops": ("mandate",)})
async def my_mandate(request: Request) -> object:
    return await render_mandate(request, answered=request.query_params.get("svaret"),
                                asked=request.query_params.get("spurgt") == "1")


async def render_mandate(request: Request, *, status: int = 200, error: str | None = None, **extra) -> object:
    """Mit mandat, with the offers waiting for her answer and her requests (issue 12, part 1); a refused
    answer or request is shown here again, with its values."""
    from registry.web import offers as offer_web

    cards = await mandate_cards(request)
    dialogue = await offer_web.mandate_context(door.ctx(request))
    return page(request, "mandate.html", status=status, error=error, deciding=[c for c in cards if c.deciding],
                taking_part=[c for c in cards if not c.deciding], **dialogue,
                **{"ask_values": {}, "ask_errors": {}, "failed_offer": None, "offer_note": "", "offer_error": "",
                   "answered": None,
                   "asked": False, **extra})


@get("/mit-mandat/print", opt={"ops": ("mandate",)})
async def my_mandate_print(request: Request) -> object:
    cards = await mandate_cards(request)
    # The shared frames that hold where she decides, each once (many entries share a unit's frame).
    frames = list(dict.fromkeys(f for c in cards for f in c.frames))
    return page(request, "mandate_print.html", cards=cards, frames=frames, today=request.app.state.clock())


@get("/hvem-kan-beslutte", opt={"ops": ("whoMay",)})
async def who_may_decide(request: Request, omraade: str | None = None, enhed: str | None = None,
                         handling: str | None = None) -> object:
    """Pick an area, a unit and an action (a GET form); then everyone a check would allow there."""
    ctx = door.ctx(request)
    areas, units = await mandate_view.catalogue(ctx)
    action = handling if handling in ACTIONS else DEFAULT_ACTION
    area = next((a for a in areas if a.key == omraade), None)
    unit = next((u for u in units if enhed and enhed in (u.id, u.key)), None)  # by id, or external id
    answer, stale, people = None, False, {}
    attributes, values, typed, errors = (), {}, {}, {}
    if area is not None:
        attributes = (await mandate_view.attributes_of(ctx, area.key) or (None, ()))[1]
        values, typed, errors = attribute_values(attributes, request.query_params)
    if area is not None and unit is not None and not errors:
        found = await check_uc.who_may(ctx, request.app.state.engine, area=area.key, unit=unit.id, action=action,
                                       attributes=values, at=None)
        if isinstance(found, Decision):
            stale, answer = True, []
        else:
            answer = sorted(found, key=lambda w: (-(w.decision.level or 0), w.external_id))
            people = await mandate_view.people(ctx, [w.person_id for w in answer])
    return page(request, "who_may.html", areas=areas, units=units, actions=list(ACTIONS), action=action,
                area=area, unit=unit, answer=answer, stale=stale, people=people, attributes=attributes,
                typed=typed, errors=errors, asked=omraade is not None or enhed is not None)


ROUTES = [my_mandate, my_mandate_print, who_may_decide]
