"""Reading an FK Organisation export (registry.domain.fk_organisation): the sample municipality
(tests/fk_sample), the mapping choices (which unit a person with several functions gets, what counts
as valid on the sync date, where the name and e-mail come from) and the typed errors."""

import json
from datetime import date
from pathlib import Path

import pytest

from registry.domain import fk_organisation as fk
from registry.domain.sync import SourceError

SAMPLE = Path(__file__).resolve().parents[1] / "fk_sample"
TODAY = date(2026, 11, 28)
ORG = "00000000-0000-4000-8000-000000000000"
S1, S2 = "00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000a2"


def virkning(start="2016-01-01", end=None):
    return {"from": f"{start} 00:00:00+01" if start else "-infinity", "to": f"{end} 00:00:00+01" if end else "infinity",
            "from_included": True, "to_included": False}


def obj(oid, attributter=None, tilstande=None, relationer=None):
    return {"id": oid, "registreringer": [{"attributter": attributter or {}, "tilstande": tilstande or {},
                                           "relationer": relationer or {}}]}


def unit(oid, name, parent=ORG, active=(("Aktiv", "2016-01-01", None),)):
    return obj(oid, {"organisationenhedegenskaber": [{"brugervendtnoegle": oid[-2:], "enhedsnavn": name,
                                                      "virkning": virkning()}]},
               {"organisationenhedgyldighed": [{"gyldighed": g, "virkning": virkning(f, t)} for g, f, t in active]},
               {"overordnet": [{"uuid": parent, "virkning": virkning()}]} if parent else {})


def user(key, active=(("Aktiv", "2016-01-01", None),), email=None, login=None):
    relationer = {"tilknyttedepersoner": [{"uuid": f"person-{key}", "virkning": virkning()}]}
    if email:
        relationer["adresser"] = [{"urn": f"urn:mailto:{email}", "virkning": virkning()}]
    return obj(key, {"brugeregenskaber": [{"brugervendtnoegle": key, "virkning": virkning(),
                                           **({"brugernavn": login} if login else {})}]},
               {"brugergyldighed": [{"gyldighed": g, "virkning": virkning(f, t)} for g, f, t in active]}, relationer)


def person(key, name):
    return obj(f"person-{key}", {"personegenskaber": [{"navn": name, "virkning": virkning()}]})


def function(key, who, where, kind=fk.FUNCTION_POSITION, start="2020-01-01", end=None, name="Sygeplejerske"):
    return obj(key, {"organisationfunktionegenskaber": [{"funktionsnavn": name, "virkning": virkning(start, end)}]},
               {"organisationfunktiongyldighed": [{"gyldighed": "Aktiv", "virkning": virkning(start, end)}]},
               {"funktionstype": [{"uuid": kind, "virkning": virkning(start, end)}] if kind else [],
                "tilknyttedebrugere": [{"uuid": who, "virkning": virkning(start, end)}],
                "tilknyttedeenheder": [{"uuid": where, "virkning": virkning(start, end)}]})


def export(units=None, users=None, functions=None, persons=None, **more):
    users = users if users is not None else [user("u1")]
    return json.dumps({"organisation": [obj(ORG)],
                       "organisationenhed": units if units is not None else [unit(S1, "Forvaltning"),
                                                                             unit(S2, "Center", S1)],
                       "bruger": users,
                       "person": persons if persons is not None else [person(u["id"], "Ane") for u in users],
                       "organisationfunktion": functions if functions is not None else [function("f1", "u1", S2)],
                       **more})


def parse(text, today=TODAY):
    return fk.parse(text, today=today, file="fk.json")


def test_the_sample_municipality():
    source = parse((SAMPLE / "export.json").read_text())
    names = {u.name: u for u in source.units}
    assert list(names) == ["Sundhed og Omsorg", "Plejecenter Egevang", "Egevang Afsnit A", "Hjemmeplejen Nord"]
    assert names["Sundhed og Omsorg"].parent_id is None  # under the organisation: a top unit
    assert names["Egevang Afsnit A"].parent_id == names["Plejecenter Egevang"].id
    assert {u.kind for u in source.units} == {None}  # FK has no kinds: a new unit is a `unit`; one set by hand stays
    people = {p.name: p for p in source.people}
    assert people["Jens Juhl"].end == date(2019, 7, 1)  # inactive since 2019: in the source as one who left
    assert {n for n, p in people.items() if p.leader} == {"Kim Kristensen", "Lis Lund", "Anne Andersen",
                                                          "Ole Nielsen"}
    eva = people["Eva Holm"]  # engaged in Afsnit A (2022) and in Hjemmeplejen Nord (2024): the earliest
    assert (eva.unit_id, eva.start, eva.end) == (names["Egevang Afsnit A"].id, date(2022, 5, 1), None)
    assert [p.unit_id for p in eva.positions] == [names["Egevang Afsnit A"].id, names["Hjemmeplejen Nord"].id]
    assert eva.aliases == {"uuid": eva.external_id} and eva.email == "eva@nordby.dk"  # `eho` is no UPN
    assert people["Kim Kristensen"].aliases["upn"] == "kkr@nordby.dk"  # an account name in a UPN's form
    assert people["Bo Berg"].email == "bo@nordby.dk"  # a urn:mailto: address
    assert source.people_file == "fk.json, bruger"


def test_the_second_export_a_leaver_a_move_and_new_leaders():
    source = parse((SAMPLE / "export2.json").read_text())
    units = {u.name: u.id for u in source.units}
    people = {p.name: p for p in source.people}
    assert people["Lis Lund"].end == date(2026, 11, 1) and people["Lis Lund"].leader  # left: ended
    assert (people["Bo Berg"].unit_id, people["Bo Berg"].start) == (units["Hjemmeplejen Nord"], date(2026, 11, 1))
    assert not people["Ole Nielsen"].leader and people["Per Poulsen"].leader  # Ole stepped down
    assert people["Nina Nørgaard"].unit_id == units["Plejecenter Egevang"] and people["Nina Nørgaard"].leader


def test_a_leader_is_placed_where_she_leads_though_engaged_earlier_elsewhere():
    source = parse(export(functions=[function("f1", "u1", S1, start="2018-01-01"),
                                     function("f2", "u1", S2, kind=fk.FUNCTION_MANAGER, start="2024-01-01")]))
    assert (source.people[0].unit_id, source.people[0].leader, source.people[0].start) == (S2, True, date(2024, 1, 1))


def test_the_function_type_by_name_when_not_one_of_fks_published_classes():
    leader = function("f1", "u1", S2, kind="11111111-1111-4111-8111-111111111111", name="Leder")
    assert parse(export(functions=[leader])).people[0].leader
    engagement = function("f1", "u1", S2, kind=None, name="Engagement")
    assert not parse(export(functions=[engagement])).people[0].leader
    payout = function("f2", "u1", S1, kind="faf29ba2-da6d-49c4-8a2f-0739172f4227", name="Udbetalingsenhed")
    assert parse(export(functions=[payout, function("f1", "u1", S2)])).people[0].unit_id == S2  # ignored


def test_what_is_valid_on_the_sync_date():
    # A function that ended: she has left on its end date.
    ended = parse(export(functions=[function("f1", "u1", S2, end="2026-10-01")])).people[0]
    assert ended.end == date(2026, 10, 1)
    # An inactive user: her end is the day she became inactive.
    inactive = parse(export(users=[user("u1", active=(("Aktiv", "2016-01-01", "2026-09-01"),
                                                      ("Inaktiv", "2026-09-01", None)))])).people[0]
    assert inactive.end == date(2026, 9, 1)
    # A new hire next month: in the source from her first day.
    hire = parse(export(functions=[function("f1", "u1", S2, start="2027-01-01")])).people[0]
    assert hire.start == date(2027, 1, 1) and hire.end is None
    # A current engagement wins over one that ended, though the ended one is a leader's.
    both = parse(export(functions=[function("f1", "u1", S1, kind=fk.FUNCTION_MANAGER, end="2025-01-01"),
                                   function("f2", "u1", S2)])).people[0]
    assert (both.unit_id, both.leader) == (S2, False)
    # A closed unit is out of the source; a timestamp is read as the date where it was written.
    closed = parse(export(units=[unit(S1, "Forvaltning"), unit(S2, "Center", S1),
                                 unit("closed", "Lukket", S1, active=(("Aktiv", "2016-01-01", "2020-01-01"),))]))
    assert [u.id for u in closed.units] == [S1, S2]
    assert fk._day("2026-11-01T00:00:00+01:00", None, "f") == date(2026, 11, 1)


def test_loras_list_answer_is_read_too():
    text = json.loads(export())
    text["organisationenhed"] = {"results": [text["organisationenhed"]]}
    assert [u.id for u in parse(json.dumps(text)).units] == [S1, S2]


def test_a_user_in_no_unit_is_left_out():
    """A service account or a user of IT systems only: not one of the organisation's people."""
    assert parse(export(functions=[])).people == []


@pytest.mark.parametrize("text, code, says", [
    ("{\n  \"bruger\": [,]\n}", "unreadable_file", "fk.json, linje 2"),
    ("[]", "bad_format", "organisationenhed"),
    (export(units=[unit(S1, "Forvaltning", "ffffffff-0000-4000-8000-000000000000")], functions=[]), "unknown_parent",
     f"enheden {S1}: overenheden ffffffff-0000-4000-8000-000000000000 findes ikke"),
    (export(units=[unit(S1, "A", S2), unit(S2, "B", S1)], functions=[]), "cycle", "under sig selv"),
    (export(units=[unit(S1, "")]), "missing_value", "enhedsnavn mangler"),
    (export(functions=[function("f1", "u1", S2, start="2020-13-01")]), "bad_date", "funktionen f1: virkning"),
    (export(functions=[function("f1", "u1", S2, start="2021-01-01", end="2020-01-01")]), "bad_date", "før den"),
    (export(functions=[function("f1", "u1", S2, start="1850-01-01")]), "bad_date", "1900-2199"),
    (export(persons=[]), "unknown_person", "personen person-u1 findes ikke"),
    (export(persons=[person("u1", " ")]), "missing_value", "navnet mangler"),
    (export(functions=[function("f1", "u9", S2)]), "unknown_user", "brugeren u9 findes ikke"),
    (export(functions=[function("f1", "u1", "nowhere")]), "unknown_unit", "enheden nowhere findes ikke"),
    (export(users=[user("u1"), user("u1")]), "duplicate_id", "mere end én gang"),
    (export(users=[user("u1", active=(("Slettet", "2016-01-01", None),))]), "bad_value", "Aktiv eller Inaktiv"),
])
def test_a_bad_export_is_refused_naming_the_object(text, code, says):
    with pytest.raises(SourceError) as found:
        parse(text)
    assert found.value.code == code and says in str(found.value), str(found.value)


async def test_the_reader_refuses_a_file_it_cannot_read_and_reads_as_of_the_sync_date(tmp_path):
    from datetime import datetime, timezone

    from registry.sources import SourceConfig, SourceUnavailable, read
    from registry.sources import fk_organisation as reader
    for name, content in (("missing.json", None), ("latin1.json", "{\"bruger\": \"Jørgen\"}".encode("latin-1"))):
        if content is not None:
            (tmp_path / name).write_bytes(content)
        with pytest.raises(SourceUnavailable) as found:
            await read(SourceConfig(kind="fk", file=str(tmp_path / name)))
        assert found.value.code == "unreadable_file"
    closing = unit("closing", "Lukker", S1, active=(("Aktiv", "2016-01-01", "2026-10-01"),))
    (tmp_path / "fk.json").write_text(export(units=[unit(S1, "Forvaltning"), unit(S2, "Center", S1), closing]))
    config = SourceConfig(kind="fk", file=str(tmp_path / "fk.json"))
    before = await reader.read(config, now=datetime(2026, 9, 30, 23, tzinfo=timezone.utc))
    assert [u.id for u in before.units] == [S1, S2, "closing"] and before.units_file == "fk.json, organisationenhed"
    assert [u.id for u in (await reader.read(config, now=datetime(2026, 10, 1, tzinfo=timezone.utc))).units] == [S1, S2]
