"""Differential tests: an employee's mandate against what checks answer.

The mandate (registry.services.checks.mandate_of over TenantIndex.mandate) says "may" for a person,
an area, a unit and an action when one of its entries covers the area and the unit (a leader
authority entry: not in one of its excepted areas) at a level the action needs, after the breach
effects it lists that bind there (a suspension refuses, a capped level lowers). That must be exactly
when `check` gets past the person's standing: it allows, or it refuses only for a red line
(`red_line` or `missing_attribute`). Red lines are left out of "may" on purpose: the mandate cannot
know a request's attributes, so it lists the red lines that bind each entry instead, and the red
line a check refuses with must be among those of an entry that covers the request. A delegation's own
conditions are left out the same way (`outside_mandate`): the entry lists them, and the condition a
check refuses with must be among them.

The organisations are the random ones of the Casbin differential test (units, areas with
reservations, people, teams, delegations in every state, leaders, deputies, stand-ins, breaches,
red lines, archived things), asked for every person (archived ones too), every live area and unit
and every action, at the instant T and later. Pure: no database. Seeds are fixed.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.domain.decisions import ACTIONS, DECIDING_ACTIONS
from registry.policy.index import FOREVER
from registry.services.checks import MandateEntry, mandate_of
from tests.unit.test_engine_matches_casbin import DAY, SECOND, T0, Org, _related, _window, scenarios

COMPARED = {"requests": 0, "allowed": 0, "refused_by_standing": 0, "whole_effects": 0, "partial_effects": 0,
            "leader_entries": 0, "refused_by_condition": 0}
MIN_REQUESTS = 40_000


def mandate(org: Org, external_id: str, at: datetime) -> list[MandateEntry]:
    """What `mandate(person:, at:)` answers (an unknown or archived person holds nothing)."""
    person = org.index.person_id(external_id)
    return [] if person is None else mandate_of(org.index, person, at.timestamp())


def covers(org: Org, e: MandateEntry, area: str, unit: str) -> bool:
    areas, units = org.index.area_chain[area], org.index.unit_chain[unit]
    return (e.area_id in areas and not any(x in areas for x in e.except_area_ids)
            and (e.unit_id == unit or (e.include_subunits and e.unit_id in units)))


def standing(org: Org, e: MandateEntry, area: str, unit: str) -> tuple[int | None, bool]:
    """(level held here, None when suspended; whether decisions need pre-approval here) from the
    entry's effects that bind this area and unit."""
    areas, units = org.index.area_chain[area], org.index.unit_chain[unit]
    binding = [f for f in e.effects if f.area_id in areas and f.unit_id in units]
    if any(f.kind == "suspended" for f in binding):
        return None, False
    level = min([e.level, *(f.capped_to for f in binding if f.kind == "level_capped")])
    return level, any(f.kind == "pre_approval" for f in binding)


def may(org: Org, entries: list[MandateEntry], area: str, unit: str, action: str) -> list[MandateEntry]:
    """The entries by which the mandate says the person may (empty: it says she may not)."""
    need = ACTIONS[action]
    found = []
    for e in entries:
        if covers(org, e, area, unit):
            level, _ = standing(org, e, area, unit)
            if level is not None and level >= need:
                found.append(e)
    return found


def entries_are_consistent(org: Org, entries: list[MandateEntry]) -> None:
    """Each entry's summary is what its effects say at its own area and unit, and shows no breach."""
    for e in entries:
        level, _ = standing(org, e, e.area_id, e.unit_id)
        assert e.suspended == (level is None), e
        assert e.level_in_force == level, e
        assert e.actions == [a for a, need in ACTIONS.items() if level is not None and level >= need], e
        for f in e.effects:
            assert f.whole == (f.area_id in org.index.area_chain[e.area_id]
                               and f.unit_id in org.index.unit_chain[e.unit_id]), (e, f)
            assert f.label_da and "brud" not in f.label_da.lower()
        assert (e.basis == "leader_authority") == (e.delegation_id is None), e
        assert e.basis == "leader_authority" or not e.except_area_ids, e


def compare(org: Org, at: datetime) -> int:
    """Every person (archived ones too) x live area x live unit x action at `at`."""
    index, instant = org.index, at.timestamp()
    areas = [a for a in org.areas if index.area_live(a)]
    units = org.live_units()
    compared = 0
    for person in org.persons:
        ext = index.person_ext[person]
        entries = mandate(org, ext, at)
        entries_are_consistent(org, entries)
        COMPARED["whole_effects"] += sum(f.whole for e in entries for f in e.effects)
        COMPARED["partial_effects"] += sum(not f.whole for e in entries for f in e.effects)
        COMPARED["leader_entries"] += sum(e.basis == "leader_authority" for e in entries)
        for area in areas:
            key = index.area_key[area]
            for unit in units:
                for action in ACTIONS:
                    verdict = index.check(ext, key, unit, action, {}, instant)
                    # Past her standing: allowed, or refused only by a red line or by a delegation's
                    # own conditions (the mandate lists both; it cannot know the request's facts).
                    passed = verdict.decision or verdict.reason in ("red_line", "missing_attribute",
                                                                    "outside_mandate")
                    by = may(org, entries, area, unit, action)
                    compared += 1
                    if bool(by) != passed:
                        raise AssertionError(
                            f"mandate and check disagree at {at.isoformat()}: person={ext!r} area={key!r} "
                            f"unit={unit!r} action={action!r}\n  check:   {verdict.decision} ({verdict.reason}, "
                            f"level={verdict.level}, delegations={verdict.delegation_ids})\n"
                            f"  mandate: {[e for e in entries if covers(org, e, area, unit)]}\n"
                            f"organisation rows:\n{org.describe()}")
                    if verdict.red_line is not None:  # refused by a red line: the mandate names it
                        assert any(verdict.red_line.id in e.red_line_ids for e in by), (ext, key, unit, action)
                    if verdict.condition is not None:  # refused by a delegation's condition: so does it
                        assert any((c.delegation_id, c.condition) == (verdict.condition.delegation_id,
                                                                      verdict.condition.condition)
                                   for e in by for c in e.conditions), (ext, key, unit, action, verdict)
                        COMPARED["refused_by_condition"] += 1
                    if verdict.decision and action in DECIDING_ACTIONS and any(standing(org, e, area, unit)[1]
                                                                               for e in by):
                        assert "pre_approval" in {o.kind for o in verdict.obligations}, (ext, key, unit, action)
                    COMPARED["allowed"] += verdict.decision
                    COMPARED["refused_by_standing"] += verdict.reason in ("suspended", "level_too_low")
    return compared


@st.composite
def organisations(draw):
    """The Casbin test's organisations (without its questions: every request is asked here), with
    more breach responses: mostly for a holder, on a delegation's area and unit, above or below them
    (so that some bind a whole entry and some a part of it), and mostly in force at T."""
    org, at, _questions, _scope, later = draw(scenarios(requests_per_org=1))
    index = org.index
    for _ in range(draw(st.integers(0, 4))):
        grants = sorted(index.grants.values(), key=lambda g: g.id)
        if grants and draw(st.integers(0, 3)):
            g = draw(st.sampled_from(grants))
            area = draw(st.sampled_from(_related(index.area_chain, g.area)))
            unit = draw(st.sampled_from(_related(index.unit_chain, g.unit)))
            members = sorted(index.team_links[i].person for i in index.links_of_team.get(g.subject, ()))
            person = g.subject if g.subject_kind == "person" else draw(st.sampled_from(members or org.persons))
        else:
            area, unit = draw(st.sampled_from(org.areas)), draw(st.sampled_from(org.units))
            person = draw(st.sampled_from(org.persons))
        response = draw(st.sampled_from(("suspension", "lowered_level", "lowered_level", "extra_control")))
        start, end = _window(draw, at)
        org.breach(person, area, unit, response, start, end,
                   draw(st.integers(1, 6)) if response == "lowered_level" else None)
    return org, at, later


@settings(max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(organisations())
def _mandate_agrees_with_checks(scenario) -> None:
    org, at, later = scenario
    COMPARED["requests"] += compare(org, at)
    COMPARED["requests"] += compare(org, later)


def test_the_mandate_says_may_exactly_when_checks_allow_on_random_organisations():
    before = dict(COMPARED)
    _mandate_agrees_with_checks()
    compared = {kind: COMPARED[kind] - before[kind] for kind in COMPARED}
    assert compared["requests"] >= MIN_REQUESTS, compared
    # The cases that matter occurred: refusals by a suspension or a lowered level, effects binding
    # all of an entry and a part of one, and leaders' own authority.
    assert all(compared[kind] for kind in ("refused_by_standing", "whole_effects", "partial_effects",
                                           "leader_entries", "refused_by_condition")), compared


# --- truth tables ------------------------------------------------------------------------------

AT = T0


def entries_of(org: Org, external_id: str, at: datetime = AT) -> list[MandateEntry]:
    entries = mandate(org, external_id, at)
    entries_are_consistent(org, entries)
    compare(org, at)
    return entries


def test_a_suspended_employee_sees_her_mandate_suspended_until_the_end_of_the_suspension():
    org = Org()
    unit = org.unit()
    care = org.area("care")
    anna = org.person("anna@eksempel.dk")
    org.delegation(care, unit, 6, person=anna)
    org.breach(anna, care, unit, "suspension", T0 - DAY, T0 + 14 * DAY)
    [entry] = entries_of(org, "anna@eksempel.dk")
    assert (entry.level, entry.suspended, entry.level_in_force, entry.actions) == (6, True, None, [])
    [effect] = entry.effects
    assert (effect.kind, effect.whole, effect.until) == ("suspended", True, (T0 + 14 * DAY).timestamp())
    assert effect.label_da == "Mandatet er midlertidigt sat i bero"
    [after] = entries_of(org, "anna@eksempel.dk", T0 + 14 * DAY)    # it ends by itself
    assert (after.suspended, after.level_in_force, after.effects) == (False, 6, [])


def test_a_lowered_level_caps_the_mandate_and_extra_control_adds_pre_approval():
    org = Org()
    unit = org.unit()
    care = org.area("care")
    anna = org.person("anna@eksempel.dk")
    org.delegation(care, unit, 7, person=anna)
    org.breach(anna, care, unit, "lowered_level", T0 - DAY, None, lowered_to=5)
    org.breach(anna, care, unit, "extra_control", T0 - DAY, T0 + 30 * DAY)
    [entry] = entries_of(org, "anna@eksempel.dk")
    assert (entry.level, entry.level_in_force) == (7, 5)
    assert entry.actions == ["be_informed", "be_consulted", "co_decide", "decide"]
    assert {o.kind for o in entry.owes} == {"seek_advice", "pre_approval"}
    assert {(f.kind, f.capped_to, f.until) for f in entry.effects} == {
        ("level_capped", 5, FOREVER), ("pre_approval", None, (T0 + 30 * DAY).timestamp())}
    assert {f.label_da for f in entry.effects} == {"Mandatet er midlertidigt begrænset til niveau 5",
                                                   "Dine beslutninger skal midlertidigt godkendes på forhånd"}


def test_a_suspension_of_a_sub_area_in_a_sub_unit_binds_only_that_part_of_the_mandate():
    org = Org()
    top = org.unit()
    child = org.unit(top)
    economy = org.area("economy")
    purchase = org.area("economy/purchase", economy)
    bo = org.person("bo@eksempel.dk")
    org.delegation(economy, top, 6, person=bo, subtree=True)
    org.breach(bo, purchase, child, "suspension", T0 - DAY, T0 + DAY)
    [entry] = entries_of(org, "bo@eksempel.dk")
    assert (entry.suspended, entry.level_in_force) == (False, 6)
    [effect] = entry.effects
    assert (effect.kind, effect.whole, effect.area_id, effect.unit_id) == ("suspended", False, purchase, child)
    assert not may(org, [entry], purchase, child, "be_informed")
    assert may(org, [entry], purchase, top, "act_as_hverdagsdirektoer")
    assert may(org, [entry], economy, child, "act_as_hverdagsdirektoer")


def test_a_leaders_mandate_holds_her_units_areas_except_those_reserved_above_her():
    org = Org()
    top = org.unit()
    dept = org.unit(top)
    economy = org.area("economy")
    purchase = org.area("economy/purchase", economy, reserved_unit=top, delegable=False)
    org.area("economy/budget", economy)
    hr = org.area("hr", reserved_unit=dept, delegable=False)       # reserved to her own unit: hers
    org.area("law", reserved_unit=top, delegable=False)            # reserved above her: not hers at all
    leader = org.person("leader@eksempel.dk")
    org.membership(leader, dept, valid_to=T0 + 90 * DAY)
    org.person("deputy@eksempel.dk")
    org.membership(org.persons[1], dept, "deputy")
    entries = entries_of(org, "leader@eksempel.dk")
    assert [(e.basis, e.area_id, e.unit_id, e.include_subunits, e.level, e.except_area_ids) for e in entries] == [
        ("leader_authority", economy, dept, True, 7, [purchase]), ("leader_authority", hr, dept, True, 7, [])]
    assert all(e.valid_until == (T0 + 90 * DAY).timestamp() and e.owes == [] for e in entries)
    assert entries_of(org, "deputy@eksempel.dk") == []


def test_a_stand_in_holds_the_leaders_mandate_during_the_appointment_only():
    org = Org()
    unit = org.unit()
    care = org.area("care")
    leader, stand_in = org.person("leader@eksempel.dk"), org.person("stand-in@eksempel.dk")
    org.membership(leader, unit)
    org.stand_in(unit, leader, stand_in, T0 - DAY, T0 + 14 * DAY)
    [entry] = entries_of(org, "stand-in@eksempel.dk")
    assert (entry.basis, entry.area_id, entry.unit_id, entry.stand_in_for) == ("leader_authority", care, unit, leader)
    assert entry.valid_until == (T0 + 14 * DAY).timestamp()
    assert entries_of(org, "stand-in@eksempel.dk", T0 + 14 * DAY) == []
    assert entries_of(org, "stand-in@eksempel.dk", T0 - DAY - SECOND) == []


def test_a_suspended_leader_holds_her_authority_suspended():
    org = Org()
    unit = org.unit()
    care = org.area("care")
    leader = org.person("leader@eksempel.dk")
    org.membership(leader, unit)
    org.breach(leader, care, unit, "suspension", T0 - DAY, T0 + DAY)
    [entry] = entries_of(org, "leader@eksempel.dk")
    assert (entry.basis, entry.suspended, entry.actions) == ("leader_authority", True, [])


def test_a_delegation_at_an_archived_unit_still_covers_a_live_unit_moved_below_it():
    org = Org()
    top = org.unit()
    archived = org.unit(top)
    moved = org.unit(top)
    care = org.area("care")
    anna = org.person("anna@eksempel.dk")
    org.delegation(care, archived, 6, person=anna, subtree=True)
    org.archive(archived)
    org.update(moved, parent_id=archived)
    [entry] = entries_of(org, "anna@eksempel.dk")
    assert entry.unit_id == archived and may(org, [entry], care, moved, "act_as_hverdagsdirektoer")
