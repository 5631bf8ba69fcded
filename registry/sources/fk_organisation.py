"""The FK Organisation source: an export file in FK Organisation's data model (the OIO REST JSON
shape; registry.domain.fk_organisation reads and checks it)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from registry.domain import fk_organisation
from registry.domain.sync import Source
from registry.sources import SourceConfig, SourceUnavailable


async def read(config: SourceConfig, *, now: datetime | None = None) -> Source:
    """The export file as the organisation on the sync date (today, UTC, unless `now` is given)."""
    if not config.file:
        raise SourceUnavailable("missing_file", "angiv eksportfilen fra FK Organisation (--file)")
    try:
        text = Path(config.file).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SourceUnavailable("unreadable_file",
                                f"kan ikke læse filen {config.file}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise SourceUnavailable("unreadable_file", f"filen {config.file} er ikke tekst i UTF-8") from None
    if not text.strip():
        raise SourceUnavailable("unreadable_file", f"filen {config.file} er tom")
    today = (now or datetime.now(timezone.utc)).date()
    return fk_organisation.parse(text, today=today, file=Path(config.file).name)
