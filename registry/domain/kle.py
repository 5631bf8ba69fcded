"""KLE markup of units (issue 13, part 4): a unit marked with KLE numbers (by OS2mo or another
organisation system) handles the cases they name; the tenant's decision areas whose KLE number lies
at or under one of the unit's are the ones a leader declaring for the unit is likely to look for.

Pure: codes in their written form (registry.domain.rules.check_kle): hovedgruppe 27, gruppe 27.24,
emne 27.24.10, an emne with a handlingsfacet 27.24.10G01.
"""

from __future__ import annotations

from collections.abc import Iterable

from registry.domain.model import Area


def covers(unit_code: str, area_code: str) -> bool:
    """The unit's code covers the area's: the same number, or one under it (27.24 covers 27.24.10 and
    27.24.10G01; 27.24.10 covers 27.24.10G01; 27.2 covers nothing of 27.24's)."""
    if area_code == unit_code:
        return True
    if not area_code.startswith(unit_code):
        return False
    following = area_code[len(unit_code)]
    return following == "." or following.isalpha()


def suggested_areas(areas: Iterable[Area], unit_codes: Iterable[str]) -> list[Area]:
    """The live areas whose KLE number one of the unit's codes covers, by KLE number then name."""
    codes = [c for c in unit_codes if c]
    if not codes:
        return []
    found = [a for a in areas if a.kle and a.archived_at is None and any(covers(c, a.kle) for c in codes)]
    return sorted(found, key=lambda a: (a.kle, a.name_da, str(a.id)))
