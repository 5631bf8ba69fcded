"""GraphiQL served by the registry itself, so that it works on a closed network: the page, its start
script (registry/api/static/graphiql-start.js) and GraphiQL's built scripts and styles, which come
from the `graphene-django-graphiql-static` package (GraphiQL 2, React 17 and the explorer plugin as
files; nothing of it is imported, so it brings no Django). The page refers to nothing outside this
origin.

In development mode, when the demo organisation is loaded, the page opens with a fresh token for the
demo leader in the Headers tab, the documentation explorer showing the schema, and a short first query
that works. Never in production mode.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from pathlib import Path

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

PREFIX = "/graphiql"
PACKAGE = "graphene_django_graphiql_static"
_OWN = Path(__file__).parent / "static"
# The files the page loads, in order, and where each comes from.
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js",
           "graphiql-plugin-explorer.umd.js", "graphiql-start.js")
STYLES = ("graphiql.min.css", "style.css")
_MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

FIRST_QUERY_DEVELOPMENT = """\
# Velkommen til registret.
# Du er logget ind som {name}
# (et udviklingstoken i fanen Headers).
# Kør forespørgslen med ▶ eller Ctrl-Enter;
# Docs til venstre viser, hvad du kan spørge om.
query MigSelv {{
  me {{
    name
    memberships {{ role unit {{ name }} }}
  }}
}}
"""

FIRST_QUERY = """\
# Velkommen til registret.
# Sæt dit token i fanen Headers:
#   {"Authorization": "Bearer <token>"}
# og kør forespørgslen med ▶ eller Ctrl-Enter.
query MigSelv {
  me { name }
}
"""


@functools.cache
def _version() -> str:
    """A digest of the page's files, in their addresses: a browser keeps each file for a day, and
    fetches it anew when it changes."""
    digest = hashlib.sha256()
    for name in (*STYLES, *SCRIPTS):
        digest.update(asset(name) or b"")
    return digest.hexdigest()[:12]


@functools.cache
def asset(name: str) -> bytes | None:
    """One of the page's files, or None."""
    if name == "graphiql-start.js":
        return (_OWN / name).read_bytes()
    if name not in SCRIPTS and name not in STYLES:
        return None
    return (resources.files(PACKAGE) / "static" / PACKAGE / name).read_bytes()


@get(f"{PREFIX}/{{name:str}}", include_in_schema=False, sync_to_thread=False)
def graphiql_asset(name: str) -> Response[bytes]:
    body = asset(name)
    if body is None:
        raise NotFoundException()
    return Response(body, media_type=_MEDIA[Path(name).suffix],
                    headers={"Cache-Control": "public, max-age=86400"})


def page(defaults: dict) -> str:
    """The GraphiQL page with these defaults (query, headers, and whether the docs are open)."""
    version = _version()
    # JSON inside <script type="application/json">: nothing in it may close the element.
    data = json.dumps(defaults, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("&", "\\u0026")
    styles = "\n".join(f'    <link rel="stylesheet" href="{PREFIX}/{name}?v={version}">' for name in STYLES)
    scripts = "\n".join(f'    <script src="{PREFIX}/{name}?v={version}"></script>' for name in SCRIPTS)
    return f"""<!doctype html>
<html lang="da">
  <head>
    <meta charset="utf-8">
    <title>registry · GraphiQL</title>
    <link rel="icon" href="data:,">
{styles}
    <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
  </head>
  <body>
    <div id="graphiql">Indlæser GraphiQL …</div>
    <script id="graphiql-defaults" type="application/json">{data}</script>
{scripts}
  </body>
</html>
"""


async def development_defaults(request: Request) -> dict:
    """What the page opens with: in development mode with the demo organisation, the demo leader's
    token; otherwise only a first query that says where the token goes."""
    from registry.demo import DEMO_LOGINS, DEMO_TENANT, demo_exists, person_external_id

    settings = request.app.state.settings
    verifier = request.app.state.verifier
    if settings.mode != "development" or not settings.jwt_secret or not await demo_exists(request.app.state.db):
        return {"query": FIRST_QUERY}
    leader = person_external_id(DEMO_LOGINS["leader"])
    token = verifier.mint(subject=leader, tenant=DEMO_TENANT, ttl_seconds=settings.dev_token_ttl_seconds)
    return {"query": FIRST_QUERY_DEVELOPMENT.format(name=_name_of(leader)),
            "headers": json.dumps({"Authorization": f"Bearer {token}"}, indent=2),
            "showDocs": True}


def _name_of(external_id: str) -> str:
    from registry.demo_data import DEMO

    return next(p["name"] for p in DEMO["people"] if p["external_id"] == external_id)
