"""Signing in and out, and the front page.

Production signs in through the organisation's identity provider (registry.web.oidc). The
development login lists the people and signs in as any of them: only with REGISTRY_MODE=development.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from registry import texts
from registry.auth import person_principal
from registry.errors import Unauthenticated
from registry.services import dev_login
from registry.settings import Settings
from registry.web.door import ME, NAV_HELP, safe_next, sign_in, sign_out
from registry.web.render import page


@get("/", opt={"ops": ("me",)})
async def front_page(request: Request) -> object:
    """The start page: what the person can do here, in the menu's order."""
    return page(request, "start.html", nav_help=NAV_HELP)


@get("/log-ind")
async def login_page(request: Request, naeste: str | None = None, fejl: str | None = None) -> object:
    settings: Settings = request.app.state.settings
    if request.scope.get(ME) is not None and not fejl:
        return Redirect(safe_next(naeste))
    people = await dev_login.choices(request.app.state.db, request.app.state.clock()) if settings.dev_login else []
    return page(request, "login.html", naeste=safe_next(naeste), people=people, oidc=settings.oidc_issuer is not None,
                error=texts.error_da(fejl) if fejl else None, status=401 if fejl else 200)


@post("/log-ind/udvikling", status_code=303)
async def development_login(request: Request) -> Redirect:
    settings: Settings = request.app.state.settings
    if not settings.dev_login:
        raise NotFoundException()
    form = await request.form()
    tenant, person, target = form.get("tenant"), form.get("person"), form.get("naeste")
    if not isinstance(tenant, str) or not isinstance(person, str):
        return Redirect("/log-ind?fejl=login_failed", status_code=303)
    try:
        await person_principal(request.app.state.db, tenant, person)
    except Unauthenticated:
        return Redirect("/log-ind?fejl=unknown_person", status_code=303)
    sign_in(request, tenant, person, via="development")
    return Redirect(safe_next(target if isinstance(target, str) else None), status_code=303)


@post("/log-ud", status_code=303)
async def logout(request: Request) -> Redirect:
    sign_out(request)
    return Redirect("/log-ind", status_code=303)


ROUTES = [front_page, login_page, development_login, logout]
