"""Organisations (tenants), created, listed and archived by a platform operator: with `registry org`
run as a real process, over GraphQL with a platform key, on real servers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from registry.auth import JwtVerifier
from registry.errors import NotFound
from registry.storage.db import Actor
from tests.conftest import JWT_SECRET
from tests.support import ROOT, Server, api_key, platform_key, snapshot


def _cli(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "registry.cli", *args], cwd=ROOT,
                          env={**os.environ, "REGISTRY_JWT_SECRET": JWT_SECRET, **env},
                          capture_output=True, text=True, timeout=120)


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


async def _post(client: httpx.AsyncClient, server: Server, headers: dict, query: str, variables=None) -> dict:
    response = await client.post(f"{server.url}/graphql", json={"query": query, "variables": variables or {}},
                                 headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _data(client, server, headers, query, variables=None) -> dict:
    body = await _post(client, server, headers, query, variables)
    assert "errors" not in body, body
    return body["data"]


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def _eventually(probe, timeout: float = 5.0):
    """The probe's value once it is truthy (servers follow the change feed; bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


CHECK = """query($i: CheckInput!) { check(input: $i) { decision reason revision } }"""


# --- done when: two organisations from the command line, and neither reaches the other ----------

async def _build_nordby(client, server, admin: dict) -> dict:
    """Nordby's administrator sets up a unit, its leader and a decision area."""
    unit = (await _data(client, server, admin, """mutation { createUnit(input: {name: "Nordby Rådhus",
        kind: DIREKTION}) { ... on UnitPayload { unit { id version } } ... on Error { code } } }"""))["createUnit"]
    leader = (await _data(client, server, admin, """mutation { createPerson(input: {externalId: "lene@nordby.dk",
        name: "Lene Nordby"}) { ... on PersonPayload { person { id version } } ... on Error { code } } }"""))[
        "createPerson"]
    membership = (await _data(client, server, admin, """mutation($p: ID!, $u: ID!) { addMembership(input: {
        personId: $p, unitId: $u, role: LEADER}) { ... on MembershipPayload { revision } ... on Error { code } } }""",
        {"p": leader["person"]["id"], "u": unit["unit"]["id"]}))["addMembership"]
    area = (await _data(client, server, admin, """mutation { createDecisionArea(input: {key: "economy",
        nameDa: "Økonomi i Nordby", nameEn: "Economy"}) { ... on DecisionAreaPayload { revision decisionArea { id } }
        ... on Error { code } } }"""))["createDecisionArea"]
    assert "code" not in membership and "code" not in area, (membership, area)
    return {"unit": unit["unit"]["id"], "person": leader["person"]["id"], "area": area["decisionArea"]["id"],
            "revision": area["revision"]}


async def test_two_organisations_created_with_the_cli_cannot_read_write_or_check_each_other(empty_dsn):
    env = {"REGISTRY_DATABASE_URL": empty_dsn}
    created = _ok(_cli("org", "create", "--key", "nordby", "--name", "Nordby Kommune", "--with-admin",
                       "admin@nordby.dk", env=env))
    assert "nordby" in created and "registry token --tenant nordby --person admin@nordby.dk" in created
    _ok(_cli("org", "create", "--key", "region-syd", "--name", "Region Syd", "--kind", "region", "--with-admin",
             "admin@syd.dk", env=env))
    listed = _ok(_cli("org", "list", env=env)).splitlines()
    assert [line.split()[0] for line in listed] == ["nordby", "region-syd"]
    assert "kommune" in listed[0] and "region" in listed[1]
    tokens = {"nordby": _ok(_cli("token", "--tenant", "nordby", "--person", "admin@nordby.dk", env=env)),
              "region-syd": _ok(_cli("token", "--tenant", "region-syd", "--person", "admin@syd.dk", env=env))}
    keys = {"region-syd": _ok(_cli("apikey", "create", "--tenant", "region-syd", "--name", "sagssystem",
                                   "--scopes", "admin", env=env)),
            "nordby": _ok(_cli("apikey", "create", "--tenant", "nordby", "--name", "sagssystem",
                               "--scopes", "check,read", env=env))}

    server = Server(empty_dsn)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await server.ready(client)
            nordby = await _build_nordby(client, server, _bearer(tokens["nordby"]))
            request = {"person": "lene@nordby.dk", "area": "economy", "unit": nordby["unit"], "action": "DECIDE"}
            own = (await _data(client, server, {"X-Api-Key": keys["nordby"]}, CHECK,
                               {"i": {**request, "minRevision": nordby["revision"]}}))["check"]
            assert (own["decision"], own["reason"]) == (True, "leader_authority"), own
            sent = [nordby["unit"], nordby["person"], nordby["area"], "lene@nordby.dk"]  # may be echoed
            secrets = ["Lene Nordby", "Nordby Rådhus", "Økonomi i Nordby", "admin@nordby.dk"]
            before = await _rows_of(empty_dsn, "nordby")

            for caller in (_bearer(tokens["region-syd"]), {"X-Api-Key": keys["region-syd"]}):
                shown = []
                # read
                read = await _data(client, server, caller, """query($u: ID!, $p: ID!, $a: ID!) {
                    unit(id: $u) { id } person(id: $p) { id } byExternal: person(externalId: "lene@nordby.dk") { id }
                    decisionArea(id: $a) { id } byKey: decisionArea(key: "economy") { id }
                    units { nodes { id name } } people { nodes { id name externalId } }
                    delegations { nodes { id } } history(entityId: $u) { nodes { id } } }""",
                    {"u": nordby["unit"], "p": nordby["person"], "a": nordby["area"]})
                assert [read[k] for k in ("unit", "person", "byExternal", "decisionArea", "byKey")] == [None] * 5
                assert read["units"]["nodes"] == [] and read["history"]["nodes"] == []
                assert [p["externalId"] for p in read["people"]["nodes"]] == ["admin@syd.dk"]
                shown.append(read)
                # write
                written = await _data(client, server, caller, """mutation($u: ID!, $p: ID!, $a: ID!) {
                    updateUnit(id: $u, version: 1, input: {name: "Overtaget"}) { __typename }
                    archivePerson(id: $p, version: 1) { __typename }
                    createRedLine(input: {unitId: $u, areaId: $a, consequence: "Nej"}) { __typename }
                    createTeam(input: {unitId: $u, name: "Indtrængere"}) { __typename } }""",
                    {"u": nordby["unit"], "p": nordby["person"], "a": nordby["area"]})
                assert set(v["__typename"] for v in written.values()) == {"NotFoundError"}, written
                # check (GraphQL, AuthZEN) and the Casbin export
                checked = (await _data(client, server, caller, CHECK, {"i": request}))["check"]
                assert checked["decision"] is False and checked["reason"].startswith("unknown_"), checked
                mandate = await _data(client, server, caller,
                                      """query { mandate(person: "lene@nordby.dk") { level } }""")
                assert mandate["mandate"] == []
                evaluation = await client.post(f"{server.url}/access/v1/evaluation", headers=caller, json={
                    "subject": {"type": "person", "id": "lene@nordby.dk"}, "action": {"name": "decide"},
                    "resource": {"type": "decision", "id": "economy", "properties": {"unit": nordby["unit"]}}})
                assert evaluation.status_code == 200 and evaluation.json()["decision"] is False, evaluation.text
                assert evaluation.json()["context"]["reason"].startswith("unknown_")
                export = await client.get(f"{server.url}/casbin/nordby/policy.csv", headers=caller)
                assert export.status_code == 404
                shown += [written, checked, mandate, evaluation.text, export.text]
                text = json.dumps(shown, ensure_ascii=False)
                for value in sent:
                    text = text.replace(value, "")
                assert not [s for s in secrets if s in text], text

            # Nordby's own read key sees its organisation and nothing of Region Syd's.
            mine = await _data(client, server, {"X-Api-Key": keys["nordby"]},
                               """query { organisation { key kind } syd: person(externalId: "admin@syd.dk") { id }
                               units { nodes { name } } }""")
            assert mine == {"organisation": {"key": "nordby", "kind": "KOMMUNE"}, "syd": None,
                            "units": {"nodes": [{"name": "Nordby Rådhus"}]}}
            assert await _rows_of(empty_dsn, "nordby") == before, "Region Syd changed something of Nordby's"
    finally:
        server.stop()


async def _rows_of(dsn: str, key: str) -> dict:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", key)
        rows = {"revision": await conn.fetchval("SELECT revision FROM organisation WHERE id = $1", tenant)}
        for table in ("org_unit", "person", "membership", "team", "decision_area", "delegation", "red_line"):
            rows[table] = [r[0] for r in await conn.fetch(
                f"SELECT to_jsonb(t)::text FROM {table} t WHERE tenant_id = $1 ORDER BY id", tenant)]
        return rows
    finally:
        await conn.close()


# --- every server, without a restart -------------------------------------------------------------

async def test_every_running_server_loads_a_new_organisation_and_refuses_an_archived_one_without_a_restart(
        empty_dsn, settings):
    env = {"REGISTRY_DATABASE_URL": empty_dsn}
    operator = {"X-Api-Key": _ok(_cli("apikey", "create", "--platform", "--name", "drift", env=env))}
    a, b = Server(empty_dsn), Server(empty_dsn)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await a.ready(client)
            await b.ready(client)
            # One organisation from the command line (neither server took the write), one through A.
            _ok(_cli("org", "create", "--key", "nordby", "--name", "Nordby Kommune", "--with-admin",
                     "admin@nordby.dk", env=env))
            made = (await _data(client, a, operator, """mutation { createOrganisation(input: {key: "vestby",
                name: "Vestby Kommune", kind: KOMMUNE, admin: {externalId: "admin@vestby.dk", name: "Vera Vest"}}) {
                __typename ... on CreateOrganisationPayload { organisation { key kind } admin { externalId name } }
                ... on Error { code message } } }"""))["createOrganisation"]
            assert made == {"__typename": "CreateOrganisationPayload",
                            "organisation": {"key": "vestby", "kind": "KOMMUNE"},
                            "admin": {"externalId": "admin@vestby.dk", "name": "Vera Vest"}}
            verifier = JwtVerifier(settings)
            admins = {"nordby": verifier.mint(subject="admin@nordby.dk", tenant="nordby", ttl_seconds=600),
                      "vestby": verifier.mint(subject="admin@vestby.dk", tenant="vestby", ttl_seconds=600)}
            unit = str(uuid.uuid4())
            for server in (a, b):
                for key, token in admins.items():
                    async def answered(server=server, token=token):
                        found = (await _data(client, server, _bearer(token), CHECK, {"i": {
                            "person": "admin@x.dk", "area": "economy", "unit": unit, "action": "DECIDE"}}))["check"]
                        return found["reason"] != "stale" and found
                    # Answered from the tenant's own index (a tenant the engine lacks answers `stale`).
                    assert (await _eventually(answered))["reason"] == "unknown_person", (server.url, key)
                ready = (await client.get(f"{server.url}/health/ready", headers=operator)).json()
                assert {"nordby", "vestby"} <= set(ready["revisions"]), ready

            # Archived from the command line: both servers (which hold the admin as a cached caller)
            # refuse its token at once; the other organisation carries on.
            archived = _ok(_cli("org", "archive", "--key", "nordby", env=env))
            assert "archived nordby" in archived
            for server in (a, b):
                async def refused(server=server):
                    response = await client.post(f"{server.url}/graphql", json={"query": "{ organisation { key } }"},
                                                 headers=_bearer(admins["nordby"]))
                    return response.status_code == 401 and response.json()
                assert (await _eventually(refused, timeout=3.0))["error"]["code"] == "invalid_token"
                still = await _data(client, server, _bearer(admins["vestby"]), "{ organisation { key } }")
                assert still["organisation"]["key"] == "vestby"
            listed = (await _data(client, b, operator, "{ organisations(includeArchived: true) { key archivedAt } }"))
            assert [(o["key"], o["archivedAt"] is not None) for o in listed["organisations"]] == [
                ("nordby", True), ("vestby", False)]
            assert [o["key"] for o in (await _data(client, b, operator, "{ organisations { key } }"))[
                "organisations"]] == ["vestby"]
    finally:
        a.stop()
        b.stop()


# --- validation: typed errors, nothing written ---------------------------------------------------

CREATE = """mutation($i: CreateOrganisationInput!) { createOrganisation(input: $i) { __typename
    ... on CreateOrganisationPayload { organisation { key } } ... on Error { code field } } }"""
ARCHIVE = """mutation($k: String!) { archiveOrganisation(key: $k) { __typename
    ... on OrganisationPayload { organisation { key archivedAt } revision } ... on Error { code field } } }"""


@pytest.mark.parametrize("given, kind, code, field", [
    ({"key": "Nordby", "name": "Nordby Kommune"}, "InvalidInputError", "invalid_key", "key"),
    ({"key": "-nordby", "name": "Nordby Kommune"}, "InvalidInputError", "invalid_key", "key"),
    ({"key": "nord by", "name": "Nordby Kommune"}, "InvalidInputError", "invalid_key", "key"),
    ({"key": "n" * 64, "name": "Nordby Kommune"}, "InvalidInputError", "invalid_key", "key"),
    ({"key": "", "name": "Nordby Kommune"}, "InvalidInputError", "invalid_key", "key"),
    ({"key": "nordby", "name": "  "}, "InvalidInputError", "required", "name"),
    ({"key": "nordby", "name": "N" * 201}, "InvalidInputError", "too_long", "name"),
    ({"key": "nordby", "name": "Nord\u0000by"}, "InvalidInputError", "invalid_text", None),
    ({"key": "eksempel", "name": "Eksempel igen"}, "ConflictError", "duplicate", "key"),
    ({"key": "nordby", "name": "Nordby Kommune", "admin": {"externalId": "person:1"}}, "InvalidInputError",
     "invalid_external_id", "admin.externalId"),
    ({"key": "nordby", "name": "Nordby Kommune", "admin": {"externalId": "a@nordby.dk", "email": "nej"}},
     "InvalidInputError", "invalid_email", "admin.email"),
    ({"key": "nordby", "name": "Nordby Kommune", "admin": {"externalId": "a@nordby.dk", "name": ""}},
     "InvalidInputError", "required", "admin.name"),
])
async def test_create_organisation_refuses_bad_input_with_a_typed_error_and_writes_nothing(
        api, given, kind, code, field):
    operator = await platform_key(api.db)
    before = await snapshot(api.db)
    got = (await api.gql(CREATE, {"i": given}, api_key=operator))["createOrganisation"]
    assert (got["__typename"], got["code"], got["field"]) == (kind, code, field)
    assert await snapshot(api.db) == before


async def test_archiving_is_final_and_refuses_unknown_or_archived_organisations_with_typed_errors(api):
    operator = await platform_key(api.db)
    before = await snapshot(api.db)
    unknown = (await api.gql(ARCHIVE, {"k": "findes-ikke"}, api_key=operator))["archiveOrganisation"]
    assert (unknown["__typename"], unknown["code"], unknown["field"]) == ("NotFoundError", "not_found", "key")
    assert await snapshot(api.db) == before
    created = (await api.gql(CREATE, {"i": {"key": "nordby", "name": "Nordby Kommune"}}, api_key=operator))
    assert created["createOrganisation"]["organisation"] == {"key": "nordby"}
    done = (await api.gql(ARCHIVE, {"k": "nordby"}, api_key=operator))["archiveOrganisation"]
    assert done["organisation"]["archivedAt"] is not None
    again_before = await snapshot(api.db)
    again = (await api.gql(ARCHIVE, {"k": "nordby"}, api_key=operator))["archiveOrganisation"]
    assert (again["__typename"], again["code"], again["field"]) == ("InvalidInputError", "archived", "key")
    assert await snapshot(api.db) == again_before
    async with api.db.read() as conn:
        tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = 'nordby'")
        history = await conn.fetch("SELECT operation, actor, after ->> 'archived_at' AS archived FROM history"
                                   " WHERE tenant_id = $1 AND entity_type = 'organisation' ORDER BY id", tenant)
    # Creation and archive are in the organisation's history, done by the platform key.
    assert [(h["operation"], h["archived"] is not None) for h in history] == [("create", False), ("update", True)]
    assert all(h["actor"].startswith("platform:") for h in history)
    with pytest.raises(NotFound):  # an archived organisation takes no write transaction, whoever asks
        async with api.db.write(tenant, Actor("test")):
            pass


async def test_an_archived_organisations_people_and_keys_no_longer_authenticate(api, demo_dsn):
    operator = await platform_key(api.db)
    made = (await api.gql(CREATE, {"i": {"key": "nordby", "name": "Nordby Kommune",
                                         "admin": {"externalId": "admin@nordby.dk"}}}, api_key=operator))
    assert made["createOrganisation"]["__typename"] == "CreateOrganisationPayload"
    key = await api_key(api.db, ["admin"], tenant="nordby")
    token = api.token("admin@nordby.dk", "nordby")
    for credentials in ({"token": token}, {"api_key": key}):  # both work, and are now cached callers
        assert (await api.gql("{ organisation { key } }", **credentials))["organisation"] == {"key": "nordby"}
    (await api.gql(ARCHIVE, {"k": "nordby"}, api_key=operator))["archiveOrganisation"]
    refused_token = await api.client.post("/graphql", json={"query": "{ organisation { key } }"},
                                          headers=_bearer(token))
    refused_key = await api.client.post("/graphql", json={"query": "{ organisation { key } }"},
                                        headers={"X-Api-Key": key})
    assert (refused_token.status_code, refused_token.json()["error"]["code"]) == (401, "invalid_token")
    assert (refused_key.status_code, refused_key.json()["error"]["code"]) == (401, "invalid_api_key")
    cli = _cli("apikey", "create", "--tenant", "nordby", "--name", "x", "--scopes", "read",
               env={"REGISTRY_DATABASE_URL": demo_dsn})
    assert cli.returncode == 1 and "archived" in cli.stderr


async def test_the_org_command_refuses_bad_input_with_the_code_and_writes_nothing(demo_dsn, demo_db):
    env = {"REGISTRY_DATABASE_URL": demo_dsn}
    before = await snapshot(demo_db)
    bad_kind = _cli("org", "create", "--key", "nordby", "--name", "Nordby", "--kind", "amt", env=env)
    assert bad_kind.returncode == 2 and "invalid_choice (kind)" in bad_kind.stderr
    taken = _cli("org", "create", "--key", "eksempel", "--name", "Igen", "--with-admin", "a@b.dk", env=env)
    assert taken.returncode == 1 and "duplicate (key)" in taken.stderr
    bad_admin = _cli("org", "create", "--key", "nordby", "--name", "Nordby", "--with-admin", "team:x", env=env)
    assert bad_admin.returncode == 2 and "invalid_external_id (admin.externalId)" in bad_admin.stderr
    unknown = _cli("org", "archive", "--key", "findes-ikke", env=env)
    assert unknown.returncode == 1 and "not_found (key)" in unknown.stderr
    assert await snapshot(demo_db) == before


async def test_a_platform_key_works_until_it_is_revoked(api, demo_dsn):
    env = {"REGISTRY_DATABASE_URL": demo_dsn}
    secret = _ok(_cli("apikey", "create", "--platform", "--name", "drift", env=env))
    assert _cli("apikey", "create", "--platform", "--tenant", "eksempel", "--name", "x", env=env).returncode == 2
    query = "{ organisations { key } }"
    assert (await api.gql(query, api_key=secret))["organisations"] == [{"key": "eksempel"}]
    line = next(row for row in _ok(_cli("apikey", "list", "--platform", env=env)).splitlines() if "drift" in row)
    assert "active" in line and "last_used=never" not in line and secret not in line
    _ok(_cli("apikey", "revoke", "--platform", "--id", line.split()[0], env=env))
    gone = await api.client.post("/graphql", json={"query": query}, headers={"X-Api-Key": secret})
    assert (gone.status_code, gone.json()["error"]["code"]) == (401, "invalid_api_key")


# --- readiness names no tenant, except to a platform operator ------------------------------------

async def test_readiness_names_no_tenant_unless_the_caller_is_a_platform_operator(api):
    admin_key = await api_key(api.db, ["admin"])
    callers = {"nobody": {}, "a tenant's administrator": _bearer(api.token("jonas.kristensen@eksempel.dk")),
               "a tenant's admin key": {"X-Api-Key": admin_key}, "a wrong key": {"X-Api-Key": "rk_nonsense"},
               "a broken token": {"Authorization": "Bearer nonsense"}}
    for who, headers in callers.items():
        response = await api.client.get("/health/ready", headers=headers)
        assert response.status_code == 200, (who, response.text)
        assert "eksempel" not in response.text and "revisions" not in response.json(), (who, response.text)
        assert response.json()["status"] == "ready"
    operator = await api.client.get("/health/ready", headers={"X-Api-Key": await platform_key(api.db)})
    assert operator.status_code == 200 and operator.json()["revisions"]["eksempel"] >= 1


async def test_no_tenant_role_manages_organisations_and_a_platform_key_acts_inside_none(api):
    admin_key = await api_key(api.db, ["admin"])
    operator = await platform_key(api.db)
    before = await snapshot(api.db)
    given = {"i": {"key": "nordby", "name": "Nordby Kommune"}}
    for credentials in ({"as_": "jonas.kristensen@eksempel.dk"}, {"api_key": admin_key}):
        refused = (await api.gql(CREATE, given, **credentials))["createOrganisation"]
        assert (refused["__typename"], refused["code"]) == ("ForbiddenError", "platform_required")
        listed = await api.gql("{ organisations { key } }", **credentials)
        assert [e["extensions"]["code"] for e in listed.errors] == ["platform_required"]
    inside = await api.gql("{ units { nodes { id } } }", api_key=operator)
    assert [e["extensions"]["code"] for e in inside.errors] == ["not_permitted"] and inside.data is None
    person = (await api.gql("""mutation { createPerson(input: {externalId: "x@eksempel.dk", name: "X"}) {
        __typename ... on Error { code } } }""", api_key=operator))["createPerson"]
    assert person == {"__typename": "ForbiddenError", "code": "not_permitted"}
    assert await snapshot(api.db) == before
