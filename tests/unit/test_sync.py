"""The sync's pure parts (registry.domain.sync): reading and checking the CSV files, the plan, and
the rules for what organisation changes do to delegations (truth tables)."""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from uuid import uuid4

import msgspec
import pytest

from registry import texts
from registry.domain import sync
from registry.domain.model import Control, Delegation, Membership, Person, TrustBasis, Unit
from registry.domain.tree import Tree

SAMPLE = Path(__file__).resolve().parents[1] / "sync_sample"
NOW = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
TODAY = NOW.date()
TENANT = uuid4()
UNITS = "id,parent_id,name,kind\nA,,Forvaltning,forvaltning\nB,A,Center,center\n"
PEOPLE = "external_id,name,email,unit_id,leader,start_date,end_date\nx@k.dk,X,x@k.dk,B,ja,2020-01-01,\n"


def sample(people="people.csv"):
    return sync.parse((SAMPLE / "units.csv").read_text(), (SAMPLE / people).read_text())


def test_the_sample_files_parse():
    source = sample()
    assert [u.id for u in source.units] == ["S1", "S2", "S3", "S4"]
    lis = next(p for p in source.people if p.external_id == "lis@nordby.dk")
    assert (lis.leader, lis.role, lis.start, lis.end) == (True, "leader", date(2020, 1, 1), None)


def test_semicolons_and_a_byte_order_mark_are_read_too():
    source = sync.parse("\ufeff" + UNITS.replace(",", ";"), PEOPLE.replace(",", ";"))
    assert [u.id for u in source.units] == ["A", "B"] and source.people[0].unit_id == "B"


@pytest.mark.parametrize("units, people, code, file, line", [
    ("id,parent_id,name\nA,,F\n", PEOPLE, "missing_columns", "units.csv", 1),
    (UNITS, "external_id,name,email,unit_id,leader,start_date\n", "missing_columns", "people.csv", 1),
    (UNITS + "C,Z,Ukendt,unit\n", PEOPLE, "unknown_parent", "units.csv", 4),
    ("id,parent_id,name,kind\nA,B,En,unit\nB,A,To,unit\n", PEOPLE, "cycle", "units.csv", 2),
    (UNITS + "B,A,Igen,unit\n", PEOPLE, "duplicate_id", "units.csv", 4),
    (UNITS + "C,A,Forkert,kontor\n", PEOPLE, "bad_kind", "units.csv", 4),
    (UNITS, PEOPLE + "x@k.dk,X2,,A,nej,2020-01-01,\n", "conflicting_rows", "people.csv", 3),  # another name
    (UNITS, PEOPLE + "x@k.dk,X,,A,nej,2020-01-01,\n", "conflicting_rows", "people.csv", 3),  # another e-mail
    (UNITS, PEOPLE + "x@k.dk,X,x@k.dk,B,ja,2021-01-01,\n", "duplicate_id", "people.csv", 3),  # the same place
    (UNITS, PEOPLE + "y@k.dk,Y,,Q,nej,2020-01-01,\n", "unknown_unit", "people.csv", 3),
    (UNITS, PEOPLE + "y@k.dk,Y,,B,nej,01-02-2020,\n", "bad_date", "people.csv", 3),
    (UNITS, PEOPLE + "y@k.dk,Y,,B,nej,2020-01-01,2019-01-01\n", "bad_date", "people.csv", 3),
    (UNITS, PEOPLE + "y@k.dk,Y,,B,måske,2020-01-01,\n", "bad_value", "people.csv", 3),
    (UNITS, PEOPLE + "y@k.dk,Y,,B,nej\n", "bad_row", "people.csv", 3),
])
def test_bad_files_are_refused_naming_the_line(units, people, code, file, line):
    with pytest.raises(sync.SourceError) as raised:
        sync.parse(units, people)
    assert (raised.value.code, raised.value.file, raised.value.line) == (code, file, line)
    assert f"{file}, linje {line}" in str(raised.value)


def _registry_after(source):
    """The registry as a first sync of `source` leaves it."""
    units = {}
    for su in sync._parents_first(source.units):
        units[su.id] = Unit(id=uuid4(), tenant_id=TENANT, parent_id=units[su.parent_id].id if su.parent_id else None,
                            name=su.name, kind=su.kind, external_id=su.id)
    people = {sp.external_id: Person(id=uuid4(), tenant_id=TENANT, external_id=sp.external_id, name=sp.name,
                                     email=sp.email) for sp in source.people}
    memberships = [Membership(id=uuid4(), tenant_id=TENANT, person_id=people[sp.external_id].id,
                              unit_id=units[p.unit_id].id, role=p.role, valid_from=sync.instant(p.start),
                              valid_to=sync.instant(p.end) if p.end else None)
                   for sp in source.people for p in sp.positions]
    return units, people, memberships


def test_a_first_sync_creates_everything_and_a_second_changes_nothing():
    source = sample()
    first = sync.plan(source, units=[], people=[], memberships=[], now=NOW)
    assert first.counts()["units_created"] == 4 and first.counts()["people_created"] == 6
    assert [u.id for u in first.create_units][:1] == ["S1"]  # parents first
    units, people, memberships = _registry_after(source)
    again = sync.plan(source, units=units.values(), people=people.values(), memberships=memberships, now=NOW)
    assert again.empty and sync.describe(again)[0].startswith("Enheder: 0 oprettes")


def test_a_leaver_a_new_leader_and_a_move_are_planned():
    units, people, memberships = _registry_after(sample())
    plan = sync.plan(sample("people2.csv"), units=units.values(), people=people.values(),
                     memberships=memberships, now=NOW)
    assert [p.external_id for p in plan.archive_people] == ["lis@nordby.dk"]
    assert [(m.person.external_id, m.from_unit, m.to_unit) for m in plan.moves] == [
        ("bo@nordby.dk", units["S3"].id, "S4")]
    assert {(c.unit, c.former, c.new) for c in plan.leader_changes} == {
        (units["S2"].id, (people["lis@nordby.dk"].id,), "nina@nordby.dk"),
        (units["S4"].id, (people["ole@nordby.dk"].id,), "per@nordby.dk")}
    counts = plan.counts()
    assert (counts["people_created"], counts["people_ended"], counts["people_moved"]) == (2, 1, 1)
    # Lis's, Bo's old and Ole's leader membership end; Nina's, Per's, Bo's new and Ole's employee one begin
    assert counts["memberships_ended"] == 3 and counts["memberships_created"] == 4


def test_units_that_leave_the_source_are_archived_children_first_and_people_with_roles_stay():
    units, people, memberships = _registry_after(sample())
    admin = Person(id=uuid4(), tenant_id=TENANT, external_id="admin@nordby.dk", name="Admin", roles=("admin",))
    memberships.append(Membership(id=uuid4(), tenant_id=TENANT, person_id=admin.id, unit_id=units["S3"].id,
                                  role="employee", valid_from=NOW - timedelta(days=10)))
    source = sync.parse("id,parent_id,name,kind\nS1,,Sundhed og Omsorg,forvaltning\n",
                        "external_id,name,email,unit_id,leader,start_date,end_date\n"
                        "kim@nordby.dk,Kim Kristensen,kim@nordby.dk,S1,ja,2018-01-01,\n")
    plan = sync.plan(source, units=units.values(), people=[*people.values(), admin], memberships=memberships,
                     now=NOW)
    assert [u.external_id for u in plan.archive_units][0] == "S3"  # below S2
    assert {u.external_id for u in plan.archive_units} == {"S2", "S3", "S4"}
    assert admin not in plan.archive_people and len(plan.archive_people) == 5


def _delegation(delegator, delegate, unit, *, include_subunits=True, status="active", review=None, on_behalf=None):
    return Delegation(id=uuid4(), tenant_id=TENANT, delegator_id=delegator, delegate_person_id=delegate,
                      delegate_team_id=None, area_id=uuid4(), unit_id=unit, include_subunits=include_subunits,
                      level=6, purpose="", trust=TrustBasis(), control=Control(), rules=(),
                      valid_from=NOW - timedelta(days=100), valid_until=None, review_date=review, status=status,
                      on_behalf_of_id=on_behalf)


LIS, STAND_IN, OTHER, BO = uuid4(), uuid4(), uuid4(), uuid4()
U1, U2, U3 = uuid4(), uuid4(), uuid4()  # U2 under U1; U3 elsewhere


@pytest.mark.parametrize("delegator, on_behalf, status, review, due", [
    (LIS, None, "active", None, True),                       # she declared it
    (STAND_IN, LIS, "active", None, True),                   # a stand-in declared it for her: she answers for it
    (OTHER, None, "active", None, False),                    # someone else's
    (LIS, None, "revoked", None, False),                     # no longer in force
    (LIS, None, "active", TODAY + timedelta(days=60), True), # a later review comes forward
    (LIS, None, "active", TODAY - timedelta(days=1), False), # already due: keeps its date
])
def test_a_leaver_s_delegations_are_due_for_review(delegator, on_behalf, status, review, due):
    d = _delegation(delegator, BO, U1, status=status, review=review, on_behalf=on_behalf)
    assert (sync.leaver_reviews([d], {LIS}, TODAY) == [d]) is due


@pytest.mark.parametrize("delegator, unit, review, due", [
    (LIS, U1, None, TODAY + timedelta(days=30)),
    (LIS, U1, TODAY + timedelta(days=90), TODAY + timedelta(days=30)),
    (LIS, U1, TODAY + timedelta(days=10), None),   # due sooner already
    (LIS, U2, None, None),                         # another unit's (its own leader follows up)
    (OTHER, U1, None, None),                       # not the former leader's
])
def test_a_new_leader_reviews_the_former_leader_s_delegations(delegator, unit, review, due):
    d = _delegation(delegator, BO, unit, review=review)
    found = sync.leader_change_reviews([d], U1, {LIS}, TODAY)
    assert (found[0][1] if found else None) == due


def test_the_review_period_after_a_change_of_leader_is_configurable():
    d = _delegation(LIS, BO, U1)
    assert sync.leader_change_reviews([d], U1, {LIS}, TODAY, within_days=14) == [(d, TODAY + timedelta(days=14))]


@pytest.mark.parametrize("delegate, unit, include_subunits, to_unit, ends", [
    (BO, U2, False, U3, True),     # scoped to the unit she left
    (BO, U1, True, U3, True),      # covering it from above, not the new one
    (BO, U1, True, U2, False),     # covering both: it goes with her
    (BO, U1, False, U3, False),    # not covering the unit she left
    (OTHER, U2, False, U3, False), # someone else's
])
def test_a_mover_s_delegations_for_the_old_unit_end(delegate, unit, include_subunits, to_unit, ends):
    tree = Tree({U1: None, U2: U1, U3: None})
    d = _delegation(LIS, delegate, unit, include_subunits=include_subunits)
    assert (sync.mover_ends([d], BO, U2, to_unit, tree) == [d]) is ends


@pytest.mark.parametrize("delegator, on_behalf, status, archived, reason", [
    (LIS, None, "active", {LIS}, "delegator_left"),
    (STAND_IN, LIS, "active", {LIS}, "delegator_left"),
    (LIS, None, "revoked", {LIS}, None),
    (LIS, None, "active", set(), None),
    (STAND_IN, LIS, "active", {STAND_IN}, None),  # the stand-in left; the leader still answers for it
])
def test_a_delegation_whose_leader_left_says_so_on_the_follow_up_list(delegator, on_behalf, status, archived, reason):
    d = _delegation(delegator, BO, U1, status=status, on_behalf=on_behalf)
    assert sync.review_reason(d, archived) == reason
    assert reason is None or texts.REVIEW_REASONS_DA[reason] == "Erklæret af en leder, der er fratrådt"
    assert set(texts.REVIEW_REASONS_DA) == set(sync.REVIEW_REASONS)


def test_a_unit_renamed_and_moved_and_one_back_in_the_source():
    units, people, memberships = _registry_after(sample())
    units["S4"] = Unit(**{**{f: getattr(units["S4"], f) for f in units["S4"].__struct_fields__},
                          "archived_at": NOW - timedelta(days=3)})
    text = (SAMPLE / "units.csv").read_text().replace("S3,S2,Egevang Afsnit A,unit", "S3,S4,Afsnit A,unit")
    plan = sync.plan(sync.parse(text, (SAMPLE / "people.csv").read_text()), units=units.values(),
                     people=people.values(), memberships=memberships, now=NOW)
    changes = {c.unit.external_id: (c.changes, c.parent, c.moves) for c in plan.change_units}
    assert changes == {"S4": ({"archived_at": None}, "S1", False), "S3": ({"name": "Afsnit A"}, "S4", True)}
    assert list(changes) == ["S4", "S3"]  # the new parent is taken up before the unit moves under it
    assert plan.counts()["units_moved"] == 1 and plan.counts()["units_changed"] == 1


@pytest.mark.parametrize("joined_days_ago, ended_days_ago, unit, include_subunits, shown", [
    (3, 3, U2, False, True),      # joined U3 lately; her delegation in U2 ended: shown
    (3, 3, U1, True, True),       # covering U2 from above, not U3
    (40, 3, U2, False, False),    # joined long ago
    (3, 40, U2, False, False),    # ended long ago
    (3, None, U2, False, False),  # still in force
    (3, 3, U3, False, False),     # it covered where she is now
])
def test_the_new_leader_sees_what_a_move_ended(joined_days_ago, ended_days_ago, unit, include_subunits, shown):
    tree = Tree({U1: None, U2: U1, U3: None})
    m = Membership(id=uuid4(), tenant_id=TENANT, person_id=BO, unit_id=U3, role="employee",
                   valid_from=NOW - timedelta(days=joined_days_ago))
    d = _delegation(LIS, BO, unit, include_subunits=include_subunits)
    if ended_days_ago is not None:
        d = Delegation(**{**{f: getattr(d, f) for f in d.__struct_fields__},
                          "valid_until": NOW - timedelta(days=ended_days_ago)})
    found = sync.moved_in([m], [d], U3, tree, NOW, timedelta(days=30))
    assert found == ([(BO, [d])] if shown else [])


def test_two_leaders_of_one_unit_who_both_stay_are_no_change_of_leader():
    text = (SAMPLE / "people.csv").read_text() + "ida@nordby.dk,Ida Iversen,ida@nordby.dk,S2,ja,2021-01-01,\n"
    source = sync.parse((SAMPLE / "units.csv").read_text(), text)
    units, people, memberships = _registry_after(source)
    plan = sync.plan(source, units=units.values(), people=people.values(), memberships=memberships, now=NOW)
    assert plan.empty and plan.leader_changes == []


def test_a_person_whose_end_date_has_passed_has_left():
    units, people, memberships = _registry_after(sample())
    text = (SAMPLE / "people.csv").read_text().replace("lis@nordby.dk,S2,ja,2020-01-01,", "lis@nordby.dk,S2,ja,2020-01-01,2026-11-27")
    text += "gone@nordby.dk,Gone,,S3,nej,2020-01-01,2026-01-01\n"  # left before she was ever synced: not created
    plan = sync.plan(sync.parse((SAMPLE / "units.csv").read_text(), text), units=units.values(),
                     people=people.values(), memberships=memberships, now=NOW)
    assert [p.external_id for p in plan.archive_people] == ["lis@nordby.dk"]
    assert [(m.person_id, c) for m, c in plan.change_memberships] == [
        (people["lis@nordby.dk"].id, {"valid_to": datetime(2026, 11, 27, tzinfo=timezone.utc)})]
    assert plan.create_people == [] and plan.add_memberships == []
    # Egevang has no leader after her: her delegations go onto its next leader's list (a vacancy).
    lis_id = people["lis@nordby.dk"].id
    assert [(c.unit, c.former, c.new) for c in plan.leader_changes] == [(units["S2"].id, (lis_id,), None)]
    # Once written, the same file changes nothing.
    lis = people["lis@nordby.dk"]
    people["lis@nordby.dk"] = Person(**{**{f: getattr(lis, f) for f in lis.__struct_fields__}, "archived_at": NOW})
    memberships = [Membership(**{**{f: getattr(m, f) for f in m.__struct_fields__},
                                 "valid_to": datetime(2026, 11, 27, tzinfo=timezone.utc)}) if m.person_id == lis.id
                   else m for m in memberships]
    again = sync.plan(sync.parse((SAMPLE / "units.csv").read_text(), text), units=units.values(),
                      people=people.values(), memberships=memberships, now=NOW)
    assert again.empty


def test_the_dry_run_sees_the_tree_as_the_plan_leaves_it():
    units, people, memberships = _registry_after(sample())
    text = (SAMPLE / "units.csv").read_text() + "S5,S4,Nyt Team,unit\n"
    text = text.replace("S3,S2,Egevang Afsnit A,unit", "S3,S5,Egevang Afsnit A,unit")
    plan = sync.plan(sync.parse(text, (SAMPLE / "people.csv").read_text()), units=units.values(),
                     people=people.values(), memberships=memberships, now=NOW)
    tree, ids = sync.planned_tree(plan, units.values())
    assert tree.ancestors(ids["S3"]) == [ids["S3"], ids["S5"], ids["S4"], ids["S1"]]



def test_a_source_without_kinds_keeps_the_kind_given_in_the_registry_and_one_with_kinds_sets_it():
    source = sample()
    units, people, memberships = _registry_after(source)
    units["S2"] = Unit(**{**{f: getattr(units["S2"], f) for f in units["S2"].__struct_fields__}, "kind": "direktion"})
    without = sync.Source(units=[msgspec.structs.replace(u, kind=None) for u in source.units], people=source.people)
    kept = sync.plan(without, units=units.values(), people=people.values(), memberships=memberships, now=NOW)
    assert kept.empty
    told = sync.plan(source, units=units.values(), people=people.values(), memberships=memberships, now=NOW)
    assert [(c.unit.external_id, c.changes) for c in told.change_units] == [("S2", {"kind": "center"})]


TWO = "id,parent_id,name,kind\nA,,Forvaltning,forvaltning\nB,A,Egevang,center\nC,A,Bøgely,center\n"
HEADER = "external_id,name,email,unit_id,leader,start_date,end_date\n"


def test_a_person_may_hold_several_positions_one_row_each():
    source = sync.parse(TWO, HEADER + "lis@k.dk,Lis,lis@k.dk,B,ja,2020-01-01,\n"
                                      "bo@k.dk,Bo,,B,nej,2021-01-01,\n"
                                      "lis@k.dk,Lis,lis@k.dk,C,ja,2024-03-01,\n")
    lis = source.people[0]
    assert [(p.unit_id, p.role, p.start, p.line) for p in lis.positions] == [
        ("B", "leader", date(2020, 1, 1), 2), ("C", "leader", date(2024, 3, 1), 4)]
    first = sync.plan(source, units=[], people=[], memberships=[], now=NOW)
    assert first.counts()["people_created"] == 2 and first.counts()["memberships_created"] == 3
    units, people, memberships = _registry_after(source)
    assert sync.plan(source, units=units.values(), people=people.values(), memberships=memberships, now=NOW).empty


@pytest.mark.parametrize("rows, ended, added, moved, archived", [
    # (her rows after; the units whose membership ends, the new ones, from where she moved, archived)
    ("lis@k.dk,Lis,,B,ja,2020-01-01,\n", ["C"], [], ["C"], False),                   # gives up Bøgely
    ("lis@k.dk,Lis,,B,ja,2020-01-01,\nlis@k.dk,Lis,,C,ja,2024-03-01,2026-11-01\n",   # Bøgely ended by date
     [], [], ["C"], False),
    ("lis@k.dk,Lis,,C,ja,2024-03-01,\nlis@k.dk,Lis,,A,nej,2026-12-01,\n",           # leaves B, joins A
     ["B"], [("A", "employee", datetime(2026, 12, 1, tzinfo=timezone.utc))], ["B"], False),
    ("lis@k.dk,Lis,,B,ja,2020-01-01,\nlis@k.dk,Lis,,C,nej,2024-03-01,\n",           # a leader no more in C
     ["C"], [("C", "employee", NOW)], [], False),
    ("lis@k.dk,Lis,,B,ja,2020-01-01,2026-11-01\nlis@k.dk,Lis,,C,ja,2024-03-01,2026-11-01\n",  # she left
     [], [], [], True),
])
def test_what_a_change_in_her_positions_plans(rows, ended, added, moved, archived):
    before = sync.parse(TWO, HEADER + "lis@k.dk,Lis,,B,ja,2020-01-01,\nlis@k.dk,Lis,,C,ja,2024-03-01,\n")
    units, people, memberships = _registry_after(before)
    by_id = {u.id: ext for ext, u in units.items()}
    after = sync.parse(TWO, HEADER + rows)
    plan = sync.plan(after, units=units.values(), people=people.values(), memberships=memberships, now=NOW)
    assert [by_id[m.unit_id] for m in plan.end_memberships] == ended
    assert [(m.unit, m.role, m.valid_from) for m in plan.add_memberships] == added
    assert [by_id[m.from_unit] for m in plan.moves] == moved
    assert [m.after for m in plan.moves] == [tuple(dict.fromkeys(p.unit_id for p in after.people[0].positions
                                                              if p.end is None))] * len(moved)
    assert bool(plan.archive_people) == archived


def test_a_mover_keeps_a_delegation_that_covers_one_of_the_units_she_is_still_in():
    a, b, c = uuid4(), uuid4(), uuid4()
    tree = Tree({a: None, b: a, c: a})
    person = uuid4()

    in_b, in_c = _delegation(LIS, person, b, include_subunits=False), _delegation(LIS, person, c, include_subunits=False)
    over_a = _delegation(LIS, person, a)
    assert sync.mover_ends([in_b, in_c, over_a], person, b, [c], tree) == [in_b]
    assert sync.mover_ends([in_b, in_c, over_a], person, b, [a], tree) == [in_b]
    assert sync.mover_ends([in_b, in_c, over_a], person, c, [b, a], tree) == [in_c]


def test_a_leadership_to_come_in_her_own_unit_leaves_her_employment_there_until_then():
    """OS2mo today: an engagement in U since 2020, and a manager role in U from 1 January."""
    places = [sync.Position(unit_id="U", leader=True, start=date(2027, 1, 1), end=None, line=1),
              sync.Position(unit_id="U", leader=False, start=date(2020, 1, 1), end=None, line=1)]
    positions = sync.merged_positions(places)
    assert [(p.role, p.start) for p in positions] == [("leader", date(2027, 1, 1)), ("employee", date(2020, 1, 1))]
    u = Unit(id=uuid4(), tenant_id=TENANT, parent_id=None, name="U", kind="unit", external_id="U")
    p = Person(id=uuid4(), tenant_id=TENANT, external_id="p", name="P", email=None)
    m = Membership(id=uuid4(), tenant_id=TENANT, person_id=p.id, unit_id=u.id, role="employee",
                   valid_from=datetime(2020, 1, 1, tzinfo=timezone.utc), valid_to=None)
    source = sync.Source(units=[sync.SourceUnit(id="U", parent_id=None, name="U", kind="unit", line=1)],
                         people=[sync.person_with(positions, external_id="p", name="P", email=None)])
    plan = sync.plan(source, units=[u], people=[p], memberships=[m], now=NOW)
    assert plan.end_memberships == [] and plan.moves == []
    assert [(n.role, n.valid_from) for n in plan.add_memberships] == [("leader", datetime(2027, 1, 1, tzinfo=timezone.utc))]
    # Once she leads it, an engagement there for the whole of her leadership is part of it.
    assert [p.role for p in sync.merged_positions([places[0], msgspec.structs.replace(places[1], start=date(2027, 2, 1))])
            ] == ["leader"]
