"""Where a sync reads the organisation from (issue 13): one reader per kind of source, each turning
what the municipality's system holds into the pure `registry.domain.sync.Source` that the plan is
made from. The CLI (`registry sync`) and the server's scheduled sync both go through `read`.

A reader does I/O (files, HTTP) and nothing else: the checks of the source's content are the
domain's (`SourceError`, naming the file and line), and what the sync does with it is the service's
(`registry.services.sync`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from registry.domain.sync import Source


class SourceConfig(msgspec.Struct, frozen=True, kw_only=True):
    """What a reader needs; each kind uses its own fields (`csv`: units and people; a file export:
    file; an API: url, token_url, client_id, client_secret)."""

    kind: str = "csv"
    units: str | None = None
    people: str | None = None
    file: str | None = None
    url: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None   # never printed or logged

    def __repr__(self) -> str:  # a config can end up in a log line: keep the secret out of it
        shown = {f: getattr(self, f) for f in self.__struct_fields__ if getattr(self, f) is not None}
        if "client_secret" in shown:
            shown["client_secret"] = "***"
        return f"SourceConfig({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


class SourceUnavailable(Exception):
    """The source cannot be read at all (a file missing, an API that does not answer or refuses the
    login): nothing is written. `message_da` is for the person running the sync."""

    def __init__(self, code: str, message_da: str):
        super().__init__(message_da)
        self.code, self.message_da = code, message_da


Reader = Callable[[SourceConfig], Awaitable[Source]]


def _readers() -> dict[str, Reader]:
    from registry.sources import csv_files, fk_organisation, os2mo
    return {"csv": csv_files.read, "fk": fk_organisation.read, "os2mo": os2mo.read}


def kinds() -> tuple[str, ...]:
    return tuple(_readers())


async def read(config: SourceConfig) -> Source:
    """The organisation from the configured source (SourceError for content the sync refuses,
    SourceUnavailable when it cannot be read)."""
    reader = _readers().get(config.kind)
    if reader is None:
        raise SourceUnavailable("unknown_source", f"ukendt kilde »{config.kind}«; vælg en af {', '.join(kinds())}")
    return await reader(config)
