"""Keeping the organisation in step with the municipality's own systems (issue 13): the source read
from CSV files, checked, and compared with what the registry holds as a plan of what to create,
change, move and end; and the rules for what organisation changes do to delegations.

Pure: no database, no clock (the caller passes `now`). The service (registry.services.sync) reads the
registry's side, asks for the plan and carries it out through the organisation's use cases.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec

from registry.domain import aliases as alias_rules
from registry.domain.model import UNIT_KINDS, Delegation, Membership, Person, PersonAlias, Unit
from registry.domain.rules import accountable_delegator
from registry.domain.tree import Tree

UNIT_COLUMNS = ("id", "parent_id", "name", "kind")
PEOPLE_COLUMNS = ("external_id", "name", "email", "unit_id", "leader", "start_date", "end_date")
# Optional people columns: a person's aliases (registry.domain.aliases), by column -> kind. A file with
# the column supplies that kind for everyone in it (an empty cell: she has none).
ALIAS_COLUMNS = {"upn": "upn", "payroll_number": "payroll", "sub": "sub"}
YES = {"ja", "yes", "true", "1", "j", "y"}
NO = {"nej", "no", "false", "0", "n", ""}
SYNCED_ROLES = ("leader", "employee")  # what the source says; deputies are the registry's own


class SourceError(Exception):
    """A source file the sync refuses, naming the file and line (nothing is written)."""

    def __init__(self, code: str, message_da: str, *, file: str, line: int | None = None):
        where = f"{file}, linje {line}" if line is not None else file
        super().__init__(f"{where}: {message_da}")
        self.code, self.message_da, self.file, self.line = code, message_da, file, line


class SourceUnit(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    parent_id: str | None
    name: str
    kind: str | None        # None: the source has no kinds (FK Organisation): a new unit is a `unit`, and
                            # the kind an administrator gives it in the registry stays
    line: int               # the line (CSV) or record number (other sources) the unit came from
    kle: tuple[str, ...] = ()   # the KLE numbers the source marks the unit with (OS2mo's KLE markup)


class Position(msgspec.Struct, frozen=True, kw_only=True):
    """One of a person's places in the organisation: a unit, as its leader or an employee, from
    `start` until `end` (the first day she is no longer there)."""

    unit_id: str
    leader: bool
    start: date
    end: date | None
    line: int

    @property
    def role(self) -> str:
        return "leader" if self.leader else "employee"


class SourcePerson(msgspec.Struct, frozen=True, kw_only=True):
    external_id: str
    name: str
    email: str | None
    # Her first position (a source with one place per person gives only this) ...
    unit_id: str
    leader: bool
    start: date
    end: date | None
    line: int
    # Other ids the person is known by (kind -> value): `sub` (OIDC), `uuid` (FK Organisation/OS2mo),
    # `upn` (AD user principal name), `payroll` (the payroll employee number).
    aliases: dict[str, str] = {}
    # ... and her others: a leader of two units, a second engagement elsewhere.
    others: tuple[Position, ...] = ()

    @property
    def role(self) -> str:
        return "leader" if self.leader else "employee"

    @property
    def positions(self) -> list[Position]:
        return [Position(unit_id=self.unit_id, leader=self.leader, start=self.start, end=self.end, line=self.line),
                *self.others]


def merged_positions(places: Iterable[Position]) -> list[Position]:
    """A person's places, as a source with records (engagements, manager roles) gives them, as her
    positions: one per unit and role, from the earliest start to the latest end (open if any is), in
    the order given (the first is the one the caller prefers); an employee's place in a unit she
    leads (for the whole of it) is in her leadership of it; a leadership to come leaves her place
    until then as it is."""
    places = list(places)
    leading = [p for p in places if p.leader]

    def covers(lead: Position, p: Position) -> bool:  # her leadership spans the whole of this place
        return lead.start <= p.start and (lead.end is None or (p.end is not None and p.end <= lead.end))
    merged: dict[tuple[str, bool], Position] = {}
    for p in places:
        if not p.leader and any(lead.unit_id == p.unit_id and covers(lead, p) for lead in leading):
            continue
        key = (p.unit_id, p.leader)
        first = merged.get(key)
        if first is None:
            merged[key] = p
            continue
        end = None if first.end is None or p.end is None else max(first.end, p.end)
        merged[key] = msgspec.structs.replace(first, start=min(first.start, p.start), end=end)
    return list(merged.values())


def person_with(positions: list[Position], **person) -> SourcePerson:
    """A SourcePerson holding these positions (the first as hers, the rest as `others`)."""
    first, *others = positions
    return SourcePerson(unit_id=first.unit_id, leader=first.leader, start=first.start, end=first.end,
                        line=first.line, others=tuple(others), **person)


class Source(msgspec.Struct, frozen=True, kw_only=True):
    units: list[SourceUnit]
    people: list[SourcePerson]
    units_file: str = "units.csv"
    people_file: str = "people.csv"
    # The source marks units with KLE numbers (OS2mo): the units' KLE markup follows it, cleared too.
    # Sources without (CSV) leave the registry's markup as it is.
    kle_markup: bool = False
    # The alias kinds the source supplies for everyone in it, also where a person has none (a CSV
    # file's alias columns); the kinds present in people's `aliases` count too (plan).
    alias_kinds: tuple[str, ...] = ()


def _header(text: str) -> list[str]:
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [h.strip().lower() for h in next(csv.reader(io.StringIO(first), delimiter=delimiter), [])]


def _rows(text: str, columns: tuple[str, ...], file: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows with their line numbers; ',' or ';' separated (Danish spreadsheets write ';')."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise SourceError("missing_columns", f"filen er tom; den skal have kolonnerne {', '.join(columns)}",
                          file=file) from None
    missing = [c for c in columns if c not in header]
    if missing:
        raise SourceError("missing_columns", f"mangler kolonnen {', '.join(missing)} (kolonnerne skal være "
                          f"{', '.join(columns)})", file=file, line=1)
    found = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise SourceError("bad_row", f"har {len(row)} felter, men overskriften har {len(header)}",
                                  file=file, line=reader.line_num)
            found.append((reader.line_num, {h: cell.strip() for h, cell in zip(header, row)}))
    except csv.Error as exc:
        raise SourceError("bad_row", f"kan ikke læses som CSV ({exc})", file=file, line=reader.line_num) from exc
    return found


def _date(value: str, column: str, file: str, line: int) -> date:
    try:
        found = date.fromisoformat(value)
    except ValueError:
        raise SourceError("bad_date", f"{column} »{value}« er ikke en dato som 2026-08-01", file=file,
                          line=line) from None
    if not 1900 <= found.year <= 2199:
        raise SourceError("bad_date", f"{column} »{value}« ligger uden for årene 1900-2199", file=file, line=line)
    return found


def parse(units_csv: str, people_csv: str, *, units_file: str = "units.csv",
          people_file: str = "people.csv") -> Source:
    """Read and check the two files: every column there, ids once each, parents and units known, no
    cycles, dates as dates, an end after the start. The first fault is raised (SourceError)."""
    units: list[SourceUnit] = []
    seen: dict[str, int] = {}
    for line, row in _rows(units_csv, UNIT_COLUMNS, units_file):
        uid, name, kind = row["id"], row["name"], row["kind"] or "unit"
        if not uid:
            raise SourceError("missing_value", "id mangler", file=units_file, line=line)
        if uid in seen:
            raise SourceError("duplicate_id", f"enheden »{uid}« står også i linje {seen[uid]}", file=units_file,
                              line=line)
        if not name:
            raise SourceError("missing_value", "name mangler", file=units_file, line=line)
        if kind not in UNIT_KINDS:
            raise SourceError("bad_kind", f"kind »{kind}« skal være en af {', '.join(UNIT_KINDS)}",
                              file=units_file, line=line)
        seen[uid] = line
        units.append(SourceUnit(id=uid, parent_id=row["parent_id"] or None, name=name, kind=kind, line=line))
    by_id = {u.id: u for u in units}
    for u in units:
        if u.parent_id is not None and u.parent_id not in by_id:
            raise SourceError("unknown_parent", f"overenheden »{u.parent_id}« findes ikke i filen", file=units_file,
                              line=u.line)
    for u in units:  # a cycle: walking up from a unit comes back to it
        walked, current = set(), u
        while current.parent_id is not None:
            if current.id in walked:
                raise SourceError("cycle", f"enheden »{u.id}« ligger (indirekte) under sig selv", file=units_file,
                                  line=u.line)
            walked.add(current.id)
            current = by_id[current.parent_id]
    people: dict[str, SourcePerson] = {}
    seen: dict[tuple[str, str, bool], int] = {}
    for line, row in _rows(people_csv, PEOPLE_COLUMNS, people_file):
        ext = row["external_id"]
        if not ext:
            raise SourceError("missing_value", "external_id mangler", file=people_file, line=line)
        if not row["name"]:
            raise SourceError("missing_value", "name mangler", file=people_file, line=line)
        if row["unit_id"] not in by_id:
            raise SourceError("unknown_unit", f"enheden »{row['unit_id']}« findes ikke i enhedsfilen",
                              file=people_file, line=line)
        leader = row["leader"].lower()
        if leader not in YES | NO:
            raise SourceError("bad_value", f"leader »{row['leader']}« skal være ja eller nej", file=people_file,
                              line=line)
        if not row["start_date"]:
            raise SourceError("missing_value", "start_date mangler", file=people_file, line=line)
        start = _date(row["start_date"], "start_date", people_file, line)
        end = _date(row["end_date"], "end_date", people_file, line) if row["end_date"] else None
        if end is not None and end <= start:
            raise SourceError("bad_date", "end_date skal ligge efter start_date", file=people_file, line=line)
        place = (ext, row["unit_id"], leader in YES)
        if place in seen:
            raise SourceError("duplicate_id", f"personen »{ext}« står også i linje {seen[place]} med samme enhed "
                              "og rolle", file=people_file, line=line)
        seen[place] = line
        aliases = {kind: row[c] for c, kind in ALIAS_COLUMNS.items() if row.get(c)}
        first = people.get(ext)
        if first is None:
            people[ext] = SourcePerson(external_id=ext, name=row["name"], email=row["email"] or None,
                                       unit_id=row["unit_id"], leader=leader in YES, start=start, end=end, line=line,
                                       aliases=aliases)
            continue
        # Another row of hers: another position (a leader of two units, a second engagement). What is
        # said of her as a person must be the same in each.
        if (first.name, first.email) != (row["name"], row["email"] or None) or \
                any(first.aliases.get(kind) != value for kind, value in aliases.items()):
            raise SourceError("conflicting_rows", f"personen »{ext}« står også i linje {first.line} med et andet "
                              "navn, en anden e-mail eller andre id'er", file=people_file, line=line)
        people[ext] = msgspec.structs.replace(first, others=(*first.others, Position(
            unit_id=row["unit_id"], leader=leader in YES, start=start, end=end, line=line)))
    header = _header(people_csv)
    return Source(units=units, people=list(people.values()), units_file=units_file, people_file=people_file,
                  alias_kinds=tuple(kind for c, kind in ALIAS_COLUMNS.items() if c in header))


def instant(day: date) -> datetime:
    """A date from the source as the instant it begins (UTC)."""
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


# --- the plan --------------------------------------------------------------------------------------

class UnitChange(msgspec.Struct, frozen=True, kw_only=True):
    unit: Unit
    changes: dict           # name, kind, archived_at (None: back in the source)
    parent: str | None      # the new parent's external id, when it moves
    moves: bool = False


class PersonChange(msgspec.Struct, frozen=True, kw_only=True):
    person: Person
    changes: dict


class NewMembership(msgspec.Struct, frozen=True, kw_only=True):
    external_id: str        # the person's
    unit: str               # the unit's external id
    role: str
    valid_from: datetime
    valid_to: datetime | None


class Move(msgspec.Struct, frozen=True, kw_only=True):
    """A person who was in a unit and is no longer, while she stays in the organisation elsewhere
    (by the source): she moved, or gave up one of her positions."""

    person: Person
    from_unit: UUID
    to_unit: str            # external id: where she is now (the first of `after`)
    after: tuple[str, ...] = ()   # external ids: every unit she is in after the sync


class LeaderChange(msgspec.Struct, frozen=True, kw_only=True):
    """A unit whose leader the source changes: the former leaders (now not leading it) and the new one."""

    unit: UUID
    former: tuple[UUID, ...]
    new: str | None         # the new leader's external id; None: nobody leads it yet


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    create_units: list[SourceUnit] = []       # parents before children
    change_units: list[UnitChange] = []
    archive_units: list[Unit] = []            # children before parents
    create_people: list[SourcePerson] = []
    change_people: list[PersonChange] = []
    archive_people: list[Person] = []
    add_memberships: list[NewMembership] = []
    change_memberships: list[tuple[Membership, dict]] = []
    end_memberships: list[Membership] = []
    moves: list[Move] = []
    leader_changes: list[LeaderChange] = []
    # A person's aliases of the kinds the source supplies: removals first, then sets (aliases.plan_changes).
    alias_changes: list[alias_rules.AliasChange] = []

    @property
    def empty(self) -> bool:
        return not (self.create_units or self.change_units or self.archive_units or self.create_people
                    or self.change_people or self.archive_people or self.add_memberships
                    or self.change_memberships or self.end_memberships or self.alias_changes)

    def counts(self) -> dict[str, int]:
        """What the plan does, counted as people read it: created, changed, moved, ended."""
        moved_units = sum(1 for c in self.change_units if c.moves)
        return {
            "units_created": len(self.create_units),
            "units_changed": len(self.change_units) - moved_units,
            "units_moved": moved_units,
            "units_ended": len(self.archive_units),
            "people_created": len(self.create_people),
            "people_changed": len(self.change_people),
            "people_moved": len(self.moves),
            "people_ended": len(self.archive_people),
            "memberships_created": len(self.add_memberships),
            "memberships_changed": len(self.change_memberships),
            "memberships_ended": len(self.end_memberships),
            "aliases_set": sum(1 for c in self.alias_changes if c.value is not None),
            "aliases_removed": sum(1 for c in self.alias_changes if c.value is None),
        }


def _was(m: Membership, now: datetime, since: datetime | None) -> bool:
    """A membership that holds now, or that ran out after `since` (the last sync): a change the source
    gave ahead of time (a leader until the 15th, a move on the 15th) takes effect between syncs, and
    the first sync after it sees it as a change."""
    return _current(m, now) or (since is not None and m.archived_at is None and m.valid_to is not None
                                and since < m.valid_to <= now)


def _current(m: Membership, now: datetime) -> bool:
    """A membership that holds now or later: not archived and not run out."""
    return m.archived_at is None and (m.valid_to is None or m.valid_to > now)


def plan(source: Source, *, units: Iterable[Unit], people: Iterable[Person],
         memberships: Iterable[Membership], now: datetime, aliases: Iterable[PersonAlias] = (),
         since: datetime | None = None) -> Plan:
    """What to do so that the registry says what the source says. The registry's side: every unit,
    person and membership of the organisation. The sync manages the units with an external id, and
    the leader/employee memberships in them; units without one (built by hand) and deputies are left
    alone. Nothing is deleted: what leaves the source is archived or ended, so history keeps it.
    `since`: when the last sync of the source ran; memberships that ran out after it count as held
    before, so changes the source gave ahead of time are moves and lederskifter when they happen."""
    units = list(units)
    managed_units = {u.external_id: u for u in units if u.external_id is not None}
    by_uuid = {u.id: u for u in units}
    source_units = {u.id: u for u in source.units}
    create_units = []
    change_units = []
    for su in _parents_first(source.units):
        current = managed_units.get(su.id)
        if current is None:
            create_units.append(su)
            continue
        changes: dict = {}
        if current.name != su.name:
            changes["name"] = su.name
        if su.kind is not None and current.kind != su.kind:
            changes["kind"] = su.kind
        if source.kle_markup and tuple(current.kle_codes) != su.kle:
            changes["kle_codes"] = list(su.kle)
        if current.archived_at is not None:
            changes["archived_at"] = None
        parent_ext = by_uuid[current.parent_id].external_id if current.parent_id in by_uuid else None
        moves = parent_ext != su.parent_id or (current.parent_id is not None and parent_ext is None
                                               and su.parent_id is None)
        if changes or moves:
            change_units.append(UnitChange(unit=current, changes=changes, parent=su.parent_id, moves=moves))
    leaving_units = [u for ext, u in managed_units.items() if ext not in source_units and u.archived_at is None]
    tree = Tree.of(units)
    leaving_units.sort(key=lambda u: -len(tree.ancestors(u.id)))  # the deepest first

    people = list(people)
    by_ext = {p.external_id: p for p in people}
    memberships = list(memberships)
    managed_uuids = {u.id for u in managed_units.values()}
    of_person: dict[UUID, list[Membership]] = {}
    for m in memberships:
        if m.unit_id in managed_uuids and m.role in SYNCED_ROLES and m.archived_at is None:
            of_person.setdefault(m.person_id, []).append(m)
    create_people, change_people, add, change_ms, end_ms, moves = [], [], [], [], [], []
    leaders_after: dict[str, list[str]] = {}
    ended_in_source: list[Person] = []
    for sp in source.people:
        positions = [(p, instant(p.end) if p.end is not None else None) for p in sp.positions]
        live = [(p, to) for p, to in positions if to is None or to > now]
        gone = not live  # every position of hers has ended: she has left
        for p, _to in live:
            if p.leader:
                leaders_after.setdefault(p.unit_id, []).append(sp.external_id)
        current = by_ext.get(sp.external_id)
        if current is None and gone:
            continue  # gone before she was ever here
        if current is None:
            create_people.append(sp)
            add += [NewMembership(external_id=sp.external_id, unit=p.unit_id, role=p.role,
                                  valid_from=instant(p.start), valid_to=to) for p, to in live]
            continue
        changes = {}
        if current.name != sp.name:
            changes["name"] = sp.name
        if current.email != sp.email:
            changes["email"] = sp.email
        if current.archived_at is not None and not gone:
            changes["archived_at"] = None
        if changes and current.erased_at is None:
            change_people.append(PersonChange(person=current, changes=changes))
        held = of_person.get(current.id, [])
        earlier = [m for m in held if _current(m, now)]
        kept: list[Membership] = []
        for p, to in positions:
            unit = managed_units.get(p.unit_id)
            same = [m for m in held if unit is not None and m.unit_id == unit.id and m.role == p.role
                    and not any(m is k for k in kept) and (_current(m, now) or m.valid_to == to)]
            if same:
                kept.append(same[0])
                if same[0].valid_to != to:
                    change_ms.append((same[0], {"valid_to": to}))
            elif to is None or to > now:
                # New for her: from its start if she is new to the synced units, else from now at the
                # earliest (her start date is when she was employed, not when she moved).
                start = instant(p.start)
                add.append(NewMembership(external_id=sp.external_id, unit=p.unit_id, role=p.role,
                                         valid_from=start if not earlier else max(start, now), valid_to=to))
        end_ms += [m for m in earlier if not any(m is k for k in kept)]
        # A move: she is in the organisation after the sync, and no longer in a unit she was in (now,
        # or until a moment since the last sync).
        after = list(dict.fromkeys(p.unit_id for p, _to in live))
        staying = {managed_units[u].id for u in after if u in managed_units}
        for left in dict.fromkeys(m.unit_id for m in held if _was(m, now, since) and m.unit_id not in staying):
            if after:
                moves.append(Move(person=current, from_unit=left, to_unit=after[0], after=tuple(after)))
        if gone and current.archived_at is None and current.erased_at is None:
            ended_in_source.append(current)
    in_source = {sp.external_id for sp in source.people}
    elsewhere = {m.person_id for m in memberships if m.unit_id not in managed_uuids and _current(m, now)}
    archive_people = [p for p in ended_in_source if p.id not in elsewhere and not p.roles]
    for p in people:
        if p.external_id in in_source or p.archived_at is not None or p.erased_at is not None:
            continue
        held = [m for m in of_person.get(p.id, []) if _current(m, now)]
        if not held:
            continue  # not one of the sync's people (never in a synced unit, or already gone from it)
        end_ms += held
        if p.id not in elsewhere and not p.roles:  # an administrator, HR or auditor keeps her login
            archive_people.append(p)
    # Who led each synced unit before (now, or until a moment since the last sync), and who leads it
    # after: a lederskifte, also when nobody leads it after (a vacancy: the next leader follows up).
    leaders_before: dict[UUID, set[UUID]] = {}
    for ms in of_person.values():
        for m in ms:
            if m.role == "leader" and _was(m, now, since):
                leaders_before.setdefault(m.unit_id, set()).add(m.person_id)
    leader_changes = []
    for unit_id, before in leaders_before.items():
        unit = by_uuid[unit_id]
        if unit.external_id not in source_units:
            continue  # the unit closes: its delegations are listed as such
        new = leaders_after.get(unit.external_id, [])
        staying = {by_ext[e].id for e in new if e in by_ext}
        former = tuple(sorted(before - staying))
        if former:
            leader_changes.append(LeaderChange(unit=unit_id, former=former, new=new[0] if new else None))
    alias_kinds = set(source.alias_kinds) | {k for sp in source.people for k in sp.aliases}
    alias_changes = alias_rules.plan_changes(
        source.people, alias_kinds, people, aliases, created={sp.external_id for sp in create_people},
        leaving={p.id for p in archive_people})
    return Plan(create_units=create_units, change_units=change_units, archive_units=leaving_units,
                create_people=create_people, change_people=change_people, archive_people=archive_people,
                add_memberships=add, change_memberships=change_ms, end_memberships=end_ms, moves=moves,
                leader_changes=leader_changes, alias_changes=alias_changes)


def _parents_first(units: list[SourceUnit]) -> list[SourceUnit]:
    by_id = {u.id: u for u in units}

    def depth(u: SourceUnit) -> int:
        d = 0
        while u.parent_id is not None:
            d, u = d + 1, by_id[u.parent_id]
        return d
    return sorted(units, key=lambda u: (depth(u), u.line))


def planned_tree(plan: Plan, units: Iterable[Unit]) -> tuple[Tree, dict[str, UUID]]:
    """The unit tree as the plan will leave it (for the dry run), and the units by external id; a
    unit still to be created stands in by a placeholder id derived from its external id."""
    units = list(units)
    parent = {u.id: u.parent_id for u in units}
    ids = {u.external_id: u.id for u in units if u.external_id is not None}
    for su in plan.create_units:
        ids[su.id] = uuid5(NAMESPACE_URL, f"registry-sync-planned:{su.id}")
    for su in plan.create_units:
        parent[ids[su.id]] = ids[su.parent_id] if su.parent_id else None
    for change in plan.change_units:
        if change.moves:
            parent[change.unit.id] = ids[change.parent] if change.parent else None
    return Tree(parent), ids


# --- what organisation changes do to delegations ---------------------------------------------------

LEADER_CHANGE_REVIEW_DAYS = 30


def leaver_reviews(delegations: Iterable[Delegation], leavers: set[UUID], today: date) -> list[Delegation]:
    """A leader who leaves: the delegations she answers for (as delegator, or as the leader a stand-in
    declared them for) stay in force, and are due for review today on the unit's (next) leader's
    follow-up list. Those already due earlier keep their date."""
    return [d for d in delegations if d.status == "active" and accountable_delegator(d) in leavers
            and (d.review_date is None or d.review_date > today)]


def leader_change_reviews(delegations: Iterable[Delegation], unit: UUID, former: set[UUID], today: date,
                          within_days: int = LEADER_CHANGE_REVIEW_DAYS) -> list[tuple[Delegation, date]]:
    """A new leader (lederskifte): each active delegation in the unit that a former leader answers for
    gets a review within `within_days` (an earlier review date stays)."""
    due = today + timedelta(days=within_days)
    return [(d, due) for d in delegations if d.status == "active" and d.unit_id == unit
            and accountable_delegator(d) in former and (d.review_date is None or d.review_date > due)]


def mover_ends(delegations: Iterable[Delegation], person: UUID, from_unit: UUID,
               to_units: UUID | Iterable[UUID], tree: Tree) -> list[Delegation]:
    """A person who moves unit (or gives up one of her positions): her own delegations (to her as a
    person) whose scope covers the unit she left but none of those she is in after stop; those that
    cover one of them too (a delegation over the whole forvaltning) go with her."""
    after = [to_units] if isinstance(to_units, UUID) else list(to_units)

    def covers(d: Delegation, unit: UUID) -> bool:
        return d.unit_id == unit or (d.include_subunits and tree.is_within(unit, d.unit_id))
    return [d for d in delegations if d.status == "active" and d.delegate_person_id == person
            and covers(d, from_unit) and not any(covers(d, u) for u in after)]


def moved_in(memberships: Iterable[Membership], delegations: Iterable[Delegation], unit: UUID, tree: Tree,
             now: datetime, horizon: timedelta) -> list[tuple[UUID, list[Delegation]]]:
    """For the new leader: the people who joined the unit (or one below it) within `horizon`, and the
    delegations of theirs (to them as persons) that ended within it and did not cover where they
    are now: what a move took from them, so she can consider a new one. By person, in joining order."""
    joined: dict[UUID, UUID] = {}
    for m in memberships:
        if m.active_at(now) and m.valid_from >= now - horizon and tree.is_within(m.unit_id, unit):
            joined.setdefault(m.person_id, m.unit_id)
    found: dict[UUID, list[Delegation]] = {}
    for d in delegations:
        where = joined.get(d.delegate_person_id) if d.delegate_person_id is not None else None
        if where is None or d.status != "active" or d.valid_until is None:
            continue
        covers = d.unit_id == where or (d.include_subunits and tree.is_within(where, d.unit_id))
        if now - horizon <= d.valid_until <= now and not covers:
            found.setdefault(d.delegate_person_id, []).append(d)
    return [(p, found[p]) for p in joined if p in found]


# Why a delegation is on a follow-up list beyond its review date (texts.REVIEW_REASONS_DA).
REVIEW_REASONS = ("delegator_left",)


def review_reason(delegation: Delegation, archived_people: set[UUID]) -> str | None:
    """`delegator_left` when the leader who answers for an active delegation has left the
    organisation (is archived): the delegation stays in force, and the unit's leader follows it up."""
    if delegation.status == "active" and accountable_delegator(delegation) in archived_people:
        return "delegator_left"
    return None


def describe(plan: Plan, examples: int = 3) -> list[str]:
    """The plan in Danish for the dry run and the report: counts, then a few examples of each."""
    c = plan.counts()
    lines = [
        f"Enheder: {c['units_created']} oprettes, {c['units_changed']} ændres, {c['units_moved']} flyttes, "
        f"{c['units_ended']} arkiveres",
        f"Personer: {c['people_created']} oprettes, {c['people_changed']} ændres, {c['people_moved']} skifter enhed, "
        f"{c['people_ended']} arkiveres",
        f"Tilknytninger: {c['memberships_created']} oprettes, {c['memberships_changed']} ændres, "
        f"{c['memberships_ended']} afsluttes",
    ]
    if plan.leader_changes:
        vacant = sum(1 for c in plan.leader_changes if c.new is None)
        lines.append(f"Lederskifte: {len(plan.leader_changes) - vacant} enheder får en ny leder"
                     + (f", {vacant} står uden leder" if vacant else ""))
    if plan.alias_changes:
        lines.append(f"Alias (andre id'er for personer): {c['aliases_set']} sættes, {c['aliases_removed']} fjernes")
    samples = (
        [f"  + enhed {u.id} »{u.name}«" for u in plan.create_units[:examples]]
        + [f"  ~ enhed {c.unit.external_id} »{c.unit.name}«" + (" flyttes" if c.moves else " ændres")
           for c in plan.change_units[:examples]]
        + [f"  - enhed {u.external_id} »{u.name}« arkiveres" for u in plan.archive_units[:examples]]
        + [f"  + person {p.external_id} »{p.name}«" for p in plan.create_people[:examples]]
        + [f"  ~ person {c.person.external_id} ændres ({', '.join(sorted(c.changes))})"
           for c in plan.change_people[:examples]]
        + [f"  > person {m.person.external_id} flytter til enhed {m.to_unit}" for m in plan.moves[:examples]]
        + [f"  - person {p.external_id} »{p.name}« arkiveres" for p in plan.archive_people[:examples]]
    )
    return lines + samples

