"""The web app: Danish, server-rendered pages for leaders and employees, on the registry's own
litestar app, over the same use cases as GraphQL (registry/services). No script, no build step,
nothing loaded from elsewhere."""

from __future__ import annotations

from litestar import Router
from litestar.static_files import create_static_files_router

from registry.settings import Settings
from registry.web import acts, errors, login, mandate
from registry.web.door import session_middleware, web_door
from registry.web.render import STATIC, template_config

__all__ = ["web_router", "template_config"]


def web_router(settings: Settings) -> list:
    """The pages (behind the web door and the session cookie) and their style sheet."""
    pages = Router(path="/", route_handlers=[*login.ROUTES, *mandate.ROUTES, *acts.ROUTES], before_request=web_door,
                   middleware=[session_middleware(settings)], exception_handlers=errors.HANDLERS,
                   include_in_schema=False)
    static = create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False,
                                        cache_control=None, name="static")
    return [pages, static]
