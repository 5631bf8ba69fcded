"""Truth tables for the delegation rules in the domain core."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from registry.domain import rules
from registry.domain.model import Area, Control, Delegation, DelegationDraft, Membership, TrustBasis, Unit
from registry.domain.tree import Tree
from registry.errors import Forbidden, Invalid

NOW = datetime(2026, 3, 15, 12, tzinfo=timezone.utc)
T = uuid4()

# direktion > social > aeldre > solhaven > kastanjen ; aeldre > egelund ; direktion > boern
U = {name: uuid4() for name in ("direktion", "social", "aeldre", "solhaven", "kastanjen", "egelund", "boern")}
PARENT = {"direktion": None, "social": "direktion", "aeldre": "social", "solhaven": "aeldre",
          "kastanjen": "solhaven", "egelund": "aeldre", "boern": "direktion"}
KIND = {"direktion": "direktion", "social": "forvaltning", "boern": "forvaltning", "aeldre": "center",
        "solhaven": "unit", "egelund": "unit", "kastanjen": "subunit"}
UNITS = {U[n]: Unit(id=U[n], tenant_id=T, parent_id=U[p] if p else None, name=n, kind=KIND[n],
                    deputies_may_delegate=(n == "solhaven")) for n, p in PARENT.items()}
UNIT_TREE = Tree.of(UNITS.values())

A = {key: uuid4() for key in ("economy", "economy/purchase", "economy/budget", "care", "care/medicine")}


def _area(key, delegable=True, reserved=None):
    parent = key.rsplit("/", 1)[0] if "/" in key else None
    return Area(id=A[key], tenant_id=T, parent_id=A[parent] if parent else None, key=key, name_da=key, name_en=key,
                delegable=delegable, reserved_unit_id=reserved)


AREAS = {a.id: a for a in (_area("economy"), _area("economy/purchase"), _area("economy/budget", False, U["aeldre"]),
                           _area("care"), _area("care/medicine"))}
AREA_TREE = Tree.of(AREAS.values())

LEADER, EMPLOYEE, OTHER = uuid4(), uuid4(), uuid4()


def draft(**over) -> DelegationDraft:
    values = dict(delegator_id=LEADER, delegate_person_id=EMPLOYEE, delegate_team_id=None, area_id=A["economy"],
                  unit_id=U["solhaven"], include_subunits=True, level=6, purpose="", trust=TrustBasis(),
                  control=Control(), rules=(), valid_from=NOW, valid_until=NOW + timedelta(days=90),
                  review_date=None, allow_subdelegation=False, max_subdelegation_depth=0, parent_id=None)
    values.update(over)
    return DelegationDraft(**values)


def parent(**over) -> Delegation:
    values = dict(id=uuid4(), tenant_id=T, delegator_id=LEADER, delegate_person_id=EMPLOYEE, delegate_team_id=None,
                  area_id=A["economy"], unit_id=U["solhaven"], include_subunits=True, level=6, purpose="",
                  trust=TrustBasis(), control=Control(), rules=(), valid_from=NOW - timedelta(days=10),
                  valid_until=NOW + timedelta(days=100), review_date=None, status="active",
                  allow_subdelegation=True, max_subdelegation_depth=2, parent_id=None)
    values.update(over)
    return Delegation(**values)


@pytest.mark.parametrize("over, code", [
    ({}, None),
    ({"level": 1}, None),
    ({"level": 7}, None),
    ({"level": 0}, "level_out_of_range"),
    ({"level": 8}, "level_out_of_range"),
    ({"valid_until": NOW}, "invalid_validity"),
    ({"valid_until": NOW - timedelta(seconds=1)}, "invalid_validity"),
    ({"valid_until": None}, None),
    ({"delegate_person_id": LEADER}, "self_delegation"),
    ({"delegate_person_id": None}, "invalid_delegate"),
    ({"delegate_team_id": uuid4()}, "invalid_delegate"),
    ({"allow_subdelegation": True, "max_subdelegation_depth": 0}, "invalid_depth"),
    ({"allow_subdelegation": False, "max_subdelegation_depth": 2}, "invalid_depth"),
    ({"allow_subdelegation": True, "max_subdelegation_depth": 11}, "invalid_depth"),
    ({"control": Control(justify_within_days=0)}, "invalid_control"),
])
def test_shape_rules(over, code):
    if code is None:
        rules.check_shape(draft(**over))
    else:
        with pytest.raises(Invalid) as err:
            rules.check_shape(draft(**over))
        assert err.value.code == code


def membership(unit: str, role: str, *, start=NOW - timedelta(days=1), end=None, archived=None) -> Membership:
    return Membership(id=uuid4(), tenant_id=T, person_id=LEADER, unit_id=U[unit], role=role, valid_from=start,
                      valid_to=end, archived_at=archived)


@pytest.mark.parametrize("memberships, led", [
    ([membership("solhaven", "leader")], {"solhaven"}),
    ([membership("solhaven", "employee")], set()),
    ([membership("solhaven", "deputy")], {"solhaven"}),        # solhaven lets deputies delegate
    ([membership("egelund", "deputy")], set()),                # egelund does not
    ([membership("aeldre", "leader", end=NOW)], set()),        # ended
    ([membership("aeldre", "leader", start=NOW + timedelta(days=1))], set()),  # not started
    ([membership("aeldre", "leader", archived=NOW)], set()),
])
def test_who_leads_what(memberships, led):
    assert rules.leads(memberships, UNITS, NOW) == {U[n] for n in led}


@pytest.mark.parametrize("led, unit, may", [
    ({"solhaven"}, "solhaven", True),
    ({"solhaven"}, "kastanjen", True),     # a leader holds the subtree
    ({"aeldre"}, "solhaven", True),
    ({"solhaven"}, "aeldre", False),       # not upwards
    ({"solhaven"}, "egelund", False),      # not sideways
    ({"boern"}, "solhaven", False),
    (set(), "solhaven", False),
])
def test_a_leader_can_only_delegate_in_units_she_leads(led, unit, may):
    d = draft(unit_id=U[unit])
    call = lambda: rules.check_may_declare(d, led_units={U[n] for n in led}, parent=None, delegator_team_ids=set(),
                                           unit_tree=UNIT_TREE, area_tree=AREA_TREE, areas=AREAS, at=NOW)
    if may:
        call()
    else:
        with pytest.raises(Forbidden) as err:
            call()
        assert err.value.code == "not_authorised_to_delegate"


@pytest.mark.parametrize("area, unit, reserved", [
    ("economy/budget", "solhaven", True),   # inside the reserved subtree
    ("economy/budget", "aeldre", True),     # the reserved unit itself
    ("economy/budget", "social", True),     # a scope above overlaps the reserved subtree
    ("economy/budget", "boern", False),     # elsewhere it may be delegated
    ("economy/purchase", "solhaven", False),
])
def test_a_reserved_area_is_not_delegable_where_it_is_reserved(area, unit, reserved):
    call = lambda: rules.check_area_delegable(A[area], U[unit], AREAS, AREA_TREE, UNIT_TREE)
    if reserved:
        with pytest.raises(Forbidden) as err:
            call()
        assert err.value.code == "area_reserved"
    else:
        call()


def test_a_reservation_everywhere_binds_sub_areas():
    areas = dict(AREAS)
    areas[A["care"]] = _area("care", delegable=False)
    with pytest.raises(Forbidden):
        rules.check_area_delegable(A["care/medicine"], U["boern"], areas, AREA_TREE, UNIT_TREE)


@pytest.mark.parametrize("over, parent_over, code", [
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "level": 5}, {}, None),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "level": 6}, {}, None),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "level": 7}, {}, "exceeds_parent"),
    ({"delegator_id": OTHER, "delegate_person_id": EMPLOYEE}, {}, "not_authorised_to_delegate"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER}, {"allow_subdelegation": False,
                                                                 "max_subdelegation_depth": 0},
     "subdelegation_not_allowed"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "area_id": A["economy/purchase"]}, {}, None),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "area_id": A["care"]}, {}, "exceeds_parent"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "unit_id": U["kastanjen"]}, {}, None),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "unit_id": U["kastanjen"]},
     {"include_subunits": False}, "exceeds_parent"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "include_subunits": True},
     {"include_subunits": False}, "exceeds_parent"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "unit_id": U["aeldre"]}, {}, "exceeds_parent"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "valid_until": None}, {}, "exceeds_parent"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "valid_until": NOW + timedelta(days=101)}, {},
     "exceeds_parent"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "valid_from": NOW - timedelta(days=11)}, {},
     "exceeds_parent"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "allow_subdelegation": True,
      "max_subdelegation_depth": 1}, {}, None),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER, "allow_subdelegation": True,
      "max_subdelegation_depth": 2}, {}, "exceeds_parent"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER}, {"status": "revoked"}, "parent_not_in_force"),
    ({"delegator_id": EMPLOYEE, "delegate_person_id": OTHER}, {"valid_until": NOW}, "parent_not_in_force"),
])
def test_a_sub_delegation_never_exceeds_its_parent(over, parent_over, code):
    p = parent(**parent_over)
    d = draft(parent_id=p.id, **over)
    call = lambda: rules.check_may_declare(d, led_units=set(), parent=p, delegator_team_ids=set(),
                                           unit_tree=UNIT_TREE, area_tree=AREA_TREE, areas=AREAS, at=NOW)
    if code is None:
        call()
    else:
        with pytest.raises(Forbidden) as err:
            call()
        assert err.value.code == code


def test_a_member_of_a_delegated_team_may_sub_delegate():
    team = uuid4()
    p = parent(delegate_person_id=None, delegate_team_id=team)
    d = draft(parent_id=p.id, delegator_id=EMPLOYEE, delegate_person_id=OTHER, level=4)
    rules.check_may_declare(d, led_units=set(), parent=p, delegator_team_ids={team}, unit_tree=UNIT_TREE,
                            area_tree=AREA_TREE, areas=AREAS, at=NOW)
    with pytest.raises(Forbidden):
        rules.check_may_declare(d, led_units=set(), parent=p, delegator_team_ids=set(), unit_tree=UNIT_TREE,
                                area_tree=AREA_TREE, areas=AREAS, at=NOW)


@pytest.mark.parametrize("team_unit, scope, include_subunits, ok", [
    ("solhaven", "solhaven", False, True),
    ("kastanjen", "solhaven", True, True),
    ("kastanjen", "solhaven", False, False),
    ("egelund", "solhaven", True, False),
    ("aeldre", "solhaven", True, False),
])
def test_a_team_delegate_must_sit_in_the_scope(team_unit, scope, include_subunits, ok):
    call = lambda: rules.check_team_in_scope(U[team_unit], U[scope], include_subunits, UNIT_TREE)
    if ok:
        call()
    else:
        with pytest.raises(Invalid) as err:
            call()
        assert err.value.code == "team_outside_scope"


@pytest.mark.parametrize("line_unit, set_by, led, admin, ok", [
    ("solhaven", "leader", {"solhaven"}, False, True),
    ("kastanjen", "team", {"solhaven"}, False, True),
    ("social", "forvaltning", {"solhaven"}, False, False),   # set above: cannot weaken
    ("aeldre", "leader", {"solhaven"}, False, False),
    ("egelund", "leader", {"solhaven"}, False, False),       # sibling
    ("direktion", "law", {"direktion"}, False, False),        # law: administrators only
    ("direktion", "law", set(), True, True),
    ("social", "forvaltning", set(), True, True),
    ("solhaven", "forvaltning", {"solhaven"}, False, False),  # the label means who set it: not a unit leader
    ("solhaven", "forvaltning", {"social"}, False, True),
    ("solhaven", "direktion", {"social"}, False, False),
    ("solhaven", "direktion", {"direktion"}, False, True),
])
def test_red_lines_set_above_cannot_be_changed_from_below(line_unit, set_by, led, admin, ok):
    call = lambda: rules.check_red_line_authority(U[line_unit], set_by, led_units={U[n] for n in led},
                                                  is_admin=admin, unit_tree=UNIT_TREE, units=UNITS)
    if ok:
        call()
    else:
        with pytest.raises(Forbidden) as err:
            call()
        assert err.value.code == "red_line_set_above"


@pytest.mark.parametrize("unit, new_parent, cycle", [
    ("solhaven", "egelund", False),
    ("solhaven", None, False),
    ("solhaven", "solhaven", True),
    ("solhaven", "kastanjen", True),   # its own child
    ("social", "kastanjen", True),     # a grandchild
])
def test_moving_a_unit_never_creates_a_cycle(unit, new_parent, cycle):
    call = lambda: rules.check_unit_move(U[unit], U[new_parent] if new_parent else None, UNIT_TREE)
    if cycle:
        with pytest.raises(Invalid) as err:
            call()
        assert err.value.code == "unit_cycle"
    else:
        call()


def test_sub_areas_inherit_declared_attributes():
    from registry.domain.model import AreaAttribute

    areas = dict(AREAS)
    areas[A["economy"]] = Area(**{**{f: getattr(AREAS[A["economy"]], f) for f in Area.__struct_fields__},
                                  "attributes": (AreaAttribute(name="amount", type="number"),)})
    areas[A["economy/purchase"]] = Area(**{**{f: getattr(AREAS[A["economy/purchase"]], f)
                                              for f in Area.__struct_fields__},
                                           "attributes": (AreaAttribute(name="supplier", type="string"),)})
    assert rules.effective_attributes(A["economy/purchase"], areas, AREA_TREE) == {"amount": "number",
                                                                                   "supplier": "string"}
    assert rules.effective_attributes(A["economy"], areas, AREA_TREE) == {"amount": "number"}


def test_the_status_of_a_delegation_past_its_end_is_expired():
    d = parent(valid_until=NOW)
    assert d.status_at(NOW - timedelta(seconds=1)) == "active"
    assert d.status_at(NOW) == "expired"
    assert parent(status="revoked").status_at(NOW) == "revoked"




# The same grant (rules.same_grant): an existing delegation (built with `parent`) against a new draft.
SAME_GRANT = [
    ("identical", {}, {}, True),
    ("another delegator, level and parent", {"delegator_id": OTHER, "level": 2, "parent_id": uuid4()}, {}, True),
    ("suspended", {}, {"status": "suspended"}, True),
    ("revoked", {}, {"status": "revoked"}, False),
    ("expired", {"valid_from": NOW - timedelta(days=5)}, {"valid_until": NOW - timedelta(days=1)}, False),
    ("another delegate", {"delegate_person_id": OTHER}, {}, False),
    ("a team instead", {"delegate_person_id": None, "delegate_team_id": uuid4()}, {}, False),
    ("another area (a sub-area)", {"area_id": A["economy/purchase"]}, {}, False),
    ("another unit (a sub-unit)", {"unit_id": U["kastanjen"]}, {}, False),
    ("only the unit itself", {"include_subunits": False}, {}, False),
    ("a successor from its end", {"valid_from": NOW + timedelta(days=100), "valid_until": None}, {}, False),
    ("overlapping its end", {"valid_from": NOW + timedelta(days=99), "valid_until": None}, {}, True),
    ("ending before it starts", {"valid_until": NOW + timedelta(days=1)}, {"valid_from": NOW + timedelta(days=1)},
     False),
    ("open-ended, both", {"valid_until": None}, {"valid_until": None}, True),
]


@pytest.mark.parametrize(("case", "new", "existing", "same"), SAME_GRANT, ids=[c[0] for c in SAME_GRANT])
def test_the_same_grant_is_the_same_delegate_area_unit_scope_and_overlapping_validity(case, new, existing, same):
    assert rules.same_grant(draft(**new), parent(**existing), NOW) is same


def test_a_duplicate_names_the_existing_delegation_but_not_itself():
    existing = parent()
    with pytest.raises(Exception) as refused:
        rules.check_not_duplicate(draft(), [existing], NOW)
    assert refused.value.code == "duplicate" and refused.value.existing_id == existing.id
    assert refused.value.message_da.endswith("– ret den i stedet.")
    rules.check_not_duplicate(draft(), [existing], NOW, itself=existing.id)
