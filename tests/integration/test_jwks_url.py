"""Bearer tokens verified against a JWKS fetched from a URL (a real HTTP server on 127.0.0.1):
cached for a TTL, refreshed without holding up requests, refetched on an unknown kid at most once
per cool-down, failing closed when the keys cannot be had, and pinned to the configured algorithms."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from registry.auth import JwtVerifier
from registry.errors import Unauthenticated, Unavailable
from registry.settings import Settings

ANNA = "anna.jensen@eksempel.dk"
TTL, COOLDOWN, MAX_STALE = 300.0, 30.0, 3600.0


class JwksServer:
    """Serves `document` at /jwks.json and counts the requests; can go down (and come back on the
    same port), answer with an error status, answer slowly, or redirect."""

    def __init__(self, document: dict):
        self.document = document
        self.hits = 0
        self.status = 200
        self.delay = 0.0
        self.redirect_to: str | None = None
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/jwks.json"

    def serve(self, *keys: dict) -> None:
        self.document = {"keys": list(keys)}

    def start(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                if outer.delay:
                    time.sleep(outer.delay)
                if outer.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", outer.redirect_to)
                    self.end_headers()
                    return
                body = json.dumps(outer.document).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/jwk-set+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class FakeClock:
    """The verifier's monotonic clock: tests move time instead of sleeping."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _rsa():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def keys():
    from cryptography.hazmat.primitives.asymmetric import ec

    return {"a": _rsa(), "b": _rsa(), "p": _rsa(), "e": ec.generate_private_key(ec.SECP256R1())}


def _jwk(key, kid: str, alg: str | None = "RS256", **extra) -> dict:
    algorithm = jwt.algorithms.ECAlgorithm if alg and alg.startswith("ES") else jwt.algorithms.RSAAlgorithm
    data = {**json.loads(algorithm.to_jwk(key.public_key())), "kid": kid, "use": "sig", **extra}
    if alg:
        data["alg"] = alg
    return data


def _token(key, kid: str | None, alg: str = "RS256", **claims) -> str:
    base = {"sub": ANNA, "tenant": "eksempel", "exp": int(time.time()) + 300, **claims}
    return jwt.encode(base, key, algorithm=alg, headers={"kid": kid} if kid is not None else None)


def _settings(url: str, **env) -> Settings:
    return Settings.from_env({"REGISTRY_MODE": "production", "REGISTRY_JWT_JWKS_URL": url,
                              "REGISTRY_DATA_DIR": "/tmp/registry-test-unused", **env})


@pytest.fixture
def server(keys):
    s = JwksServer({"keys": [_jwk(keys["a"], "a")]})
    yield s
    s.stop()


@pytest.fixture
def fake_clock():
    return FakeClock()


@pytest.fixture
def verifier(server, fake_clock):
    return JwtVerifier(_settings(server.url), clock=fake_clock)


async def _refused(verifier, token, code="invalid_token"):
    kind = Unavailable if code == "jwks_unavailable" else Unauthenticated
    with pytest.raises(kind) as caught:
        await verifier.verify(token)
    assert caught.value.code == code


async def test_keys_are_fetched_once_and_cached_for_the_ttl(verifier, server, keys, fake_clock):
    assert server.hits == 0  # nothing is fetched when the verifier is made
    token = _token(keys["a"], "a")
    for _ in range(5):
        assert (await verifier.verify(token))["sub"] == ANNA
        fake_clock.advance(TTL / 10)
    assert server.hits == 1


async def test_after_the_ttl_a_refresh_retires_removed_keys_without_holding_up_requests(verifier, server, keys,
                                                                                         fake_clock):
    a_token, b_token = _token(keys["a"], "a"), _token(keys["b"], "b")
    assert (await verifier.verify(a_token))["sub"] == ANNA
    server.serve(_jwk(keys["b"], "b"))  # the provider rotates: A is gone
    server.delay = 1.0
    fake_clock.advance(TTL + 1)
    started = time.perf_counter()
    assert (await verifier.verify(a_token))["sub"] == ANNA  # answered from the cache while the refresh runs
    assert time.perf_counter() - started < 0.5
    await verifier.jwks.settle()
    assert server.hits == 2
    await _refused(verifier, a_token)  # A no longer verifies ...
    assert (await verifier.verify(b_token))["sub"] == ANNA  # ... B does
    assert server.hits == 2


async def test_an_unknown_kid_refetches_at_most_once_per_cooldown(verifier, server, keys, fake_clock):
    assert await verifier.verify(_token(keys["a"], "a"))
    forged = [_token(keys["b"], f"forged-{i}") for i in range(20)]
    # Within the cool-down of the first fetch: no refetch at all.
    for token in forged[:5]:
        await _refused(verifier, token)
    assert server.hits == 1
    # After it: one fetch, shared by concurrent requests, then none until the next cool-down.
    fake_clock.advance(COOLDOWN)
    results = await asyncio.gather(*(verifier.verify(t) for t in forged), return_exceptions=True)
    assert all(isinstance(r, Unauthenticated) for r in results)
    assert server.hits == 2
    for token in forged:
        fake_clock.advance(COOLDOWN / 30)
        await _refused(verifier, token)
    assert server.hits == 2
    fake_clock.advance(COOLDOWN)
    for token in forged:
        await _refused(verifier, token)
    assert server.hits == 3
    # A genuinely new key is picked up the same way: on its first token after the cool-down.
    server.serve(_jwk(keys["a"], "a"), _jwk(keys["b"], "b"))
    fake_clock.advance(COOLDOWN)
    assert (await verifier.verify(_token(keys["b"], "b")))["sub"] == ANNA
    assert server.hits == 4


async def test_a_down_provider_fails_closed_while_cached_keys_serve_until_max_stale(verifier, server, keys,
                                                                                    fake_clock):
    a_token = _token(keys["a"], "a")
    assert await verifier.verify(a_token)
    server.stop()  # connections are refused from now on
    fake_clock.advance(COOLDOWN)
    await _refused(verifier, _token(keys["b"], "b"))  # an unknown kid: the refetch fails, so refused
    assert await verifier.verify(a_token)  # the cached key still verifies
    fake_clock.advance(TTL)  # past the TTL: refreshes fail in the background, cached keys keep serving
    assert await verifier.verify(a_token)
    await verifier.jwks.settle()
    fake_clock.advance(MAX_STALE - TTL)  # past max-stale since the last successful fetch: nothing verifies
    await _refused(verifier, a_token, "jwks_unavailable")
    fetches = verifier.jwks.fetches
    for _ in range(10):  # and it retries at most once per cool-down meanwhile
        await _refused(verifier, a_token, "jwks_unavailable")
    assert verifier.jwks.fetches == fetches
    server.start()  # back, on the same port
    server.serve(_jwk(keys["b"], "b"))
    fake_clock.advance(COOLDOWN)
    assert await verifier.verify(_token(keys["b"], "b"))
    await _refused(verifier, a_token)


async def test_an_unreachable_url_at_start_up_refuses_tokens_and_does_not_stop_the_registry(keys, fake_clock,
                                                                                            caplog):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    verifier = JwtVerifier(_settings(f"http://127.0.0.1:{port}/jwks.json"), clock=fake_clock)
    with caplog.at_level(logging.WARNING, logger="registry.auth"):
        await verifier.start()
    try:
        assert "no JWKS could be fetched" in caplog.text and f"127.0.0.1:{port}" in caplog.text
        results = await asyncio.gather(*(verifier.verify(_token(keys["a"], "a")) for _ in range(10)),
                                       return_exceptions=True)
        assert all(isinstance(r, Unavailable) and r.code == "jwks_unavailable" for r in results)
        assert verifier.jwks.fetches == 1
    finally:
        await verifier.stop()


async def test_a_slow_provider_times_out(server, keys, fake_clock):
    server.delay = 2.0
    verifier = JwtVerifier(_settings(server.url, REGISTRY_JWT_JWKS_TIMEOUT_SECONDS="0.3"), clock=fake_clock)
    started = time.perf_counter()
    await _refused(verifier, _token(keys["a"], "a"), "jwks_unavailable")
    assert time.perf_counter() - started < 1.5


async def test_the_background_loop_refreshes_without_traffic_and_stops(server, keys):
    verifier = JwtVerifier(_settings(server.url, REGISTRY_JWT_JWKS_TTL_SECONDS="0.2",
                                     REGISTRY_JWT_JWKS_COOLDOWN_SECONDS="0.1"))
    await verifier.start()
    try:
        assert server.hits == 1
        server.serve(_jwk(keys["b"], "b"))
        deadline = time.monotonic() + 5
        while server.hits < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert server.hits >= 2
        assert await verifier.verify(_token(keys["b"], "b"))
    finally:
        await verifier.stop()
    hits = server.hits
    await asyncio.sleep(0.5)
    assert server.hits == hits


async def test_only_keys_published_for_a_pinned_algorithm_verify(server, keys, fake_clock):
    server.serve(_jwk(keys["a"], "a"), _jwk(keys["p"], "p", "PS256"), _jwk(keys["e"], "e", "ES256"),
                 _jwk(keys["b"], "enc", None, use="enc"),
                 {"kty": "oct", "kid": "s", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"})
    rs_only = JwtVerifier(_settings(server.url), clock=fake_clock)
    both = JwtVerifier(_settings(server.url, REGISTRY_JWT_ALGORITHMS="RS256,ES256"), clock=fake_clock)
    assert await rs_only.verify(_token(keys["a"], "a"))
    assert await both.verify(_token(keys["e"], "e", "ES256"))
    assert await both.verify(_token(keys["a"], "a"))
    for verifier, token in [
        (rs_only, _token(keys["e"], "e", "ES256")),  # ES256 is not pinned
        (both, _token(keys["e"], "a", "ES256")),  # an ES256 token naming an RSA key
        (both, _token(keys["a"], "e")),  # an RS256 token naming an EC key
        (rs_only, _token(keys["p"], "p")),  # the key is published for PS256 only
        (rs_only, _token(keys["b"], "enc")),  # an encryption key
        (rs_only, _token("secret-secret-secret-secret-secret", "s", "HS256")),  # symmetric, never from a URL
        (rs_only, jwt.encode({"sub": ANNA, "tenant": "eksempel", "exp": int(time.time()) + 60}, None,
                             algorithm="none", headers={"kid": "a"})),
    ]:
        await _refused(verifier, token)
    with pytest.raises(ValueError, match="HS"):
        _settings(server.url, REGISTRY_JWT_ALGORITHMS="RS256,HS256")


async def test_a_token_without_a_kid_is_tried_against_the_keys_of_its_algorithm(server, keys, fake_clock):
    server.serve(_jwk(keys["a"], "a"), _jwk(keys["b"], "b"))
    verifier = JwtVerifier(_settings(server.url), clock=fake_clock)
    assert await verifier.verify(_token(keys["b"], None))
    await _refused(verifier, _token(keys["p"], None))
    await _refused(verifier, _token(keys["a"], None, exp=int(time.time()) - 3600), "token_expired")


async def test_a_redirect_to_plain_http_elsewhere_is_not_followed(server, keys, fake_clock):
    server.redirect_to = "http://idp.invalid/jwks.json"
    verifier = JwtVerifier(_settings(server.url), clock=fake_clock)
    await _refused(verifier, _token(keys["a"], "a"), "jwks_unavailable")
    assert server.hits == 1


async def test_a_jwks_file_is_reread_on_an_unknown_kid_after_the_cooldown(tmp_path, keys, fake_clock):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [_jwk(keys["a"], "a")]}))
    verifier = JwtVerifier(Settings.from_env({"REGISTRY_MODE": "production", "REGISTRY_JWT_JWKS_FILE": str(path),
                                              "REGISTRY_DATA_DIR": str(tmp_path)}), clock=fake_clock)
    a_token, b_token = _token(keys["a"], "a"), _token(keys["b"], "b")
    assert await verifier.verify(a_token)
    path.write_text(json.dumps({"keys": [_jwk(keys["b"], "b")]}))
    await _refused(verifier, b_token)
    fake_clock.advance(COOLDOWN)
    assert await verifier.verify(b_token)
    await _refused(verifier, a_token)
    # A file without a key for the pinned algorithms is a configuration error: start-up fails.
    with pytest.raises(ValueError, match="ES256"):
        JwtVerifier(Settings.from_env({"REGISTRY_MODE": "production", "REGISTRY_JWT_JWKS_FILE": str(path),
                                       "REGISTRY_JWT_ALGORITHMS": "ES256", "REGISTRY_DATA_DIR": str(tmp_path)}))


@pytest.mark.parametrize("url, ok", [
    ("https://idp.eksempel.dk/.well-known/jwks.json", True),
    ("http://127.0.0.1:8080/jwks.json", True),
    ("http://localhost/jwks.json", True),
    ("http://[::1]:8080/jwks.json", True),
    ("http://idp.eksempel.dk/jwks.json", False),
    ("http://127.0.0.1.nip.io/jwks.json", False),
    ("ftp://idp.eksempel.dk/jwks.json", False),
    ("https:///jwks.json", False),
    ("idp.eksempel.dk/jwks.json", False),
])
def test_the_jwks_url_must_be_https_or_loopback_http(url, ok):
    if ok:
        assert _settings(url).jwt_jwks_url == url
    else:
        with pytest.raises(ValueError, match="https://"):
            _settings(url)


def test_jwks_url_settings(tmp_path):
    settings = _settings("https://idp.eksempel.dk/jwks.json")
    assert (settings.jwt_jwks_ttl_seconds, settings.jwt_jwks_cooldown_seconds, settings.jwt_jwks_max_stale_seconds,
            settings.jwt_jwks_timeout_seconds) == (300, 30, 3600, 5)
    assert settings.jwt_algorithms == ("RS256",) and settings.jwt_secret is None
    for other in ({"REGISTRY_JWT_SECRET": "s" * 40}, {"REGISTRY_JWT_JWKS_FILE": str(tmp_path / "jwks.json")},
                  {"REGISTRY_JWT_PUBLIC_KEY_FILE": str(tmp_path / "idp.pem")}):
        with pytest.raises(ValueError, match="only one"):
            _settings("https://idp.eksempel.dk/jwks.json", **other)
    for bad in ({"REGISTRY_JWT_JWKS_TTL_SECONDS": "0"}, {"REGISTRY_JWT_JWKS_TIMEOUT_SECONDS": "-1"},
                {"REGISTRY_JWT_JWKS_MAX_STALE_SECONDS": "60"}):
        with pytest.raises(ValueError, match="SECONDS"):
            _settings("https://idp.eksempel.dk/jwks.json", **bad)


async def _post(api, headers, query="{ me { name } }"):
    return await api.client.post("/graphql", json={"query": query}, headers=headers)


async def test_through_the_api_rotation_is_followed_and_an_unreachable_provider_answers_503(
        demo_db, demo_dsn, clock, server, keys):
    from tests.support import Api, api_key

    settings = _settings(server.url, REGISTRY_JWT_JWKS_COOLDOWN_SECONDS="0.3")
    async with Api.start(demo_db, settings, clock, demo_dsn) as api:
        a_token, b_token = _token(keys["a"], "a"), _token(keys["b"], "b")
        ok = await _post(api, {"Authorization": f"Bearer {a_token}"})
        assert ok.status_code == 200 and ok.json()["data"]["me"] == {"name": "Anna Jensen"}
        server.serve(_jwk(keys["b"], "b"))
        await asyncio.sleep(0.35)
        assert (await _post(api, {"Authorization": f"Bearer {b_token}"})).status_code == 200
        refused = await _post(api, {"Authorization": f"Bearer {a_token}"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"
        assert server.hits == 2
    server.stop()
    async with Api.start(demo_db, settings, clock, demo_dsn) as api:
        down = await _post(api, {"Authorization": f"Bearer {b_token}"})
        assert down.status_code == 503 and down.json()["error"]["code"] == "jwks_unavailable"
        # Systems are not held hostage by the identity provider: API keys keep working.
        reader = await api_key(api.db, ["read"])
        system = await _post(api, {"X-Api-Key": reader}, "{ organisation { name } }")
        assert system.status_code == 200 and system.json()["data"] == {"organisation": {"name": "Eksempel Kommune"}}


async def test_a_real_server_fetches_at_start_up_and_follows_rotation_without_traffic(demo_dsn, server, keys):
    import httpx

    from tests.support import Server

    registry = Server(demo_dsn, REGISTRY_JWT_SECRET="", REGISTRY_JWT_JWKS_URL=server.url,
                      REGISTRY_JWT_JWKS_TTL_SECONDS="0.5", REGISTRY_JWT_JWKS_COOLDOWN_SECONDS="0.2")
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await registry.ready(client)
            assert server.hits >= 1  # fetched at start-up, before any token arrived

            async def me(key, kid):
                return await client.post(f"{registry.url}/graphql", json={"query": "{ me { name } }"},
                                         headers={"Authorization": f"Bearer {_token(key, kid)}"})

            assert (await me(keys["a"], "a")).status_code == 200
            server.serve(_jwk(keys["b"], "b"))
            hits = server.hits
            deadline = time.monotonic() + 5
            while server.hits == hits and time.monotonic() < deadline:  # the background refresh, no requests
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
            assert (await me(keys["a"], "a")).status_code == 401
            assert (await me(keys["b"], "b")).status_code == 200
    finally:
        registry.stop()
