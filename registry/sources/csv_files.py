"""The CSV source: one file of units and one of people, as payroll systems can export them."""

from __future__ import annotations

from pathlib import Path

from registry.domain.sync import Source, parse
from registry.sources import SourceConfig, SourceUnavailable


def read_text(path: str | None, what: str) -> str:
    if not path:
        raise SourceUnavailable("missing_file", f"angiv {what}")
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceUnavailable("unreadable_file", f"kan ikke læse filen {path}: {exc.strerror or exc}") from exc


async def read(config: SourceConfig) -> Source:
    return parse(read_text(config.units, "enhedsfilen (--units)"), read_text(config.people, "personfilen (--people)"),
                 units_file=config.units or "units.csv", people_file=config.people or "people.csv")
