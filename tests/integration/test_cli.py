"""The `registry` command as a user runs it, in a subprocess, against a real database."""

import os
import subprocess
import sys
from pathlib import Path

import jwt

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
