"""Words the registry says to people, in Danish, keyed by the stable codes (see DANISH.md).

One catalogue, so that a word is the same wherever it appears (the API's Danish fields, pages).
"""

from __future__ import annotations

# What a breach response does to a mandate while it is in force. Never more about the breach.
EFFECTS_DA = {
    "suspended": "Mandatet er midlertidigt sat i bero",
    "level_capped": "Mandatet er midlertidigt begrænset til niveau {level}",
    "pre_approval": "Dine beslutninger skal midlertidigt godkendes på forhånd",
}

# Where a mandate comes from.
BASES_DA = {
    "delegation": "Delegeret til dig",
    "delegation_team": "Delegeret til dit team",
    "leader_authority": "Som leder af enheden",
    "stand_in": "Som stedfortræder for lederen",
}


def effect_da(kind: str, capped_to: int | None = None) -> str:
    return EFFECTS_DA[kind].format(level=capped_to)
