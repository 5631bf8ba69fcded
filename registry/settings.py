"""Settings, read from an environment mapping (never at import time), so tests pass their own."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import msgspec


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # PostgreSQL DSN. None: start the embedded PostgreSQL in `data_dir`.
    database_url: str | None = None
    data_dir: str = ".registry"
    host: str = "127.0.0.1"
    port: int = 8000
    # "development" enables GraphiQL and introspection by default and allows the dev token secret.
    mode: str = "development"
    # JWT verification. One of: an HS256 secret, a PEM public key file, or a JWKS file.
    jwt_algorithms: tuple[str, ...] = ("HS256",)
    jwt_secret: str | None = None
    jwt_public_key_file: str | None = None
    jwt_jwks_file: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_tenant_claim: str = "tenant"
    jwt_leeway_seconds: int = 30
    # Lifetime of tokens minted by `registry token` (development only).
    dev_token_ttl_seconds: int = 8 * 3600
    graphiql: bool = True
    introspection: bool = True
    # Limits on every GraphQL document, so no single request can be made arbitrarily expensive.
    graphql_max_depth: int = 12
    graphql_max_tokens: int = 4000
    graphql_max_aliases: int = 30
    # Requests per second per person and per API key (token buckets, 2 s of burst); 0: unlimited.
    rate_limit_person: float = 50.0
    log_format: str = "text"
    rate_limit_system: float = 20_000.0
    db_pool_min: int = 1
    db_pool_max: int = 10
    # Change-feed following: poll interval, how long a server may go without confirming it is
    # current before it answers `stale`, and how long a check waits for a `min_revision`.
    sync_interval: float = 1.0
    stale_after: float = 5.0
    min_revision_wait: float = 2.0
    # Breach details (description, cause, learning notes) are purged this long after closure.
    breach_retention_days: int = 730

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        mode = env.get("REGISTRY_MODE", "development")
        if mode not in ("development", "production"):
            raise ValueError(f"REGISTRY_MODE must be 'development' or 'production', not {mode!r}")
        secret = env.get("REGISTRY_JWT_SECRET")
        data_dir = env.get("REGISTRY_DATA_DIR") or default_data_dir()
        if secret is None and mode == "development" and not env.get("REGISTRY_JWT_PUBLIC_KEY_FILE") \
                and not env.get("REGISTRY_JWT_JWKS_FILE"):
            secret = _development_secret(data_dir)
        algorithms = tuple(a.strip() for a in env.get("REGISTRY_JWT_ALGORITHMS", "").split(",") if a.strip())
        if not algorithms:
            algorithms = ("HS256",) if secret else ("RS256",)
        if any(a.lower() == "none" for a in algorithms):
            raise ValueError("REGISTRY_JWT_ALGORITHMS may not include 'none'")
        return cls(
            database_url=env.get("REGISTRY_DATABASE_URL") or env.get("DATABASE_URL") or None,
            data_dir=data_dir,
            host=env.get("REGISTRY_HOST", "127.0.0.1"),
            port=int(env.get("REGISTRY_PORT", "8000")),
            mode=mode,
            jwt_algorithms=algorithms,
            jwt_secret=secret,
            jwt_public_key_file=env.get("REGISTRY_JWT_PUBLIC_KEY_FILE"),
            jwt_jwks_file=env.get("REGISTRY_JWT_JWKS_FILE"),
            jwt_issuer=env.get("REGISTRY_JWT_ISSUER"),
            jwt_audience=env.get("REGISTRY_JWT_AUDIENCE"),
            jwt_tenant_claim=env.get("REGISTRY_JWT_TENANT_CLAIM", "tenant"),
            jwt_leeway_seconds=int(env.get("REGISTRY_JWT_LEEWAY_SECONDS", "30")),
            graphiql=_flag(env.get("REGISTRY_GRAPHIQL"), default=mode == "development"),
            introspection=_flag(env.get("REGISTRY_INTROSPECTION"), default=mode == "development"),
            graphql_max_depth=int(env.get("REGISTRY_GRAPHQL_MAX_DEPTH", "12")),
            graphql_max_tokens=int(env.get("REGISTRY_GRAPHQL_MAX_TOKENS", "4000")),
            graphql_max_aliases=int(env.get("REGISTRY_GRAPHQL_MAX_ALIASES", "30")),
            rate_limit_person=float(env.get("REGISTRY_RATE_LIMIT_PERSON", "50")),
            log_format=env.get("REGISTRY_LOG_FORMAT", "json" if mode == "production" else "text"),
            rate_limit_system=float(env.get("REGISTRY_RATE_LIMIT_SYSTEM", "20000")),
            db_pool_min=int(env.get("REGISTRY_DB_POOL_MIN", "1")),
            db_pool_max=int(env.get("REGISTRY_DB_POOL_MAX", "10")),
            sync_interval=float(env.get("REGISTRY_SYNC_INTERVAL", "1.0")),
            stale_after=float(env.get("REGISTRY_STALE_AFTER", "5.0")),
            min_revision_wait=float(env.get("REGISTRY_MIN_REVISION_WAIT", "2.0")),
            breach_retention_days=int(env.get("REGISTRY_BREACH_RETENTION_DAYS", "730")),
        )


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def default_data_dir() -> str:
    """`./.registry`, except under /root when running as root.

    The embedded PostgreSQL runs as a separate system user when started by root and opens the
    permissions of every parent folder of its data directory; that must never happen to /root.
    """
    path = Path.cwd() / ".registry"
    if hasattr(os, "geteuid") and os.geteuid() == 0 and Path("/root") in path.resolve().parents:
        digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
        return f"/var/tmp/registry-{digest}"
    return str(path)


def _development_secret(data_dir: str) -> str:
    """A random per-installation HS256 secret for development tokens, kept in the data directory."""
    import secrets

    path = Path(data_dir) / "dev-jwt-secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(32)
        path.write_text(value)
        path.chmod(0o600)
        return value
