"""GraphiQL is served by the registry itself and works on a closed network; in development it opens
with the demo leader's token and a first query that works, never in production."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from registry.settings import Settings
from tests.conftest import JWT_SECRET
from tests.support import Api, Server

HTML = {"Accept": "text/html"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class _Page(HTMLParser):
    """Every address the page refers to, and the JSON of its defaults element."""

    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.defaults_text = ""
        self._in_defaults = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        self.refs += [value for name, value in attrs if name in ("src", "href", "action", "srcset") and value]
        self._in_defaults = tag == "script" and values.get("id") == "graphiql-defaults"

    def handle_endtag(self, tag):
        self._in_defaults = False

    def handle_data(self, data):
        if self._in_defaults:
            self.defaults_text += data


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


async def test_graphiql_refers_only_to_the_registrys_own_origin_and_every_file_is_served(api):
    response = await api.client.get("/graphql", headers=HTML)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert len(page.refs) >= 6, page.refs
    own = [ref for ref in page.refs if ref.startswith("/") and not ref.startswith("//")]
    assert sorted(own + [ref for ref in page.refs if ref.startswith("data:")]) == sorted(page.refs), page.refs
    assert "unpkg" not in response.text and "jsdelivr" not in response.text
    for ref in own:
        served = await api.client.get(ref)
        assert served.status_code == 200, ref
        kind = served.headers["content-type"]
        assert ("javascript" in kind) if ref.split("?")[0].endswith(".js") else ("text/css" in kind), (ref, kind)
        assert len(served.content) > 100, ref
    assert (await api.client.get("/graphiql/../pyproject.toml")).status_code == 404
    assert (await api.client.get("/graphiql/views.py")).status_code == 404


async def test_development_graphiql_opens_with_the_leaders_token_and_a_first_query_that_works(api):
    defaults = json.loads(parse((await api.client.get("/graphql", headers=HTML)).text).defaults_text)
    headers = json.loads(defaults["headers"])
    assert headers["Authorization"].startswith("Bearer ")
    answer = await api.client.post("/graphql", json={"query": defaults["query"]}, headers=headers)
    body = answer.json()
    assert answer.status_code == 200 and "errors" not in body, body
    assert body["data"]["me"]["name"] == "Mette Sørensen"
    # The documentation explorer's introspection works with the same headers.
    schema = await api.client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"}, headers=headers)
    assert schema.json()["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_production_graphiql_carries_no_token(demo_db, demo_dsn, clock):
    settings = Settings.from_env({"REGISTRY_MODE": "production", "REGISTRY_GRAPHIQL": "1",
                                  "REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_DATA_DIR": "/tmp/registry-test-unused"})
    async with Api.start(demo_db, settings, clock, demo_dsn) as api:
        response = await api.client.get("/graphql", headers=HTML)
    assert response.status_code == 200
    defaults = json.loads(parse(response.text).defaults_text)
    assert "headers" not in defaults and "Bearer ey" not in response.text
    assert "me" in defaults["query"]
    # Without GraphiQL (production's default), its files are not served either.
    settings = Settings.from_env({"REGISTRY_MODE": "production", "REGISTRY_JWT_SECRET": JWT_SECRET,
                                  "REGISTRY_DATA_DIR": "/tmp/registry-test-unused"})
    async with Api.start(demo_db, settings, clock, demo_dsn) as api:
        assert (await api.client.get("/graphiql/graphiql.min.js")).status_code == 404


# --- in a real browser, with every host but this machine unreachable -------------------------------

def _chromium_dom(url: str, timeout: float = 90.0) -> str:
    profile = tempfile.mkdtemp(prefix="registry-chromium-", dir="/tmp")
    try:
        result = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}",
             # No outside network: every host name but this machine's fails to resolve.
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--virtual-time-budget=20000", "--dump-dom", url],
            capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="Chromium is not installed (CI installs Debian's chromium and runs this)")
async def test_graphiql_loads_in_a_browser_with_no_outside_network_and_shows_the_schema(demo_dsn):
    assert CHROMIUM is not None, "CI must install Debian's chromium (see .ci/run)"
    server = Server(demo_dsn)
    try:
        async with httpx.AsyncClient() as client:
            await server.ready(client)
        import asyncio

        dom = await asyncio.to_thread(_chromium_dom, f"{server.url}/graphql")
    finally:
        server.stop()
    assert "Indlæser GraphiQL" not in dom, dom[:2000]
    assert "graphiql-session" in dom and "MigSelv" in dom, dom[:2000]
    # The documentation explorer is open and shows the schema, fetched with the token in Headers.
    assert "Error fetching schema" not in dom
    assert "Root Types" in dom and "Authorization" in dom, dom[-3000:]
