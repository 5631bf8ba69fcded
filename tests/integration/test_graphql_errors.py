"""GraphQL errors say what went wrong: variables that cannot be used are the caller's mistake (a code
and graphql-core's message), production mode names nothing of the schema, and only a genuinely
unexpected failure is masked, with an incident id that the log carries too."""

import logging

import asyncpg
import pytest

from registry.settings import Settings
from tests.conftest import JWT_SECRET
from tests.support import Api, snapshot

ANNA = "anna.jensen@eksempel.dk"
ADMIN = "jonas.kristensen@eksempel.dk"
CHECK = "query($i: CheckInput!) { check(input: $i) { decision reason } }"
PERSON = "query($p: String!) { person(externalId: $p) { name } }"
DECLARE = """mutation($a: ID!, $u: ID!, $p: ID!, $l: Int!) { declareDelegation(input: {areaId: $a, unitId: $u,
    delegatePersonId: $p, level: $l}) { __typename } }"""


def _check(**overrides) -> dict:
    return {"person": ANNA, "area": "care/relatives", "unit": "00000000-0000-0000-0000-000000000000",
            "action": "DECIDE", **overrides}


@pytest.mark.parametrize("query, variables, fragment", [
    (CHECK, {}, "Expected a value of non-null type 'CheckInput!' to be provided"),            # missing
    (PERSON, {"p": 5}, "String cannot represent a non string value: 5"),                      # wrong type
    (CHECK, {"i": _check(minRevision="many")}, "Int cannot represent non-integer value"),     # wrong type inside
    (CHECK, {"i": _check(action="DECIDES")}, "Value 'DECIDES' does not exist in 'CheckAction' enum"),  # enum
    (PERSON, {"p": None}, "Expected value of non-null type 'String!' not to be None"),         # null for non-null
    (CHECK, {"i": _check(person=None)}, "Expected value of non-null type 'String!' not to be None"),
], ids=["missing", "wrong-type", "wrong-type-in-input", "unknown-enum-value", "null-for-non-null",
        "null-in-input"])
async def test_a_variable_that_cannot_be_coerced_is_answered_with_graphql_validation_and_its_reason(
        api, query, variables, fragment):
    result = await api.gql(query, variables, as_=ANNA)
    assert result.status == 200 and result.data is None
    [error] = result.errors
    assert error["extensions"]["code"] == "graphql_validation"
    assert fragment in error["message"] and "Internal error" not in error["message"]


async def test_a_mutation_with_bad_variables_writes_nothing(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    variables = {"a": ids.areas["care/relatives"], "u": ids.unit("Plejecenter Solhaven"), "p": ids.people["fatima"],
                 "l": "seven"}
    result = await api.gql(DECLARE, variables, as_="mette.sorensen@eksempel.dk")
    assert result.errors[0]["extensions"]["code"] == "graphql_validation"
    assert "Int cannot represent non-integer value" in result.errors[0]["message"]
    assert await snapshot(api.db) == before


async def test_development_mode_suggests_names_but_production_mode_does_not(demo_db, demo_dsn, clock, tmp_path, api):
    typo = "{ persn(externalId: \"x\") { name } }"
    enum_typo = {"i": _check(action="DECID")}
    assert "Did you mean 'person'" in (await api.gql(typo, as_=ANNA)).errors[0]["message"]
    assert "Did you mean" in (await api.gql(CHECK, enum_typo, as_=ANNA)).errors[0]["message"]

    settings = Settings.from_env({"REGISTRY_MODE": "production", "REGISTRY_JWT_SECRET": JWT_SECRET,
                                  "REGISTRY_DATA_DIR": str(tmp_path), "REGISTRY_RATE_LIMIT_PERSON": "10000"})
    async with Api.start(demo_db, settings, clock, demo_dsn) as production:
        for query, variables, fragment in [
                (typo, None, "Cannot query field 'persn' on type 'Query'."),
                ("{ person(externalID: \"x\") { name } }", None, "Unknown argument 'externalID'"),
                ("{ person(externalId: \"x\") { nam } }", None, "Cannot query field 'nam'"),
                (CHECK, enum_typo, "Value 'DECID' does not exist in 'CheckAction' enum."),
                (CHECK, {"i": {**_check(), "atributes": {}}}, "unknown field 'atributes'"),
                ("query($i: CheckInpt!) { check(input: $i) { decision } }", {"i": _check()}, "Unknown type"),
        ]:
            error = (await production.gql(query, variables, as_=ANNA)).errors[0]
            assert fragment in error["message"], error
            assert "Did you mean" not in error["message"], error
            assert error["extensions"]["code"] == "graphql_validation"


async def test_an_unexpected_failure_is_masked_and_logged_with_the_same_incident_id(api, demo_dsn, caplog):
    # A fault the registry cannot expect: the database itself refuses the write with an error of its own.
    conn = await asyncpg.connect(demo_dsn)
    try:
        await conn.execute("""CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS
                              $$ BEGIN RAISE EXCEPTION 'secret detail 4711'; END $$""")
        await conn.execute("CREATE TRIGGER boom BEFORE INSERT ON team FOR EACH ROW EXECUTE FUNCTION boom()")
    finally:
        await conn.close()
    ids = await api.ids()
    with caplog.at_level(logging.ERROR, logger="registry.api"):
        result = await api.gql("""mutation($u: ID!) { createTeam(input: {unitId: $u, name: "Nyt team"}) {
            __typename } }""", {"u": ids.unit("Plejecenter Solhaven")}, as_=ADMIN)
    [error] = result.errors
    incident = error["extensions"]["incident"]
    assert error["extensions"]["code"] == "internal" and len(incident) == 12
    assert error["message"] == f"Internal error (incident {incident}); it has been logged."
    assert "4711" not in str(result.body)
    [record] = [r for r in caplog.records if incident in r.getMessage()]
    assert "secret detail 4711" in str(record.exc_info[1])
