"""The domain core imports no I/O or framework code."""

import ast
from pathlib import Path

import registry.domain

FORBIDDEN = ("asyncpg", "litestar", "strawberry", "uvicorn", "httpx", "registry.storage", "registry.api",
             "registry.services", "registry.app")


def test_domain_modules_import_no_database_web_or_graphql_code():
    root = Path(registry.domain.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if any(n == f or n.startswith(f + ".")
                                                                     for f in FORBIDDEN)]
    assert offenders == []
    assert len(list(root.rglob("*.py"))) >= 5
