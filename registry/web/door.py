"""The web app's door: who is signed in (an encrypted session cookie), the form token on every POST,
and registry.access's gate on every page, the same policy and the same operations as GraphQL.

A page names the operations it performs (`opt={"ops": (...)}`, the GraphQL fields' names, e.g.
"delegations" or "declareDelegation"); the door lets the person in only if registry.access could
allow them, and the use cases then check her relation to what she acts on, exactly as for the API.
A page without `ops` is open (the login pages, the style sheet).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime
from urllib.parse import quote, urlsplit
from uuid import UUID

import msgspec
from litestar import Request
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.types import ASGIApp
from litestar.response import Redirect

from registry import logs
from registry.access import access
from registry.auth import Principal, person_principal
from registry.errors import Forbidden, Unauthenticated
from registry.services.common import Ctx
from registry.settings import Settings
from registry.storage import org as org_sql
from registry.storage import standins as standin_sql

SESSION_COOKIE = "registry_session"
CSRF_FIELD = "csrf"
ME = "registry.web.me"


def session_middleware(settings: Settings):
    """The session lives in an AES-GCM encrypted, HttpOnly, SameSite=Lax cookie (litestar's client-side
    sessions): no session table, and every server with the same secret reads it. A plain factory
    function, because litestar deep-copies routers and the cipher cannot be copied."""
    secret = settings.session_secret or secrets.token_urlsafe(32)  # no secret: sessions die with the process
    key = hashlib.sha256(b"registry web session\0" + secret.encode()).digest()
    config = CookieBackendConfig(secret=key, key=SESSION_COOKIE, max_age=int(settings.session_hours * 3600),
                                 secure=settings.session_secure, httponly=True, samesite="lax")
    backend = ClientSideSessionBackend(config=config)

    def middleware(app: ASGIApp) -> ASGIApp:
        return SessionMiddleware(app=app, backend=backend)
    return middleware


class Me(msgspec.Struct, frozen=True, kw_only=True):
    """The signed-in person, as pages need her."""

    person_id: UUID
    external_id: str
    name: str
    tenant_key: str
    roles: tuple[str, ...]
    leads: bool  # leads a unit, is a deputy who may delegate, or stands in for a leader now

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0]


class SessionValues(msgspec.Struct, frozen=True):
    me: Me | None
    csrf: str


def session_values(request: Request) -> SessionValues:
    return SessionValues(request.scope.get(ME), _csrf_token(request))


def _csrf_token(request: Request) -> str:
    session = request.scope.get("session")
    if not isinstance(session, dict):
        return ""
    token = session.get("c")
    if not isinstance(token, str):
        token = session["c"] = secrets.token_urlsafe(24)
    return token


def sign_in(request: Request, tenant_key: str, subject: str, via: str) -> None:
    """A new session for the person (a fresh form token too: nothing carries over from before)."""
    request.set_session({"t": tenant_key, "s": subject, "v": via, "at": int(time.time()),
                         "c": secrets.token_urlsafe(24)})


def sign_out(request: Request) -> None:
    request.clear_session()


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


async def web_door(request: Request) -> Redirect | None:
    """The router's before_request hook: the form token on every POST; then, for a page with
    operations, the signed-in person (or a redirect to the login page) and the gate."""
    if request.method == "POST":
        await _check_form_token(request)
    ops = request.route_handler.opt.get("ops")
    if ops is None:
        await _maybe_signed_in(request)
        return None
    principal = await _signed_in(request)
    if principal is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/log-ind?naeste={quote(here, safe='')}")
    rules = access()
    for op in ops:
        rules.gate(principal, op)
    return None


async def _check_form_token(request: Request) -> None:
    """Synchronizer token: every form carries the session's token, and a POST without it is refused
    (SameSite=Lax already keeps the cookie off other sites' forms; this covers older browsers and
    same-site attackers). An Origin header, when sent, must be this site."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc not in _own_hosts(request):
        raise Forbidden("the form was sent from another site", code="csrf_failed")
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    session = request.scope.get("session")
    expected = session.get("c") if isinstance(session, dict) else None
    if not isinstance(sent, str) or not isinstance(expected, str) or not secrets.compare_digest(sent, expected):
        raise Forbidden("the form's token is missing or stale", code="csrf_failed")


def _own_hosts(request: Request) -> set[str | None]:
    """Where this site is reached: the public URL when set (a proxy in front may pass on another Host
    header, as nginx does by default), and the Host header it was reached by."""
    public = request.app.state.settings.public_url
    return {request.headers.get("host"), *((urlsplit(public).netloc,) if public else ())}


async def _maybe_signed_in(request: Request) -> None:
    try:
        await _signed_in(request)
    except Unauthenticated:
        pass


async def _signed_in(request: Request) -> Principal | None:
    session = request.scope.get("session")
    if not isinstance(session, dict) or not isinstance(session.get("s"), str):
        return None
    state = request.app.state
    settings: Settings = state.settings
    if not isinstance(session.get("at"), int) or session["at"] + settings.session_hours * 3600 < time.time():
        sign_out(request)
        return None
    try:
        principal = await person_principal(state.db, session["t"], session["s"], state.principal_cache)
    except Unauthenticated:
        sign_out(request)  # archived since: signed out, as a revoked token stops working
        return None
    logs.principal.set(principal.actor().label)
    state.rate_limiter.take(principal)
    request.scope["registry.principal"] = principal
    request.scope[ME] = await _me(request, principal)
    return principal


async def _me(request: Request, principal: Principal) -> Me:
    person = principal.person
    assert person is not None
    now: datetime = request.app.state.clock()
    db = request.app.state.db
    async with db.read() as conn:
        memberships = await org_sql.memberships_of_people(conn, principal.tenant_id, [person.id])
        standing_in = await standin_sql.active_for(conn, principal.tenant_id, person.id, now)
    leads = bool(standing_in) or any(m.role in ("leader", "deputy") and m.active_at(now) for m in memberships)
    return Me(person_id=person.id, external_id=person.external_id, name=person.name, tenant_key=principal.tenant_key,
              roles=tuple(person.roles), leads=leads)


def principal(request: Request) -> Principal:
    """The signed-in person (on a page with operations, the door has made sure there is one)."""
    found = request.scope.get("registry.principal")
    if found is None:
        raise Unauthenticated(code="unauthenticated")
    return found


def ctx(request: Request) -> Ctx:
    """The use cases' context for this page: the same as GraphQL's for this person."""
    return Ctx(db=request.app.state.db, principal=principal(request), clock=request.app.state.clock)


# The navigation: (path, Danish label, shown to). Pages register here as they are added.
NAV: list[tuple[str, str, str]] = [
    ("/mit-mandat", "Mit mandat", "all"),
    ("/handlinger", "Mine handlinger", "all"),
    ("/tavle", "Delegeringstavle", "leader"),
    ("/opfoelgning", "Opfølgning", "leader"),
    ("/tillidsbrud", "Tillidsbrud", "leader_or_hr"),
    ("/hvem-kan-beslutte", "Hvem kan beslutte?", "all"),
    ("/mail-indstillinger", "Mails", "all"),  # issue 14, part 3
]
# What each menu item is for, on the start page.
NAV_HELP = {
    "/mit-mandat": "Hvad du må beslutte, på hvilket niveau, inden for hvilke rammer – og hvad du skal bagefter.",
    "/handlinger": "Registrér en beslutning, du har truffet som hverdagsdirektør, begrund den, og læs lederens "
                   "tilbagemelding.",
    "/tavle": "Dine enheders delegeringer: hvem må beslutte hvad, på hvilket niveau. Delegér, justér og afslut.",
    "/opfoelgning": "Det, der venter på dig: begrundelser, tilbagemeldinger, opfølgninger og delegeringer, der "
                    "udløber.",
    "/tillidsbrud": "Tillidsbrud, du følger op på: hvad der skete, hvordan tilliden genopbygges, og hvornår det "
                    "er afsluttet.",
    "/hvem-kan-beslutte": "Vælg et beslutningsområde og en enhed, og se, hvem der må beslutte.",
    "/mail-indstillinger": "Vælg, hvor tit du vil have et overblik på mail: dagligt, ugentligt eller slet ikke.",
}


def nav_of(request: Request) -> list[tuple[str, str, bool]]:
    """The menu for whoever is signed in: (path, label, is the current page)."""
    me: Me | None = request.scope.get(ME)
    if me is None:
        return []
    path = request.url.path
    shown = []
    for href, label, who in NAV:
        if who == "leader" and not (me.leads or "admin" in me.roles):
            continue
        if who == "leader_or_hr" and not (me.leads or "hr" in me.roles):
            continue
        shown.append((href, label, path == href or path.startswith(href + "/")))
    return shown
