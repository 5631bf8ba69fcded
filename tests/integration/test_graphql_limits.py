"""Every GraphQL document is bounded: depth, tokens and aliases; introspection can be switched off."""

import pytest

from registry.settings import Settings
from tests.conftest import JWT_SECRET
from tests.support import Api, snapshot

ANNA = "anna.jensen@eksempel.dk"
DEEP = "{ unitTree { " + "children { " * 14 + "name" + " }" * 14 + " } }"


@pytest.mark.parametrize("query, fragment, code", [
    (DEEP, "exceeds maximum operation depth", "query_too_deep"),
    ("{ " + " ".join(f"a{i}: organisation {{ name }}" for i in range(40)) + " }", "aliases", "too_many_aliases"),
    ("{ organisation { " + "name " * 5000 + "} }", "token", "too_many_tokens"),
])
async def test_too_deep_too_many_aliases_or_too_many_tokens_is_refused_every_time(api, query, fragment, code):
    before = await snapshot(api.db)
    for _ in range(2):  # the second time the document comes from the caches
        result = await api.gql(query, as_=ANNA)
        assert result.data is None
        assert fragment in result.errors[0]["message"].lower()
        assert result.errors[0]["extensions"]["code"] == code
    assert await snapshot(api.db) == before


async def test_an_ordinary_nested_query_stays_within_the_limits(api):
    result = await api.gql("{ unitTree { children { children { children { name } } } } }", as_=ANNA)
    assert result.errors is None


async def test_introspection_and_graphiql_are_off_in_production_mode(demo_db, demo_dsn, clock, tmp_path):
    settings = Settings.from_env({"REGISTRY_MODE": "production", "REGISTRY_JWT_SECRET": JWT_SECRET,
                                  "REGISTRY_DATA_DIR": str(tmp_path)})
    async with Api.start(demo_db, settings, clock, demo_dsn) as api:
        result = await api.gql("{ __schema { types { name } } }", as_=ANNA)
        assert result.data is None and "introspection" in result.errors[0]["message"].lower()
        page = await api.client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code != 200 or "graphiql" not in page.text.lower()
        assert (await api.gql("{ organisation { name } }", as_=ANNA))["organisation"]["name"] == "Eksempel Kommune"
