"""Signing in through the organisation's identity provider: OpenID Connect's authorization code flow
with PKCE (S256), state and nonce (Authlib for the authorization URL and the token exchange; joserfc,
which Authlib itself uses, and Authlib's CodeIDToken for the ID token).

GET /log-ind/oidc sends the person to the provider; the provider sends her back to
GET /log-ind/oidc/svar with a code, which the registry exchanges (a direct HTTPS call) for an ID token.
The token's signature is checked against the provider's published keys, and its issuer, audience,
expiry and nonce against this sign-in; the configured claim (REGISTRY_OIDC_SUBJECT_CLAIM, "sub" unless
set) is the person's external id in the registry's organisation REGISTRY_OIDC_TENANT.

What is pending between the two requests (state, nonce, the PKCE verifier, where to go next) lives in
the encrypted session cookie and is removed on the way back, used or not. Signing out stays local
(POST /log-ud).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import warnings
from typing import Annotated
from urllib.parse import quote

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.base_client import OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Redirect

from registry import texts
from registry.auth import person_principal
from registry.errors import Unauthenticated, Unavailable
from registry.settings import Settings, check_jwks_url
from registry.web.door import safe_next, sign_in

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 package (a dependency of the registry, so that the server and
    # the tests exchange the code through the same client) and warns when it falls back to httpx.
    warnings.filterwarnings("ignore", "The httpx module is deprecated", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

try:  # what the token exchange (Authlib's client) raises: httpx2's errors, or httpx's on the fallback
    import httpx2

    _EXCHANGE_TRANSPORT: tuple[type[Exception], ...] = (httpx.TransportError, httpx2.TransportError)
    _EXCHANGE_HTTP: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError)
except ImportError:  # pragma: no cover - httpx2 is a dependency; kept for a trimmed install
    _EXCHANGE_TRANSPORT, _EXCHANGE_HTTP = (httpx.TransportError,), (httpx.HTTPError,)

log = logging.getLogger("registry.web.oidc")

CALLBACK = "/log-ind/oidc/svar"
PENDING = "oidc"  # the session key of a sign-in under way
PENDING_SECONDS = 15 * 60  # how long the person may spend at the provider
TIMEOUT_SECONDS = 5.0  # each call to the provider
METADATA_TTL_SECONDS = 3600.0  # the discovery document is fetched again after this
KEYS_REFRESH_COOLDOWN_SECONDS = 60.0  # an unknown key id refetches the keys at most this often
LEEWAY_SECONDS = 60  # clock skew allowed on the ID token's times
# Signatures by the provider's published (asymmetric) keys only: never "none", never the client secret.
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class ProviderError(Exception):
    """The provider could not be reached, or answered something unusable."""


class Provider:
    """The identity provider as its discovery document describes it, with its signing keys, both cached
    (one per app; the document for an hour, the keys until a token names a key they lack)."""

    def __init__(self, issuer: str, *, timeout: float = TIMEOUT_SECONDS, clock=time.monotonic):
        self.issuer = issuer
        self.timeout = timeout
        self.clock = clock
        self._metadata: dict | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._refreshed_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _get_json(self, url: str) -> dict:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return body

    async def metadata(self) -> dict:
        """The discovery document ({issuer}/.well-known/openid-configuration), checked: the same
        issuer, and its endpoints https (http on this machine only)."""
        if self._metadata is not None and self.clock() - self._metadata_at < METADATA_TTL_SECONDS:
            return self._metadata
        async with self._lock:
            if self._metadata is not None and self.clock() - self._metadata_at < METADATA_TTL_SECONDS:
                return self._metadata
            url = f"{self.issuer}/.well-known/openid-configuration"
            try:
                found = await self._get_json(url)
            except (httpx.HTTPError, ValueError) as exc:
                if self._metadata is not None:  # a known document stays usable while the provider hiccups
                    log.warning("OpenID Connect discovery failed (%s); using the copy from before", exc)
                    self._metadata_at = self.clock() - METADATA_TTL_SECONDS + KEYS_REFRESH_COOLDOWN_SECONDS
                    return self._metadata
                raise ProviderError(f"discovery at {url} failed: {type(exc).__name__}: {exc}") from exc
            _check_metadata(found, self.issuer)
            self._metadata, self._metadata_at = found, self.clock()
            return found

    async def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys (jwks_uri); `refresh` fetches them again (a key rotated in since),
        at most once a minute, however many tokens name keys it lacks."""
        now = self.clock()
        if self._keys is not None and not (refresh and now - self._refreshed_at >= KEYS_REFRESH_COOLDOWN_SECONDS):
            return self._keys
        metadata = await self.metadata()
        async with self._lock:
            if refresh:
                self._refreshed_at = now
            try:
                found = KeySet.import_key_set(await self._get_json(metadata["jwks_uri"]))
            except (httpx.HTTPError, ValueError, JoseError) as exc:
                if self._keys is not None:
                    log.warning("fetching the provider's keys failed (%s); using the ones from before", exc)
                    return self._keys
                raise ProviderError(f"the keys at {metadata['jwks_uri']} could not be read: {exc}") from exc
            self._keys = found
            return found


def _check_metadata(metadata: dict, issuer: str) -> None:
    if metadata.get("issuer") != issuer:
        raise ProviderError(f"the discovery document names the issuer {metadata.get('issuer')!r}, "
                            f"not REGISTRY_OIDC_ISSUER {issuer!r}")
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = metadata.get(field)
        if not isinstance(value, str):
            raise ProviderError(f"the discovery document has no {field}")
        try:
            check_jwks_url(value, field)
        except ValueError as exc:
            raise ProviderError(str(exc)) from exc


def provider(request: Request) -> Provider:
    """This app's provider (made on first use)."""
    settings: Settings = request.app.state.settings
    if settings.oidc_issuer is None:
        raise NotFoundException()
    state = request.app.state
    found = getattr(state, "oidc_provider", None)
    if found is None or found.issuer != settings.oidc_issuer:
        found = Provider(settings.oidc_issuer)
        state.oidc_provider = found
    return found


def _unavailable(exc: Exception) -> Unavailable:
    log.warning("OpenID Connect login unavailable: %s", exc)
    return Unavailable("the identity provider cannot be reached", code="unavailable",
                       message_da=texts.OIDC_DA["provider_unavailable"])


def _redirect_uri(request: Request, settings: Settings) -> str:
    base = settings.public_url or str(request.base_url).rstrip("/")
    return base + CALLBACK


def _client(settings: Settings, metadata: dict, redirect_uri: str) -> AsyncOAuth2Client:
    """Authlib's client, authenticating at the token endpoint as the provider says it can
    (client_secret_basic, the standard's default, unless it lists only client_secret_post)."""
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    method = "client_secret_post" if "client_secret_basic" not in methods and "client_secret_post" in methods \
        else "client_secret_basic"
    return AsyncOAuth2Client(client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
                             token_endpoint_auth_method=method, scope=settings.oidc_scopes,
                             redirect_uri=redirect_uri, code_challenge_method="S256", timeout=TIMEOUT_SECONDS)


def _failed(code: str, naeste: str = "/") -> Redirect:
    target = f"/log-ind?fejl={code}"
    if naeste != "/":
        target += f"&naeste={quote(naeste, safe='')}"
    return Redirect(target, status_code=303)


@get("/log-ind/oidc", status_code=303)
async def start(request: Request, naeste: str | None = None) -> Redirect:
    """Off to the provider: the authorization request (code flow, PKCE S256, state, nonce)."""
    settings: Settings = request.app.state.settings
    found = provider(request)
    try:
        metadata = await found.metadata()
    except ProviderError as exc:
        raise _unavailable(exc) from exc
    redirect_uri = _redirect_uri(request, settings)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    async with _client(settings, metadata, redirect_uri) as client:
        url, _ = client.create_authorization_url(metadata["authorization_endpoint"], state=state,
                                                 code_verifier=verifier, nonce=nonce)
    session = request.scope.get("session")
    session = dict(session) if isinstance(session, dict) else {}
    session[PENDING] = {"state": state, "nonce": nonce, "verifier": verifier, "redirect_uri": redirect_uri,
                        "naeste": safe_next(naeste), "at": int(time.time())}
    request.set_session(session)
    return Redirect(url, status_code=303)


def _take_pending(request: Request) -> dict | None:
    """The sign-in under way, removed from the session (a state is good for one answer only)."""
    session = request.scope.get("session")
    if not isinstance(session, dict) or PENDING not in session:
        return None
    rest = {k: v for k, v in session.items() if k != PENDING}
    pending = session[PENDING]
    if rest:
        request.set_session(rest)
    else:
        request.clear_session()
    return pending if isinstance(pending, dict) else None


@get(CALLBACK, status_code=303)
async def callback(request: Request, code: str | None = None, error: str | None = None,
                   answer_state: Annotated[str | None, QueryParameter(name="state")] = None) -> Redirect:
    """The provider's answer: check the state, exchange the code, verify the ID token, sign in."""
    settings: Settings = request.app.state.settings
    found = provider(request)
    pending = _take_pending(request)
    naeste = safe_next(pending.get("naeste") if pending else None)
    if error is not None:  # signs no one in, so it needs no state (some providers send none with it)
        log.info("the identity provider answered error=%s (%s)", error[:100],
                 (request.query_params.get("error_description") or "")[:200])
        return _failed("login_cancelled" if error == "access_denied" else "login_failed", naeste)
    if pending is None or not isinstance(answer_state, str) or not isinstance(pending.get("state"), str) \
            or not secrets.compare_digest(answer_state, pending["state"]):
        log.info("OpenID Connect answer refused: %s", "no sign-in under way" if pending is None else "state mismatch")
        return _failed("login_stale")
    if not isinstance(pending.get("at"), int) or pending["at"] + PENDING_SECONDS < time.time():
        return _failed("login_stale", naeste)
    if not code:
        return _failed("login_failed", naeste)
    try:
        metadata = await found.metadata()
        async with _client(settings, metadata, pending["redirect_uri"]) as client:
            token = await client.fetch_token(metadata["token_endpoint"], grant_type="authorization_code",
                                             code=code, code_verifier=pending["verifier"],
                                             redirect_uri=pending["redirect_uri"])
    except ProviderError as exc:
        raise _unavailable(exc) from exc
    except _EXCHANGE_TRANSPORT as exc:
        raise _unavailable(exc) from exc
    except (OAuthError, *_EXCHANGE_HTTP, ValueError) as exc:  # the provider refused the code, or answered nonsense
        log.warning("OpenID Connect token exchange failed: %s: %s", type(exc).__name__, exc)
        return _failed("login_failed", naeste)
    try:
        claims = await verify_id_token(found, settings, token, pending["nonce"])
    except ProviderError as exc:
        raise _unavailable(exc) from exc
    except (JoseError, ValueError, KeyError) as exc:
        log.warning("OpenID Connect ID token refused: %s: %s", type(exc).__name__, exc)
        return _failed("login_failed", naeste)
    subject = claims.get(settings.oidc_subject_claim)
    if isinstance(subject, int) and not isinstance(subject, bool):
        subject = str(subject)
    if not isinstance(subject, str) or not subject.strip():
        log.warning("the ID token has no %r claim (REGISTRY_OIDC_SUBJECT_CLAIM); its claims: %s",
                    settings.oidc_subject_claim, sorted(claims))
        return _failed("login_failed", naeste)
    tenant = settings.oidc_tenant
    assert tenant is not None  # settings: an issuer needs a tenant
    try:
        await person_principal(request.app.state.db, tenant, subject)
    except Unauthenticated:
        log.info("OpenID Connect sign-in of a person not in %r (or archived): %s", tenant, subject)
        return _failed("unknown_person", naeste)
    sign_in(request, tenant, subject, via="oidc")
    return Redirect(naeste, status_code=303)


async def verify_id_token(found: Provider, settings: Settings, token: dict, nonce: str) -> dict:
    """The ID token's claims, if its signature is the provider's (its published keys, an asymmetric
    algorithm it names) and it was issued by the provider, to this client, for this sign-in, and is
    not expired. Raises JoseError (or ValueError, KeyError) otherwise."""
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise ValueError("the token response has no id_token (is 'openid' in REGISTRY_OIDC_SCOPES?)")
    metadata = await found.metadata()
    named = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in named if alg in ALLOWED_ALGORITHMS] or ["RS256"]
    registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)
    try:
        decoded = jwt.decode(id_token, await found.keys(), registry=registry)
    except InvalidKeyIdError:  # a key the provider rotated in since: fetch its keys again
        decoded = jwt.decode(id_token, await found.keys(refresh=True), registry=registry)
    options = {"iss": {"essential": True, "value": found.issuer},
               "aud": {"essential": True, "value": settings.oidc_client_id},
               "exp": {"essential": True}}
    params = {"nonce": nonce, "client_id": settings.oidc_client_id, "access_token": token.get("access_token")}
    claims = CodeIDToken(decoded.claims, decoded.header, options, params)
    claims.validate(now=int(time.time()), leeway=LEEWAY_SECONDS)
    return dict(claims)


ROUTES = [start, callback]
