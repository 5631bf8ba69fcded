"""Every response carries security headers: nosniff, no referrer, a Content-Security-Policy (the
strictest on API answers; the GraphiQL page's own allows exactly its scripts), and HSTS over TLS."""

import base64
import hashlib
import re

import httpx
import pytest

from registry.settings import Settings
from tests.conftest import JWT_SECRET
from tests.support import Api, api_key

ANNA = "anna.jensen@eksempel.dk"
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


async def _every_kind_of_route(api: Api) -> dict[str, httpx.Response]:
    """One response of every kind: routed and not, GraphQL, the raw AuthZEN check route, errors."""
    ids, key = await api.ids(), await api_key(api.db, ["check"])
    evaluation = {"subject": {"type": "person", "id": ANNA}, "action": {"name": "be_informed"},
                  "resource": {"type": "decision", "id": "care/activities",
                               "properties": {"unit": ids.unit("Plejecenter Solhaven"), "cost": 1,
                                              "outside_home": False, "staff_count": 1}}}
    c, system, person = api.client, {"X-Api-Key": key}, {"Authorization": f"Bearer {api.token(ANNA)}"}
    return {
        "health": await c.get("/health"),
        "ready": await c.get("/health/ready"),
        "graphql": await c.post("/graphql", json={"query": "{ me { name } }"}, headers=person),
        "graphql 401": await c.post("/graphql", json={"query": "{ me { name } }"}),
        "graphql 405": await c.put("/graphql"),
        "evaluation": await c.post("/access/v1/evaluation", json=evaluation, headers=system),
        "evaluation 400": await c.post("/access/v1/evaluation", json={"subject": {}}, headers=system),
        "evaluation 401": await c.post("/access/v1/evaluation", json=evaluation),
        "evaluations": await c.post("/access/v1/evaluations", json={"evaluations": [evaluation]}, headers=system),
        "configuration": await c.get("/.well-known/authzen-configuration", headers=system),
        "casbin model": await c.get("/casbin/eksempel/model.conf", headers=system),
        "casbin policy": await c.get("/casbin/eksempel/policy.csv", headers=system),
        "openapi": await c.get("/schema/openapi.json", headers=system),
        "not found": await c.get("/no/such/route"),
    }


async def test_every_api_response_has_nosniff_no_referrer_and_the_strict_policy(api):
    responses = await _every_kind_of_route(api)
    assert responses["evaluation"].json()["decision"] is True and responses["not found"].status_code == 404
    for name, response in responses.items():
        headers = response.headers
        assert headers.get("x-content-type-options") == "nosniff", name
        assert headers.get("referrer-policy") == "no-referrer", name
        assert headers.get_list("content-security-policy") == [API_POLICY], name
        assert "strict-transport-security" not in headers, name  # plain http, REGISTRY_HSTS=auto


async def test_the_graphiql_page_has_a_policy_that_allows_exactly_its_own_scripts(api):
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    [policy] = page.headers.get_list("content-security-policy")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["connect-src"] == "'self'"
    scripts = directives["script-src"].split()
    assert "'self'" in scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    # GraphiQL's files are served by the registry itself: scripts come from 'self' and nowhere else,
    # and an inline script (none today) would be allowed by its hash only.
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.S)
    hashes = {f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'" for body in inline}
    assert set(scripts) == {"'self'"} | hashes
    sources = re.findall(r'<script[^>]*src="([^"]+)"', page.text)
    assert sources and all(src.startswith("/") and not src.startswith("//") for src in sources), sources
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("hsts, base_url, expected", [
    ("auto", "https://registry.test", True),   # the ASGI server says the request came over TLS
    ("auto", "http://registry.test", False),
    ("on", "http://registry.test", True),      # behind a proxy that terminates TLS
    ("off", "https://registry.test", False),
])
async def test_hsts_is_sent_over_tls_or_when_configured(demo_db, demo_dsn, clock, hsts, base_url, expected):
    settings = Settings.from_env({"REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_DATA_DIR": "/tmp/registry-test-unused",
                                  "REGISTRY_HSTS": hsts})
    async with Api.start(demo_db, settings, clock, demo_dsn) as api:
        api.client.base_url = base_url
        for response in (await _every_kind_of_route(api)).values():
            assert (response.headers.get("strict-transport-security") == "max-age=31536000") is expected


def test_an_unknown_hsts_setting_is_refused():
    with pytest.raises(ValueError, match="REGISTRY_HSTS"):
        Settings.from_env({"REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_HSTS": "yes"})
