"""Who is calling: principals from bearer JWTs (people) and API keys (systems)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import secrets
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from uuid import UUID

import jwt
import msgspec

from registry.domain.model import Person
from registry.errors import NotFound, Unauthenticated, Unavailable
from registry.settings import LOOPBACK_HOSTS, Settings, check_jwks_url
from registry.storage import apikeys
from registry.storage import aliases as alias_sql
from registry.storage import org as org_sql
from registry.storage.db import Actor, Db

API_KEY_PREFIX = "rk_"
SCOPES = ("check", "record", "read", "write", "admin", "scim", "events")

log = logging.getLogger("registry.auth")


# A platform operator acts inside no organisation: its principal names this tenant, which never
# exists, so anything that got past the policy would still find nothing and write nothing.
PLATFORM_TENANT = UUID(int=0)


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    tenant_id: UUID
    tenant_key: str
    person: Person | None = None
    api_key_id: UUID | None = None
    api_key_name: str | None = None
    scopes: frozenset[str] = frozenset()
    expires_at: datetime | None = None  # an API key's expiry, checked again on every cache hit
    platform: bool = False  # a platform operator (registry.access: the `platform` role), in no tenant

    @property
    def is_admin(self) -> bool:
        if self.person is not None:
            return "admin" in self.person.roles
        return "admin" in self.scopes

    def has_scope(self, scope: str) -> bool:
        """People act through the registry's own rules; systems are limited to their key's scopes."""
        return self.person is not None or scope in self.scopes or "admin" in self.scopes

    def actor(self, on_behalf_of: str | None = None) -> Actor:
        if self.platform:
            return Actor(f"platform:{self.api_key_id}" if self.api_key_id is not None else self.api_key_name or "cli")
        if self.person is not None:
            return Actor(f"person:{self.person.id}", on_behalf_of)
        if self.api_key_id is not None:
            return Actor(f"apikey:{self.api_key_id}", on_behalf_of)
        return Actor(f"system:{self.api_key_name or 'cli'}", on_behalf_of)


class JwtVerifier:
    """Verifies bearer tokens with the configured key material; algorithms are pinned by settings.

    With a JWKS (file or URL) the keys live in a `JwksCache`: verified by `kid`, refreshed after
    their TTL without holding up requests, refetched on an unknown `kid` at most once per cool-down,
    and refused altogether (503 `jwks_unavailable`) when no current enough copy can be had.
    """

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._key = None
        self.jwks: JwksCache | None = None
        cache = partial(JwksCache, algorithms=settings.jwt_algorithms, ttl=settings.jwt_jwks_ttl_seconds,
                        cooldown=settings.jwt_jwks_cooldown_seconds, max_stale=settings.jwt_jwks_max_stale_seconds,
                        timeout=settings.jwt_jwks_timeout_seconds, clock=clock)
        if settings.jwt_jwks_url:
            url = settings.jwt_jwks_url
            self.jwks = cache(partial(_fetch_url, url, settings.jwt_jwks_timeout_seconds), source=url,
                              symmetric=False)
        elif settings.jwt_jwks_file:
            path = Path(settings.jwt_jwks_file)
            self.jwks = cache(path.read_bytes, source=str(path), symmetric=True)
            self.jwks.load_now()  # a missing or unreadable file fails start-up, as it always has
        elif settings.jwt_public_key_file:
            self._key = Path(settings.jwt_public_key_file).read_text()
        elif settings.jwt_secret:
            self._key = settings.jwt_secret

    @property
    def configured(self) -> bool:
        return self._key is not None or self.jwks is not None

    async def start(self) -> None:
        """Fetch the keys (start-up) and keep them fresh in the background until `stop`.

        An unreachable JWKS URL does not stop the registry: it logs an error and refuses bearer
        tokens (API keys keep working) until the keys can be fetched."""
        if self.jwks is not None:
            await self.jwks.start()

    async def stop(self) -> None:
        if self.jwks is not None:
            await self.jwks.stop()

    async def verify(self, token: str) -> dict:
        if not self.configured:
            raise Unauthenticated("bearer tokens are not configured on this registry", code="invalid_token")
        try:
            if self.jwks is None:
                return self._decode(token, self._key, list(self.settings.jwt_algorithms))
            header = jwt.get_unverified_header(token)
            alg, kid = header.get("alg"), header.get("kid")
            # Pinned: the token's algorithm must be configured (never `none`), and the key must be
            # published for exactly that algorithm (kty, crv and any `alg` of the JWK agree).
            if not isinstance(alg, str) or alg not in self.settings.jwt_algorithms:
                raise Unauthenticated("the token's algorithm is not accepted", code="invalid_token")
            if kid is not None and not isinstance(kid, str):
                raise Unauthenticated("the token is not valid", code="invalid_token")
            keys = await self.jwks.keys_for(kid, alg)
            if not keys:
                raise Unauthenticated("unknown signing key", code="invalid_token")
            for key in keys[:-1]:  # only tokens without a `kid` can have several candidates
                try:
                    return self._decode(token, key, [alg])
                except jwt.InvalidSignatureError:
                    continue
            return self._decode(token, keys[-1], [alg])
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("the token is not valid", code="invalid_token") from exc

    def _decode(self, token: str, key, algorithms: list[str]) -> dict:
        claims = jwt.decode(token, key, algorithms=algorithms, audience=self.settings.jwt_audience,
                            issuer=self.settings.jwt_issuer, leeway=self.settings.jwt_leeway_seconds,
                            options={"require": ["exp", "sub"]})
        # RFC 7519's NumericDate is a JSON number. PyJWT takes anything int() takes ("1999999999", true),
        # so a token whose issuer wrote a date as text would be read differently by other verifiers.
        for name in _DATE_CLAIMS:
            value = claims.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value)):
                raise jwt.InvalidTokenError(f"the {name} claim must be a number")
        return claims

    def mint(self, *, subject: str, tenant: str, ttl_seconds: int) -> str:
        """Development tokens, signed with the HS256 secret."""
        if not self.settings.jwt_secret or "HS256" not in self.settings.jwt_algorithms:
            raise RuntimeError("minting tokens needs an HS256 development secret (REGISTRY_JWT_SECRET)")
        now = int(time.time())
        claims = {"sub": subject, self.settings.jwt_tenant_claim: tenant, "iat": now, "nbf": now,
                  "exp": now + ttl_seconds}
        if self.settings.jwt_issuer:
            claims["iss"] = self.settings.jwt_issuer
        if self.settings.jwt_audience:
            claims["aud"] = self.settings.jwt_audience
        return jwt.encode(claims, self.settings.jwt_secret, algorithm="HS256")


# --- JWKS: parsing, fetching and the cache ------------------------------------------------------

MAX_JWKS_BYTES = 1_000_000
MAX_JWKS_KEYS = 100
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521", "ES256K": "secp256k1"}


def _fits(jwk: dict, alg: str) -> bool:
    """May this JWK verify tokens of algorithm `alg`? Its type (and curve) must match, and so must
    its own `alg` when it names one."""
    kty = jwk.get("kty")
    if alg[:2] in ("RS", "PS"):
        ok = kty == "RSA"
    elif alg in _CURVES:
        ok = kty == "EC" and jwk.get("crv") == _CURVES[alg]
    elif alg[:2] == "HS":
        ok = kty == "oct"
    elif alg == "EdDSA":
        ok = kty == "OKP"
    else:
        ok = False
    return ok and jwk.get("alg", alg) == alg


class JwkSet:
    """One fetched JWKS, as verification keys per (kid, algorithm), for the pinned algorithms only."""

    def __init__(self, keys: dict[tuple[str | None, str], list[jwt.PyJWK]], kids: frozenset[str]):
        self.keys = keys
        self.kids = kids

    @classmethod
    def parse(cls, raw: bytes, algorithms: tuple[str, ...], *, symmetric: bool, source: str) -> "JwkSet":
        document = json.loads(raw)
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWKS (an object with a 'keys' list)")
        if len(document["keys"]) > MAX_JWKS_KEYS:
            raise ValueError(f"more than {MAX_JWKS_KEYS} keys")
        keys: dict[tuple[str | None, str], list[jwt.PyJWK]] = {}
        kids = set()
        for jwk in document["keys"]:
            if not isinstance(jwk, dict):
                continue
            kid = jwk.get("kid") if isinstance(jwk.get("kid"), str) else None
            if kid is not None:
                kids.add(kid)
            if jwk.get("use", "sig") != "sig" or "verify" not in jwk.get("key_ops", ["verify"]):
                continue
            if jwk.get("kty") == "oct" and not symmetric:
                log.warning("ignoring the symmetric key %r published at %s", kid, source)
                continue
            for alg in algorithms:
                if not _fits(jwk, alg):
                    continue
                try:
                    keys.setdefault((kid, alg), []).append(jwt.PyJWK(jwk, alg))
                except jwt.PyJWTError as exc:
                    log.warning("ignoring the unusable key %r from %s: %s", kid, source, exc)
        if not keys:
            log.error("the JWKS at %s has no key for the accepted algorithms %s", source, ", ".join(algorithms))
        return cls(keys, frozenset(kids))

    def lookup(self, kid: str | None, alg: str) -> list[jwt.PyJWK] | None:
        """The candidate keys; None when the `kid` is not in the set at all (perhaps rotated in)."""
        if kid is None:
            return [k for (_kid, a), found in self.keys.items() if a == alg for k in found]
        if kid not in self.kids:
            return None
        return self.keys.get((kid, alg), [])


class _NoDowngrade(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            check_jwks_url(newurl)
        except ValueError:
            raise ValueError(f"refusing the redirect to {newurl!r}: not https (nor http on this machine)") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch_url(url: str, timeout: float) -> bytes:
    """Blocking; run in a thread. Loopback URLs bypass any configured proxy."""
    handlers: list = [_NoDowngrade()]
    if (urllib.parse.urlsplit(url).hostname or "") in LOOPBACK_HOSTS:
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"Accept": "application/jwk-set+json, application/json",
                                                   "User-Agent": "registry"})
    with opener.open(request, timeout=timeout) as response:
        body = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError(f"the JWKS is larger than {MAX_JWKS_BYTES} bytes")
    return body


class JwksCache:
    """The current JWKS of one source (URL or file), fetched off the event loop.

    - Keys are used for `ttl` seconds after a successful fetch; after that the next request (or the
      background loop) starts a refresh and is answered from the cached keys meanwhile.
    - If refreshes fail, the cached keys keep working until `max_stale` seconds after the last
      successful fetch; then, and before the first successful fetch, bearer tokens get 503
      `jwks_unavailable` (fail closed).
    - A fetch starts at most once per `cooldown` seconds, whatever asks for it (unknown `kid`s,
      expired keys, retries after failures), and concurrent askers share one fetch.
    """

    def __init__(self, load: Callable[[], bytes], *, source: str, symmetric: bool, algorithms: tuple[str, ...],
                 ttl: float, cooldown: float, max_stale: float, timeout: float,
                 clock: Callable[[], float] = time.monotonic):
        self._load = load
        self.source = source
        self.symmetric = symmetric
        self.algorithms = algorithms
        self.ttl, self.cooldown, self.max_stale, self.timeout = ttl, cooldown, max_stale, timeout
        self._clock = clock
        self._keys: JwkSet | None = None
        self._fetched_at: float | None = None  # the last successful fetch
        self._attempted_at: float | None = None  # the last fetch started
        self._last_ok = False
        self._inflight: asyncio.Task | None = None
        self._loop_task: asyncio.Task | None = None
        self.fetches = 0  # attempts, for tests and diagnostics

    def load_now(self) -> None:
        """A synchronous first load (the JWKS file at construction); errors propagate."""
        self._attempted_at = self._clock()
        self.fetches += 1
        keys = JwkSet.parse(self._load(), self.algorithms, symmetric=self.symmetric, source=self.source)
        if not keys.keys:
            raise ValueError(f"the JWKS {self.source} has no key for the accepted algorithms "
                             f"{', '.join(self.algorithms)} (REGISTRY_JWT_ALGORITHMS)")
        self._accept(keys)

    def _accept(self, keys: JwkSet) -> None:
        previous = self._keys
        if previous is None or keys.kids != previous.kids:
            log.info("JWKS from %s: kids %s%s", self.source, sorted(keys.kids),
                     "" if previous is None else f" (were {sorted(previous.kids)})")
        elif not self._last_ok:
            log.info("JWKS from %s fetched again", self.source)
        self._keys, self._fetched_at, self._last_ok = keys, self._clock(), True

    def _usable(self, now: float) -> JwkSet | None:
        if self._keys is None or self._fetched_at is None or now - self._fetched_at > self.max_stale:
            return None
        return self._keys

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self.cooldown

    def _refresh(self) -> asyncio.Task:
        """The fetch in flight, or a new one. Callers check the cool-down first."""
        if self._inflight is None:
            self._attempted_at = self._clock()
            self.fetches += 1
            task = asyncio.get_running_loop().create_task(self._fetch(), name="registry-jwks-fetch")
            self._inflight = task
            task.add_done_callback(lambda t: setattr(self, "_inflight", None) if self._inflight is t else None)
        return self._inflight

    async def _fetch(self) -> bool:
        try:
            raw = await asyncio.wait_for(asyncio.to_thread(self._load), self.timeout)
            keys = JwkSet.parse(raw, self.algorithms, symmetric=self.symmetric, source=self.source)
        except Exception as exc:  # any failure keeps the previous keys (within max_stale)
            self._last_ok = False
            held = "keeping the cached keys" if self._usable(self._clock()) else "refusing bearer tokens"
            reason = f"timed out after {self.timeout:g}s" if isinstance(exc, TimeoutError) else \
                f"{type(exc).__name__}: {exc}"
            log.warning("could not fetch the JWKS from %s (%s); %s, next try in %gs or later", self.source,
                        reason, held, self.cooldown)
            return False
        self._accept(keys)
        return True

    async def _await_refresh(self) -> None:
        # Shielded: a client that goes away does not cancel the fetch the others are waiting for.
        await asyncio.shield(self._refresh())

    async def keys_for(self, kid: str | None, alg: str) -> list[jwt.PyJWK]:
        now = self._clock()
        keys = self._usable(now)
        if keys is None:
            if self._inflight is not None or self._may_fetch(now):
                await self._await_refresh()
                keys = self._usable(self._clock())
            if keys is None:
                raise Unavailable("the identity provider's signing keys are unavailable; try again shortly",
                                  code="jwks_unavailable")
        elif now - self._fetched_at >= self.ttl and self._inflight is None and self._may_fetch(now):
            self._refresh()  # in the background; this request is answered from the cached keys
        found = keys.lookup(kid, alg)
        if found is None and (self._inflight is not None or self._may_fetch(now)):
            # An unknown kid: perhaps the provider rotated. Forged kids cost at most one fetch per cool-down.
            await self._await_refresh()
            keys = self._usable(self._clock())
            found = keys.lookup(kid, alg) if keys is not None else None
        return found or []

    async def settle(self) -> None:
        """Wait for a fetch in flight, if any (for tests and orderly shutdown)."""
        if self._inflight is not None:
            await asyncio.shield(self._inflight)

    async def start(self) -> None:
        if self._keys is None and self._may_fetch(self._clock()):
            await self._await_refresh()
            if not self._last_ok:
                log.error("no JWKS could be fetched from %s at start-up; bearer tokens are refused until it can "
                          "be (API keys keep working)", self.source)
        if self._loop_task is None:
            self._loop_task = asyncio.get_running_loop().create_task(self._keep_fresh(), name="registry-jwks")

    async def stop(self) -> None:
        task, self._loop_task = self._loop_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._inflight is not None:
            self._inflight.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._inflight

    async def _keep_fresh(self) -> None:
        """Refresh when the keys reach their TTL (or retry a failed fetch after the cool-down), so
        rotation takes effect without waiting for traffic."""
        while True:
            now = self._clock()
            if self._attempted_at is None:
                due = now
            elif self._last_ok and self._fetched_at is not None:
                due = max(self._fetched_at + self.ttl, self._attempted_at + self.cooldown)
            else:
                due = self._attempted_at + self.cooldown
            if due > now:
                await asyncio.sleep(max(due - now, 0.05))
                continue
            await self._await_refresh()
            await asyncio.sleep(0.05)  # never spin, whatever the settings


_DATE_CLAIMS = ("exp", "nbf", "iat")


class PrincipalCache:
    """A short-lived cache of resolved principals, so the check path does not touch the database.

    Keys are API-key digests and verified (tenant, subject) pairs. The engine clears the cache when a
    person or an API key changes on any server (its change feed), so a revoked key or archived person
    stops working at once; `ttl` bounds it should the feed be down.
    """

    def __init__(self, ttl: float = 30.0, max_entries: int = 10_000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[object, tuple[float, Principal]] = {}

    def get(self, key: object) -> Principal | None:
        hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def clear(self) -> None:
        self._entries.clear()

    def put(self, key: object, value: Principal) -> Principal:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, value)
        return value


async def authenticate(db: Db, verifier: JwtVerifier, authorization: str | None, api_key: str | None,
                       now: datetime | None = None, cache: PrincipalCache | None = None) -> Principal:
    """Resolve the request's credentials to a principal, or raise Unauthenticated."""
    if api_key is None and authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthenticated("use 'Authorization: Bearer <token>'", code="invalid_token")
        credentials = credentials.strip()
        if credentials.startswith(API_KEY_PREFIX):
            api_key = credentials
        else:
            return await _person_principal(db, verifier, credentials, cache)
    if api_key:
        key = ("key", apikeys.digest(api_key))
        now = now or datetime.now(timezone.utc)
        hit = cache.get(key) if cache is not None else None
        if hit is not None and (hit.expires_at is None or hit.expires_at > now):
            return hit
        found = await _key_principal(db, api_key, now)
        # Platform keys are used rarely and revoked outside any tenant's change feed: never cached.
        return cache.put(key, found) if cache is not None and not found.platform else found
    raise Unauthenticated(code="unauthenticated")


async def _person_principal(db: Db, verifier: JwtVerifier, token: str, cache: PrincipalCache | None) -> Principal:
    claims = await verifier.verify(token)
    tenant_key = claims.get(verifier.settings.jwt_tenant_claim)
    if not isinstance(tenant_key, str) or not isinstance(claims.get("sub"), str):
        raise Unauthenticated("the token names no tenant or subject", code="invalid_token")
    key = ("person", tenant_key, claims["sub"])
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return hit
    found = await _load_person(db, tenant_key, claims["sub"])
    return cache.put(key, found) if cache is not None else found


async def person_principal(db: Db, tenant_key: str, subject: str, cache: PrincipalCache | None = None) -> Principal:
    """A person signed in some other way than a bearer token (the web app's session): the same
    checks as a token's tenant and subject (organisation not archived, person not archived)."""
    key = ("person", tenant_key, subject)
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return hit
    found = await _load_person(db, tenant_key, subject)
    return cache.put(key, found) if cache is not None else found


async def _load_person(db: Db, tenant_key: str, subject: str) -> Principal:
    async with db.read() as conn:
        try:
            tenant = await org_sql.tenant_by_key(conn, tenant_key)
        except NotFound as exc:
            raise Unauthenticated("the token's tenant is unknown", code="invalid_token") from exc
        if tenant.archived_at is not None:
            raise Unauthenticated("the token's organisation is archived", code="invalid_token")
        person = await org_sql.person_by_external_id(conn, tenant.id, subject)
        if person is None:  # an identity provider whose subject is not the external id: her `sub` alias
            person = await alias_sql.person_by_alias(conn, tenant.id, subject, "sub")
    if person is None or person.archived_at is not None:
        raise Unauthenticated("the token's subject is not a person in this organisation", code="invalid_token")
    return Principal(tenant_id=tenant.id, tenant_key=tenant.key, person=person)


async def _key_principal(db: Db, secret: str, now: datetime) -> Principal:
    async with db.read() as conn:
        row = await apikeys.by_secret(conn, secret)
        if row is None:
            return await _platform_principal(conn, secret, now)
        if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
            raise Unauthenticated("the API key is not valid", code="invalid_api_key")
        tenant = await org_sql.tenant_by_id(conn, row.tenant_id)
        if tenant.archived_at is not None:
            raise Unauthenticated("the API key's organisation is archived", code="invalid_api_key")
        # Cached principals skip this, so last use is recorded at most once per cache lifetime.
        await apikeys.mark_used(conn, row.id, now)
    return Principal(tenant_id=row.tenant_id, tenant_key=tenant.key, api_key_id=row.id, api_key_name=row.name,
                     scopes=frozenset(row.scopes), expires_at=row.expires_at)


async def _platform_principal(conn, secret: str, now: datetime) -> Principal:
    row = await apikeys.platform_by_secret(conn, secret)
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise Unauthenticated("the API key is not valid", code="invalid_api_key")
    await apikeys.mark_platform_used(conn, row.id, now)
    return platform_principal(api_key_id=row.id, name=row.name, expires_at=row.expires_at)


def platform_principal(*, api_key_id: UUID | None = None, name: str = "cli", expires_at=None) -> Principal:
    """A platform operator: a platform key's holder, or the `registry` command run by the operator."""
    return Principal(tenant_id=PLATFORM_TENANT, tenant_key="", api_key_id=api_key_id, api_key_name=name,
                     expires_at=expires_at, platform=True)


def new_api_key() -> tuple[str, str]:
    """A fresh key (shown once) and its display prefix."""
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:10]

