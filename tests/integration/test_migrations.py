"""Migrations: numbered plain SQL, one transaction each, checksummed, safe to re-run and to run concurrently."""

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from registry.storage.migrate import MIGRATIONS_DIR, MigrationError, discover, migrate
from tests.conftest import with_database

CATALOG = {
    "columns": """SELECT table_name, column_name, data_type, is_nullable, column_default
                  FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2""",
    "constraints": """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                      FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2""",
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
    "triggers": """SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger
                   WHERE NOT tgisinternal ORDER BY 1, 2""",
    "functions": """SELECT proname, md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
                    ORDER BY 1""",
}


async def _catalog(dsn):
    conn = await asyncpg.connect(dsn)
    try:
        return {k: [tuple(r) for r in await conn.fetch(q)] for k, q in CATALOG.items()}
    finally:
        await conn.close()


async def _fresh(server_dsn, name):
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return with_database(server_dsn, name)


async def test_a_database_migrated_step_by_step_equals_a_fresh_one(templates, tmp_path):
    fresh = await _fresh(templates, "mig_fresh")
    await migrate(fresh)
    stepwise = await _fresh(templates, "mig_steps")
    files = sorted(MIGRATIONS_DIR.glob("*.sql"))
    for i in range(1, len(files) + 1):  # an older database upgraded release by release
        step_dir = tmp_path / f"upto{i}"
        step_dir.mkdir()
        for f in files[:i]:
            shutil.copy(f, step_dir / f.name)
        await migrate(stepwise, step_dir)
    assert await _catalog(fresh) == await _catalog(stepwise)
    template = await _catalog(with_database(templates, "registry_template"))
    assert template == await _catalog(fresh)
    assert len(template["triggers"]) >= 18


async def test_re_running_migrate_is_a_no_op(templates):
    dsn = await _fresh(templates, "mig_rerun")
    first = await migrate(dsn)
    assert first == [name for _, name, _ in discover()]
    catalog = await _catalog(dsn)
    assert await migrate(dsn) == []
    assert await _catalog(dsn) == catalog


async def test_an_edited_applied_migration_is_refused(templates, tmp_path):
    dsn = await _fresh(templates, "mig_edit")
    for f in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(f, tmp_path / f.name)
    await migrate(dsn, tmp_path)
    first = sorted(tmp_path.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- an innocent-looking edit\n")
    with pytest.raises(MigrationError, match="edited after it was applied"):
        await migrate(dsn, tmp_path)


def test_badly_numbered_migrations_are_refused(tmp_path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="without gaps"):
        discover(tmp_path)


async def test_a_failing_migration_leaves_nothing_behind(templates, tmp_path):
    dsn = await _fresh(templates, "mig_fail")
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE a (x int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE b (x int); SELECT no_such_function();")
    with pytest.raises(asyncpg.PostgresError):
        await migrate(dsn, tmp_path)
    conn = await asyncpg.connect(dsn)
    try:
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
        applied = [r["name"] for r in await conn.fetch("SELECT name FROM schema_migration")]
    finally:
        await conn.close()
    assert "a" in tables and "b" not in tables and applied == ["0001_ok.sql"]


async def test_two_concurrent_migrate_processes_apply_each_file_once(templates):
    dsn = await _fresh(templates, "mig_race")
    env = {**os.environ, "REGISTRY_DATABASE_URL": dsn}
    root = Path(__file__).resolve().parents[2]
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-m", "registry.cli", "migrate", env=env, cwd=root,
                                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    results = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    outputs = sorted(out.decode().strip() for out, _ in results)
    assert outputs[0].startswith("applied: 0001_core.sql") and outputs[1] == "the database is up to date"
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migration") == len(discover())
    finally:
        await conn.close()
