"""Helpers for driving the real app through a real HTTP client."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from registry.app import create_app, new_engine
from registry.auth import JwtVerifier
from registry.demo import DEMO_TENANT
from registry.storage.db import Db


ROOT = Path(__file__).resolve().parents[1]


class GraphQLResult:
    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body
        self.data = body.get("data")
        self.errors = body.get("errors")

    def __getitem__(self, key: str) -> Any:
        assert self.errors is None, self.errors
        return self.data[key]


class Api:
    def __init__(self, client: httpx.AsyncClient, db: Db, settings, clock):
        self.client = client
        self.db = db
        self.settings = settings
        self.clock = clock
        self.verifier = JwtVerifier(settings)

    @classmethod
    @asynccontextmanager
    async def start(cls, db: Db, settings, clock, dsn: str):
        # httpx's ASGI transport runs the app on this event loop, where the asyncpg pool lives.
        # The app is given its database and engine, so its lifespan (which would open them) has
        # nothing to do.
        engine = new_engine(settings, dsn)
        await engine.start()
        app = create_app(settings, clock=clock, db=db, engine=engine)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
                api = cls(client, db, settings, clock)
                api.engine = engine
                yield api
        finally:
            await engine.stop()

    def token(self, external_id: str, tenant: str = DEMO_TENANT) -> str:
        return self.verifier.mint(subject=external_id, tenant=tenant, ttl_seconds=600)

    async def gql(self, query: str, variables: dict | None = None, *, as_: str | None = None,
                  token: str | None = None, api_key: str | None = None, tenant: str = DEMO_TENANT) -> GraphQLResult:
        headers = {}
        if as_ is not None:
            token = self.token(as_, tenant)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if api_key is not None:
            headers["X-Api-Key"] = api_key
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                          headers=headers)
        return GraphQLResult(response.status_code, response.json())

    @asynccontextmanager
    async def web(self, as_: str | None = None):
        """A browser-like client of the web app (its own cookies), signed in through the development
        login as `as_` (an external id) unless None."""
        async with httpx.AsyncClient(transport=self.client._transport, base_url="http://registry.test") as client:
            web = WebClient(client)
            if as_ is not None:
                await web.sign_in(as_)
            yield web

    async def ids(self) -> "DemoIds":
        return await DemoIds.load(self.db)

    async def accept(self, delegation_id: str) -> dict:
        """The delegate takes up an offered delegation (issue 12, part 1: from level 5 a delegation
        allows nothing until she accepts), through the API as she would; for a team, its first member."""
        async with self.db.read() as conn:
            row = await conn.fetchrow(
                """SELECT o.id, o.version, coalesce(p.external_id, (
                       SELECT m.external_id FROM team_member tm JOIN person m ON m.tenant_id = tm.tenant_id
                           AND m.id = tm.person_id
                        WHERE tm.tenant_id = d.tenant_id AND tm.team_id = d.delegate_team_id AND tm.archived_at IS NULL
                        ORDER BY tm.valid_from, m.external_id LIMIT 1)) AS delegate
                     FROM delegation_offer o JOIN delegation d ON d.tenant_id = o.tenant_id AND d.id = o.delegation_id
                     LEFT JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.delegate_person_id
                    WHERE o.delegation_id = $1 AND o.status = 'open' AND o.kind IN ('new', 'widening')""",
                UUID(str(delegation_id)))
        assert row is not None, f"delegation {delegation_id} has no open offer"
        answered = (await self.gql("""mutation($i: AnswerOfferInput!, $v: Int!) { answerOffer(input: $i, version: $v) {
            __typename ... on OfferPayload { revision offer { status } } ... on Error { code message } } }""",
            {"i": {"offerId": str(row["id"]), "answer": "ACCEPT"}, "v": row["version"]},
            as_=row["delegate"]))["answerOffer"]
        assert answered["__typename"] == "OfferPayload", answered
        return answered


class WebClient:
    """The web app as a form-posting browser sees it: follows the session cookie, and sends the form
    token of the last page it read with every POST."""

    _TOKEN = re.compile(r'name="csrf" value="([^"]+)"')

    def __init__(self, client: httpx.AsyncClient):
        self.client = client
        self.csrf: str | None = None

    async def get(self, path: str, **kwargs) -> httpx.Response:
        response = await self.client.get(path, **kwargs)
        found = self._TOKEN.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs) -> httpx.Response:
        if csrf and self.csrf is None:
            await self.get("/log-ind")
        form = {**({"csrf": self.csrf} if csrf else {}), **(data or {})}
        response = await self.client.post(path, data=form, **kwargs)
        found = self._TOKEN.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def sign_in(self, external_id: str, tenant: str = DEMO_TENANT) -> None:
        await self.get("/log-ind")
        response = await self.post("/log-ind/udvikling", {"tenant": tenant, "person": external_id})
        assert response.status_code == 303 and "fejl" not in response.headers["location"], response.headers
        await self.get(response.headers["location"], follow_redirects=True)  # the next page's form token


class DemoIds:
    """Ids of the demo organisation's entities, by their demo keys and names."""

    @classmethod
    async def load(cls, db: Db) -> "DemoIds":
        self = cls()
        async with db.read() as conn:
            self.tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", DEMO_TENANT)
            self.units = {r["name"]: str(r["id"]) for r in await conn.fetch(
                "SELECT id, name FROM org_unit WHERE tenant_id = $1", self.tenant)}
            self.people = {r["external_id"].split(".")[0]: str(r["id"]) for r in await conn.fetch(
                "SELECT id, external_id FROM person WHERE tenant_id = $1", self.tenant)}
            self.areas = {r["key"]: str(r["id"]) for r in await conn.fetch(
                "SELECT id, key FROM decision_area WHERE tenant_id = $1", self.tenant)}
            self.teams = {r["name"]: str(r["id"]) for r in await conn.fetch(
                "SELECT id, name FROM team WHERE tenant_id = $1", self.tenant)}
        return self

    def unit(self, prefix: str) -> str:
        matches = [i for n, i in self.units.items() if n.startswith(prefix)]
        assert len(matches) == 1, (prefix, list(self.units))
        return matches[0]


TABLES = ("organisation", "org_unit", "person", "membership", "team", "team_member", "decision_area", "delegation",
          "red_line", "api_key", "history", "stand_in", "act", "due_item", "breach", "review", "idempotency_key",
          "leader_card",  # issue 12, part 4
          "breach_response", "breach_account", "breach_frame_change", "learning_point",  # issue 12, part 6
          "delegation_offer", "delegation_request", "unit_frame",  # issue 12, parts 1 and 5
          "person_alias",  # issue 13
          "outbox_event",  # issue 14: a write that changes nothing tells nobody either
          "mail_preference", "mail_default", "mail_sent", "mail_cursor",  # issue 14, part 3
          "webhook_subscription", "webhook_delivery")  # issue 14, part 2


async def snapshot(db: Db) -> dict:
    """Everything a write could change: each table's rows (as text) and every tenant's revision."""
    state = {}
    async with db.read() as conn:
        for table in TABLES:
            # When a key was last used is bookkeeping, not a change (migration 0005).
            rows = await conn.fetch(f"SELECT (to_jsonb(t) - 'last_used_at')::text AS r FROM {table} t ORDER BY 1")
            state[table] = [r["r"] for r in rows]
    return state


async def other_tenant(db: Db) -> dict:
    """A second organisation with one unit, one person and one area; returns their ids."""
    from registry.demo import ensure_tenant
    from registry.services import org as org_uc
    from registry.services.common import Ctx

    admin = await ensure_tenant(db, "anden", "Anden Kommune")
    ctx = Ctx(db=db, principal=admin)
    unit = (await org_uc.create_unit(ctx, name="Rådhuset", kind="direktion", parent_id=None)).value
    person = (await org_uc.create_person(ctx, external_id="ole@anden.dk", name="Ole Anden")).value
    await org_uc.add_membership(ctx, person_id=person.id, unit_id=unit.id, role="leader", valid_from=None,
                                valid_to=None)
    area = (await org_uc.create_area(ctx, key="economy", name_da="Økonomi", name_en="Economy")).value
    return {"unit": str(unit.id), "person": str(person.id), "area": str(area.id)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real `registry` server process (uvicorn) on a free loopback port."""

    def __init__(self, dsn: str, **env):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        from tests.conftest import JWT_SECRET

        environment = {**os.environ, "REGISTRY_DATABASE_URL": dsn, "REGISTRY_JWT_SECRET": JWT_SECRET,
                       "REGISTRY_SYNC_INTERVAL": "0.2", "REGISTRY_STALE_AFTER": "1.5",
                       "REGISTRY_MIN_REVISION_WAIT": "1.0", **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "registry.app:app_from_env", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    async def ready(self, client: httpx.AsyncClient, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stdout.read().decode())
            try:
                if (await client.get(f"{self.url}/health/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
        raise TimeoutError("server did not become ready")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()




async def api_key(db: Db, scopes: list[str], name: str = "test-system", tenant: str = DEMO_TENANT) -> str:
    """A new API key for a tenant, as `registry apikey create` makes them."""
    from registry.auth import new_api_key
    from registry.storage import apikeys
    from registry.storage.db import Actor

    async with db.read() as conn:
        tenant_id = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", tenant)
    secret, prefix = new_api_key()
    async with db.write(tenant_id, Actor("cli")) as tx:
        await apikeys.create(tx, name, scopes, secret, prefix)
    return secret


async def platform_key(db: Db, name: str = "platform-operator") -> str:
    """A new platform operator's key, as `registry apikey create --platform` makes them."""
    from registry.auth import new_api_key
    from registry.storage import apikeys

    secret, prefix = new_api_key()
    async with db.read() as conn:
        await apikeys.create_platform(conn, name, secret, prefix, None, "cli")
    return secret


@contextmanager
def oidc_provider(wrap=None, **options):
    """A real OpenID Connect provider on a free 127.0.0.1 port; its URL is its issuer. `wrap` puts a WSGI
    middleware in front of it (to tamper with what it answers)."""
    import oidc_provider_mock
    import werkzeug.serving

    app = oidc_provider_mock.app(**options)
    server = werkzeug.serving.make_server("127.0.0.1", 0, wrap(app) if wrap else app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
