"""The organisation from an export of FK Organisation (Fælleskommunal Organisation, KOMBIT's shared
organisation service built on the OIO "Organisation" standard): organisation units, users and their
functions, turned into the pure `registry.domain.sync.Source`.

The file is JSON in the OIO REST shape that LoRa (magenta-aps/mox, `oio_rest`) serves for the same
standard, and whose names the FK Organisation XSDs give each element (`oio:content`): one list per
object type, each object `{"id": uuid, "registreringer": [{"attributter", "tilstande", "relationer"}]}`,
every attribute, state and relation a list of values each with its `virkning` (from/to). The README
("FK Organisation") shows the file.

What is read:
- `organisationenhed`: a unit (its uuid the external id), `organisationenhedegenskaber.enhedsnavn`,
  the parent from `overordnet` (a uuid of the `organisation` or none: a top unit);
- `bruger`: a person (her uuid the external id and the alias `uuid`), `brugeregenskaber.brugernavn`
  (the AD account) as the alias `upn` when it has a UPN's form (`name@domain`), the name from the linked `person` (`tilknyttedepersoner`,
  `personegenskaber.navn`), the e-mail from `adresser` (a `urn:mailto:` or an `adresse` object with
  the e-mail role);
- `organisationfunktion`: a function tying users (`tilknyttedebrugere`) to units
  (`tilknyttedeenheder`); its `funktionstype` (FK's published class uuids, or the name) says whether
  it is an engagement (Stilling) or a leader (Leder); other functions are left out.
Only what is valid counts: gyldighed `Aktiv`, with a virkning covering the sync date or starting
later (its from/to are the start and end dates). A unit with no such period is left out (the plan
archives it); a user whose functions ended, or who became `Inaktiv`, is in the source with that end
date (the plan ends and archives her, or skips her if she was never synced).

One unit per person (the `Source` holds one): the unit she leads, else her earliest engagement.

Pure: the caller passes the sync date (`today`).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import msgspec

from registry.domain.sync import Position, Source, SourceError, SourcePerson, SourceUnit, merged_positions, person_with

# Class uuids published in KOMBIT's "Anvisninger til anvendelse af STS-Organisation" (as OS2sync uses them).
FUNCTION_POSITION = "02e61900-33e0-407f-a2a7-22f70221f003"   # Stilling: an engagement in a unit
FUNCTION_MANAGER = "46c73630-f7ad-4000-9624-c06131cde671"    # Leder
ADDRESS_ROLE_USER_EMAIL = "5d13e891-162a-456b-abf2-fd9b864df96d"
LEADER_NAMES = {"leder", "manager"}
ENGAGEMENT_NAMES = {"engagement", "stilling", "ansættelse"}

# What each object's parts are called (LoRa's names; the FK XSD's `oio:content` names as alternatives).
UNIT_NAME = ("enhedsnavn", "organisationenhedsnavn")
FUNCTION_TYPE = ("funktionstype", "organisatoriskfunktionstype")
FUNCTION_NAME = ("funktionsnavn", "organisationfunktionsnavn")
PERSON_NAME = ("navn", "navnetekst")
ADDRESS_TEXT = ("adresse", "adressetekst")

WHAT_DA = {"organisation": "organisationen", "organisationenhed": "enheden", "bruger": "brugeren",
           "organisationfunktion": "funktionen", "person": "personen", "adresse": "adressen"}


class Period(msgspec.Struct, frozen=True):
    """A virkning as dates: from (None: since always) up to, not including, to (None: for ever)."""

    start: date | None
    end: date | None

    def holds(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)

    def ended(self, day: date) -> bool:
        return self.end is not None and self.end <= day


class _Obj(msgspec.Struct):
    kind: str
    id: str
    number: int        # its place in its list, from 1
    reg: dict


class _Function(msgspec.Struct, frozen=True):
    leader: bool
    unit: str
    period: Period
    number: int


def _error(code: str, obj: _Obj | None, message: str, file: str) -> SourceError:
    where = f"{WHAT_DA[obj.kind]} {obj.id}: " if obj is not None else ""
    return SourceError(code, where + message, file=file)


def _objects(doc: dict, kind: str, file: str) -> list[_Obj]:
    """The objects of one type: a list, or LoRa's list answer ({"results": [[...]]}); each with its
    newest registration (the last)."""
    found = doc.get(kind, [])
    if isinstance(found, dict) and isinstance(found.get("results"), list):
        found = [o for page in found["results"] for o in (page if isinstance(page, list) else [page])]
    if not isinstance(found, list):
        raise SourceError("bad_format", f"»{kind}« skal være en liste af objekter", file=file)
    objs, seen = [], set()
    for n, o in enumerate(found, start=1):
        if not isinstance(o, dict) or not isinstance(o.get("id"), str) or not o["id"].strip():
            raise SourceError("bad_format", f"{kind} nr. {n} har intet id", file=file)
        oid = o["id"].strip()
        regs = o.get("registreringer")
        if not isinstance(regs, list) or not regs or not all(isinstance(r, dict) for r in regs):
            raise SourceError("bad_format", f"{WHAT_DA[kind]} {oid} har ingen registrering", file=file)
        if oid in seen:
            raise SourceError("duplicate_id", f"{WHAT_DA[kind]} {oid} står i filen mere end én gang", file=file)
        seen.add(oid)
        objs.append(_Obj(kind=kind, id=oid, number=n, reg=regs[-1]))
    return objs


def _day(value, obj: _Obj, file: str) -> date | None:
    """One end of a virkning: an ISO date or timestamp (its own date where it was written), or
    (-)infinity (None)."""
    if value is None or (isinstance(value, str) and value.strip().lstrip("-").lower() == "infinity"):
        return None
    try:
        found = datetime.fromisoformat(value.strip()).date() if isinstance(value, str) else None
    except ValueError:
        found = None
    if found is None:
        raise _error("bad_date", obj, f"virkning »{value}« er ikke en dato som 2026-08-01", file)
    if not 1900 <= found.year <= 2199:
        raise _error("bad_date", obj, f"virkning »{value}« ligger uden for årene 1900-2199", file)
    return found


def _period(item, obj: _Obj, file: str) -> Period:
    virkning = item.get("virkning") if isinstance(item, dict) else None
    if virkning is None:
        return Period(None, None)
    if not isinstance(virkning, dict):
        raise _error("bad_date", obj, "virkning skal have from og to", file)
    period = Period(_day(virkning.get("from"), obj, file), _day(virkning.get("to"), obj, file))
    if period.start is not None and period.end is not None and period.end <= period.start:
        raise _error("bad_date", obj, f"virkning slutter ({period.end}) før den begynder ({period.start})", file)
    return period


def _items(obj: _Obj, part: str, names: tuple[str, ...], file: str) -> list[tuple[dict, Period]]:
    """The values of one attribute, state or relation with their periods."""
    section = obj.reg.get(part) or {}
    if not isinstance(section, dict):
        raise _error("bad_format", obj, f"»{part}« skal være et objekt", file)
    for name in names:
        if name in section:
            values = section[name]
            if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
                raise _error("bad_format", obj, f"»{name}« skal være en liste", file)
            return [(v, _period(v, obj, file)) for v in values]
    return []


def _pick(items: list[tuple[dict, Period]], today: date) -> tuple[dict, Period] | None:
    """The value that holds on the sync date, else the next to begin, else the last that ended."""
    holding = [i for i in items if i[1].holds(today)]
    if holding:
        return holding[0]
    later = sorted((i for i in items if i[1].start is not None and i[1].start > today), key=lambda i: i[1].start)
    if later:
        return later[0]
    ended = sorted((i for i in items if i[1].ended(today)), key=lambda i: i[1].end)
    return ended[-1] if ended else None


def _current(items: list[tuple[dict, Period]], today: date) -> list[tuple[dict, Period]]:
    """The values that hold on the sync date, or (none holding) those that begin next."""
    holding = [i for i in items if i[1].holds(today)]
    if holding:
        return holding
    later = [i for i in items if i[1].start is not None and i[1].start > today]
    first = min((i[1].start for i in later), default=None)
    return [i for i in later if i[1].start == first]


def _active(obj: _Obj, today: date, file: str) -> Period | None:
    """The object's valid period (gyldighed Aktiv) now or the next, else the last that ended; None
    when it was never active. No gyldighed at all: valid always."""
    states = _items(obj, "tilstande", (f"{obj.kind}gyldighed", "gyldighed"), file)
    if not states:
        return Period(None, None)
    for state, _ in states:
        if state.get("gyldighed") not in ("Aktiv", "Inaktiv"):
            raise _error("bad_value", obj, f"gyldighed »{state.get('gyldighed')}« skal være Aktiv eller Inaktiv",
                         file)
    found = _pick([s for s in states if s[0]["gyldighed"] == "Aktiv"], today)
    return found[1] if found else None


def _text(obj: _Obj, names: tuple[str, ...], today: date, file: str) -> str | None:
    found = _pick(_items(obj, "attributter", (f"{obj.kind}egenskaber", "egenskaber"), file), today)
    if found is None:
        return None
    for name in names:
        value = found[0].get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _refs(obj: _Obj, names: tuple[str, ...], today: date, file: str) -> list[dict]:
    return [item for item, _ in _current(_items(obj, "relationer", names, file), today)]


def _ref_uuid(item: dict) -> str | None:
    value = item.get("uuid")
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse(text: str, *, today: date, file: str = "fk-organisation.json") -> Source:
    """Read and check an FK Organisation export: every unit with a name, parents known and no cycles,
    dates as dates, every user in a unit; the first fault is raised (SourceError, naming the object)."""
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise SourceError("unreadable_file", f"kan ikke læses som JSON ({exc.msg})", file=file,
                          line=exc.lineno) from None
    if not isinstance(doc, dict) or not any(k in doc for k in ("organisationenhed", "bruger")):
        raise SourceError("bad_format", "filen skal være et JSON-objekt med listerne organisationenhed, bruger og "
                          "organisationfunktion (FK Organisations datamodel)", file=file)
    organisations = {o.id for o in _objects(doc, "organisation", file)}

    # Units: those valid now or later.
    all_units = _objects(doc, "organisationenhed", file)
    units: dict[str, SourceUnit] = {}
    for obj in all_units:
        period = _active(obj, today, file)
        if period is None or period.ended(today):
            continue  # closed (or never opened): out of the source
        name = _text(obj, UNIT_NAME, today, file)
        if name is None:
            raise _error("missing_value", obj, "enhedsnavn mangler", file)
        parents = [_ref_uuid(r) for r in _refs(obj, ("overordnet",), today, file)]
        parent = next((p for p in parents if p is not None), None)
        units[obj.id] = SourceUnit(id=obj.id, parent_id=None if parent in organisations else parent, name=name,
                                   kind=None, line=obj.number)
    unit_objs = {o.id: o for o in all_units}
    for u in units.values():
        if u.parent_id is not None and u.parent_id not in units:
            why = "er lukket" if u.parent_id in unit_objs else "findes ikke i filen"
            raise _error("unknown_parent", unit_objs[u.id], f"overenheden {u.parent_id} {why}", file)
    for u in units.values():  # a cycle: walking up from a unit comes back to it
        walked, current = set(), u
        while current.parent_id is not None:
            if current.id in walked:
                raise _error("cycle", unit_objs[u.id], "enheden ligger (indirekte) under sig selv", file)
            walked.add(current.id)
            current = units[current.parent_id]

    # Functions: engagements and leaders, by user.
    users = _objects(doc, "bruger", file)
    user_ids = {u.id for u in users}
    functions: dict[str, list[_Function]] = {}
    for obj in _objects(doc, "organisationfunktion", file):
        period = _active(obj, today, file)
        if period is None:
            continue  # never active
        when = _day_in(period, today)
        leader = _function_kind(obj, when, file)
        if leader is None:
            continue  # another kind of function (payout unit, contact, IT system ...)
        holders = [_ref_uuid(r) for r in _refs(obj, ("tilknyttedebrugere",), when, file)]
        holders = [h for h in holders if h is not None]
        if not holders:
            continue  # vacant
        in_units = [_ref_uuid(r) for r in _refs(obj, ("tilknyttedeenheder",), when, file)]
        in_units = [u for u in in_units if u is not None]
        if not in_units:
            raise _error("missing_value", obj, "tilknyttedeenheder mangler: funktionen er ikke knyttet til en enhed",
                         file)
        for holder in holders:
            if holder not in user_ids:
                raise _error("unknown_user", obj, f"brugeren {holder} findes ikke i filen", file)
            for unit in in_units:
                if unit not in units:
                    if unit in unit_objs or period.ended(today):
                        continue  # a closed unit: the function ends with it (ended functions are history)
                    raise _error("unknown_unit", obj, f"enheden {unit} findes ikke i filen", file)
                functions.setdefault(holder, []).append(_Function(leader=leader, unit=unit, period=period,
                                                                  number=obj.number))

    names = {o.id: _text(o, PERSON_NAME, today, file) for o in _objects(doc, "person", file)}
    addresses = {o.id: _text(o, ADDRESS_TEXT, today, file) for o in _objects(doc, "adresse", file)}
    people: list[SourcePerson] = []
    for obj in users:
        person = _person(obj, functions.get(obj.id, []), names, addresses, today, file)
        if person is not None:
            people.append(person)
    return Source(units=sorted(units.values(), key=lambda u: u.line), people=people,
                  units_file=f"{file}, organisationenhed", people_file=f"{file}, bruger")


def _day_in(period: Period, today: date) -> date:
    """The day to read a function's relations on: the sync date, its first day (not begun) or its last (ended)."""
    if period.end is not None and period.end <= today:
        return date.fromordinal(period.end.toordinal() - 1)
    if period.start is not None and period.start > today:
        return period.start
    return today


def _function_kind(obj: _Obj, day: date, file: str) -> bool | None:
    """True for a leader function, False for an engagement, None for any other: by the function type
    (FK's published class uuids), else by its name (LoRa/OS2mo write "Leder", "Engagement")."""
    for ref in _refs(obj, FUNCTION_TYPE, day, file):
        if _ref_uuid(ref) == FUNCTION_MANAGER:
            return True
        if _ref_uuid(ref) == FUNCTION_POSITION:
            return False
    name = (_text(obj, FUNCTION_NAME, day, file) or "").casefold()
    if name in LEADER_NAMES:
        return True
    if name in ENGAGEMENT_NAMES:
        return False
    return None


def _person(obj: _Obj, held: list[_Function], names: dict[str, str | None], addresses: dict[str, str | None],
            today: date, file: str) -> SourcePerson | None:
    """The user as a person in one unit (the one she leads, else her earliest engagement), or None
    when she is not in any unit the source holds (left before she was ever in one)."""
    valid = _active(obj, today, file)
    gone = valid is None or valid.ended(today)   # the user herself is inactive: she has left
    live = [] if gone else [f for f in held if not f.period.ended(today)]
    first = lambda f: (f.period.start or date.min, f.number)  # noqa: E731
    if live:  # every function that holds: the earliest she leads first, else the earliest engagement
        chosen = sorted(live, key=lambda f: (not f.leader, *first(f)))
    elif held:  # every function ended (or the user did): the one that ended last, a leader's first
        chosen = [sorted(held, key=lambda f: (f.period.end or date.max, f.leader, -f.number))[-1]]
    else:
        # In no unit: a service account, or a user only of IT systems, is not one of the organisation's
        # people here; one synced before has left the source, and is ended.
        return None
    places = []
    for f in chosen:
        start = f.period.start or today
        if valid is not None and valid.start is not None and valid.start > start:
            start = valid.start
        ends = [d for d in (f.period.end, today if valid is None else valid.end) if d is not None]
        end = min(ends) if ends else None
        if end is None or end > start:  # an empty time in the unit is no time there
            places.append(Position(unit_id=f.unit, leader=f.leader, start=start, end=end, line=obj.number))
    if not places:
        return None
    name = _name(obj, names, today, file)
    if name is None:
        raise _error("missing_value", obj, "navnet mangler (personegenskaber.navn på den tilknyttede person)", file)
    aliases = {"uuid": obj.id}
    login = _text(obj, ("brugernavn",), today, file)
    if login and "@" in login:  # an account name alone (`lil`) is no user principal name: checks can't use it
        aliases["upn"] = login
    return person_with(merged_positions(places), external_id=obj.id, name=name,
                       email=_email(obj, addresses, today, file), aliases=aliases)


def _name(obj: _Obj, names: dict[str, str | None], today: date, file: str) -> str | None:
    for ref in _refs(obj, ("tilknyttedepersoner",), today, file):
        person = _ref_uuid(ref)
        if person is not None and person not in names:
            raise _error("unknown_person", obj, f"personen {person} findes ikke i filen", file)
        if person is not None and names[person]:
            return names[person]
    return None


def _email(obj: _Obj, addresses: dict[str, str | None], today: date, file: str) -> str | None:
    """The user's e-mail: a `urn:mailto:` address, or an `adresse` object whose role (or object type)
    is e-mail; the first by `indeks`."""
    refs = sorted(_refs(obj, ("adresser",), today, file),
                  key=lambda r: r.get("indeks") if isinstance(r.get("indeks"), int) else 0)
    for ref in refs:
        urn = ref.get("urn")
        if isinstance(urn, str) and urn.lower().startswith("urn:mailto:"):
            return urn[len("urn:mailto:"):].strip() or None
        role = ref.get("rolle")
        role = role.get("uuid") if isinstance(role, dict) else role
        kind = str(ref.get("objekttype") or "").casefold()
        if role == ADDRESS_ROLE_USER_EMAIL or kind in ("email", "e-mail"):
            address = _ref_uuid(ref)
            if address is None:
                continue
            if address not in addresses:
                raise _error("unknown_address", obj, f"adressen {address} findes ikke i filen", file)
            if addresses[address]:
                return addresses[address]
    return None
