"""Delegeringsniveau: the ordered 1-7 scale of involvement and delegation.

The scale is Management 3.0's seven levels of delegation (delegation poker). The publication has no
numbered scale; it asks leaders to be clear about "hvilken form for eller grad af medindflydelse der
er tale om", and separates involvement (levels 1-4: the leader keeps the decision) from delegation
(levels 5-7: the employee decides). Level 6 is the publication's hverdagsdirektør: the employee
decides and can afterwards give a good professional argument for her choice. The Danish words are
those of ../shared/domain/DANISH.md: a short name, and a sentence for a person and for a team.
"""

from __future__ import annotations

import msgspec


class Level(msgspec.Struct, frozen=True):
    number: int
    key: str
    label_en: str
    label_da: str        # the sentence, said of a person
    short_da: str        # the short name (board cells, lists)
    team_label_da: str   # the sentence, said of a team


LEVELS: tuple[Level, ...] = (
    Level(1, "tell", "The leader decides and informs", "Lederen beslutter og orienterer", "Orientering",
          "Lederen beslutter og orienterer teamet"),
    Level(2, "sell", "The leader decides and explains why", "Lederen beslutter og begrunder beslutningen",
          "Begrundelse", "Lederen beslutter og begrunder beslutningen over for teamet"),
    Level(3, "consult", "The leader asks for input, then decides", "Lederen hører medarbejderen og beslutter",
          "Høring", "Lederen hører teamet og beslutter"),
    Level(4, "agree", "Leader and employee decide together", "Lederen og medarbejderen beslutter sammen",
          "Fælles beslutning", "Lederen og teamet beslutter sammen"),
    Level(5, "advise", "The employee decides after the leader's advice",
          "Medarbejderen beslutter efter råd fra lederen", "Rådgivning", "Teamet beslutter efter råd fra lederen"),
    Level(6, "inquire", "The employee decides and can justify the choice professionally afterwards",
          "Medarbejderen beslutter og kan bagefter begrunde sit valg fagligt; lederen spørger ind",
          "Hverdagsdirektør", "Teamet beslutter og kan bagefter begrunde valget fagligt"),
    Level(7, "delegate", "The employee decides", "Medarbejderen beslutter selv og behøver ikke orientere",
          "Fuld delegering", "Teamet beslutter selv"),
)

MIN_LEVEL = 1
MAX_LEVEL = 7
HVERDAGSDIREKTOER_LEVEL = 6


def level(number: int) -> Level:
    if not MIN_LEVEL <= number <= MAX_LEVEL:
        raise ValueError(f"level must be {MIN_LEVEL}-{MAX_LEVEL}, not {number}")
    return LEVELS[number - 1]
