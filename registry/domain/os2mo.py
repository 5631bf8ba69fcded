"""OS2mo as a source of the organisation (issue 13): what OS2mo's GraphQL API answers (or a file
export of the same answers) turned into the sync's `Source`, checked. Pure: the caller passes the
data and `today`; the reader (registry.sources.os2mo) does the HTTP.

The data: one dict with a list per OS2mo collection, each the `objects` of every page of the query in
registry.sources.os2mo (GraphQL v29) concatenated:

    {"org_units": [...], "engagements": [...], "managers": [...], "kles": [...],
     "addresses": [...], "itusers": [...]}

Every object is OS2mo's `{"uuid": ..., "validities": [...]}`; the state used is the validity that
holds `today`, else the first one to come (the queries ask from today on, so a new employee's
engagement that starts next week is there). The mapping (README, "OS2mo"):

- a unit keeps OS2mo's uuid as its external id; its kind from its unit level or type (`KIND_WORDS`),
  else `unit`; its KLE markup from the KLE numbers it is `Ansvarlig` or `Udførende` for (`Indsigt`
  alone is insight, not a task);
- a person's external id is OS2mo's person uuid; aliases `uuid`, `upn` (an Active Directory it-user
  whose user key is a user principal name) and `payroll` (her engagement's user key when it is an
  employee number: digits only);
- a manager (with a person: a vacant manager post is no one) leads the unit;
- the registry holds one unit per person: the unit she manages, else her primary engagement's, else
  her earliest engagement's (those holding today before those to come). She leaves when the last of
  her engagements and manager roles ends.

OS2mo's validity is [from, to): `to` is the first instant she is no longer there (GraphQL v29 and
later), which is the sync's end date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import msgspec

from registry.domain.rules import check_kle
from registry.domain.sync import Position, Source, SourceError, SourceUnit, merged_positions, person_with
from registry.errors import Invalid

COLLECTIONS = ("org_units", "engagements", "managers", "kles", "addresses", "itusers")
REQUIRED = ("org_units", "engagements", "managers")

# A unit's kind from the words in its unit level's or unit type's name or user key (first match).
KIND_WORDS: tuple[tuple[str, str], ...] = (
    ("direktion", "direktion"), ("forvaltning", "forvaltning"), ("center", "center"), ("område", "center"),
    ("omraade", "center"), ("afdeling", "subunit"), ("afsnit", "subunit"), ("team", "subunit"),
    ("sektion", "subunit"), ("gruppe", "subunit"), ("institution", "unit"), ("enhed", "unit"),
)
AD_SYSTEMS = ("active directory", "ad", "azure ad", "entra id")  # IT systems whose users carry a UPN
_PAYROLL = re.compile(r"\d{1,12}")
_KLE_LEADING = re.compile(r"\s*(\d{2}(?:\.\d{2}(?:\.\d{2})?)?)\b")


class _Slice(msgspec.Struct, frozen=True):
    start: date
    end: date | None        # exclusive: the first day no longer there
    data: dict


def _err(code: str, message_da: str, origin: str, collection: str, uuid: object) -> SourceError:
    return SourceError(code, message_da, file=f"{origin}: {collection} {uuid}")


def _day(value: object, *, end: bool) -> date:
    """A validity's bound as a day: `from` its date; `to` the first day no longer valid (a `to` at
    midnight is that day; later in the day, the day after)."""
    if not isinstance(value, str):
        raise ValueError(value)
    found = datetime.fromisoformat(value)
    day = found.date()
    if end and (found.hour, found.minute, found.second, found.microsecond) != (0, 0, 0, 0):
        day += timedelta(days=1)
    if not 1900 <= day.year <= 2199:
        raise ValueError(value)
    return day


def _slices(obj: dict, origin: str, collection: str) -> list[_Slice]:
    found = []
    for v in obj.get("validities") or ():
        if not isinstance(v, dict):
            raise _err("bad_record", "en gyldighed er ikke et objekt", origin, collection, obj.get("uuid"))
        validity = v.get("validity") or {}
        try:
            start = _day(validity.get("from"), end=False)
            end = None if validity.get("to") is None else _day(validity.get("to"), end=True)
        except (ValueError, TypeError):
            raise _err("bad_date", f"gyldigheden {validity.get('from')!r}-{validity.get('to')!r} er ikke datoer som "
                       "2026-08-01T00:00:00+02:00 i årene 1900-2199", origin, collection, obj.get("uuid")) from None
        if end is not None and end <= start:
            raise _err("bad_date", "gyldigheden slutter før den begynder", origin, collection, obj.get("uuid"))
        found.append(_Slice(start, end, v))
    return sorted(found, key=lambda s: s.start)


def _chosen(slices: list[_Slice], today: date) -> tuple[int, _Slice] | None:
    """The state that holds today, else the first to come; None when all lie in the past."""
    for i, s in enumerate(slices):
        if s.start <= today and (s.end is None or s.end > today):
            return i, s
    for i, s in enumerate(slices):
        if s.start > today:
            return i, s
    return None


def _span(slices: list[_Slice], i: int) -> tuple[date, date | None]:
    """The period of the unbroken run of states around the chosen one (an engagement whose job
    changed in OS2mo is one engagement from its first day)."""
    first = last = i
    while first > 0 and slices[first - 1].end == slices[first].start:
        first -= 1
    while last + 1 < len(slices) and slices[last].end == slices[last + 1].start:
        last += 1
    return slices[first].start, slices[last].end


def _ref(value: object) -> str | None:
    """The uuid of a `..._response { uuid }` reference (None when absent)."""
    if isinstance(value, dict) and value.get("uuid"):
        return str(value["uuid"])
    return None


def _class_words(value: object) -> list[str]:
    """The user key and name of a `..._response { current { user_key name } }` class."""
    current = value.get("current") if isinstance(value, dict) else None
    if not isinstance(current, dict):
        return []
    return [str(current[k]) for k in ("user_key", "name") if current.get(k)]


def _classes(value: object) -> list[list[str]]:
    """The classes of a paged `..._response { objects { current { user_key name } } }`."""
    objects = value.get("objects") if isinstance(value, dict) else None
    return [_class_words(o) for o in objects or () if _class_words(o)]


def unit_kind(words: Iterable[str]) -> str:
    """A unit's kind from its level's and type's words (`KIND_WORDS`), else `unit`."""
    lowered = [w.lower() for w in words]
    for word, kind in KIND_WORDS:
        if any(word in w for w in lowered):
            return kind
    return "unit"


def _kle_number(words: list[str]) -> str | None:
    """The KLE number of a KLE class: its user key when that is one, else the number its name begins with."""
    for w in words:
        try:
            return check_kle(w)
        except Invalid:
            pass
    for w in words:
        found = _KLE_LEADING.match(w)
        if found:
            return found.group(1)
    return None


class _Record(msgspec.Struct, frozen=True, kw_only=True):
    person: str
    name: str | None
    unit: str
    start: date
    end: date | None
    now: bool             # holds today (else: to come)
    primary: bool
    user_key: str
    uuid: str
    line: int
    manager: bool


def parse(data: object, *, today: date, origin: str = "os2mo") -> Source:
    """OS2mo's data (see the module) as the sync's Source, checked: the collections there, uuids once
    each, parents known and no cycles, dates as dates, every engagement and manager in a known unit,
    KLE numbers as KLE numbers. The first fault is raised (SourceError, naming the record)."""
    if not isinstance(data, dict):
        raise SourceError("bad_record", "skal være et JSON-objekt med " + ", ".join(COLLECTIONS), file=origin)
    for name in COLLECTIONS:
        if name in REQUIRED and name not in data:
            raise SourceError("missing_columns", f"mangler {name} (skal have {', '.join(REQUIRED)})", file=origin)
        if not isinstance(data.get(name, []), list):
            raise SourceError("bad_record", f"{name} skal være en liste", file=origin)

    def objects(collection: str):
        seen: set[str] = set()
        for line, obj in enumerate(data.get(collection) or (), start=1):
            uuid = obj.get("uuid") if isinstance(obj, dict) else None
            if not uuid:
                raise SourceError("missing_value", f"post nr. {line} har ingen uuid", file=f"{origin}: {collection}")
            if uuid in seen:
                raise _err("duplicate_id", "står der to gange", origin, collection, uuid)
            seen.add(uuid)
            slices = _slices(obj, origin, collection)
            chosen = _chosen(slices, today)
            if chosen is not None:
                yield line, str(uuid), slices, chosen

    # Units
    units: dict[str, SourceUnit] = {}
    for line, uuid, _slices_, (_i, s) in objects("org_units"):
        name = s.data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _err("missing_value", "enheden har intet navn", origin, "org_units", uuid)
        words = _class_words(s.data.get("unit_level_response")) + _class_words(s.data.get("unit_type_response"))
        units[uuid] = SourceUnit(id=uuid, parent_id=_ref(s.data.get("parent_response")), name=name.strip(),
                                 kind=unit_kind(words), line=line)
    for u in units.values():
        if u.parent_id is not None and u.parent_id not in units:
            raise _err("unknown_parent", f"overenheden »{u.parent_id}« findes ikke blandt enhederne", origin,
                       "org_units", u.id)
    for u in units.values():
        walked, current = set(), u
        while current.parent_id is not None:
            if current.id in walked:
                raise _err("cycle", "enheden ligger (indirekte) under sig selv", origin, "org_units", u.id)
            walked.add(current.id)
            current = units[current.parent_id]

    # KLE markup
    kle: dict[str, list[str]] = {}
    for _line, uuid, _s, (_i, s) in objects("kles"):
        unit = _ref(s.data.get("org_unit_response"))
        if unit not in units:
            raise _err("unknown_unit", f"enheden »{unit}« findes ikke blandt enhederne", origin, "kles", uuid)
        aspects = [" ".join(words).lower() for words in _classes(s.data.get("kle_aspects_response"))]
        if aspects and all("indsigt" in a for a in aspects):
            continue  # insight only: not a task the unit handles
        number = _kle_number(_class_words(s.data.get("kle_number_response")))
        if number is None:
            raise _err("invalid_kle", "KLE-nummeret er ikke et KLE-nummer som 27.24.10", origin, "kles", uuid)
        kle.setdefault(unit, []).append(number)
    for uid, numbers in kle.items():
        units[uid] = msgspec.structs.replace(units[uid], kle=tuple(sorted(set(numbers))))

    # Engagements and manager roles
    records: dict[str, list[_Record]] = {}
    for collection in ("engagements", "managers"):
        for line, uuid, slices, (i, s) in objects(collection):
            person = s.data.get("person_response")
            if collection == "managers" and person is None:
                continue  # a vacant manager post
            person_id = _ref(person)
            if person_id is None:
                raise _err("missing_value", "har ingen person", origin, collection, uuid)
            unit = _ref(s.data.get("org_unit_response"))
            if unit is None:
                raise _err("no_unit", "personen er ikke i nogen enhed", origin, collection, uuid)
            if unit not in units:
                raise _err("unknown_unit", f"enheden »{unit}« findes ikke blandt enhederne", origin, collection, uuid)
            current = person.get("current") if isinstance(person, dict) else None
            name = current.get("name") if isinstance(current, dict) else None
            start, end = _span(slices, i)
            records.setdefault(person_id, []).append(_Record(
                person=person_id, name=name.strip() if isinstance(name, str) else None, unit=unit, start=start,
                end=end, now=s.start <= today, primary=bool(s.data.get("is_primary")),
                user_key=str(s.data.get("user_key") or ""), uuid=uuid, line=line, manager=collection == "managers"))

    emails = _emails(objects)
    upns = _upns(objects)
    people = []
    for n, (person_id, held) in enumerate(sorted(records.items()), start=1):
        engagements = sorted((r for r in held if not r.manager), key=lambda r: (not r.now, not r.primary, r.start,
                                                                               r.uuid))
        managed = sorted((r for r in held if r.manager), key=lambda r: (not r.now, r.start, r.unit))
        chosen = (managed or engagements)[0]
        name = next((r.name for r in [chosen, *held] if r.name), None)
        if name is None:
            raise _err("missing_value", "personen har intet navn", origin, "managers" if chosen.manager
                       else "engagements", chosen.uuid)
        aliases = {"uuid": person_id}
        if person_id in upns:
            aliases["upn"] = upns[person_id]
        if engagements and _PAYROLL.fullmatch(engagements[0].user_key):
            aliases["payroll"] = engagements[0].user_key
        email = _email_of(emails.get(person_id, []), engagements[0].uuid if engagements else None)
        # Every engagement and manager role is a position of hers; the chosen one first.
        ordered = [chosen, *(r for r in [*managed, *engagements] if r is not chosen)]
        positions = merged_positions(Position(unit_id=r.unit, leader=r.manager, start=r.start, end=r.end, line=n)
                                     for r in ordered)
        people.append(person_with(positions, external_id=person_id, name=name, email=email, aliases=aliases))
    return Source(units=list(units.values()), people=people, units_file=f"{origin}: org_units",
                  people_file=f"{origin}: personer", kle_markup=True)


def _emails(objects) -> dict[str, list[tuple[str | None, str, str]]]:
    """A person's e-mail addresses (not those marked secret): (engagement, type, address)."""
    found: dict[str, list[tuple[str | None, str, str]]] = {}
    for _line, uuid, _s, (_i, s) in objects("addresses"):
        person = _ref(s.data.get("person_response"))
        value = s.data.get("value")
        kind = s.data.get("address_type_response") or {}
        kind_current = kind.get("current") if isinstance(kind, dict) else None
        scope = (kind_current or {}).get("scope")
        visibility = ((s.data.get("visibility_response") or {}).get("current") or {}).get("scope")
        if person is None or scope != "EMAIL" or not isinstance(value, str) or visibility == "SECRET":
            continue
        found.setdefault(person, []).append((_ref(s.data.get("engagement_response")),
                                             str((kind_current or {}).get("user_key") or ""), value.strip()))
    return found


def _email_of(addresses: list[tuple[str | None, str, str]], engagement: str | None) -> str | None:
    """The address tied to her engagement, else the first (by type, then address)."""
    if not addresses:
        return None
    return sorted(addresses, key=lambda a: (a[0] != engagement or engagement is None, a[1], a[2]))[0][2]


def _upns(objects) -> dict[str, str]:
    """A person's user principal name: the user key of her Active Directory it-user, when it has one's form."""
    found: dict[str, str] = {}
    for _line, _uuid, _s, (_i, s) in objects("itusers"):
        person = _ref(s.data.get("person_response"))
        system = [w.lower() for w in _class_words(s.data.get("itsystem_response"))]
        user_key = str(s.data.get("user_key") or "")
        if person is None or not any(w in AD_SYSTEMS for w in system):
            continue
        if "@" in user_key and " " not in user_key and person not in found:
            found[person] = user_key
    return found
