"""A person's aliases (issue 13) in the sync's pure parts: their form (registry.domain.aliases), the
CSV's optional alias columns, and what the plan does to the aliases a source manages (truth tables)."""

from datetime import datetime, timezone
from uuid import uuid4

import pytest

from registry.domain import aliases, sync
from registry.domain.model import Person, PersonAlias
from registry.errors import Invalid

NOW = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
TENANT = uuid4()
UNITS = "id,parent_id,name,kind\nA,,Forvaltning,forvaltning\nB,A,Center,center\n"
HEAD = "external_id,name,email,unit_id,leader,start_date,end_date"


@pytest.mark.parametrize("kind, value, stored", [
    ("payroll", "004711", "004711"),
    ("sub", "AbC-123", "AbC-123"),                       # a sub is case-sensitive: kept as given
    ("upn", "Anna.Jensen@Kommune.DK", "anna.jensen@kommune.dk"),
    ("uuid", "3FA85F64-5717-4562-B3FC-2C963F66AFA6", "3fa85f64-5717-4562-b3fc-2c963f66afa6"),
])
def test_an_alias_is_stored_in_its_kinds_form(kind, value, stored):
    assert aliases.normalise(kind, value) == stored


@pytest.mark.parametrize("kind, value, code", [
    ("email", "a@b.dk", "invalid_alias_kind"),
    ("uuid", "not-a-uuid", "invalid_alias"),
    ("upn", "anna", "invalid_alias"),
    ("payroll", " 4711", "invalid_alias"),
    ("payroll", "", "invalid_alias"),
    ("sub", "a,b", "invalid_alias"),
    ("sub", "person:123", "invalid_alias"),
    ("payroll", "x" * 201, "invalid_alias"),
])
def test_a_bad_alias_is_refused_with_a_code(kind, value, code):
    with pytest.raises(Invalid) as raised:
        aliases.normalise(kind, value)
    assert raised.value.code == code


def test_the_csv_alias_columns_are_optional():
    plain = sync.parse(UNITS, f"{HEAD}\nx@k.dk,X,,B,ja,2020-01-01,\n")
    assert plain.alias_kinds == () and plain.people[0].aliases == {}
    people = (f"{HEAD},upn,payroll_number,sub\n"
              "x@k.dk,X,,B,ja,2020-01-01,,X@K.dk,4711,abc\n"
              "y@k.dk,Y,,B,nej,2020-01-01,,,,\n")
    source = sync.parse(UNITS, people)
    assert set(source.alias_kinds) == {"upn", "payroll", "sub"}
    assert source.people[0].aliases == {"upn": "X@K.dk", "payroll": "4711", "sub": "abc"}
    assert source.people[1].aliases == {}
    only_upn = sync.parse(UNITS.replace(",", ";"), f"{HEAD};upn\n".replace(",", ";") + "x@k.dk;X;;B;ja;2020-01-01;;x@k.dk\n")
    assert only_upn.alias_kinds == ("upn",)


# --- the plan's truth table ------------------------------------------------------------------------

def _person(ext, **kw):
    return Person(id=uuid4(), tenant_id=TENANT, external_id=ext, name=ext, **kw)


def _alias(person, kind, value):
    return PersonAlias(id=uuid4(), tenant_id=TENANT, person_id=person.id, kind=kind, value=value)


def _source_person(ext, **found):
    return sync.SourcePerson(external_id=ext, name=ext, email=None, unit_id="B", leader=False,
                             start=NOW.date(), end=None, line=2, aliases=found)


def _plan(source_people, kinds, people, held, created=(), leaving=()):
    return [(c.external_id, c.kind, c.value, c.current.value if c.current else None)
            for c in aliases.plan_changes(source_people, kinds, people, held, created=set(created),
                                          leaving=set(leaving))]


ANNA = _person("anna")


@pytest.mark.parametrize("source_value, held_value, kinds, expected", [
    ("4711", None, {"payroll"}, [("anna", "payroll", "4711", None)]),         # new: set
    ("4711", "4711", {"payroll"}, []),                                       # the same: nothing
    ("4712", "4711", {"payroll"}, [("anna", "payroll", "4712", "4711")]),     # changed: replaced
    (None, "4711", {"payroll"}, [("anna", "payroll", None, "4711")]),         # the source has none: removed
    (None, "4711", {"upn"}, []),                                             # a kind the source does not supply
    (None, None, {"payroll"}, []),
])
def test_the_plan_for_one_person_and_kind(source_value, held_value, kinds, expected):
    found = {"payroll": source_value} if source_value else {}
    held = [_alias(ANNA, "payroll", held_value)] if held_value else []
    assert _plan([_source_person("anna", **found)], kinds, [ANNA], held) == expected


def test_a_upn_in_another_casing_is_no_change():
    held = [_alias(ANNA, "upn", "anna@k.dk")]
    assert _plan([_source_person("anna", upn="Anna@K.dk")], {"upn"}, [ANNA], held) == []


def test_a_hand_set_alias_of_a_kind_the_source_does_not_supply_stays():
    held = [_alias(ANNA, "sub", "abc"), _alias(ANNA, "payroll", "4711")]
    assert _plan([_source_person("anna", payroll="4712")], {"payroll"}, [ANNA], held) == [
        ("anna", "payroll", "4712", "4711")]


def test_a_new_person_gets_her_aliases_and_one_gone_before_she_came_gets_none():
    source = [_source_person("new", upn="new@k.dk"), _source_person("never", upn="never@k.dk")]
    assert _plan(source, {"upn"}, [], [], created={"new"}) == [("new", "upn", "new@k.dk", None)]


@pytest.mark.parametrize("other_state, taken_first", [
    ("archived", True),       # an archived person's value goes to the new holder
    ("leaving", True),        # so does that of someone this sync ends
    ("live", False),          # a live person outside the source keeps it: the write is refused (alias_taken)
])
def test_a_value_another_person_holds(other_state, taken_first):
    other = _person("other", archived_at=NOW if other_state == "archived" else None)
    held = [_alias(other, "upn", "anna@k.dk")]
    changes = _plan([_source_person("anna", upn="anna@k.dk")], {"upn"}, [ANNA, other], held,
                    leaving={other.id} if other_state == "leaving" else ())
    taken = [("other", "upn", None, "anna@k.dk")] if taken_first else []
    assert changes == taken + [("anna", "upn", "anna@k.dk", None)]


def test_two_people_in_the_source_swap_values_removals_first():
    bo = _person("bo")
    held = [_alias(ANNA, "payroll", "1"), _alias(bo, "payroll", "2")]
    changes = _plan([_source_person("anna", payroll="2"), _source_person("bo", payroll="1")], {"payroll"},
                    [ANNA, bo], held)
    assert changes[:2] == [("bo", "payroll", None, "2"), ("anna", "payroll", None, "1")]
    assert changes[2:] == [("anna", "payroll", "2", "1"), ("bo", "payroll", "1", "2")]


def test_an_erased_person_is_never_touched():
    erased = _person("slettet-1", archived_at=NOW, erased_at=NOW)
    assert _plan([_source_person("slettet-1", upn="x@k.dk")], {"upn"}, [erased], []) == []


def test_the_plan_counts_and_describes_alias_changes():
    people = f"{HEAD},upn,payroll_number\nx@k.dk,X,,B,ja,2020-01-01,,X@k.dk,\n"
    source = sync.parse(UNITS, people)
    first = sync.plan(source, units=[], people=[], memberships=[], now=NOW)
    assert [(c.external_id, c.kind, c.value) for c in first.alias_changes] == [("x@k.dk", "upn", "x@k.dk")]
    assert first.counts()["aliases_set"] == 1 and first.counts()["aliases_removed"] == 0
    assert any(line.startswith("Alias (andre id'er for personer): 1 sættes, 0 fjernes") for line in sync.describe(first))
    # Without alias columns, the plan leaves aliases alone.
    x = _person("x@k.dk")
    plain = sync.parse(UNITS, f"{HEAD}\nx@k.dk,X,,B,ja,2020-01-01,\n")
    assert sync.plan(plain, units=[], people=[x], memberships=[], now=NOW,
                     aliases=[_alias(x, "upn", "x@k.dk")]).alias_changes == []


# --- the decision index (registry.policy.index) ---------------------------------------------------

def test_the_index_resolves_aliases_and_follows_their_changes():
    from registry.policy.index import TenantIndex

    index = TenantIndex("t", "t")
    anna = {"id": "p1", "tenant_id": "t", "external_id": "anna@k.dk", "name": "Anna", "archived_at": None}
    bo = {**anna, "id": "p2", "external_id": "bo@k.dk", "name": "Bo"}
    index.load([("person", anna), ("person", bo)])
    payroll = {"id": "a1", "person_id": "p1", "kind": "payroll", "value": "Ab12"}
    upn = {"id": "a2", "person_id": "p1", "kind": "upn", "value": "anna.j@k.dk"}
    index.apply("person_alias", payroll)
    index.apply("person_alias", upn)
    assert [index.person_id(r) for r in ("anna@k.dk", "Ab12", "ab12", "anna.j@k.dk", "ANNA.J@K.DK")] == [
        "p1", "p1", None, "p1", "p1"]  # a payroll number exactly, a UPN in any casing
    assert [a[2] for a in index.aliases_of("p1")] == ["payroll", "upn"]
    # Changed, then handed to Bo (removed from Anna first, as a sync does), then Anna archived.
    index.apply("person_alias", {**payroll, "value": "Ab13"}, payroll)
    assert (index.person_id("Ab12"), index.person_id("Ab13")) == (None, "p1")
    index.apply("person_alias", None, {**payroll, "value": "Ab13"})
    index.apply("person_alias", {"id": "a3", "person_id": "p2", "kind": "payroll", "value": "Ab13"})
    assert index.person_id("Ab13") == "p2" and [a[2] for a in index.aliases_of("p1")] == ["upn"]
    index.apply("person", {**anna, "archived_at": NOW}, anna)
    assert (index.person_id("anna.j@k.dk"), index.person_ref("anna.j@k.dk")) == (None, "p1")
