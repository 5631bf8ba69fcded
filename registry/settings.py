"""Settings, read from an environment mapping (never at import time), so tests pass their own."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

# Hosts that may serve a JWKS over plain http (a sidecar or a test server on this machine).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # PostgreSQL DSN. None: start the embedded PostgreSQL in `data_dir`.
    database_url: str | None = None
    data_dir: str = ".registry"
    host: str = "127.0.0.1"
    port: int = 8000
    # "development" enables GraphiQL and introspection by default and allows the dev token secret.
    mode: str = "development"
    # JWT verification. One of: an HS256 secret, a PEM public key file, a JWKS file or a JWKS URL.
    jwt_algorithms: tuple[str, ...] = ("HS256",)
    jwt_secret: str | None = None
    jwt_public_key_file: str | None = None
    jwt_jwks_file: str | None = None
    jwt_jwks_url: str | None = None
    # JWKS caching (file or URL): keys are refreshed after the TTL, refetched on an unknown kid at
    # most once per cool-down, and kept through failed refreshes for at most max_stale seconds.
    jwt_jwks_ttl_seconds: float = 300.0
    jwt_jwks_cooldown_seconds: float = 30.0
    jwt_jwks_max_stale_seconds: float = 3600.0
    jwt_jwks_timeout_seconds: float = 5.0
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_tenant_claim: str = "tenant"
    jwt_leeway_seconds: int = 30
    # Lifetime of tokens minted by `registry token` (development only).
    dev_token_ttl_seconds: int = 8 * 3600
    graphiql: bool = True
    introspection: bool = True
    # The REST API's OpenAPI document at /schema/openapi.json (on in development mode, like GraphiQL).
    openapi: bool = True
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
    # The decision log (check decisions answered to callers, for accountability): "off", "denies" or
    # "all". Default "denies": every refusal is kept (who was refused what, where, by which system), at a
    # small fraction of the write volume and personal data of logging every permit as well ("all").
    decision_log: str = "denies"
    # Entries wait in a bounded in-memory queue (full: dropped and counted) and are written in batches
    # every flush interval, or as soon as a batch is full; they are deleted after the retention.
    decision_log_queue_size: int = 50_000
    decision_log_batch_size: int = 500
    decision_log_flush_interval: float = 1.0
    decision_log_retention_days: int = 365
    # The outbox (issue 14): writes emit their events in their own transaction, and every server runs
    # the producer of time-driven events each `outbox_every_seconds` (one round at a time across all of
    # them). REGISTRY_OUTBOX=off switches both off (to measure what the outbox costs writes).
    outbox: bool = True
    outbox_every_seconds: float = 60.0
    # Strict-Transport-Security: "auto" when the request came over TLS (as the ASGI server reports it),
    # "on" on every response (behind a proxy that terminates TLS), or "off".
    hsts: str = "auto"
    # The web app (registry/web). The session cookie is encrypted with a key derived from this secret
    # (every server of one registry needs the same one); in development it defaults to the dev secret.
    session_secret: str | None = None
    session_hours: float = 10.0
    # Secure cookies: on in production (served over TLS, or behind a proxy that terminates it).
    session_secure: bool = False
    # The address people reach the registry at (OpenID Connect's redirect URI is built from it).
    public_url: str | None = None
    # The development login page (lists the people, signs in as any of them): development mode only.
    dev_login: bool = True
    # OpenID Connect login (authorization code flow with PKCE) against the organisation's identity
    # provider: its issuer URL (discovery at /.well-known/openid-configuration), this registry's client
    # id and secret, the claim holding the person's external id, and the organisation it signs into.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_subject_claim: str = "sub"
    oidc_tenant: str | None = None
    oidc_scopes: str = "openid profile email"
    # The scheduled sync of one organisation from the municipality's systems (REGISTRY_ORG_SYNC_*):
    # the source's kind and where to read it (registry.sources.SourceConfig's fields), how often, and
    # in what batches. Off unless REGISTRY_ORG_SYNC_SOURCE is set.
    org_sync_tenant: str | None = None
    org_sync_source: dict[str, str] | None = None
    org_sync_every_minutes: float = 1440.0
    org_sync_batch_size: int = 2000
    org_sync_review_days: int = 30
    # E-mail to people (issue 14, part 3; registry.services.mail), off unless REGISTRY_SMTP_HOST is set
    # (in development `registry serve` runs a local SMTP server that writes each mail to the data
    # directory's mail folder, unless a host is set): the SMTP server, STARTTLS, the login, the From
    # address, how often the mailer looks, and how long the mail log is kept.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    mail_from: str = "Delegeringsregistret <registry@localhost>"
    mail_every_seconds: float = 60.0
    mail_log_retention_days: int = 90
    # Links in mail go to REGISTRY_PUBLIC_URL; without it, to this (set by `registry serve`: its own address).
    mail_link_base: str | None = None
    # Webhooks (issue 14, part 2; registry.services.webhooks): every server runs the delivery loop while
    # the outbox is on. Each round (every `webhook_every_seconds`) queues new events for their
    # subscriptions and makes at most `webhook_concurrency` attempts at once, each cut off after
    # `webhook_timeout_seconds`. A failed attempt is retried after base * 2^(n-1) seconds (at most
    # `webhook_retry_max_seconds`, with jitter) until `webhook_retry_window_seconds` have passed since it
    # was queued: then it is a dead letter. Delivered events are kept `outbox_retention_days`.
    webhook_every_seconds: float = 1.0
    webhook_timeout_seconds: float = 10.0
    webhook_concurrency: int = 8
    webhook_retry_base_seconds: float = 30.0
    webhook_retry_max_seconds: float = 4 * 3600.0
    webhook_retry_window_seconds: float = 24 * 3600.0
    webhook_max_subscriptions: int = 20
    # Receivers inside the network (localhost, private and link-local addresses, internal names): off
    # in production unless REGISTRY_WEBHOOK_ALLOW_PRIVATE is set (a system could otherwise make the
    # registry post to what only the registry can reach); on in development.
    webhook_allow_private: bool = False
    outbox_retention_days: int = 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        mode = env.get("REGISTRY_MODE", "development")
        if mode not in ("development", "production"):
            raise ValueError(f"REGISTRY_MODE must be 'development' or 'production', not {mode!r}")
        secret = env.get("REGISTRY_JWT_SECRET")
        data_dir = env.get("REGISTRY_DATA_DIR") or default_data_dir()
        key_settings = [name for name in ("REGISTRY_JWT_SECRET", "REGISTRY_JWT_PUBLIC_KEY_FILE",
                                          "REGISTRY_JWT_JWKS_FILE", "REGISTRY_JWT_JWKS_URL") if env.get(name)]
        if len(key_settings) > 1:
            raise ValueError(f"set only one of {', '.join(key_settings)}: they are alternative sources of the "
                             "keys that verify bearer tokens")
        jwks_url = check_jwks_url(env["REGISTRY_JWT_JWKS_URL"]) if env.get("REGISTRY_JWT_JWKS_URL") else None
        if secret is None and mode == "development" and not key_settings:
            secret = _development_secret(data_dir)
        algorithms = tuple(a.strip() for a in env.get("REGISTRY_JWT_ALGORITHMS", "").split(",") if a.strip())
        if not algorithms:
            algorithms = ("HS256",) if secret else ("RS256",)
        if any(a.lower() == "none" for a in algorithms):
            raise ValueError("REGISTRY_JWT_ALGORITHMS may not include 'none'")
        if jwks_url and any(a.upper().startswith("HS") for a in algorithms):
            raise ValueError("REGISTRY_JWT_ALGORITHMS may not include HS* with REGISTRY_JWT_JWKS_URL: symmetric "
                             "keys are never taken from a URL")
        jwks_timing = {name: _number(env, f"REGISTRY_JWT_JWKS_{name.upper()}_SECONDS", default, float)
                       for name, default in (("ttl", 300.0), ("cooldown", 30.0), ("max_stale", 3600.0),
                                             ("timeout", 5.0))}
        if jwks_timing["max_stale"] < jwks_timing["ttl"]:
            raise ValueError("REGISTRY_JWT_JWKS_MAX_STALE_SECONDS must be at least REGISTRY_JWT_JWKS_TTL_SECONDS")
        decision_log = env.get("REGISTRY_DECISION_LOG", "denies").strip().lower()
        if decision_log not in ("off", "denies", "all"):
            raise ValueError(f"REGISTRY_DECISION_LOG must be 'off', 'denies' or 'all', not {decision_log!r}")
        hsts = env.get("REGISTRY_HSTS", "auto").strip().lower()
        if hsts not in ("auto", "on", "off"):
            raise ValueError(f"REGISTRY_HSTS must be 'auto', 'on' or 'off', not {hsts!r}")
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
            jwt_jwks_url=jwks_url,
            jwt_jwks_ttl_seconds=jwks_timing["ttl"],
            jwt_jwks_cooldown_seconds=jwks_timing["cooldown"],
            jwt_jwks_max_stale_seconds=jwks_timing["max_stale"],
            jwt_jwks_timeout_seconds=jwks_timing["timeout"],
            jwt_issuer=env.get("REGISTRY_JWT_ISSUER"),
            jwt_audience=env.get("REGISTRY_JWT_AUDIENCE"),
            jwt_tenant_claim=env.get("REGISTRY_JWT_TENANT_CLAIM", "tenant"),
            jwt_leeway_seconds=int(env.get("REGISTRY_JWT_LEEWAY_SECONDS", "30")),
            graphiql=_flag(env.get("REGISTRY_GRAPHIQL"), default=mode == "development"),
            introspection=_flag(env.get("REGISTRY_INTROSPECTION"), default=mode == "development"),
            openapi=_flag(env.get("REGISTRY_OPENAPI"), default=mode == "development"),
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
            decision_log=decision_log,
            decision_log_queue_size=_number(env, "REGISTRY_DECISION_LOG_QUEUE_SIZE", 50_000, int),
            decision_log_batch_size=_number(env, "REGISTRY_DECISION_LOG_BATCH_SIZE", 500, int),
            decision_log_flush_interval=_number(env, "REGISTRY_DECISION_LOG_FLUSH_INTERVAL", 1.0, float),
            decision_log_retention_days=_number(env, "REGISTRY_DECISION_LOG_RETENTION_DAYS", 365, int),
            outbox=_flag(env.get("REGISTRY_OUTBOX"), default=True),
            outbox_every_seconds=_number(env, "REGISTRY_OUTBOX_EVERY_SECONDS", 60.0, float),
            hsts=hsts,
            **_web_settings(env, mode, secret),
            **_org_sync_settings(env),
            **_mail_settings(env),
            **_webhook_settings(env),
            webhook_allow_private=_flag(env.get("REGISTRY_WEBHOOK_ALLOW_PRIVATE"), default=mode == "development"),
        )


def check_jwks_url(url: str, name: str = "REGISTRY_JWT_JWKS_URL") -> str:
    """The URL, if keys may be fetched from it: https, or http on this machine only."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if parts is None or not host or parts.scheme not in ("https", "http") or \
            (parts.scheme == "http" and host not in LOOPBACK_HOSTS):
        raise ValueError(f"{name} must be an https:// URL (http:// only for 127.0.0.1 or "
                         f"localhost), not {url!r}")
    return url


def _number(env: Mapping[str, str], name: str, default, kind: type):
    """A positive int or float setting, or a ValueError naming the variable."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        what = "a positive whole number" if kind is int else "a positive number"
        raise ValueError(f"{name} must be {what}, not {raw!r}")
    return value


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


def _web_settings(env: Mapping[str, str], mode: str, dev_secret: str | None) -> dict:
    """The web app's settings: the session secret, the public URL and OpenID Connect."""
    issuer = (env.get("REGISTRY_OIDC_ISSUER") or "").strip() or None
    oidc = {name: (env.get(f"REGISTRY_OIDC_{name.upper()}") or "").strip() or None
            for name in ("client_id", "client_secret", "tenant")}
    if issuer is not None:
        missing = [f"REGISTRY_OIDC_{name.upper()}" for name, value in oidc.items() if value is None]
        if missing:
            raise ValueError(f"REGISTRY_OIDC_ISSUER is set: set {', '.join(missing)} too")
        check_jwks_url(issuer, "REGISTRY_OIDC_ISSUER")  # https, or http on this machine only (a test provider)
    session_secret = env.get("REGISTRY_SESSION_SECRET") or None
    if session_secret is not None and len(session_secret) < 32:
        raise ValueError("REGISTRY_SESSION_SECRET must be at least 32 characters")
    if session_secret is None and mode == "development":
        session_secret = dev_secret
    if session_secret is None and issuer is not None:
        raise ValueError("REGISTRY_OIDC_ISSUER needs REGISTRY_SESSION_SECRET (at least 32 random characters, "
                         "the same on every server)")
    public_url = (env.get("REGISTRY_PUBLIC_URL") or "").strip().rstrip("/") or None
    return {
        "session_secret": session_secret,
        "session_hours": _number(env, "REGISTRY_SESSION_HOURS", 10.0, float),
        "session_secure": _flag(env.get("REGISTRY_SESSION_SECURE"), default=mode == "production"),
        "public_url": public_url,
        "dev_login": mode == "development" and _flag(env.get("REGISTRY_DEV_LOGIN"), default=True),
        "oidc_issuer": issuer.rstrip("/") if issuer else None,
        **{f"oidc_{name}": value for name, value in oidc.items()},
        "oidc_subject_claim": (env.get("REGISTRY_OIDC_SUBJECT_CLAIM") or "sub").strip(),
        "oidc_scopes": (env.get("REGISTRY_OIDC_SCOPES") or "openid profile email").strip(),
    }


ORG_SYNC_FIELDS = ("units", "people", "file", "url", "token_url", "client_id", "client_secret")


def _org_sync_settings(env: Mapping[str, str]) -> dict:
    """The scheduled sync: REGISTRY_ORG_SYNC_SOURCE (a kind of source: csv, ...) and _TENANT, where to
    read (_UNITS and _PEOPLE for CSV; _FILE for an export; _URL, _TOKEN_URL, _CLIENT_ID and
    _CLIENT_SECRET for an API), _EVERY_MINUTES (1440), _BATCH_SIZE (2000), _REVIEW_DAYS (30)."""
    kind = (env.get("REGISTRY_ORG_SYNC_SOURCE") or "").strip().lower()
    if not kind:
        return {}
    tenant = (env.get("REGISTRY_ORG_SYNC_TENANT") or "").strip()
    if not tenant:
        raise ValueError("REGISTRY_ORG_SYNC_SOURCE is set: set REGISTRY_ORG_SYNC_TENANT (the organisation's key) too")
    source = {"kind": kind}
    for name in ORG_SYNC_FIELDS:
        value = (env.get(f"REGISTRY_ORG_SYNC_{name.upper()}") or "").strip()
        if value:
            source[name] = value
    raw = (env.get("REGISTRY_ORG_SYNC_REVIEW_DAYS") or "30").strip()
    if not raw.isdigit() or int(raw) > 365:
        raise ValueError(f"REGISTRY_ORG_SYNC_REVIEW_DAYS must be a whole number of days 0-365, not {raw!r}")
    review_days = int(raw)
    return {"org_sync_tenant": tenant, "org_sync_source": source,
            "org_sync_every_minutes": _number(env, "REGISTRY_ORG_SYNC_EVERY_MINUTES", 1440.0, float),
            "org_sync_batch_size": _number(env, "REGISTRY_ORG_SYNC_BATCH_SIZE", 2000, int),
            "org_sync_review_days": review_days}


def _mail_settings(env: Mapping[str, str]) -> dict:
    """E-mail: REGISTRY_SMTP_HOST, _PORT (587), _STARTTLS (on), _USER, _PASSWORD, _TIMEOUT_SECONDS (30);
    REGISTRY_MAIL_FROM, REGISTRY_MAIL_EVERY_SECONDS (60), REGISTRY_MAIL_LOG_RETENTION_DAYS (90)."""
    host = (env.get("REGISTRY_SMTP_HOST") or "").strip() or None
    user = (env.get("REGISTRY_SMTP_USER") or "").strip() or None
    password = env.get("REGISTRY_SMTP_PASSWORD") or None
    if (user is None) != (password is None):
        raise ValueError("set both REGISTRY_SMTP_USER and REGISTRY_SMTP_PASSWORD, or neither")
    sender = (env.get("REGISTRY_MAIL_FROM") or "").strip() or "Delegeringsregistret <registry@localhost>"
    if "@" not in sender or "\n" in sender or "\r" in sender:
        raise ValueError(f"REGISTRY_MAIL_FROM must be an e-mail address, not {sender!r}")
    return {
        "smtp_host": host,
        "smtp_port": _number(env, "REGISTRY_SMTP_PORT", 587, int),
        "smtp_starttls": _flag(env.get("REGISTRY_SMTP_STARTTLS"), default=True),
        "smtp_user": user,
        "smtp_password": password,
        "smtp_timeout": _number(env, "REGISTRY_SMTP_TIMEOUT_SECONDS", 30.0, float),
        "mail_from": sender,
        "mail_every_seconds": _number(env, "REGISTRY_MAIL_EVERY_SECONDS", 60.0, float),
        "mail_log_retention_days": _number(env, "REGISTRY_MAIL_LOG_RETENTION_DAYS", 90, int),
    }


WEBHOOK_SETTINGS = {"every_seconds": 1.0, "timeout_seconds": 10.0, "concurrency": 8, "retry_base_seconds": 30.0,
                    "retry_max_seconds": 4 * 3600.0, "retry_window_seconds": 24 * 3600.0, "max_subscriptions": 20}


def _webhook_settings(env: Mapping[str, str]) -> dict:
    """REGISTRY_WEBHOOK_* (the defaults above) and REGISTRY_OUTBOX_RETENTION_DAYS (30, at least 21: a
    time-driven event must outlive the producer's look-back, or it would be produced again)."""
    found = {f"webhook_{name}": _number(env, f"REGISTRY_WEBHOOK_{name.upper()}", default, type(default))
             for name, default in WEBHOOK_SETTINGS.items()}
    keep = _number(env, "REGISTRY_OUTBOX_RETENTION_DAYS", 30, int)
    if keep < 21:
        raise ValueError("REGISTRY_OUTBOX_RETENTION_DAYS must be at least 21")
    return {**found, "outbox_retention_days": keep}
