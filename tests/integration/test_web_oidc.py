"""Signing in to the web app with OpenID Connect, against a real provider: oidc-provider-mock (Authlib's
authorization server in Flask) served over HTTP on 127.0.0.1 in a thread. The test's httpx client is
the browser: it carries the redirects between the registry and the provider and submits the provider's
form; the registry exchanges the code and fetches the discovery document and keys itself, over HTTP.
The registry runs in production mode (no development login, Secure cookies, so over https://)."""

from __future__ import annotations

import base64
import json
import threading
import time
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from registry import texts
from registry.settings import Settings
from registry.web import oidc
from tests.conftest import JWT_SECRET
from tests.support import Api, Server, WebClient, snapshot
from tests.support import oidc_provider as provider

# The provider (oidc-provider-mock) still uses Authlib's older server interfaces; those warnings are its own.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

METTE = "mette.sorensen@eksempel.dk"
REGISTRY = "https://registry.test"
CALLBACK = f"{REGISTRY}/log-ind/oidc/svar"



def oidc_env(issuer: str, **extra) -> dict:
    return {"REGISTRY_MODE": "production", "REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_SESSION_SECRET": "s" * 40,
            "REGISTRY_DATA_DIR": "/tmp/registry-test-unused", "REGISTRY_RATE_LIMIT_PERSON": "10000",
            "REGISTRY_OIDC_ISSUER": issuer, "REGISTRY_OIDC_CLIENT_ID": "registry",
            "REGISTRY_OIDC_CLIENT_SECRET": "registry-secret", "REGISTRY_OIDC_TENANT": "eksempel", **extra}


@pytest.fixture
def registry(demo_db, demo_dsn, clock):
    """`async with registry(issuer, **env) as (api, web)`: the registry app configured for the provider,
    and a browser of it over https://registry.test."""
    @asynccontextmanager
    async def start(issuer: str, **env):
        settings = Settings.from_env(oidc_env(issuer, **env))
        async with Api.start(demo_db, settings, clock, demo_dsn) as api:
            async with httpx.AsyncClient(transport=api.client._transport, base_url=REGISTRY) as client:
                yield api, WebClient(client)
    return start


async def to_provider(web: WebClient, naeste: str | None = None) -> str:
    """The registry's first step: the provider's authorization URL it sends the browser to."""
    response = await web.get("/log-ind/oidc" + (f"?naeste={quote(naeste, safe='')}" if naeste else ""))
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def at_provider(authorize: str, form: dict) -> str:
    """The person at the provider: its form, submitted; returns where the provider sends her back to."""
    async with httpx.AsyncClient() as browser:
        page = await browser.get(authorize)
        assert page.status_code == 200 and 'name="sub"' in page.text, page.text
        answer = await browser.post(authorize, data=form)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def sign_in(web: WebClient, sub: str, naeste: str | None = None) -> httpx.Response:
    back = await at_provider(await to_provider(web, naeste), {"sub": sub})
    assert back.startswith(CALLBACK + "?"), back
    return await web.get(back)


async def signed_in_as(web: WebClient) -> str | None:
    front = await web.get("/")
    if front.status_code != 200:
        assert front.status_code == 302 and front.headers["location"].startswith("/log-ind")
        return None
    return front.text.split("<h1>", 1)[1].split("</h1>", 1)[0]


async def login_message(web: WebClient, response: httpx.Response) -> str:
    """The login page a refused answer sends the browser to."""
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/log-ind?fejl="), response.headers["location"]
    page = await web.get(response.headers["location"])
    assert page.status_code == 401
    return page.text.split('role="alert">', 1)[1].split("<", 1)[0]


async def test_a_leader_signs_in_with_her_work_account_and_lands_where_she_was_going(registry):
    with provider() as issuer:
        async with registry(issuer) as (api, web):
            login = await web.get("/log-ind?naeste=%2Fmit-mandat")
            assert 'Log ind med din arbejdskonto</a>' in login.text and 'href="/log-ind/oidc?naeste=' in login.text
            assert "Log ind som" not in login.text  # production: no development login
            authorize = await to_provider(web, "/mit-mandat")
            assert authorize.startswith(f"{issuer}/oauth2/authorize?")
            query = parse_qs(urlsplit(authorize).query)
            assert query["response_type"] == ["code"] and query["client_id"] == ["registry"]
            assert query["redirect_uri"] == [CALLBACK]
            assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
            assert set(query["scope"][0].split()) == {"openid", "profile", "email"}
            assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
            back = await at_provider(authorize, {"sub": METTE})
            response = await web.get(back)
            assert response.status_code == 303 and response.headers["location"] == "/mit-mandat"
            cookie = response.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
            assert await signed_in_as(web) == "Goddag, Mette"
            # The person reads her own data as the API would show it to her.
            assert (await web.get("/")).status_code == 200


async def test_each_sign_in_has_its_own_state_and_an_answer_cannot_be_used_twice(registry):
    with provider() as issuer:
        async with registry(issuer) as (api, web):
            first = parse_qs(urlsplit(await to_provider(web)).query)
            second = parse_qs(urlsplit(await to_provider(web)).query)
            assert first["state"] != second["state"] and first["nonce"] != second["nonce"]
            assert first["code_challenge"] != second["code_challenge"]
            back = await at_provider(await to_provider(web), {"sub": METTE})
            assert (await web.get(back)).headers["location"] == "/"
            assert await signed_in_as(web) == "Goddag, Mette"
            assert (await web.post("/log-ud")).status_code == 303  # with the front page's form token
            assert await signed_in_as(web) is None
            replayed = await web.get(back)
            assert "Login kunne ikke gøres færdigt" in await login_message(web, replayed)
            assert await signed_in_as(web) is None


async def test_an_answer_with_another_or_no_state_is_refused_and_signs_no_one_in(registry):
    with provider() as issuer:
        async with registry(issuer) as (api, web):
            before = await snapshot(api.db)
            back = await at_provider(await to_provider(web), {"sub": METTE})
            code = parse_qs(urlsplit(back).query)["code"][0]
            for forged in (f"{CALLBACK}?code={code}&state=not-the-state", f"{CALLBACK}?code={code}"):
                response = await web.get(forged)
                assert await login_message(web, response) == texts.ERRORS_DA["login_stale"]
                assert await signed_in_as(web) is None
                back = await at_provider(await to_provider(web), {"sub": METTE})  # a fresh one under way
            assert await snapshot(api.db) == before


async def test_a_code_and_state_from_another_browser_are_refused(registry):
    """Login CSRF: an attacker's own answer (code and state), pushed into someone else's browser,
    signs no one in, since her session never started that sign-in."""
    with provider() as issuer:
        async with registry(issuer) as (api, attacker):
            back = await at_provider(await to_provider(attacker), {"sub": METTE})
            async with httpx.AsyncClient(transport=api.client._transport, base_url=REGISTRY) as client:
                victim = WebClient(client)
                response = await victim.get(back)
                assert "Login kunne ikke gøres færdigt" in await login_message(victim, response)
                assert await signed_in_as(victim) is None


async def test_a_sign_in_left_too_long_at_the_provider_is_refused(registry, monkeypatch):
    with provider() as issuer:
        async with registry(issuer) as (api, web):
            back = await at_provider(await to_provider(web, "/mit-mandat"), {"sub": METTE})
            monkeypatch.setattr(oidc, "PENDING_SECONDS", -1)  # as if the person had been gone for long
            response = await web.get(back)
            assert "Login kunne ikke gøres færdigt" in await login_message(web, response)
            assert "naeste=%2Fmit-mandat" in response.headers["location"]
            assert await signed_in_as(web) is None


async def test_a_person_not_in_the_registry_is_told_in_danish(registry):
    with provider() as issuer:
        async with registry(issuer) as (api, web):
            response = await sign_in(web, "nobody@eksempel.dk")
            assert await login_message(web, response) == \
                "Du er ikke oprettet i registret. Kontakt din leder eller it-afdeling."
            assert await signed_in_as(web) is None


async def test_declining_at_the_provider_is_told_in_danish(registry):
    with provider() as issuer:
        async with registry(issuer) as (api, web):
            back = await at_provider(await to_provider(web), {"action": "deny"})
            assert parse_qs(urlsplit(back).query)["error"] == ["access_denied"]
            response = await web.get(back)
            assert (await login_message(web, response)).startswith("Du afbrød login hos din organisation")
            assert await signed_in_as(web) is None
            # and the login page offers to try again
            assert "Log ind med din arbejdskonto" in (await web.get(response.headers["location"])).text


async def test_the_external_id_can_come_from_another_claim(registry):
    """E.g. an identity provider whose `sub` is an opaque id, with the registry's external id in
    another claim (REGISTRY_OIDC_SUBJECT_CLAIM)."""
    with provider() as issuer:
        async with httpx.AsyncClient(base_url=issuer) as admin:
            assert (await admin.put("/users/7f3a9c", json={"upn": METTE})).status_code == 204
            assert (await admin.put("/users/0b11e2", json={"name": "Uden Upn"})).status_code == 204
        async with registry(issuer, REGISTRY_OIDC_SUBJECT_CLAIM="upn") as (api, web):
            response = await sign_in(web, "7f3a9c")
            assert response.headers["location"] == "/"
            assert await signed_in_as(web) == "Goddag, Mette"
        async with registry(issuer, REGISTRY_OIDC_SUBJECT_CLAIM="upn") as (api, web):
            response = await sign_in(web, "0b11e2")
            assert (await login_message(web, response)).startswith("Du kunne ikke logges ind")
            assert await signed_in_as(web) is None
        async with registry(issuer, REGISTRY_OIDC_SUBJECT_CLAIM="upn") as (api, web):
            response = await sign_in(web, METTE)  # her sub is right, but it is not the claim the registry reads
            assert (await login_message(web, response)).startswith("Du kunne ikke logges ind")


async def test_the_provider_checks_the_registrys_client_secret(registry):
    with provider(require_client_registration=True) as issuer:
        async with httpx.AsyncClient(base_url=issuer) as admin:
            registered = (await admin.post("/oauth2/clients", json={"redirect_uris": [CALLBACK]})).json()
        env = {"REGISTRY_OIDC_CLIENT_ID": registered["client_id"]}
        async with registry(issuer, REGISTRY_OIDC_CLIENT_SECRET="not-the-secret", **env) as (api, web):
            response = await sign_in(web, METTE)
            assert (await login_message(web, response)).startswith("Du kunne ikke logges ind")
            assert await signed_in_as(web) is None
        async with registry(issuer, REGISTRY_OIDC_CLIENT_SECRET=registered["client_secret"], **env) as (api, web):
            await sign_in(web, METTE)
            assert await signed_in_as(web) == "Goddag, Mette"


# ---- ID tokens that must be refused: a middleware in front of the provider changes its token answer.

def _payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _json_answer(app, path: str, edit):
    """WSGI middleware: the provider's JSON answer on `path`, passed through `edit`."""
    def middleware(environ, start_response):
        if environ.get("PATH_INFO") != path:
            return app(environ, start_response)
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
        body = b"".join(app(environ, capture))
        if seen["status"].startswith("200"):
            body = json.dumps(edit(json.loads(body))).encode()
        headers = [(k, v) for k, v in seen["headers"] if k.lower() != "content-length"]
        start_response(seen["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]
    return middleware


def tampering(edit_id_token, *, extra_key: RSAKey | None = None):
    """A middleware that edits the ID token in the token answer, and may publish one more key in the
    provider's key set (so that tokens re-signed by the test have a valid signature)."""
    def wrap(app):
        def token_answer(body):
            body["id_token"] = edit_id_token(body["id_token"])
            return body

        def key_set(body):
            if extra_key is not None:
                body["keys"].append(extra_key.as_dict(private=False))
            return body
        return _json_answer(_json_answer(app, "/oauth2/token", token_answer), "/jwks", key_set)
    return wrap


async def test_an_id_token_changed_on_the_way_is_refused(registry):
    """Someone who can change the token answer makes Mette's token name Louise: the signature no longer
    fits, and no one is signed in."""
    def to_louise(token: str) -> str:
        header, _, signature = token.split(".")
        claims = {**_payload(token), "sub": "louise.thomsen@eksempel.dk"}
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{body}.{signature}"

    with provider(wrap=tampering(to_louise)) as issuer:
        async with registry(issuer) as (api, web):
            response = await sign_in(web, METTE)
            assert (await login_message(web, response)).startswith("Du kunne ikke logges ind")
            assert await signed_in_as(web) is None


async def test_an_id_token_signed_by_a_key_the_provider_does_not_publish_is_refused(registry):
    forger = RSAKey.generate_key(2048, parameters={"kid": "forger"})

    def forged(token: str) -> str:
        return jwt.encode({"alg": "RS256", "kid": "forger"}, _payload(token), forger)

    with provider(wrap=tampering(forged)) as issuer:
        async with registry(issuer) as (api, web):
            response = await sign_in(web, METTE)
            assert (await login_message(web, response)).startswith("Du kunne ikke logges ind")
            assert await signed_in_as(web) is None


@pytest.mark.parametrize("change", [
    {"aud": "another-app"},
    {"iss": "https://login.evil.example"},
    {"nonce": "another-sign-in"},
    {"exp": int(time.time()) - 600, "iat": int(time.time()) - 4200},
    {"alg": "none"},
], ids=["wrong audience", "wrong issuer", "wrong nonce", "expired", "unsigned"])
async def test_an_id_token_for_another_client_issuer_or_sign_in_is_refused(registry, change):
    """Tokens with a good signature (the test's key, published in the provider's key set), whose claims
    are wrong for this sign-in. The same tokens with unchanged claims are accepted (the control)."""
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})

    def resigned(extra: dict):
        def edit(token: str) -> str:
            if extra.get("alg") == "none":
                header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
                return f"{header}.{token.split('.')[1]}."
            return jwt.encode({"alg": "RS256", "kid": "test-key"}, {**_payload(token), **extra}, key)
        return edit

    with provider(wrap=tampering(resigned({}), extra_key=key)) as issuer:
        async with registry(issuer) as (api, web):
            await sign_in(web, METTE)
            assert await signed_in_as(web) == "Goddag, Mette"
    with provider(wrap=tampering(resigned(change), extra_key=key)) as issuer:
        async with registry(issuer) as (api, web):
            response = await sign_in(web, METTE)
            assert (await login_message(web, response)).startswith("Du kunne ikke logges ind")
            assert await signed_in_as(web) is None


async def test_a_key_the_provider_rotates_in_is_fetched_when_a_token_names_it(registry):
    """The registry keeps the provider's keys; a token signed by a key published since makes it fetch
    them again, once."""
    new_key = RSAKey.generate_key(2048, parameters={"kid": "rotated-in"})
    rotated = threading.Event()

    def edit(token: str) -> str:
        if not rotated.is_set():
            return token
        return jwt.encode({"alg": "RS256", "kid": "rotated-in"}, _payload(token), new_key)

    def wrap(app):
        def key_set(body):
            if rotated.is_set():
                body["keys"].append(new_key.as_dict(private=False))
            return body
        return tampering(edit)(_json_answer(app, "/jwks", key_set))

    with provider(wrap=wrap) as issuer:
        async with registry(issuer) as (api, web):
            await sign_in(web, METTE)
            assert await signed_in_as(web) == "Goddag, Mette"  # the keys before, fetched and kept
            assert (await web.post("/log-ud")).status_code == 303
            rotated.set()
            await sign_in(web, METTE)
            assert await signed_in_as(web) == "Goddag, Mette"


async def test_over_real_http_with_a_real_server(demo_dsn):
    """The registry as a real uvicorn process: the redirect URI comes from the address it is reached at
    (no REGISTRY_PUBLIC_URL), and the session cookie carries the sign-in between real requests."""
    with provider() as issuer:
        server = Server(demo_dsn, **oidc_env(issuer, REGISTRY_SESSION_SECURE="0"))
        try:
            async with httpx.AsyncClient(base_url=server.url) as client:
                await server.ready(client)
                web = WebClient(client)
                authorize = await to_provider(web)
                assert parse_qs(urlsplit(authorize).query)["redirect_uri"] == [f"{server.url}/log-ind/oidc/svar"]
                back = await at_provider(authorize, {"sub": METTE})
                assert back.startswith(f"{server.url}/log-ind/oidc/svar?")
                assert (await web.get(back)).headers["location"] == "/"
                assert await signed_in_as(web) == "Goddag, Mette"
        finally:
            server.stop()


# ---- the provider down or misconfigured, the settings.

async def test_a_discovery_document_naming_another_issuer_is_not_followed(registry):
    def wrap(app):
        return _json_answer(app, "/.well-known/openid-configuration",
                            lambda body: {**body, "issuer": "https://login.evil.example"})

    with provider(wrap=wrap) as issuer:
        async with registry(issuer) as (api, web):
            response = await web.get("/log-ind/oidc")
            assert response.status_code == 503 and "location" not in response.headers
            assert "Din organisations login kan ikke nås lige nu" in response.text

async def test_a_provider_that_cannot_be_reached_gives_a_danish_page_not_an_error(registry):
    with provider() as issuer:
        pass  # stopped: nothing listens on its port any more
    async with registry(issuer) as (api, web):
        response = await web.get("/log-ind/oidc")
        assert response.status_code == 503
        assert "Din organisations login kan ikke nås lige nu" in response.text and "unavailable" in response.text
        assert await signed_in_as(web) is None


async def test_a_provider_that_stops_answering_during_the_sign_in_gives_a_danish_page(registry):
    stop = threading.Event()

    def wrap(app):
        def middleware(environ, start_response):
            if stop.is_set() and environ.get("PATH_INFO") == "/oauth2/token":
                start_response("502 Bad Gateway", [("Content-Type", "text/html")])
                return [b"<h1>Bad gateway</h1>"]
            return app(environ, start_response)
        return middleware

    with provider(wrap=wrap) as issuer:
        async with registry(issuer) as (api, web):
            back = await at_provider(await to_provider(web), {"sub": METTE})
            stop.set()
            response = await web.get(back)
            assert (await login_message(web, response)).startswith("Du kunne ikke logges ind")
            assert await signed_in_as(web) is None


async def test_the_redirect_uri_is_built_from_the_public_url(registry):
    with provider() as issuer:
        async with registry(issuer, REGISTRY_PUBLIC_URL="https://registry.kommune.dk/") as (api, web):
            query = parse_qs(urlsplit(await to_provider(web)).query)
            assert query["redirect_uri"] == ["https://registry.kommune.dk/log-ind/oidc/svar"]


async def test_without_an_issuer_there_is_no_work_account_login(api):
    async with api.web() as web:
        assert "Log ind med din arbejdskonto" not in (await web.get("/log-ind")).text
        for path in ("/log-ind/oidc", "/log-ind/oidc/svar?code=x&state=y"):
            response = await web.get(path)
            assert response.status_code == 404 and "not_found" in response.text


def test_an_issuer_needs_a_client_id_secret_tenant_and_session_secret():
    env = oidc_env("https://login.kommune.dk/realms/ansatte")
    assert Settings.from_env(env).oidc_issuer == "https://login.kommune.dk/realms/ansatte"
    with pytest.raises(ValueError, match="set REGISTRY_OIDC_CLIENT_ID too"):
        Settings.from_env({**env, "REGISTRY_OIDC_CLIENT_ID": ""})
    with pytest.raises(ValueError, match="REGISTRY_OIDC_CLIENT_SECRET, REGISTRY_OIDC_TENANT"):
        Settings.from_env({k: v for k, v in env.items() if k not in ("REGISTRY_OIDC_CLIENT_SECRET",
                                                                     "REGISTRY_OIDC_TENANT")})
    with pytest.raises(ValueError, match="REGISTRY_SESSION_SECRET"):
        Settings.from_env({k: v for k, v in env.items() if k != "REGISTRY_SESSION_SECRET"})
    with pytest.raises(ValueError, match="REGISTRY_OIDC_ISSUER must be an https://"):
        Settings.from_env({**env, "REGISTRY_OIDC_ISSUER": "http://login.kommune.dk"})
