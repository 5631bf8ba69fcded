"""The degree of involvement (graden af medindflydelse): an ordered 1-7 scale.

Close to Management 3.0's delegation poker and Tannenbaum-Schmidt. Level 6 and up is where an
employee may act as hverdagsdirektør ("everyday director": choose an alternative solution and give
a good professional argument for it afterwards).
"""

from __future__ import annotations

import msgspec


class Level(msgspec.Struct, frozen=True):
    number: int
    key: str
    label_en: str
    label_da: str


LEVELS: tuple[Level, ...] = (
    Level(1, "tell", "The leader decides and informs", "Lederen beslutter og informerer"),
    Level(2, "sell", "The leader decides and explains why", "Lederen beslutter og forklarer hvorfor"),
    Level(3, "consult", "The leader asks for input, then decides", "Lederen spørger medarbejderen til råds og beslutter"),
    Level(4, "agree", "Leader and employee decide together", "Lederen og medarbejderen beslutter sammen"),
    Level(5, "advise", "The employee decides after the leader's advice",
          "Medarbejderen beslutter efter råd fra lederen"),
    Level(6, "inquire", "The employee decides and informs or justifies afterwards",
          "Medarbejderen beslutter og orienterer bagefter"),
    Level(7, "delegate", "The employee decides", "Medarbejderen beslutter"),
)

MIN_LEVEL = 1
MAX_LEVEL = 7
HVERDAGSDIREKTOER_LEVEL = 6


def level(number: int) -> Level:
    if not MIN_LEVEL <= number <= MAX_LEVEL:
        raise ValueError(f"level must be {MIN_LEVEL}-{MAX_LEVEL}, not {number}")
    return LEVELS[number - 1]
