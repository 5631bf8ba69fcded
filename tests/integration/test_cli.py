"""The `registry` command as a user runs it, in a subprocess, against a real database."""

import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args, env):
    return subprocess.run([sys.executable, "-m", "registry.cli", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def test_token_mints_a_development_jwt_for_a_person(tmp_path):
    env = {"REGISTRY_DATA_DIR": str(tmp_path)}
    result = _run("token", "--person", "anna.jensen@eksempel.dk", env=env)
    assert result.returncode == 0, result.stderr
    secret = (tmp_path / "dev-jwt-secret").read_text().strip()
    claims = jwt.decode(result.stdout.strip(), secret, algorithms=["HS256"])
    assert claims["sub"] == "anna.jensen@eksempel.dk" and claims["tenant"] == "eksempel"


def test_token_refuses_without_a_development_secret(tmp_path):
    env = {"REGISTRY_DATA_DIR": str(tmp_path), "REGISTRY_MODE": "production"}
    result = _run("token", "--person", "anna.jensen@eksempel.dk", env=env)
    assert result.returncode == 2 and "secret" in result.stderr


async def test_apikey_create_prints_a_key_once_and_stores_only_its_hash(demo_dsn):
    import asyncpg

    env = {"REGISTRY_DATABASE_URL": demo_dsn}
    result = _run("apikey", "create", "--tenant", "eksempel", "--name", "sagssystem", "--scopes", "read,check",
                  env=env)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("rk_") and len(key) > 40
    conn = await asyncpg.connect(demo_dsn)
    try:
        row = await conn.fetchrow("SELECT prefix, scopes, secret_hash FROM api_key WHERE name = 'sagssystem'")
        dump = await conn.fetchval("SELECT string_agg(to_jsonb(a)::text, '') FROM api_key a")
    finally:
        await conn.close()
    assert row["scopes"] == ["read", "check"] and key.startswith(row["prefix"])
    assert key not in dump
    bad = _run("apikey", "create", "--tenant", "eksempel", "--name", "x", "--scopes", "root", env=env)
    assert bad.returncode == 2


async def test_apikey_list_revoke_and_rotate(demo_dsn):
    from registry.auth import authenticate
    from registry.errors import Unauthenticated
    from registry.storage.db import Db

    env = {"REGISTRY_DATABASE_URL": demo_dsn}
    key = _run("apikey", "create", "--tenant", "eksempel", "--name", "vagtplan", "--scopes", "check",
               "--expires-days", "30", env=env).stdout.strip()
    db = await Db.connect(demo_dsn)
    try:
        used = await authenticate(db, None, None, key)
        listed = _run("apikey", "list", "--tenant", "eksempel", env=env).stdout
        line = next(row for row in listed.splitlines() if "vagtplan" in row)
        assert "active" in line and "last_used=never" not in line and key not in listed
        key_id = line.split()[0]
        rotated = _run("apikey", "rotate", "--tenant", "eksempel", "--id", key_id, env=env)
        assert rotated.returncode == 0, rotated.stderr
        new_key = rotated.stdout.strip()
        with pytest.raises(Unauthenticated):
            await authenticate(db, None, None, key)
        assert (await authenticate(db, None, None, new_key)).scopes == used.scopes
        new_id = next(r.split()[0] for r in _run("apikey", "list", "--tenant", "eksempel", env=env).stdout.splitlines()
                      if "vagtplan" in r and "active" in r)
        assert _run("apikey", "revoke", "--tenant", "eksempel", "--id", new_id, env=env).returncode == 0
        with pytest.raises(Unauthenticated):
            await authenticate(db, None, None, new_key)
        assert _run("apikey", "revoke", "--tenant", "eksempel", "--id", new_id, env=env).returncode == 1
    finally:
        await db.close()
