"""schema.graphql is the exported SDL of the code's schema; `registry export-schema` regenerates it."""

from pathlib import Path

from registry.cli import SCHEMA_FILE, export_schema_sdl, main


def test_schema_graphql_equals_the_running_schema():
    assert SCHEMA_FILE == Path(__file__).resolve().parents[2] / "schema.graphql"
    assert SCHEMA_FILE.read_text() == export_schema_sdl(), "run `registry export-schema` and commit schema.graphql"


def test_export_schema_check_fails_when_the_file_drifts(tmp_path, monkeypatch):
    import registry.cli as cli

    stale = tmp_path / "schema.graphql"
    stale.write_text("type Query { stale: Int }\n")
    monkeypatch.setattr(cli, "SCHEMA_FILE", stale)
    assert main(["export-schema", "--check"]) == 1
    assert main(["export-schema"]) == 0
    assert main(["export-schema", "--check"]) == 0
