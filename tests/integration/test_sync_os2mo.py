"""The sync from OS2mo (issue 13) against a real local HTTP server standing in for OS2mo and its
Keycloak (tests/os2mo_server.py, data from tests/os2mo_sample, served two objects a page): through
the CLI a dry run and an apply; the file export gives the same as the API; a second state with a
leaver, a new manager and a mover, and what that does to delegations; a wrong secret or an
unreachable server, and bad data, refused with nothing written; the units' KLE markup and the
decision areas it suggests."""

import asyncio
import json
import socket
from pathlib import Path

import httpx2
import pytest

from registry import cli
from registry.domain.sync import SourceError
from registry.services import sync as sync_uc
from registry.sources import SourceConfig, SourceUnavailable, read
from tests.os2mo_server import CLIENT_ID, CLIENT_SECRET, GRAPHQL_PATH, TOKEN_PATH, Os2moServer
from tests.sync_support import ids_by, organisation
from tests.support import Api, api_key, snapshot

SAMPLE = Path(__file__).resolve().parents[1] / "os2mo_sample"
TENANT = "nordby"
ADMIN = "admin@nordby.dk"
U1, U2, U3, U4 = (f"6a1f0000-0000-4000-8000-00000000000{i}" for i in range(1, 5))
KIM, LIS, BO, EVA, OLE, TINA, NINA, PER = (f"b0b00000-0000-4000-8000-0000000000{i:02d}" for i in range(1, 9))
CHECK = "query($i: CheckInput!) { check(input: $i) { decision reason } }"
DUE = "query($u: ID!) { delegationsDueForReview(unitId: $u) { id reviewDate validUntil } }"
DECLARE = """mutation($a: ID!, $u: ID!, $p: ID!, $s: Boolean!) { declareDelegation(input: {areaId: $a, unitId: $u,
    delegatePersonId: $p, level: 4, includeSubunits: $s}) {
    __typename ... on DelegationPayload { delegation { id } } ... on Error { code message } } }"""
AREA = """mutation($k: String!, $n: String!, $kle: String) { createDecisionArea(input: {key: $k, nameDa: $n,
    nameEn: $n, kle: $kle}) { __typename ... on DecisionAreaPayload { decisionArea { id } } ... on Error { code message } } }"""


def config(server: Os2moServer, **changes) -> SourceConfig:
    values = dict(kind="os2mo", url=server.url, token_url=server.token_url, client_id=CLIENT_ID,
                  client_secret=CLIENT_SECRET)
    return SourceConfig(**{**values, **changes})


def cli_args(server: Os2moServer) -> list[str]:
    return ["sync", "--source", "os2mo", "--url", server.url, "--token-url", server.token_url, "--client-id",
            CLIENT_ID, "--tenant", TENANT]


async def _nordby(db):
    await organisation(db, TENANT)


async def _ids(db, table, column):
    return await ids_by(db, table, column, TENANT)


async def _organisation(db):
    """Units (external id -> name, kind, parent's external id, KLE) and live memberships (person -> unit, role)."""
    async with db.read() as conn:
        units = {r["external_id"]: (r["name"], r["kind"], r["parent"], list(r["kle_codes"])) for r in await conn.fetch(
            """SELECT u.external_id, u.name, u.kind, p.external_id AS parent, u.kle_codes FROM org_unit u
               LEFT JOIN org_unit p ON p.id = u.parent_id WHERE u.external_id IS NOT NULL AND u.archived_at IS NULL""")}
        memberships = {(r["person"], r["unit"], r["role"]) for r in await conn.fetch(
            """SELECT p.external_id AS person, u.external_id AS unit, m.role FROM membership m
               JOIN person p ON p.id = m.person_id JOIN org_unit u ON u.id = m.unit_id
               WHERE m.archived_at IS NULL AND (m.valid_to IS NULL OR m.valid_to > now())""")}
        people = {r["external_id"]: (r["name"], r["email"], r["archived_at"] is not None) for r in await conn.fetch(
            "SELECT external_id, name, email, archived_at FROM person WHERE external_id <> $1", ADMIN)}
    return units, memberships, people


async def test_a_dry_run_then_apply_through_the_cli_brings_os2mo_in(db, empty_dsn, monkeypatch, capsys):
    await _nordby(db)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", empty_dsn)
    monkeypatch.setenv("REGISTRY_OS2MO_CLIENT_SECRET", CLIENT_SECRET)
    with Os2moServer(SAMPLE / "os2mo.json") as server:
        before = await snapshot(db)
        assert await asyncio.to_thread(cli.main, cli_args(server) + ["--dry-run"]) == 0
        out = capsys.readouterr().out
        assert "Prøvekørsel" in out and "Enheder: 4 oprettes" in out and "Personer: 6 oprettes" in out
        assert f"+ person {KIM} »Kim Kristensen«" in out
        assert await snapshot(db) == before
        # every collection was read page by page (two objects a page), with the bearer token
        assert server.tokens_issued == 1 and server.refused == 0
        assert {c for c, cursor in server.requests if cursor} >= {"org_units", "engagements", "managers", "kles"}
        assert await asyncio.to_thread(cli.main, cli_args(server) + ["--apply"]) == 0
        assert "Synkroniseret:" in capsys.readouterr().out
        units, memberships, people = await _organisation(db)
        assert units == {U1: ("Sundhed og Omsorg", "forvaltning", None, []),
                         U2: ("Plejecenter Egevang", "center", U1, ["27.24"]),
                         U3: ("Egevang Afsnit A", "subunit", U2, ["27.24.10"]),  # 32.00 is insight only
                         U4: ("Hjemmeplejen Nord", "center", U1, ["27.36"])}
        assert memberships == {(KIM, U1, "leader"), (LIS, U2, "leader"), (BO, U3, "employee"), (EVA, U3, "employee"),
                               (EVA, U4, "employee"),  # Eva: both her engagements
                               (OLE, U4, "leader"), (TINA, U4, "employee")}
        assert people[TINA] == ("Tina Thomsen", "tina@nordby.dk", False)  # not her secret private address
        async with db.read() as conn:
            actors = {r["actor"] for r in await conn.fetch(
                "SELECT DISTINCT actor FROM history h JOIN org_unit u ON u.id = h.entity_id")}
        assert actors == {"system:sync:os2mo"}
        after = await snapshot(db)
        assert await asyncio.to_thread(cli.main, cli_args(server) + ["--apply"]) == 0
        assert "Ingen ændringer" in capsys.readouterr().out
        assert await snapshot(db) == after


async def test_the_file_export_gives_what_the_api_gives(db, empty_dsn, monkeypatch, capsys, tmp_path):
    await _nordby(db)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", empty_dsn)
    with Os2moServer(SAMPLE / "os2mo.json") as server:
        from registry.sources import os2mo
        exported = await os2mo.fetch(config(server), today=os2mo._today())
        from_api = await read(config(server))
    assert exported == json.loads((SAMPLE / "os2mo.json").read_text())  # the export is the answers, merged
    (tmp_path / "os2mo.json").write_text(json.dumps(exported))
    from_file = await read(SourceConfig(kind="os2mo", file=str(tmp_path / "os2mo.json")))
    assert (from_file.units, from_file.people) == (from_api.units, from_api.people)
    assert await asyncio.to_thread(cli.main, ["sync", "--source", "os2mo", "--file", str(tmp_path / "os2mo.json"),
                                              "--tenant", TENANT, "--apply"]) == 0
    assert "Synkroniseret:" in capsys.readouterr().out
    after = await snapshot(db)
    report = await sync_uc.run(db, TENANT, from_api, source_name="os2mo", apply=True)
    assert report.plan.empty and await snapshot(db) == after


async def test_a_leaver_a_new_manager_and_a_mover_from_os2mo(db, empty_dsn, settings, clock):
    await _nordby(db)
    with Os2moServer(SAMPLE / "os2mo.json") as server:
        await sync_uc.run(db, TENANT, await read(config(server)), source_name="os2mo", apply=True, clock=clock)
        server.data = json.loads((SAMPLE / "os2mo2.json").read_text())
        second = await read(config(server))
    async with Api.start(db, settings, clock, empty_dsn) as api:
        gql = lambda q, v, as_: api.gql(q, v, as_=as_, tenant=TENANT)  # noqa: E731
        created = await gql(AREA, {"k": "activities", "n": "Aktiviteter", "kle": None}, ADMIN)
        area_id = created["createDecisionArea"]["decisionArea"]["id"]
        units = await _ids(db, "org_unit", "external_id")
        people = await _ids(db, "person", "external_id")

        async def declare(leader, unit, person, subunits):
            found = (await gql(DECLARE, {"a": area_id, "u": units[unit], "p": people[person], "s": subunits},
                               leader))["declareDelegation"]
            assert found["__typename"] == "DelegationPayload", found
            return found["delegation"]["id"]
        to_bo = await declare(LIS, U3, BO, False)      # Bo moves away from Egevang Afsnit A
        to_eva = await declare(LIS, U2, EVA, True)     # Lis leaves
        to_tina = await declare(OLE, U4, TINA, False)  # Ole steps down as manager
        by_kim = await declare(KIM, U1, OLE, True)     # untouched
        key = await api_key(db, ["check"], tenant=TENANT)

        async def check(person, unit):
            found = (await api.gql(CHECK, {"i": {"person": person, "area": "activities", "unit": unit,
                                                 "action": "CO_DECIDE"}}, api_key=key, tenant=TENANT))["check"]
            return found["decision"], found["reason"]
        assert await check(BO, U3) == (True, "allowed")
        assert await check(LIS, U3) == (True, "leader_authority")

        expected = {(to_bo, "ended", "moved"), (to_eva, "review", "delegator_left"),
                    (to_tina, "review", "leader_changed")}
        dry = await sync_uc.run(db, TENANT, second, source_name="os2mo", clock=clock)
        assert {(str(e.delegation_id), e.kind, e.reason) for e in dry.effects} == expected
        report = await sync_uc.run(db, TENANT, second, source_name="os2mo", apply=True, clock=clock)
        assert {(str(e.delegation_id), e.kind, e.reason) for e in report.effects} == expected
        counts = report.plan.counts()
        assert (counts["people_created"], counts["people_moved"], counts["people_ended"]) == (2, 1, 1)
        _units, memberships, found = await _organisation(db)
        assert found[LIS][2] and not found[OLE][2]
        assert {(p, u, r) for p, u, r in memberships if u in (U2, U4)} == {
            (NINA, U2, "leader"), (BO, U4, "employee"), (OLE, U4, "employee"), (PER, U4, "leader"),
            (TINA, U4, "employee"), (EVA, U4, "employee")}
        assert await check(LIS, U3) == (False, "unknown_person")
        assert await check(BO, U3) == (False, "expired")
        assert await check(PER, U4) == (True, "leader_authority")
        assert await check(OLE, U4) == (True, "allowed")  # Kim's, over the whole forvaltning
        today = clock().date().isoformat()
        nina = {d["id"]: d for d in (await gql(DUE, {"u": units[U2]}, NINA))["delegationsDueForReview"]}
        assert nina[to_eva]["reviewDate"] == today and nina[to_bo]["reviewDate"] == today
        assert by_kim not in nina
        again = await sync_uc.run(db, TENANT, second, source_name="os2mo", apply=True, clock=clock)
        assert again.plan.empty


async def test_a_unit_s_kle_markup_suggests_decision_areas(db, empty_dsn, settings, clock):
    await _nordby(db)
    with Os2moServer(SAMPLE / "os2mo.json") as server:
        await sync_uc.run(db, TENANT, await read(config(server)), source_name="os2mo", apply=True, clock=clock)
    async with Api.start(db, settings, clock, empty_dsn) as api:
        gql = lambda q, v, as_: api.gql(q, v, as_=as_, tenant=TENANT)  # noqa: E731
        for key, name, kle in (("tildeling", "Tildeling af plejebolig", "27.24.10"),
                               ("klager", "Klager over tildeling", "27.24.10G01"), ("hjemmehjaelp", "Hjemmehjælp",
                                                                                    "27.36.02"),
                               ("kontanthjaelp", "Kontanthjælp", "32.00.01"), ("pleje", "Pleje", "27.20"),
                               ("budget", "Budget", None)):
            found = (await gql(AREA, {"k": key, "n": name, "kle": kle}, ADMIN))["createDecisionArea"]
            assert found["__typename"] == "DecisionAreaPayload", found
        units = await _ids(db, "org_unit", "external_id")
        query = "query($u: ID!) { unit(id: $u) { kle suggestedAreas { key kle } } }"
        afsnit = (await gql(query, {"u": units[U3]}, LIS))["unit"]
        assert afsnit == {"kle": ["27.24.10"], "suggestedAreas": [{"key": "tildeling", "kle": "27.24.10"},
                                                                   {"key": "klager", "kle": "27.24.10G01"}]}
        center = (await gql(query, {"u": units[U2]}, LIS))["unit"]
        assert [a["key"] for a in center["suggestedAreas"]] == ["tildeling", "klager"]  # 27.24 covers 27.24.10
        top = (await gql(query, {"u": units[U1]}, KIM))["unit"]
        assert top == {"kle": [], "suggestedAreas": []}
        # The leader declaring for the unit sees the suggestion on the form.
        async with api.web() as web:
            await web.sign_in(LIS, tenant=TENANT)
            page = (await web.get(f"/delegeringer/ny?enhed={units[U3]}")).text
        assert "Forslag ud fra enhedens KLE-opmærkning" in page
        assert "Tildeling af plejebolig (27.24.10)" in page and "Hjemmehjælp (27.36.02)" not in page


async def test_a_token_that_expires_during_the_paging_is_fetched_again():
    # Keycloak's tokens last 5 minutes; reading Copenhagen takes longer. Here each lasts less than
    # Authlib's leeway (60 s), so every request logs in again, and the old token is refused.
    with Os2moServer(SAMPLE / "os2mo.json", expires_in=30) as server:
        source = await read(config(server))
    assert len(source.people) == 6 and server.tokens_issued == len(server.requests) + 1 and server.refused == 0


async def test_without_the_bearer_token_the_stand_in_refuses():
    with Os2moServer(SAMPLE / "os2mo.json") as server:
        async with httpx2.AsyncClient() as client:
            response = await client.post(server.url + GRAPHQL_PATH, json={"query": "{ org_units { objects { uuid } } }"})
    assert response.status_code == 401 and server.requests == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("case, code, words", [
    ("wrong_secret", "login_refused", "afviste klienten »registry«"),
    ("unreachable", "unreachable", "kan ikke nå login-tjenesten for OS2mo"),
    ("no_secret", "missing_setting", "mangler REGISTRY_OS2MO_CLIENT_SECRET"),
])
async def test_a_wrong_secret_or_an_unreachable_os2mo_writes_nothing(db, empty_dsn, monkeypatch, capsys, case, code,
                                                                    words):
    await _nordby(db)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", empty_dsn)
    secret = {"wrong_secret": "forkert", "unreachable": CLIENT_SECRET, "no_secret": None}[case]
    if secret is None:
        monkeypatch.delenv("REGISTRY_OS2MO_CLIENT_SECRET", raising=False)
    else:
        monkeypatch.setenv("REGISTRY_OS2MO_CLIENT_SECRET", secret)
    before = await snapshot(db)
    with Os2moServer(SAMPLE / "os2mo.json") as server:
        url = server.url if case != "unreachable" else f"http://127.0.0.1:{_closed_port()}"
        token_url = url + TOKEN_PATH
        with pytest.raises(SourceUnavailable) as raised:
            await read(config(server, url=url, token_url=token_url, client_secret=secret))
        assert raised.value.code == code and words in raised.value.message_da
        assert await asyncio.to_thread(cli.main, ["sync", "--source", "os2mo", "--url", url, "--token-url", token_url,
                                                  "--client-id", CLIENT_ID, "--tenant", TENANT, "--apply"]) == 2
        assert server.requests == []
    err = capsys.readouterr().err
    assert f"{code}:" in err and words in err and "intet er skrevet" in err and "forkert" not in err
    assert await snapshot(db) == before


def _bad(change):
    data = json.loads((SAMPLE / "os2mo.json").read_text())
    change(data)
    return data


def _set(collection, uuid, **values):
    def change(data):
        obj = next(o for o in data[collection] if o["uuid"] == uuid)
        for v in obj["validities"]:
            v.update(values)
    return change


E3 = "e0000000-0000-4000-8000-000000000003"
K2 = "c0000000-0000-4000-8000-000000000002"


@pytest.mark.parametrize("change, code, record", [
    (_set("org_units", U3, parent_response={"uuid": "99999999-0000-4000-8000-000000000000"}), "unknown_parent",
     f"org_units {U3}"),
    (_set("org_units", U1, parent_response={"uuid": U3}), "cycle", "org_units"),
    (_set("engagements", E3, validity={"from": "2021-13-01T00:00:00+01:00", "to": None}), "bad_date",
     f"engagements {E3}"),
    (_set("engagements", E3, org_unit_response=None), "no_unit", f"engagements {E3}"),
    (_set("engagements", E3, org_unit_response={"uuid": "99999999-0000-4000-8000-000000000000"}), "unknown_unit",
     f"engagements {E3}"),
    (_set("kles", K2, kle_number_response={"current": {"user_key": "Pleje", "name": "Pleje"}}), "invalid_kle",
     f"kles {K2}"),
    (lambda data: data.pop("engagements"), "missing_columns", "mangler engagements"),
])
async def test_bad_data_is_refused_naming_the_record_and_nothing_is_written(db, empty_dsn, monkeypatch, capsys,
                                                                           tmp_path, change, code, record):
    await _nordby(db)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", empty_dsn)
    data = _bad(change)
    (tmp_path / "os2mo.json").write_text(json.dumps(data))
    before = await snapshot(db)
    assert await asyncio.to_thread(cli.main, ["sync", "--source", "os2mo", "--file", str(tmp_path / "os2mo.json"),
                                              "--tenant", TENANT, "--apply"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{code}:") and record in err and "intet er skrevet" in err
    assert await snapshot(db) == before
    if code == "missing_columns":
        return  # the API always answers every collection
    with Os2moServer(data) as server:  # the same from the API
        with pytest.raises(SourceError) as raised:
            await read(config(server))
    assert raised.value.code == code and record in str(raised.value)
