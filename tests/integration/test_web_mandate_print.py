"""The print view of Mit mandat (/mit-mandat/print) shows, with each delegation, what the page shows:
the leader's cards drawn on it (issue 12, part 4), the planned step of trust (part 7) and the shared
frames of the units and teams it is in (part 5). Over HTTP, as the demo's people."""

import html
import re

ANNA = "anna.jensen@eksempel.dk"
MADS = "mads.christensen@eksempel.dk"


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def test_the_print_view_shows_the_leaders_card_and_the_shared_frames(api):
    async with api.web(as_=ANNA) as web:
        printed = await web.get("/mit-mandat/print")
    assert printed.status_code == 200
    text = text_of(printed.text)
    assert "Når lederen har besluttet selv" in text
    assert "Badet for borgeren i lejlighed 14 flyttes ikke til aftenen" in text
    assert "Jeg lovede de pårørende det ved indflytningssamtalen" in text and "(Mette Sørensen)" in text
    assert "Fælles rammer" in text
    # Solhaven's frame and the evening team's, each once though several delegations share them.
    assert text.count("Kerneopgave: Beboerne på Solhaven skal have en hverdag") == 1
    assert "Vi spørger beboeren først. · Vi siger det højt" in text
    assert "Kerneopgave: Rolige aftener med kendte ansigter." in text
    assert ": aftalt på teammødet.)" in text  # when and how it was agreed with the team


async def test_the_print_view_shows_the_planned_step_of_trust(api):
    async with api.web(as_=MADS) as web:
        text = text_of((await web.get("/mit-mandat/print")).text)
    assert "Næste tillidsskridt: niveau 6 (Hverdagsdirektør) fra" in text
    assert "hvis gennemgangen ved opfølgningen er positiv. Det sker ikke af sig selv" in text
    assert "Kerneopgave: Beboerne på Solhaven" in text  # the frame of the unit above his


async def test_no_leaders_card_section_when_none_was_drawn(api):
    async with api.web(as_=MADS) as web:
        text = text_of((await web.get("/mit-mandat/print")).text)
    assert "Når lederen har besluttet selv" not in text
