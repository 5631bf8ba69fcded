"""Acts as hverdagsdirektør on the web: Anna records an act and justifies it, Mette gives feedback,
Anna reads it; a colleague is refused; a refused form writes nothing. Through the real app (the
development login, the form token, the page door and services.acts)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from registry.web.render import DANISH_TIME
from tests.support import snapshot

ANNA, METTE, KASPER, FATIMA = ("anna.jensen@eksempel.dk", "mette.sorensen@eksempel.dk", "kasper.nielsen@eksempel.dk",
                               "fatima.ali@eksempel.dk")
DESCRIPTION = "Jeg valgte en anden løsning, fordi fru Hansen var urolig: vi gik en tur i haven før badet."


def text_of(html: str) -> str:
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def act_form(solhaven: str, **overrides) -> dict:
    now = datetime.now(DANISH_TIME)  # the demo organisation was loaded moments ago: an act before it was not allowed
    return {"omraade": "care/alternative-solutions", "enhed": solhaven, "handling": "act_as_hverdagsdirektoer",
            "beskrivelse": DESCRIPTION, "sag": "Journalnotat 28/11", "attr.deviation": "ja",
            "attr.citizen_category": "aeldre", "dato": now.date().isoformat(), "tid": now.strftime("%H:%M:%S"),
            **overrides}


async def record(web, solhaven: str, **overrides) -> str:
    """Anna records an act from the form; the act's path."""
    await web.get("/handlinger/ny?omraade=care/alternative-solutions")
    response = await web.post("/handlinger/ny", act_form(solhaven, **overrides))
    assert response.status_code == 303, text_of(response.text)
    location = response.headers["location"]
    assert re.fullmatch(r"/handlinger/[0-9a-f-]{36}\?gemt=1", location), location
    return location.split("?")[0]


async def test_the_loop_anna_records_and_justifies_mette_gives_feedback_anna_reads_it(api):
    solhaven = (await api.ids()).unit("Plejecenter Solhaven")
    async with api.web(as_=ANNA) as anna:
        form = await anna.get("/handlinger/ny")
        assert "<h1>Registrér en beslutning</h1>" in form.text
        # only the areas where she decides herself (5-7); not where she has no mandate
        assert '<option value="care/alternative-solutions">' in form.text
        assert "Medicinhåndtering" not in form.text and "Samarbejde med pårørende" not in form.text
        chosen = await anna.get("/handlinger/ny?omraade=care/alternative-solutions")
        assert "Løsningen afviger fra den visiterede eller aftalte indsats" in chosen.text  # its attributes
        assert '<legend>Løsningen afviger fra den visiterede eller aftalte indsats</legend>' in chosen.text
        path = await record(anna, solhaven)
        page = await anna.get(path + "?gemt=1")
        text = text_of(page.text)
        assert page.status_code == 200 and 'class="notice ok" role="status"' in page.text
        assert DESCRIPTION in text and "Afventer begrundelse" in text and "Begrund dit valg fagligt" in text
        assert "Handle som hverdagsdirektør" in text and "Løsningen afviger fra den visiterede" in text
        listed = text_of((await anna.get("/handlinger")).text)
        assert "Alternative løsninger i borgerforløb" in listed and "Afventer begrundelse" in listed
        assert "begrund senest" in listed
        justified = await anna.post(path + "/begrundelse", {
            "version": re.search(r'name="version" value="(\d+)"', page.text).group(1),
            "begrundelse": "Fru Hansen faldt til ro, og badet gik godt bagefter. Det er dokumenteret i journalen."})
        assert justified.status_code == 303 and justified.headers["location"] == path + "?gemt=1"
        assert "Begrundet – afventer tilbagemelding" in text_of((await anna.get(path)).text)
        assert "Send tilbagemelding" not in (await anna.get(path)).text  # not hers to give

    async with api.web(as_=METTE) as mette:
        seen = await mette.get(path)
        text = text_of(seen.text)
        assert seen.status_code == 200 and "Anna Jensen" in text and "Fru Hansen faldt til ro" in text
        assert "<legend>Din vurdering</legend>" in seen.text
        for label in ("Fagligt velbegrundet", "Værd at drøfte", "Uden for rammen"):
            assert label in text
        given = await mette.post(path + "/tilbagemelding", {
            "version": re.findall(r'name="version" value="(\d+)"', seen.text)[-1], "vurdering": "well_founded",
            "tilbagemelding": "Godt set. Tag den gerne op på tavlemødet, så kollegerne kan lære af den."})
        assert given.status_code == 303

    async with api.web(as_=ANNA) as anna:
        text = text_of((await anna.get(path)).text)
        assert "Fagligt velbegrundet" in text and "Tag den gerne op på tavlemødet" in text and "Mette Sørensen" in text
        assert "Tilbagemelding givet" in text
        assert "Gem begrundelsen" not in text  # the justification no longer changes

    acts = (await api.gql("{ myActs { description justification feedback assessment assessmentDa state stateDa "
                          "dueItems { kind labelDa status statusDa } } }", as_=ANNA))["myActs"]
    [act] = acts
    assert act["description"] == DESCRIPTION and act["assessment"] == "WELL_FOUNDED"
    assert act["assessmentDa"] == "Fagligt velbegrundet"
    assert (act["state"], act["stateDa"]) == ("feedback_given", "Tilbagemelding givet")
    justify = next(i for i in act["dueItems"] if i["kind"] == "justify")
    assert justify == {"kind": "justify", "labelDa": "Begrund dit valg fagligt", "status": "FULFILLED",
                       "statusDa": "Gjort"}


async def test_anna_marks_what_she_owes_as_done(api):
    solhaven = (await api.ids()).unit("Plejecenter Solhaven")
    async with api.web(as_=ANNA) as anna:
        path = await record(anna, solhaven)
        page = await anna.get(path)
        assert "Markér som gjort: orientér ved næste opfølgning" in page.text
        form = page.text[page.text.index(f'action="{path}/opfyldt"'):]
        item = re.search(r'name="punkt" value="([^"]+)"', form).group(1)
        version = re.search(r'name="version" value="(\d+)"', form).group(1)
        done = await anna.post(path + "/opfyldt", {"punkt": item, "version": version})
        assert done.status_code == 303
        page = await anna.get(path)
        assert "Markér som gjort" not in page.text and "Gjort" in text_of(page.text)


async def test_a_colleague_is_refused_on_annas_act_and_sees_nothing_of_it(api):
    solhaven = (await api.ids()).unit("Plejecenter Solhaven")
    async with api.web(as_=ANNA) as anna:
        path = await record(anna, solhaven)
    for colleague in (KASPER, FATIMA):
        async with api.web(as_=colleague) as web:
            response = await web.get(path)
            assert response.status_code in (403, 404)
            assert "Det findes ikke – eller du har ikke adgang til det." in response.text
            assert "fru Hansen" not in response.text and "Anna Jensen" not in response.text
            before = await snapshot(api.db)
            for action, form in (("/begrundelse", {"version": "1", "begrundelse": "Overtaget"}),
                                 ("/tilbagemelding", {"version": "1", "vurdering": "not_acceptable",
                                                      "tilbagemelding": "Nej"})):
                refused = await web.post(path + action, form)
                assert refused.status_code in (403, 404), action
                assert "fru Hansen" not in refused.text and "Anna Jensen" not in refused.text
            assert await snapshot(api.db) == before
            assert "fru Hansen" not in (await web.get("/handlinger")).text


async def test_recording_outside_her_mandate_is_refused_in_danish_and_writes_nothing(api):
    solhaven = (await api.ids()).unit("Plejecenter Solhaven")
    async with api.web(as_=ANNA) as anna:
        await anna.get("/handlinger/ny?omraade=care/alternative-solutions")
        before = await snapshot(api.db)
        # a palliative pathway crosses Solhaven's red line
        refused = await anna.post("/handlinger/ny", act_form(solhaven, **{"attr.citizen_category": "palliativ"}))
        assert refused.status_code == 403
        text = text_of(refused.text)
        assert 'class="notice error" role="alert"' in refused.text
        assert "Handlingen lå uden for dit mandat på det tidspunkt: beslutningen overskrider en rød linje." in text
        assert "I palliative forløb aftales afvigelser altid med sygeplejersken" in text
        assert DESCRIPTION in refused.text and 'value="palliativ"' in refused.text  # the values are kept
        # an area she has no mandate in (medicine is Kasper's)
        outside = await anna.post("/handlinger/ny", act_form(solhaven, omraade="care/medicine"))
        assert outside.status_code == 403
        assert "på det tidspunkt: beslutningen er ikke uddelegeret til dig." in text_of(outside.text)
        assert DESCRIPTION in outside.text
        # no unit chosen
        unchosen = await anna.post("/handlinger/ny", act_form(solhaven, enhed=""))
        assert unchosen.status_code == 400 and 'id="enhed-fejl">Feltet skal udfyldes.' in unchosen.text
        # a date in the future
        future = (datetime.now(DANISH_TIME) + timedelta(days=2)).date().isoformat()
        later = await anna.post("/handlinger/ny", act_form(solhaven, dato=future))
        assert later.status_code == 400 and "Tidspunktet er ikke gyldigt." in later.text
        assert 'aria-describedby="dato-fejl"' in later.text
        assert await snapshot(api.db) == before


async def test_a_post_without_the_form_token_changes_nothing(api):
    solhaven = (await api.ids()).unit("Plejecenter Solhaven")
    async with api.web(as_=ANNA) as anna:
        path = await record(anna, solhaven)
        before = await snapshot(api.db)
        refused = await anna.post("/handlinger/ny", act_form(solhaven), csrf=False)
        assert refused.status_code == 403 and "Formularen er for gammel" in refused.text
        refused = await anna.post(path + "/begrundelse", {"version": "1", "begrundelse": "Uden nøgle"}, csrf=False)
        assert refused.status_code == 403
    async with api.web(as_=METTE) as mette:
        refused = await mette.post(path + "/tilbagemelding", {"version": "1", "vurdering": "well_founded",
                                                              "tilbagemelding": "Uden nøgle"}, csrf=False)
        assert refused.status_code == 403
    assert await snapshot(api.db) == before


async def test_the_act_pages_are_for_signed_in_people_only(api):
    async with api.web() as web:
        for path in ("/handlinger", "/handlinger/ny", "/handlinger/00000000-0000-0000-0000-000000000000"):
            response = await web.get(path)
            assert response.status_code == 302 and response.headers["location"].startswith("/log-ind"), path
    async with api.web(as_=ANNA) as anna:
        missing = await anna.get("/handlinger/00000000-0000-0000-0000-000000000000")
        assert missing.status_code == 404 and "Det findes ikke" in missing.text
        assert (await anna.get("/handlinger/ikke-et-id")).status_code == 404


async def test_feedback_waits_for_the_justification_it_answers(api):
    """Feedback before the justification would close the act to it for good: the leader is asked to
    wait, on the page and by the use case (GraphQL alike), and nothing is written."""
    from tests.support import snapshot

    ids = await api.ids()
    recorded = await api.gql("""mutation($u: ID!, $at: DateTime!) { recordAct(input: {person: "anna.jensen@eksempel.dk",
        area: "care/alternative-solutions", unit: $u, description: "Tur i haven før badet", caseRef: "Bad",
        occurredAt: $at, attributes: {deviation: true, citizen_category: "demens"}}) { __typename ... on ActPayload { act { id version } } } }""",
        {"u": ids.unit("Plejecenter Solhaven"), "at": api.clock().isoformat()}, as_="anna.jensen@eksempel.dk")
    act = recorded["recordAct"]["act"]
    async with api.web(as_="mette.sorensen@eksempel.dk") as web:
        shown = await web.get(f"/handlinger/{act['id']}")
        assert "Medarbejderen har ikke begrundet sit valg endnu" in shown.text
        assert "Send tilbagemelding" not in shown.text
        before = await snapshot(api.db)
        refused = await web.post(f"/handlinger/{act['id']}/tilbagemelding",
                                 {"version": str(act["version"]), "vurdering": "well_founded", "tilbagemelding": "Fint"})
        assert refused.status_code == 400 and "ikke begrundet sit valg endnu" in refused.text
        assert await snapshot(api.db) == before
