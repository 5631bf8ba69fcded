"""Every request but health and the GraphiQL page needs a valid bearer token or API key."""

import time

import jwt
import pytest

from tests.conftest import JWT_SECRET
from tests.support import api_key, snapshot

QUERY = "{ me { name } organisation { key } }"
ANNA = "anna.jensen@eksempel.dk"


def _token(**claims):
    now = int(time.time())
    base = {"sub": ANNA, "tenant": "eksempel", "iat": now, "nbf": now, "exp": now + 86400}  # parametrized tokens are made at collection, long before their test runs
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, JWT_SECRET, algorithm="HS256")


async def _post(api, headers, query=QUERY):
    return await api.client.post("/graphql", json={"query": query}, headers=headers)


async def test_a_valid_token_authenticates_the_person(api):
    response = await _post(api, {"Authorization": f"Bearer {_token()}"})
    assert response.status_code == 200
    assert response.json()["data"] == {"me": {"name": "Anna Jensen"}, "organisation": {"key": "eksempel"}}


@pytest.mark.parametrize("headers, code", [
    ({}, "unauthenticated"),
    ({"Authorization": "Bearer "}, "invalid_token"),
    ({"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, "invalid_token"),
    ({"Authorization": "Bearer not.a.jwt"}, "invalid_token"),
    ({"Authorization": f"Bearer {jwt.encode({'sub': ANNA, 'tenant': 'eksempel', 'exp': int(time.time()) + 86400}, 'wrong-secret-wrong-secret-wrong-secret!', algorithm='HS256')}"},
     "invalid_token"),
    ({"Authorization": f"Bearer {jwt.encode({'sub': ANNA, 'tenant': 'eksempel', 'exp': int(time.time()) + 86400}, None, algorithm='none')}"},
     "invalid_token"),
    ({"Authorization": f"Bearer {_token(exp=int(time.time()) - 3600)}"}, "token_expired"),
    ({"Authorization": f"Bearer {_token(nbf=int(time.time()) + 3600)}"}, "invalid_token"),
    ({"Authorization": f"Bearer {_token(exp=None)}"}, "invalid_token"),
    ({"Authorization": f"Bearer {_token(sub='stranger@eksempel.dk')}"}, "invalid_token"),
    ({"Authorization": f"Bearer {_token(tenant='nowhere')}"}, "invalid_token"),
    ({"Authorization": f"Bearer {_token(tenant=None)}"}, "invalid_token"),
    ({"X-Api-Key": "rk_not-a-real-key"}, "invalid_api_key"),
    # Date claims are JSON numbers (RFC 7519 NumericDate), never text or booleans that read as numbers.
    ({"Authorization": f"Bearer {_token(exp=str(int(time.time()) + 300))}"}, "invalid_token"),
    ({"Authorization": f"Bearer {_token(nbf=str(int(time.time())))}"}, "invalid_token"),
    ({"Authorization": f"Bearer {_token(iat=str(int(time.time())))}"}, "invalid_token"),
    ({"Authorization": f"Bearer {_token(nbf=True)}"}, "invalid_token"),
])
async def test_missing_or_invalid_credentials_get_401_with_a_code_and_write_nothing(api, headers, code):
    before = await snapshot(api.db)
    mutation = 'mutation { createPerson(input: {externalId: "x@y.dk", name: "X"}) { __typename } }'
    for query in (QUERY, mutation):
        response = await _post(api, headers, query)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == code
        assert "Bearer" in response.headers["www-authenticate"]
    assert await snapshot(api.db) == before


async def test_health_and_the_graphiql_page_need_no_credentials(api):
    assert (await api.client.get("/health")).json() == {"status": "ok"}
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def _key(api, scopes):
    return await api_key(api.db, scopes)


async def test_an_api_key_with_read_scope_reads_and_one_without_is_refused(api):
    reader = await _key(api, ["read"])
    ok = await _post(api, {"X-Api-Key": reader}, "{ organisation { name } }")
    assert ok.json()["data"] == {"organisation": {"name": "Eksempel Kommune"}}
    bearer = await _post(api, {"Authorization": f"Bearer {reader}"}, "{ organisation { name } }")
    assert bearer.json()["data"] == {"organisation": {"name": "Eksempel Kommune"}}
    checker = await _key(api, ["check"])
    refused = (await _post(api, {"X-Api-Key": checker}, "{ organisation { name } }")).json()
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "missing_scope"


async def test_an_api_key_with_admin_scope_manages_organisation_data_as_itself(api):
    admin_key = await _key(api, ["admin"])
    result = (await _post(api, {"X-Api-Key": admin_key}, """mutation { createPerson(input: {
        externalId: "system.made@eksempel.dk", name: "Systemoprettet"}) { ... on PersonPayload { person { id } } } }"""
        )).json()
    person_id = result["data"]["createPerson"]["person"]["id"]
    history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { actor } } }", {"id": person_id},
                             as_=ANNA))["history"]["nodes"]
    assert history[0]["actor"].startswith("apikey:")


async def test_a_system_cannot_declare_a_delegation(api):
    writer = await _key(api, ["write", "read"])
    ids = await api.ids()
    result = (await _post(api, {"X-Api-Key": writer}, """mutation { declareDelegation(input: {areaId: "%s",
        unitId: "%s", delegatePersonId: "%s", level: 3}) { __typename ... on Error { code } } }""" % (
        ids.areas["care"], ids.unit("Plejecenter Solhaven"), ids.people["anna"]))).json()
    assert result["data"]["declareDelegation"] == {"__typename": "ForbiddenError", "code": "person_required"}


@pytest.fixture(scope="module")
def rsa_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _pem(key) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


async def _api_with(demo_db, clock, env, dsn):
    from registry.settings import Settings
    from tests.support import Api

    return Api.start(demo_db, Settings.from_env(env), clock, dsn)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_tokens_signed_by_an_identity_providers_public_key_are_accepted(demo_db, demo_dsn, clock, tmp_path,
                                                                                rsa_key, ec_key, alg):
    key = rsa_key if alg == "RS256" else ec_key
    pem = tmp_path / "idp.pem"
    pem.write_text(_pem(key))
    env = {"REGISTRY_MODE": "production", "REGISTRY_JWT_PUBLIC_KEY_FILE": str(pem), "REGISTRY_JWT_ALGORITHMS": alg,
           "REGISTRY_JWT_ISSUER": "https://idp.eksempel.dk", "REGISTRY_JWT_AUDIENCE": "registry",
           "REGISTRY_DATA_DIR": str(tmp_path)}
    now = int(time.time())
    claims = {"sub": ANNA, "tenant": "eksempel", "exp": now + 60, "iss": "https://idp.eksempel.dk", "aud": "registry"}
    async with await _api_with(demo_db, clock, env, demo_dsn) as api:
        good = await _post(api, {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm=alg)}"})
        assert good.status_code == 200 and good.json()["data"]["me"] == {"name": "Anna Jensen"}
        for bad in ({**claims, "aud": "another-service"}, {**claims, "iss": "https://evil.example"}):
            response = await _post(api, {"Authorization": f"Bearer {jwt.encode(bad, key, algorithm=alg)}"})
            assert response.status_code == 401
        # An HS256 token "signed" with the public key must not pass (algorithm confusion).
        forged = jwt.encode(claims, "x" * 64, algorithm="HS256")
        assert (await _post(api, {"Authorization": f"Bearer {forged}"})).status_code == 401


async def test_tokens_are_verified_against_the_matching_key_of_a_jwks_file(demo_db, demo_dsn, clock, tmp_path,
                                                                             rsa_key):
    import json

    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(k.public_key())), "kid": kid, "use": "sig",
                      "alg": "RS256"} for kid, k in (("old", other), ("new", rsa_key))]}
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    env = {"REGISTRY_MODE": "production", "REGISTRY_JWT_JWKS_FILE": str(tmp_path / "jwks.json"),
           "REGISTRY_DATA_DIR": str(tmp_path)}
    claims = {"sub": ANNA, "tenant": "eksempel", "exp": int(time.time()) + 86400}
    async with await _api_with(demo_db, clock, env, demo_dsn) as api:
        for kid, key, status in (("new", rsa_key, 200), ("old", other, 200), ("new", other, 401),
                                 ("unknown", rsa_key, 401)):
            token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
            assert (await _post(api, {"Authorization": f"Bearer {token}"})).status_code == status, kid


def test_the_none_algorithm_cannot_be_configured():
    from registry.settings import Settings

    with pytest.raises(ValueError, match="none"):
        Settings.from_env({"REGISTRY_JWT_SECRET": "s" * 40, "REGISTRY_JWT_ALGORITHMS": "HS256,none"})
