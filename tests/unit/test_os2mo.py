"""OS2mo's data as the sync's Source (registry.domain.os2mo) and a unit's KLE markup suggesting
decision areas (registry.domain.kle): pure, no server."""

import json
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest

from registry.domain import kle, os2mo
from registry.domain.model import Area
from registry.domain.sync import SourceError

SAMPLE = Path(__file__).resolve().parents[1] / "os2mo_sample"
TODAY = date(2026, 11, 28)
U1, U2 = "u-1", "u-2"


def v(start, end=None):
    return {"from": f"{start}T00:00:00+01:00", "to": None if end is None else f"{end}T00:00:00+01:00"}


def unit(uuid, parent=None, name="Enhed", level=None, kind=None):
    cls = lambda k: None if k is None else {"current": {"user_key": k, "name": k}}  # noqa: E731
    return {"uuid": uuid, "validities": [{"name": name, "validity": v("2010-01-01"),
                                          "parent_response": None if parent is None else {"uuid": parent},
                                          "unit_level_response": cls(level), "unit_type_response": cls(kind)}]}


def engagement(uuid, person, unit_id, start="2020-01-01", end=None, primary=False, user_key="1"):
    return {"uuid": uuid, "validities": [{"user_key": user_key, "is_primary": primary, "validity": v(start, end),
                                          "person_response": {"uuid": person, "current": {"name": "Ane Andersen"}},
                                          "org_unit_response": {"uuid": unit_id}}]}


def manager(uuid, person, unit_id, start="2020-01-01", end=None):
    return {"uuid": uuid, "validities": [{"validity": v(start, end), "org_unit_response": {"uuid": unit_id},
                                          "person_response": {"uuid": person, "current": {"name": "Ane Andersen"}}}]}


def data(engagements=(), managers=(), **more):
    return {"org_units": [unit(U1), unit(U2, U1)], "engagements": list(engagements), "managers": list(managers),
            **more}


def test_the_sample_parses():
    source = os2mo.parse(json.loads((SAMPLE / "os2mo.json").read_text()), today=TODAY)
    assert len(source.units) == 4 and len(source.people) == 6 and source.kle_markup
    bo = next(p for p in source.people if p.name == "Bo Berg")
    assert bo.aliases == {"uuid": bo.external_id, "upn": "bo@nordby.dk", "payroll": "00123"}
    tina = next(p for p in source.people if p.name == "Tina Thomsen")
    assert tina.aliases == {"uuid": tina.external_id} and tina.email == "tina@nordby.dk"


@pytest.mark.parametrize("engagements, managers, unit_id, leader", [
    ([engagement("e1", "p", U1), engagement("e2", "p", U2, primary=True)], [], U2, False),   # primary
    ([engagement("e1", "p", U1, "2021-01-01"), engagement("e2", "p", U2, "2019-01-01")], [], U2, False),  # earliest
    ([engagement("e1", "p", U1, primary=True)], [manager("m1", "p", U2)], U2, True),          # where she manages
    ([engagement("e1", "p", U1, "2027-01-01", primary=True), engagement("e2", "p", U2)], [], U2, False),  # now first
    ([], [manager("m1", "p", U1)], U1, True),                                                  # a manager only
])
def test_one_unit_per_person(engagements, managers, unit_id, leader):
    [person] = os2mo.parse(data(engagements, managers), today=TODAY).people
    assert (person.unit_id, person.leader) == (unit_id, leader)


def test_each_engagement_is_a_position_that_ends_on_its_own_and_past_ones_are_not_there():
    [p] = os2mo.parse(data([engagement("e1", "p", U1, end="2026-12-01"),
                            engagement("e2", "p", U2, end="2027-02-01")]), today=TODAY).people
    assert [(x.unit_id, x.end) for x in p.positions] == [(U1, date(2026, 12, 1)), (U2, date(2027, 2, 1))]
    [p] = os2mo.parse(data([engagement("e1", "p", U1, end="2026-12-01"), engagement("e2", "p", U2)]),
                      today=TODAY).people
    assert [(x.unit_id, x.end) for x in p.positions] == [(U1, date(2026, 12, 1)), (U2, None)]
    assert os2mo.parse(data([engagement("e1", "p", U1, end="2026-01-01")]), today=TODAY).people == []


def test_a_vacant_manager_post_is_no_one():
    vacant = manager("m1", "p", U1)
    vacant["validities"][0]["person_response"] = None
    assert os2mo.parse(data([], [vacant]), today=TODAY).people == []


@pytest.mark.parametrize("words, kind", [
    (["Forvaltning"], "forvaltning"), (["Direktion"], "direktion"), (["Område"], "center"),
    (["Afdelings-niveau"], "subunit"), (["Institution"], "unit"), (["NY3-niveau"], "unit"), ([], "unit"),
])
def test_unit_kinds(words, kind):
    assert os2mo.unit_kind(words) == kind


@pytest.mark.parametrize("change, code, where", [
    (lambda d: d["org_units"].append(unit(U1)), "duplicate_id", "org_units u-1"),
    (lambda d: d["engagements"].append(engagement("e9", "p", "u-9")), "unknown_unit", "engagements e9"),
    (lambda d: d["engagements"].append(engagement("e9", "p", U1, "2020-02-01", "2020-01-01")), "bad_date",
     "engagements e9"),
    (lambda d: d.update(org_units="ikke en liste"), "bad_record", "os2mo"),
])
def test_bad_data_names_the_record(change, code, where):
    found = data()
    change(found)
    with pytest.raises(SourceError) as raised:
        os2mo.parse(found, today=TODAY)
    assert raised.value.code == code and str(raised.value).startswith(f"os2mo: {where}" if " " in where else where)


def test_a_to_later_in_the_day_counts_that_day():
    e = engagement("e1", "p", U1)
    e["validities"][0]["validity"]["to"] = "2027-01-31T23:59:59+01:00"
    [p] = os2mo.parse(data([e]), today=TODAY).people
    assert p.end == date(2027, 2, 1)


def _area(code, archived=False):
    return Area(id=uuid4(), tenant_id=uuid4(), parent_id=None, key=code or "x", name_da=code or "x", name_en="x",
                kle=code, archived_at=TODAY if archived else None)


@pytest.mark.parametrize("unit_code, area_code, covered", [
    ("27.24", "27.24", True), ("27.24", "27.24.10", True), ("27.24", "27.24.10G01", True), ("27", "27.24", True),
    ("27.24.10", "27.24.10G01", True), ("27.24.10", "27.24", False), ("27.24", "27.20", False),
    ("27.24.10G01", "27.24.10", False), ("27.24.10G01", "27.24.10G02", False),
])
def test_a_unit_s_kle_number_covers_those_under_it(unit_code, area_code, covered):
    assert kle.covers(unit_code, area_code) is covered


def test_suggested_areas_are_live_areas_under_the_unit_s_numbers():
    areas = [_area("27.24.10"), _area("27.36"), _area("27.24.11", archived=True), _area(None), _area("27.24")]
    assert [a.kle for a in kle.suggested_areas(areas, ["27.24"])] == ["27.24", "27.24.10"]
    assert kle.suggested_areas(areas, []) == []


def test_the_plan_keeps_a_unit_s_kle_markup_only_when_the_source_marks_units():
    from datetime import datetime, timezone

    from registry.domain.model import Unit
    from registry.domain.sync import Source, SourceUnit, plan
    tenant = uuid4()
    current = Unit(id=uuid4(), tenant_id=tenant, parent_id=None, name="Enhed", kind="unit", external_id="u-1",
                   kle_codes=("27.24",))
    now = datetime(2026, 11, 28, tzinfo=timezone.utc)

    def changes(kle_codes, marks):
        source = Source(units=[SourceUnit(id="u-1", parent_id=None, name="Enhed", kind="unit", line=1, kle=kle_codes)],
                        people=[], kle_markup=marks)
        return [c.changes for c in plan(source, units=[current], people=[], memberships=[], now=now).change_units]
    assert changes(("27.24", "27.36"), True) == [{"kle_codes": ["27.24", "27.36"]}]
    assert changes((), True) == [{"kle_codes": []}]
    assert changes(("27.24",), True) == []
    assert changes((), False) == []  # a CSV source leaves the markup as it is


def test_the_queries_are_graphql_and_ask_each_collection_a_page_at_a_time():
    from graphql import parse

    from registry.sources.os2mo import QUERIES
    assert tuple(QUERIES) == os2mo.COLLECTIONS
    for name, query in QUERIES.items():
        document = parse(query)
        [operation] = document.definitions
        [field] = operation.selection_set.selections
        assert (field.alias.value, field.name.value) == ("page", name)
        assert {a.name.value for a in field.arguments} == {"limit", "cursor", "filter"}
        assert "page_info { next_cursor }" in query and "validity { from to }" in query
