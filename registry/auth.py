"""Who is calling: principals from bearer JWTs (people) and API keys (systems)."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from pathlib import Path
from uuid import UUID

import jwt
import msgspec

from registry.domain.model import Person
from registry.errors import NotFound, Unauthenticated
from registry.settings import Settings
from registry.storage import apikeys
from registry.storage import org as org_sql
from registry.storage.db import Actor, Db

API_KEY_PREFIX = "rk_"
SCOPES = ("check", "record", "read", "write", "admin")


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    tenant_id: UUID
    tenant_key: str
    person: Person | None = None
    api_key_id: UUID | None = None
    api_key_name: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        if self.person is not None:
            return "admin" in self.person.roles
        return "admin" in self.scopes

    def has_scope(self, scope: str) -> bool:
        """People act through the registry's own rules; systems are limited to their key's scopes."""
        return self.person is not None or scope in self.scopes or "admin" in self.scopes

    def actor(self, on_behalf_of: str | None = None) -> Actor:
        if self.person is not None:
            return Actor(f"person:{self.person.id}", on_behalf_of)
        if self.api_key_id is not None:
            return Actor(f"apikey:{self.api_key_id}", on_behalf_of)
        return Actor(f"system:{self.api_key_name or 'cli'}", on_behalf_of)


class JwtVerifier:
    """Verifies bearer tokens with the configured key material; algorithms are pinned by settings."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._key = None
        self._jwks: jwt.PyJWKSet | None = None
        if settings.jwt_jwks_file:
            self._jwks = jwt.PyJWKSet.from_json(Path(settings.jwt_jwks_file).read_text())
        elif settings.jwt_public_key_file:
            self._key = Path(settings.jwt_public_key_file).read_text()
        elif settings.jwt_secret:
            self._key = settings.jwt_secret

    @property
    def configured(self) -> bool:
        return self._key is not None or self._jwks is not None

    def verify(self, token: str) -> dict:
        if not self.configured:
            raise Unauthenticated("bearer tokens are not configured on this registry", code="invalid_token")
        try:
            key = self._key
            if self._jwks is not None:
                kid = jwt.get_unverified_header(token).get("kid")
                matches = [k for k in self._jwks.keys if kid is None or k.key_id == kid]
                if not matches:
                    raise Unauthenticated("unknown signing key", code="invalid_token")
                key = matches[0].key
            options = {"require": ["exp", "sub"]}
            return jwt.decode(token, key, algorithms=list(self.settings.jwt_algorithms),
                              audience=self.settings.jwt_audience, issuer=self.settings.jwt_issuer,
                              leeway=self.settings.jwt_leeway_seconds, options=options)
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("the token is not valid", code="invalid_token") from exc

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


class PrincipalCache:
    """A short-lived cache of resolved principals, so the check path does not touch the database.

    Keys are API-key digests and verified (tenant, subject) pairs; a revoked key or archived person
    stops working within `ttl` seconds.
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
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            return hit
        found = await _key_principal(db, api_key, now or datetime.now(timezone.utc))
        return cache.put(key, found) if cache is not None else found
    raise Unauthenticated(code="unauthenticated")


async def _person_principal(db: Db, verifier: JwtVerifier, token: str, cache: PrincipalCache | None) -> Principal:
    claims = verifier.verify(token)
    tenant_key = claims.get(verifier.settings.jwt_tenant_claim)
    if not isinstance(tenant_key, str) or not isinstance(claims.get("sub"), str):
        raise Unauthenticated("the token names no tenant or subject", code="invalid_token")
    key = ("person", tenant_key, claims["sub"])
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return hit
    found = await _load_person(db, tenant_key, claims["sub"])
    return cache.put(key, found) if cache is not None else found


async def _load_person(db: Db, tenant_key: str, subject: str) -> Principal:
    async with db.read() as conn:
        try:
            tenant = await org_sql.tenant_by_key(conn, tenant_key)
        except NotFound as exc:
            raise Unauthenticated("the token's tenant is unknown", code="invalid_token") from exc
        person = await org_sql.person_by_external_id(conn, tenant.id, subject)
    if person is None or person.archived_at is not None:
        raise Unauthenticated("the token's subject is not a person in this organisation", code="invalid_token")
    return Principal(tenant_id=tenant.id, tenant_key=tenant.key, person=person)


async def _key_principal(db: Db, secret: str, now: datetime) -> Principal:
    async with db.read() as conn:
        row = await apikeys.by_secret(conn, secret)
        if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
            raise Unauthenticated("the API key is not valid", code="invalid_api_key")
        tenant = await org_sql.tenant_by_id(conn, row.tenant_id)
        # Cached principals skip this, so last use is recorded at most once per cache lifetime.
        await apikeys.mark_used(conn, row.id, now)
    return Principal(tenant_id=row.tenant_id, tenant_key=tenant.key, api_key_id=row.id, api_key_name=row.name,
                     scopes=frozenset(row.scopes))


def new_api_key() -> tuple[str, str]:
    """A fresh key (shown once) and its display prefix."""
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:10]

