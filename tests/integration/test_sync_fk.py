"""The sync from an FK Organisation export (issue 13) through the CLI: the sample municipality
(tests/fk_sample/export.json) as a dry run, applied, and a second run that changes nothing; bad files
refused with nothing written; then the second export (export2.json: Lis leaves, Nina and Per become
leaders, Ole steps down, Bo moves) and what it does to delegations (checks and follow-up)."""

import asyncio
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from registry import cli
from registry.domain import fk_organisation
from tests.sync_support import ids_by, organisation
from tests.support import Api, api_key, snapshot

SAMPLE = Path(__file__).resolve().parents[1] / "fk_sample"
TENANT = "nordby"
ADMIN = "admin@nordby.dk"
CHECK = "query($i: CheckInput!) { check(input: $i) { decision reason } }"
DUE = "query($u: ID!) { delegationsDueForReview(unitId: $u) { id reviewDate validUntil } }"
DECLARE = """mutation($a: ID!, $u: ID!, $p: ID!, $s: Boolean!) { declareDelegation(input: {areaId: $a, unitId: $u,
    delegatePersonId: $p, level: 4, includeSubunits: $s}) {
    __typename ... on DelegationPayload { delegation { id } } ... on Error { code message } } }"""

# The sample's units and people by name (their uuids are the external ids).
_SAMPLE = fk_organisation.parse((SAMPLE / "export2.json").read_text(), today=date(2026, 11, 28))
UNIT = {u.name.split()[-1]: u.id for u in _SAMPLE.units}       # Omsorg, Egevang, A, Nord
WHO = {p.name.split()[0].lower(): p.external_id for p in _SAMPLE.people}


async def _nordby(db):
    await organisation(db, TENANT)


async def _ids(db, table, column):
    return await ids_by(db, table, column, TENANT)


def sync(*args):
    return asyncio.to_thread(cli.main, ["sync", "--source", "fk", "--tenant", TENANT, *args])


async def test_a_dry_run_writes_nothing_then_apply_then_a_second_run_changes_nothing(db, empty_dsn, monkeypatch,
                                                                                     capsys):
    await _nordby(db)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", empty_dsn)
    export = str(SAMPLE / "export.json")
    before = await snapshot(db)
    assert await sync("--file", export, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Prøvekørsel" in out and "Enheder: 4 oprettes" in out and "Personer: 7 oprettes" in out
    assert f"+ person {WHO['kim']} »Kim Kristensen«" in out and "Jens Juhl" not in out  # left in 2019
    assert await snapshot(db) == before
    assert await sync("--file", export, "--apply") == 0
    assert "Synkroniseret:" in capsys.readouterr().out
    units = await _ids(db, "org_unit", "external_id")
    assert set(units) == set(UNIT.values())
    async with db.read() as conn:
        rows = await conn.fetch(
            """SELECT p.name, p.email, u.external_id AS unit, m.role, m.valid_from FROM person p
               JOIN membership m ON m.person_id = p.id JOIN org_unit u ON u.id = m.unit_id ORDER BY m.valid_from""")
        people = {r["name"]: r for r in reversed(rows)}  # her earliest position
        eva = [(r["unit"], r["role"], r["valid_from"]) for r in rows if r["name"] == "Eva Holm"]
        actors = {r["actor"] for r in await conn.fetch("SELECT actor FROM history WHERE entity_id = $1::uuid",
                                                     units[UNIT["A"]])}
    assert [e[0] for e in eva] == [UNIT["A"], UNIT["Nord"]] and {e[1] for e in eva} == {"employee"}  # both engagements
    assert eva[0][2] == datetime(2022, 5, 1, tzinfo=timezone.utc)
    assert (people["Anne Andersen"]["unit"], people["Anne Andersen"]["role"]) == (UNIT["A"], "leader")
    assert people["Bo Berg"]["email"] == "bo@nordby.dk" and "Jens Juhl" not in people
    assert actors == {"system:sync:fk"}
    after = await snapshot(db)
    assert await sync("--file", export, "--apply") == 0
    assert "Ingen ændringer" in capsys.readouterr().out
    assert await snapshot(db) == after


def _edit(change):
    doc = json.loads((SAMPLE / "export.json").read_text())
    change(doc)
    return json.dumps(doc)


def _unit_parent(doc, parent):
    doc["organisationenhed"][1]["registreringer"][0]["relationer"]["overordnet"][0]["uuid"] = parent


def _user_email(doc, email):
    doc["adresse"][0]["registreringer"][0]["attributter"]["adresseegenskaber"][0]["adresse"] = email


def _function_from(doc, value):
    doc["organisationfunktion"][0]["registreringer"][0]["tilstande"]["organisationfunktiongyldighed"][0][
        "virkning"]["from"] = value


@pytest.mark.parametrize("text, message", [
    (None, "missing_file: angiv eksportfilen"),
    ("", "unreadable_file: filen"),
    ('{"organisationenhed": [}', "unreadable_file: fk.json, linje 1: kan ikke læses som JSON"),
    (_edit(lambda d: _unit_parent(d, "99999999-0000-4000-8000-000000000000")),
     "unknown_parent: fk.json: enheden"),
    (_edit(lambda d: _function_from(d, "2018-02-30")), "bad_date: fk.json: funktionen"),
    (_edit(lambda d: _user_email(d, "ikke en adresse")), "fk.json, bruger, linje 1"),  # the registry's own rule
])
async def test_a_bad_file_is_refused_naming_the_object_and_nothing_is_written(db, empty_dsn, monkeypatch, capsys,
                                                                            tmp_path, text, message):
    await _nordby(db)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", empty_dsn)
    args = []
    if text is not None:
        (tmp_path / "fk.json").write_text(text)
        args = ["--file", str(tmp_path / "fk.json")]
    before = await snapshot(db)
    assert await sync(*args, "--apply") == 2
    err = capsys.readouterr().err
    assert message in err and "intet er skrevet" in err, err
    assert await snapshot(db) == before


async def test_a_leaver_new_leaders_and_a_move_and_their_delegations(db, empty_dsn, settings, clock, monkeypatch,
                                                                    capsys):
    await _nordby(db)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", empty_dsn)
    assert await sync("--file", str(SAMPLE / "export.json"), "--apply") == 0
    async with Api.start(db, settings, clock, empty_dsn) as api:
        gql = lambda q, v, as_: api.gql(q, v, as_=as_, tenant=TENANT)  # noqa: E731
        area = (await gql("""mutation { createDecisionArea(input: {key: "activities", nameDa: "Aktiviteter",
            nameEn: "Activities"}) { __typename ... on DecisionAreaPayload { decisionArea { id } }
            ... on Error { code message } } }""", {}, ADMIN))
        area_id = area["createDecisionArea"]["decisionArea"]["id"]
        units = await _ids(db, "org_unit", "external_id")
        people = await _ids(db, "person", "external_id")

        async def declare(leader, unit, person, subunits):
            found = (await gql(DECLARE, {"a": area_id, "u": units[UNIT[unit]], "p": people[WHO[person]],
                                         "s": subunits}, WHO[leader]))["declareDelegation"]
            assert found["__typename"] == "DelegationPayload", found
            return found["delegation"]["id"]
        to_bo = await declare("anne", "A", "bo", False)           # Bo moves from Afsnit A to Hjemmeplejen Nord
        to_eva = await declare("lis", "Egevang", "eva", True)     # Lis leaves
        to_tina = await declare("ole", "Nord", "tina", False)     # Ole steps down; Per leads Hjemmeplejen Nord
        by_kim = await declare("kim", "Omsorg", "ole", True)      # untouched
        key = await api_key(db, ["check"], tenant=TENANT)

        async def check(person, unit):
            found = (await api.gql(CHECK, {"i": {"person": WHO[person], "area": "activities", "unit": UNIT[unit],
                                                 "action": "CO_DECIDE"}}, api_key=key, tenant=TENANT))["check"]
            return found["decision"], found["reason"]
        assert await check("bo", "A") == (True, "allowed")
        assert await check("lis", "A") == (True, "leader_authority")

        export2 = str(SAMPLE / "export2.json")
        before = await snapshot(db)
        assert await sync("--file", export2) == 0  # a dry run (the default) lists the delegations affected
        out = capsys.readouterr().out
        assert f"  delegering {to_eva}: erklæret af en leder, der er fratrådt" in out
        assert f"  delegering {to_bo}: modtageren har skiftet enhed: ophører" in out
        assert f"  delegering {to_tina}: erklæret af den tidligere leder (lederskifte)" in out
        assert by_kim not in out and await snapshot(db) == before
        assert await sync("--file", export2, "--apply") == 0
        out = capsys.readouterr().out
        assert "Synkroniseret:" in out and "Personer: 2 oprettes" in out
        assert "Delegeringer: 2 til opfølgning, 1 ophører (flytning)" in out

        # The leaver: her checks deny at once; the delegation she declared stays in force.
        assert await check("lis", "A") == (False, "unknown_person")
        assert await check("eva", "A") == (True, "allowed")
        # The mover: what covered the unit he left stops; the new leaders hold their units.
        assert await check("bo", "A") == (False, "expired")
        assert await check("per", "Nord") == (True, "leader_authority")
        assert await check("nina", "A") == (True, "leader_authority")
        assert await check("ole", "Nord") == (True, "allowed")  # Kim's, over the whole forvaltning
        async with db.read() as conn:
            lis = await conn.fetchrow("""SELECT p.archived_at, m.valid_to FROM person p JOIN membership m
                                         ON m.person_id = p.id WHERE p.external_id = $1""", WHO["lis"])
        assert lis["archived_at"] is not None
        assert lis["valid_to"] == datetime(2026, 11, 1, tzinfo=timezone.utc)  # the virkning's end in FK

        # Follow-up: the next leader of Plejecenter Egevang (Nina) has Lis's delegation to Eva, due today;
        # Per has Ole's delegation to Tina.
        nina = {d["id"]: d for d in (await gql(DUE, {"u": units[UNIT["Egevang"]]}, WHO["nina"]))[
            "delegationsDueForReview"]}
        assert to_eva in nina and by_kim not in nina
        per = {d["id"]: d for d in (await gql(DUE, {"u": units[UNIT["Nord"]]}, WHO["per"]))["delegationsDueForReview"]}
        assert to_tina in per

        # Run again: nothing changes.
        after = await snapshot(db)
        assert await sync("--file", export2, "--apply") == 0
        assert "Ingen ændringer" in capsys.readouterr().out
        assert await snapshot(db) == after
