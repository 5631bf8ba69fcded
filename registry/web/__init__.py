"""The web app: Danish, server-rendered pages for leaders and employees, on the registry's own
litestar app, over the same use cases as GraphQL (registry/services). No script, no build step,
nothing loaded from elsewhere."""

from __future__ import annotations

from litestar import Router
from litestar.static_files import create_static_files_router

from registry.settings import Settings
from registry.web import acts, board, breach_learning, errors, followup, frames, leader_cards, login, mandate, offers, \
    oidc
from registry.web import mail as mail_pages  # issue 14, part 3
from registry.web.door import session_middleware, web_door
from registry.web.render import STATIC, template_config

__all__ = ["web_router", "template_config"]
WEB = "registry.web"  # marks the web app's routes (opt)


def web_router(settings: Settings) -> list:
    """The pages (behind the web door and the session cookie) and their style sheet."""
    routes = [*login.ROUTES, *oidc.ROUTES, *mandate.ROUTES, *acts.ROUTES, *board.ROUTES, *followup.ROUTES,
              *frames.ROUTES, *leader_cards.ROUTES, *breach_learning.ROUTES, *offers.ROUTES,
              *mail_pages.ROUTES]
    pages = Router(path="/", route_handlers=routes, before_request=web_door,
                   middleware=[session_middleware(settings)], exception_handlers=errors.HANDLERS,
                   include_in_schema=False, opt={WEB: True})
    static = create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False,
                                        name="static", opt={WEB: True})
    return [pages, static]


def is_page(handler) -> bool:
    """A route of the web app (behind registry.web.door, not the API's door): its pages and style sheet."""
    return bool(getattr(handler, "opt", {}).get(WEB))


def passes_web_door(handler) -> bool:
    hook = handler.resolve_before_request()
    return getattr(hook, "func", hook) is web_door


def is_page_route(route) -> bool:
    """Every handler of the route is the web app's (litestar's own OPTIONS answer aside)."""
    handlers = [h for h in getattr(route, "route_handlers", None) or [getattr(route, "route_handler", None)]
                if h is None or set(getattr(h, "http_methods", ())) != {"OPTIONS"}]
    return bool(handlers) and all(h is not None and is_page(h) for h in handlers)
