"""A person's e-mail preferences (issue 14, part 3): the digest she gets (daily, weekly or none), or the
organisation's default. Over the same use case as GraphQL's setMyMailDigest (registry.services.mail)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect

from registry import errors, texts
from registry.domain import mail as dm
from registry.errors import RegistryError
from registry.services import mail as mail_uc
from registry.web.door import ctx
from registry.web.forms import failure, form_values, saved
from registry.web.render import page

DEFAULT = "standard"  # the form's value for "follow the organisation's default"


async def _page(request: Request, *, error: str | None = None, chosen: str | None = None, status: int = 200):
    prefs = await mail_uc.preferences(ctx(request))
    choices = [(DEFAULT, f"Som standard i organisationen ({texts.MAIL_DIGESTS_DA[prefs.default].lower()})")]
    choices += [(d, texts.MAIL_DIGESTS_DA[d]) for d in dm.DIGESTS]
    return page(request, "mail_settings.html", prefs=prefs, choices=choices,
                chosen=chosen or prefs.own or DEFAULT, error=error, status=status, saved=saved(request))


@get(dm.SETTINGS_PATH, opt={"ops": ("myMailPreferences",)})
async def mail_settings(request: Request) -> object:
    return await _page(request)


@post(dm.SETTINGS_PATH, opt={"ops": ("setMyMailDigest",)}, status_code=303)
async def set_mail_digest(request: Request) -> object:
    form = await form_values(request)
    chosen = (form.get("overblik") or "").strip()
    try:
        await mail_uc.set_own(ctx(request), None if chosen == DEFAULT else chosen)
    except errors.Unauthenticated:
        raise
    except RegistryError as exc:
        status, message, _ = failure(exc)
        if status in (403, 404):
            raise
        return await _page(request, error=message, status=status)
    return Redirect(f"{dm.SETTINGS_PATH}?gemt=1", status_code=303)


ROUTES = [mail_settings, set_mail_digest]
