"""Fuzzing (issue #5): schemathesis against the REST API's OpenAPI document and the GraphQL schema, with valid
credentials, on the demo organisation, about 500 cases in all (bench/fuzz.py runs thousands). No answer may
be a 5xx or come from an exception the app did not expect, and every REST answer must be the one the
document describes (status, content type, headers, body schema; invalid input refused). Each bug the
fuzzing found has a regression test below.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from registry.app import create_app
from registry.demo import DEMO_TENANT
from registry.settings import Settings
from tests import fuzzing
from tests.conftest import JWT_SECRET

SEED = 20261127  # fixed: CI sends the same cases every run
REST_CASES_PER_OPERATION = 28  # 12 operations, half positive, half negative (3 take no input: 1 case)
GRAPHQL_CASES_PER_FIELD = 4    # 66 query and mutation fields


@pytest.fixture
async def target(demo_db, demo_dsn, tmp_path):
    """The app in this process (schemathesis' ASGI transport), on a copy of the demo organisation."""
    settings = fuzzing.app_settings(demo_dsn, JWT_SECRET, str(tmp_path))
    person, system = await fuzzing.credentials(demo_db, settings)
    known = await fuzzing.known_values(demo_db, DEMO_TENANT)
    app = create_app(settings)
    try:
        yield app, person, system, known
    finally:
        await asyncio.to_thread(fuzzing.stop_apps)


def _report(tally: fuzzing.Tally) -> str:
    lines = [str(f) for f in tally.failures[:20]] + [f"logged: {line}" for line in tally.logged[:20]]
    return "\n".join(lines)


async def test_the_rest_api_survives_fuzzing_and_answers_as_documented(target):
    app, _person, system, known = target
    tally = await asyncio.to_thread(fuzzing.fuzz_rest, app, examples=REST_CASES_PER_OPERATION, seed=SEED,
                                    headers=system, tenant=DEMO_TENANT, known=known)
    from registry.api import openapi

    print(f"REST fuzzing: {tally.total} cases in {tally.seconds:.1f} s, "
          f"status codes {dict(sorted(tally.statuses.items()))}")
    assert tally.total >= 200, tally.cases
    assert len(tally.cases) == len(openapi.OPERATIONS), sorted(tally.cases)  # every documented operation
    assert tally.server_errors == 0 and not tally.logged and not tally.failures, _report(tally)
    assert tally.statuses[200] > 50  # the cases reach past validation


async def test_the_graphql_api_survives_fuzzing(target):
    app, person, _system, known = target
    tally = await asyncio.to_thread(fuzzing.fuzz_graphql, app, examples=GRAPHQL_CASES_PER_FIELD, seed=SEED,
                                    headers=person, known=known)
    print(f"GraphQL fuzzing: {tally.total} cases in {tally.seconds:.1f} s over {len(tally.cases)} fields")
    assert tally.total >= 200 and len(tally.cases) >= 60, tally.cases
    assert tally.server_errors == 0 and not tally.logged and not tally.failures, _report(tally)


# --- the document itself


async def test_every_route_is_in_the_openapi_document_with_its_bodies(api, settings):
    from registry.api import graphiql, openapi
    from registry.web import is_page_route

    document = (await api.client.get(openapi.DOCUMENT)).json()
    assert document["openapi"].startswith("3.1")
    # GraphiQL's page (GET /graphql) and its files (/graphiql/...) are for a browser, not API operations.
    # The web app's pages are for people, not API operations, too. SCIM describes itself (its discovery
    # endpoints, registry.api.scim).
    app_routes = {route.path.replace(":str", "") for route in create_app(settings).routes
                  if not route.path.startswith((openapi.PATH, graphiql.PREFIX, "/scim/v2"))
                  and not is_page_route(route)}
    assert app_routes == set(document["paths"]), "a route is missing from the OpenAPI document (or extra)"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            ok = operation["responses"].get("200") or operation["responses"].get("201")  # 201: created
            assert ok and ok.get("content"), (method, path)
            for media in ok["content"].values():
                assert media["schema"], (method, path)
            for status, response in operation["responses"].items():
                assert "Validation Exception" not in json.dumps(response), (method, path, status)
            if method == "post":
                assert operation["requestBody"]["content"]["application/json"]["schema"], path
    evaluation = document["paths"]["/access/v1/evaluation"]["post"]
    assert evaluation["security"] and evaluation["requestBody"]["content"]["application/json"]["schema"]["allOf"]
    assert document["components"]["schemas"]["Action"]["properties"]["name"]["enum"][0] == "be_informed"


async def test_the_openapi_document_is_off_in_production_mode(demo_db, demo_dsn, clock, tmp_path):
    from registry.api import openapi
    from tests.support import Api

    for mode, expected in (("production", 404), ("development", 200)):
        settings = Settings.from_env({"REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_DATA_DIR": str(tmp_path),
                                      "REGISTRY_MODE": mode})
        async with Api.start(demo_db, settings, clock, demo_dsn) as api:
            assert (await api.client.get(openapi.DOCUMENT)).status_code == expected, mode
    settings = Settings.from_env({"REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_DATA_DIR": str(tmp_path),
                                  "REGISTRY_MODE": "production", "REGISTRY_OPENAPI": "1"})
    assert settings.openapi


# --- regressions: what the fuzzing found


@pytest.mark.parametrize("body", [b"*\xf6\xe44\xc3", b"3", b'"query"', b"null", b"true",
                                  b'{"query": "{ me { name } }", "operationName": []}'])
async def test_a_graphql_body_that_is_not_utf8_or_not_an_object_is_a_400(api, body):
    """Found by fuzzing: strawberry's parser let a UnicodeDecodeError (a body not in UTF-8) and an
    AttributeError (JSON that is not an object) escape: 500s. An operationName that is not a string was
    accepted (the document says it is a string)."""
    response = await api.client.post("/graphql", content=body, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {api.token('jonas.kristensen@eksempel.dk')}"})
    assert response.status_code == 400, response.text


async def test_text_with_a_nul_character_is_invalid_input_not_a_server_error(api):
    """Found by fuzzing: a NUL character in a GraphQL string reached PostgreSQL, which refuses it (text
    cannot hold one): createPerson answered an internal error."""
    admin = "jonas.kristensen@eksempel.dk"
    created = await api.gql("""mutation($input: CreatePersonInput!) { createPerson(input: $input) {
        __typename ... on Error { code } } }""", {"input": {"externalId": "nul\u0000@x.dk", "name": "N"}}, as_=admin)
    assert created["createPerson"] == {"__typename": "InvalidInputError", "code": "invalid_text"}
    found = await api.gql("query($s: String) { people(search: $s) { nodes { id } } }", {"s": "a\u0000"}, as_=admin)
    assert found.errors[0]["extensions"]["code"] == "invalid_text"


async def test_an_unpaired_surrogate_in_json_variables_is_invalid_input(api):
    """The same root: a JSON escape can carry an unpaired surrogate, which asyncpg cannot encode."""
    token = api.token("jonas.kristensen@eksempel.dk")
    body = '{"query": "query($s: String) { people(search: $s) { nodes { id } } }", "variables": {"s": "\\ud800"}}'
    response = await api.client.post("/graphql", content=body.encode(), headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "invalid_text"


async def test_an_explicit_null_for_a_value_that_cannot_be_cleared_is_invalid_input(api):
    """Found by fuzzing: updatePerson(input: {roles: null}) raised a TypeError (an internal error), and a null
    for any NOT NULL column in a patch reached PostgreSQL's not-null constraint, which nothing mapped."""
    admin = "jonas.kristensen@eksempel.dk"
    person = (await api.ids()).people["anna"]
    version = (await api.gql("query($id: ID!) { person(id: $id) { version } }", {"id": person},
                             as_=admin))["person"]["version"]
    for field in ("roles", "name"):
        result = await api.gql("""mutation($id: ID!, $v: Int!, $input: UpdatePersonInput!) {
            updatePerson(id: $id, version: $v, input: $input) { __typename ... on Error { code field } } }""",
                               {"id": person, "v": version, "input": {field: None}}, as_=admin)
        assert result["updatePerson"] == {"__typename": "InvalidInputError", "code": "required", "field": field}


async def test_a_resource_search_refuses_an_unknown_action_or_subject_type_for_anyone(api):
    """Found by fuzzing (negative cases): /access/v1/search/resource answered an unknown action, or a subject
    that is not a person, with 200 and no results when the person held no delegation (no check ran), but
    with 400 when they held one."""
    from tests.support import api_key

    key = await api_key(api.db, ["check"])
    for person in ("nobody@eksempel.dk", "anna.jensen@eksempel.dk"):
        for subject_type, action, field, code in (("person", "fly", "action", "unknown_action"),
                                                  ("user", "decide", "subject", "invalid_request")):
            response = await api.client.post("/access/v1/search/resource", headers={"X-Api-Key": key}, json={
                "subject": {"type": subject_type, "id": person}, "action": {"name": action},
                "resource": {"type": "decision"}})
            assert response.status_code == 400, (person, action, response.text)
            assert (response.json()["error"]["field"], response.json()["error"]["code"]) == (field, code)


async def test_every_search_and_evaluation_checks_its_context_and_page(api):
    """Found by fuzzing (negative cases): context.min_revision and context.explain of the wrong type, and
    an out-of-range page.limit, were refused by some AuthZEN endpoints and ignored by others."""
    from tests.support import api_key

    key = await api_key(api.db, ["check"])
    unit = (await api.ids()).unit("Plejecenter Solhaven")
    body = {"subject": {"type": "person", "id": "anna.jensen@eksempel.dk"}, "action": {"name": "decide"},
            "resource": {"type": "decision", "id": "care/alternative-solutions", "properties": {"unit": unit}}}
    for path in ("/access/v1/evaluation", "/access/v1/evaluations", "/access/v1/search/subject",
                 "/access/v1/search/resource", "/access/v1/search/action"):
        sent = {**body, "subject": {"type": "person"}} if path.endswith("/subject") else body
        for extra, field in (({"context": {"min_revision": "1"}}, "context.min_revision"),
                             ({"context": {"explain": "yes"}}, "context.explain"),
                             ({"page": {"limit": 0}}, "page.limit")):
            if "page" in extra and not path.startswith("/access/v1/search"):
                continue
            response = await api.client.post(path, headers={"X-Api-Key": key}, json={**sent, **extra})
            assert response.status_code == 400 and response.json()["error"]["field"] == field, (path, extra)
        ok = await api.client.post(path, headers={"X-Api-Key": key},
                                   json={**sent, "context": {"min_revision": None, "explain": None, "at": None}})
        assert ok.status_code == 200, (path, ok.text)


async def test_a_resource_search_takes_no_unit_and_an_action_search_no_action(api):
    """Found by fuzzing (negative cases): the document gave the searches the evaluation's body, but a resource
    search looks in every unit (a `unit` property was passed on to the checks as an attribute) and an action
    search looks for the actions (an `action` was ignored). Their bodies now say so."""
    from registry.api import openapi
    from tests.support import api_key

    key = await api_key(api.db, ["check"])
    body = {"subject": {"type": "person", "id": "anna.jensen@eksempel.dk"}, "action": {"name": "decide"},
            "resource": {"type": "decision", "properties": {"deviation": False, "citizen_category": "aeldre"}}}
    plain = await api.client.post("/access/v1/search/resource", headers={"X-Api-Key": key}, json=body)
    body["resource"]["properties"]["unit"] = ["not", "a", "unit"]
    with_unit = await api.client.post("/access/v1/search/resource", headers={"X-Api-Key": key}, json=body)
    assert plain.status_code == with_unit.status_code == 200 and plain.json() == with_unit.json()
    document = (await api.client.get(openapi.DOCUMENT)).json()
    assert "action" not in document["components"]["schemas"]["ActionSearch"]["properties"]
