"""The leader's follow-up pages (Opfølgning), reviews, stand-ins and trust breaches, through the real
app: the pages call the same use cases as GraphQL, and what they write is checked through GraphQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from registry import texts
from tests.support import snapshot

METTE, ANNA, FATIMA = "mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk", "fatima.ali@eksempel.dk"
MARIA, HR, PIA = "maria.larsen@eksempel.dk", "louise.thomsen@eksempel.dk", "pia.schmidt@eksempel.dk"
KAREN = "karen.pedersen@eksempel.dk"
ERR = "... on Error { code field message }"
# The demo's validity windows are relative to when it was loaded: the clock starts at the real now.
NOW = datetime.now(timezone.utc).replace(microsecond=0)
ALT = {"deviation": True, "citizen_category": "demens"}
RECORD = """mutation($i: RecordActInput!) { recordAct(input: $i) { __typename ... on ActPayload { act { id version } }
    %s } }""" % ERR
JUSTIFY = """mutation($id: ID!, $v: Int!) { justifyAct(id: $id, version: $v,
    justification: "Borgeren var urolig; en gåtur gav samme træningseffekt.") { __typename %s } }""" % ERR


async def _record_act(api, ids, case_ref: str, *, justify: bool) -> str:
    recorded = (await api.gql(RECORD, {"i": {
        "person": ANNA, "area": "care/alternative-solutions", "unit": ids.unit("Plejecenter Solhaven"),
        "caseRef": case_ref, "description": "Gåtur i stedet for træning i træningssalen",
        "occurredAt": NOW.isoformat(), "attributes": ALT}}, as_=ANNA))["recordAct"]
    assert recorded["__typename"] == "ActPayload", recorded
    if justify:
        done = (await api.gql(JUSTIFY, {"id": recorded["act"]["id"], "v": recorded["act"]["version"]},
                              as_=ANNA))["justifyAct"]
        assert done["__typename"] == "ActPayload", done
    return recorded["act"]["id"]


async def _anna_delegation(api, ids) -> dict:
    found = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes { id version
        level reviewDate area { key } } } }""", {"p": ids.people["anna"]}, as_=METTE))["delegations"]["nodes"]
    return next(n for n in found if n["area"]["key"] == "care/alternative-solutions")


def _section(html: str, heading_id: str) -> str:
    """The part of the page from one h3 to the next heading."""
    rest = html[html.index(f'id="{heading_id}"'):]
    following = re.search(r"<h[23] ", rest)
    return rest if following is None else rest[: following.start()]


# --- the follow-up page ---------------------------------------------------------------------------

async def test_the_follow_up_list_shows_a_justified_act_awaiting_the_leaders_feedback(api, clock):
    ids = await api.ids()
    clock.value = NOW
    awaiting_feedback = await _record_act(api, ids, "SAG-2026-0142", justify=True)
    awaiting_justification = await _record_act(api, ids, "SAG-2026-0150", justify=False)
    async with api.web(as_=METTE) as web:
        response = await web.get("/opfoelgning")
    assert response.status_code == 200, response.text
    html = response.text
    assert "<h1>Opfølgning</h1>" in html and "Plejecenter Solhaven" in html
    feedback = _section(html, "tilbagemelding-1")
    assert "Begrundelser, der venter på din tilbagemelding (1)" in feedback
    assert f'href="/handlinger/{awaiting_feedback}"' in feedback and "Anna Jensen" in feedback
    assert "Giv tilbagemelding på SAG-2026-0142" in feedback
    justification = _section(html, "begrundelse-1")
    assert "Handlinger, der venter på begrundelse (1)" in justification
    assert f'href="/handlinger/{awaiting_justification}"' in justification
    assert "Over fristen" not in justification
    assert 'href="/tillidsbrud"' in html and ">Tillidsbrud<" in html


async def test_an_act_past_its_justification_deadline_is_marked_overdue(api, clock):
    ids = await api.ids()
    clock.value = NOW
    await _record_act(api, ids, "SAG-2026-0150", justify=False)
    clock.value = NOW + timedelta(days=30)
    async with api.web(as_=METTE) as web:
        html = (await web.get("/opfoelgning")).text
    justification = _section(html, "begrundelse-1")
    assert "Over fristen" in justification and "heraf 1 over fristen" in html


async def test_reviews_due_and_delegations_expiring_link_to_their_pages(api):
    ids = await api.ids()
    ends = datetime.now(timezone.utc) + timedelta(days=20)
    declared = (await api.gql("""mutation($a: ID!, $u: ID!, $p: ID!, $t: DateTime!) { declareDelegation(input: {
        areaId: $a, unitId: $u, delegatePersonId: $p, level: 5, validUntil: $t}) { __typename
        ... on DelegationPayload { delegation { id } } %s } }""" % ERR,
        {"a": ids.areas["care/relatives"], "u": ids.unit("Plejecenter Solhaven"), "p": ids.people["fatima"],
         "t": ends.isoformat()}, as_=METTE))["declareDelegation"]
    assert declared["__typename"] == "DelegationPayload", declared
    await api.accept(declared["delegation"]["id"])  # Fatima takes it up (issue 12, part 1)
    async with api.web(as_=METTE) as web:
        html = (await web.get("/opfoelgning")).text
    due = (await api.gql("""query($u: ID!, $t: Date!) { delegationsDueForReview(unitId: $u, toDate: $t) { id } }""",
                         {"u": ids.unit("Plejecenter Solhaven"),
                          "t": (datetime.now(timezone.utc) + timedelta(days=30)).date().isoformat()},
                         as_=METTE))["delegationsDueForReview"]
    review = _section(html, "opfoelgning-1")
    assert f"Delegeringer til opfølgning ({len(due)})" in review
    for d in due:
        assert f'href="/delegeringer/{d["id"]}/opfoelgning"' in review
    now = datetime.now(timezone.utc)
    expiring = (await api.gql("""query($u: ID!, $f: DateTime!, $t: DateTime!) { delegationsExpiring(unitId: $u,
        fromTime: $f, toTime: $t) { id } }""", {"u": ids.unit("Plejecenter Solhaven"), "f": now.isoformat(),
        "t": (now + timedelta(days=30)).isoformat()}, as_=METTE))["delegationsExpiring"]
    section = _section(html, "udloeber-1")
    assert declared["delegation"]["id"] in {d["id"] for d in expiring}
    assert f"Delegeringer, der udløber inden for 30 dage ({len(expiring)})" in section and "Fatima Ali" in section
    for d in expiring:
        assert f'href="/delegeringer/{d["id"]}"' in section


async def test_an_employee_without_units_gets_a_friendly_page_and_sees_no_units_data(api, clock):
    ids = await api.ids()
    clock.value = NOW
    act = await _record_act(api, ids, "SAG-2026-0142", justify=True)
    async with api.web(as_=FATIMA) as web:
        response = await web.get("/opfoelgning")
    assert response.status_code == 200
    assert "Du har ingen enheder at følge op på" in response.text
    assert act not in response.text and "SAG-2026-0142" not in response.text
    assert "Plejecenter Solhaven" not in response.text


async def test_a_leader_of_another_unit_does_not_see_solhavens_follow_up(api, clock):
    ids = await api.ids()
    clock.value = NOW
    act = await _record_act(api, ids, "SAG-2026-0142", justify=True)
    async with api.web(as_=PIA) as web:
        html = (await web.get("/opfoelgning")).text
    assert "Plejecenter Egelund" in html
    assert act not in html and "SAG-2026-0142" not in html and "Anna Jensen" not in html


# --- completing a review ---------------------------------------------------------------------------

async def test_a_review_completed_from_the_page_adjusts_the_delegation(api):
    ids = await api.ids()
    delegation = await _anna_delegation(api, ids)
    next_review = (datetime.now(timezone.utc) + timedelta(days=90)).date()
    async with api.web(as_=METTE) as web:
        form = await web.get(f"/delegeringer/{delegation['id']}/opfoelgning")
        assert form.status_code == 200, form.text
        assert "Fortsætter" in form.text and "Justeres" in form.text and "Ophører" in form.text
        response = await web.post(f"/delegeringer/{delegation['id']}/opfoelgning", {
            "version": str(delegation["version"]), "outcome": "adjust", "level": "5", "note": "Mere sparring",
            "next_review_date": next_review.isoformat()})
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/delegeringer/{delegation['id']}/opfoelgning?gemt=1"
        saved = await web.get(response.headers["location"])
        assert 'role="status"' in saved.text and "Gemt." in saved.text
    after = (await api.gql("query($id: ID!) { delegation(id: $id) { level version reviewDate } }",
                           {"id": delegation["id"]}, as_=METTE))["delegation"]
    assert after == {"level": 5, "version": delegation["version"] + 1, "reviewDate": next_review.isoformat()}


async def test_a_review_that_continues_needs_the_next_date_and_keeps_the_form(api):
    ids = await api.ids()
    delegation = await _anna_delegation(api, ids)
    async with api.web(as_=METTE) as web:
        await web.get(f"/delegeringer/{delegation['id']}/opfoelgning")
        before = await snapshot(api.db)
        response = await web.post(f"/delegeringer/{delegation['id']}/opfoelgning", {
            "version": str(delegation["version"]), "outcome": "continue", "note": "Min note", "next_review_date": ""})
    assert response.status_code == 400
    assert 'class="notice error" role="alert"' in response.text and texts.ERRORS_DA["required"] in response.text
    assert 'id="next_review_date-fejl"' in response.text and "Min note" in response.text
    assert await snapshot(api.db) == before


async def test_an_adjusting_review_without_a_new_level_says_so_next_to_the_level(api):
    ids = await api.ids()
    delegation = await _anna_delegation(api, ids)
    async with api.web(as_=METTE) as web:
        await web.get(f"/delegeringer/{delegation['id']}/opfoelgning")
        before = await snapshot(api.db)
        response = await web.post(f"/delegeringer/{delegation['id']}/opfoelgning", {
            "version": str(delegation["version"]), "outcome": "adjust", "level": str(delegation["level"]),
            "next_review_date": "2099-01-01"})
    assert response.status_code == 400 and 'id="level-fejl"' in response.text
    assert response.text.count(texts.REVIEW_ADJUST_DA) == 2  # at the top and next to the level
    assert await snapshot(api.db) == before


async def test_a_review_of_a_delegation_changed_meanwhile_is_refused_and_offered_again(api):
    ids = await api.ids()
    delegation = await _anna_delegation(api, ids)
    async with api.web(as_=METTE) as web:
        await web.get(f"/delegeringer/{delegation['id']}/opfoelgning")
        stale = await web.post(f"/delegeringer/{delegation['id']}/opfoelgning", {
            "version": str(delegation["version"] + 1), "outcome": "continue", "next_review_date": "2099-01-01"})
        assert stale.status_code == 409 and texts.ERRORS_DA["conflict"] in stale.text
        assert f'name="version" value="{delegation["version"]}"' in stale.text
        again = await web.post(f"/delegeringer/{delegation['id']}/opfoelgning", {
            "version": str(delegation["version"]), "outcome": "continue", "next_review_date": "2099-01-01"})
        assert again.status_code == 303


async def test_a_review_posted_by_a_colleague_or_without_the_form_token_changes_nothing(api):
    ids = await api.ids()
    delegation = await _anna_delegation(api, ids)
    form = {"version": str(delegation["version"]), "outcome": "end", "note": "x"}
    before = await snapshot(api.db)
    async with api.web(as_=FATIMA) as web:
        await web.get("/opfoelgning")
        refused = await web.post(f"/delegeringer/{delegation['id']}/opfoelgning", form)
        assert refused.status_code == 403 and "not_authorised_to_delegate" not in refused.text
        assert texts.ERRORS_DA["not_authorised_to_delegate"] in refused.text
    async with api.web(as_=METTE) as web:
        await web.get("/opfoelgning")
        no_token = await web.post(f"/delegeringer/{delegation['id']}/opfoelgning", form, csrf=False)
        assert no_token.status_code == 403 and "csrf_failed" in no_token.text
    assert await snapshot(api.db) == before


# --- stand-ins --------------------------------------------------------------------------------------

async def test_a_stand_in_appointed_from_the_page_holds_the_leaders_authority_and_can_be_ended(api, clock):
    ids = await api.ids()
    clock.value = NOW
    today = NOW.date()
    async with api.web(as_=METTE) as web:
        form = await web.get("/stedfortraedere/ny")
        assert form.status_code == 200 and "Maria Larsen" in form.text and "Plejecenter Solhaven" in form.text
        response = await web.post("/stedfortraedere/ny", {
            "unit": ids.unit("Plejecenter Solhaven"), "stand_in": ids.people["maria"],
            "valid_from": today.isoformat(), "valid_until": (today + timedelta(days=14)).isoformat(),
            "note": "Mettes ferie"})
        assert response.status_code == 303, response.text
        page = await web.get(response.headers["location"])
        assert "Gemt." in page.text
        section = _section(page.text, "stedfortraedere-1")
        assert "Maria Larsen" in section and "I kraft" in section and "Mettes ferie" in section
    stand_ins = (await api.gql("query($u: ID!) { standIns(unitId: $u) { id version standIn { name } leader { name } "
                               "archivedAt } }", {"u": ids.unit("Plejecenter Solhaven")}, as_=METTE))["standIns"]
    [appointed] = [s for s in stand_ins if s["standIn"]["name"] == "Maria Larsen"]
    assert appointed["leader"]["name"] == "Mette Sørensen"
    # Maria now holds Solhaven's follow-up, as Mette's stand-in.
    async with api.web(as_=MARIA) as web:
        html = (await web.get("/opfoelgning")).text
        assert "Plejecenter Solhaven" in html and "Du er stedfortræder for Mette Sørensen" in html
        assert "/stedfortraedere/" not in html.split('id="stedfortraedere-1"')[1].split("</table>")[0] \
            .replace('href="/stedfortraedere/ny"', "")  # no "Afslut" for her: only the appointer ends it
        before = await snapshot(api.db)
        refused = await web.post(f"/stedfortraedere/{appointed['id']}/afslut", {"version": str(appointed["version"])})
        assert refused.status_code == 403 and texts.ERRORS_DA["not_the_leader"] in refused.text
        assert await snapshot(api.db) == before
    async with api.web(as_=METTE) as web:
        await web.get("/opfoelgning")
        ended = await web.post(f"/stedfortraedere/{appointed['id']}/afslut", {"version": str(appointed["version"])})
        assert ended.status_code == 303
        assert "Stedfortræderaftalen er afsluttet" in (await web.get(ended.headers["location"])).text
    after = (await api.gql("query($u: ID!) { standIns(unitId: $u) { id archivedAt } }",
                           {"u": ids.unit("Plejecenter Solhaven")}, as_=METTE))["standIns"]
    assert next(s for s in after if s["id"] == appointed["id"])["archivedAt"] is not None


async def test_only_the_units_leader_appoints_a_stand_in(api, clock):
    ids = await api.ids()
    clock.value = NOW
    before = await snapshot(api.db)
    async with api.web(as_=FATIMA) as web:
        form = await web.get("/stedfortraedere/ny")
        assert form.status_code == 200 and "du er ikke leder af en enhed" in form.text
        refused = await web.post("/stedfortraedere/ny", {
            "unit": ids.unit("Plejecenter Solhaven"), "stand_in": ids.people["maria"],
            "valid_from": NOW.date().isoformat(), "valid_until": (NOW.date() + timedelta(days=3)).isoformat()})
        assert refused.status_code == 403 and texts.ERRORS_DA["not_the_leader"] in refused.text
    assert await snapshot(api.db) == before


# --- trust breaches ---------------------------------------------------------------------------------

async def test_a_breach_recorded_from_the_page_is_seen_by_the_leader_and_the_employee_not_a_colleague(api, clock):
    ids = await api.ids()
    clock.value = NOW
    delegation = await _anna_delegation(api, ids)
    async with api.web(as_=METTE) as web:
        form = await web.get("/tillidsbrud/ny")
        assert form.status_code == 200
        for word in ("Kompetence", "Intention og motivation", "Rammer og ressourcer", "Ændrede forhold",
                     "Bevidst misbrug", "Forventningssamtale", "Mere guidning og fastere rammer",
                     "Midlertidig ekstra kontrol", "Midlertidigt lavere niveau", "Midlertidigt i bero",
                     "Tilbagekaldelse"):
            assert word in form.text, word
        response = await web.post("/tillidsbrud/ny", {
            "delegation": delegation["id"], "occurred_at": NOW.date().isoformat(),
            "description": "Fortrolig beskrivelse af forløbet", "cause": "resources", "response": "dialogue",
            "follow_up_date": (NOW.date() + timedelta(days=14)).isoformat()})
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        breach_id = location.split("/")[2].split("?")[0]
        shown = await web.get(location)
        assert shown.status_code == 200 and "Gemt." in shown.text
        assert "Fortrolig beskrivelse af forløbet" in shown.text and "Rammer og ressourcer" in shown.text
        assert "Forventningssamtale" in shown.text and "Åben" in shown.text
        listed = await web.get("/tillidsbrud")
        assert f'href="/tillidsbrud/{breach_id}"' in listed.text
    recorded = (await api.gql("query($id: ID!) { breach(id: $id) { cause response person { name } } }",
                              {"id": breach_id}, as_=METTE))["breach"]
    assert recorded == {"cause": "RESOURCES", "response": "DIALOGUE", "person": {"name": "Anna Jensen"}}
    async with api.web(as_=ANNA) as web:
        own = await web.get(f"/tillidsbrud/{breach_id}")
        assert own.status_code == 200 and "Fortrolig beskrivelse af forløbet" in own.text
        assert "Tillidsbruddet handler om dig" in own.text and "Følg op" not in own.text
        assert f'href="/tillidsbrud/{breach_id}"' in (await web.get("/tillidsbrud")).text
    async with api.web(as_=FATIMA) as web:
        refused = await web.get(f"/tillidsbrud/{breach_id}")
        assert refused.status_code == 404 and "Fortrolig" not in refused.text and "Anna" not in refused.text
        assert breach_id not in (await web.get("/tillidsbrud")).text
        before = await snapshot(api.db)
        posted = await web.post(f"/tillidsbrud/{breach_id}", {"version": "1", "repair_status": "closed"})
        assert posted.status_code == 404 and "Fortrolig" not in posted.text
        assert await snapshot(api.db) == before


async def test_a_breach_about_a_person_without_a_delegation_is_recorded_and_hr_reads_but_does_not_follow_up(
        api, clock):
    ids = await api.ids()
    clock.value = NOW
    async with api.web(as_=METTE) as web:
        await web.get("/tillidsbrud/ny")
        response = await web.post("/tillidsbrud/ny", {
            "person": ids.people["fatima"], "area": ids.areas["care/relatives"],
            "unit": ids.unit("Plejecenter Solhaven"), "occurred_at": (NOW.date() - timedelta(days=2)).isoformat(),
            "description": "Aftalen med de pårørende blev ikke overholdt", "cause": "intention",
            "response": "guidance"})
        assert response.status_code == 303, response.text
        breach_id = response.headers["location"].split("/")[2].split("?")[0]
    async with api.web(as_=HR) as web:
        shown = await web.get(f"/tillidsbrud/{breach_id}")
        assert shown.status_code == 200 and "Aftalen med de pårørende" in shown.text
        assert "Intention og motivation" in shown.text and "Mere guidning og fastere rammer" in shown.text
        assert "Følg op</h2>" not in shown.text  # HR reads; the leader chain follows up
        before = await snapshot(api.db)
        refused = await web.post(f"/tillidsbrud/{breach_id}", {"version": "1", "repair_status": "closed"})
        assert refused.status_code == 403 and texts.ERRORS_DA["not_authorised_to_record"] in refused.text
        assert await snapshot(api.db) == before


async def test_a_breach_is_followed_up_from_its_page(api, clock):
    ids = await api.ids()
    clock.value = NOW
    delegation = await _anna_delegation(api, ids)
    async with api.web(as_=METTE) as web:
        await web.get("/tillidsbrud/ny")
        response = await web.post("/tillidsbrud/ny", {
            "delegation": delegation["id"], "occurred_at": NOW.date().isoformat(), "description": "Forløbet",
            "cause": "competence", "response": "extra_control",
            "until": (NOW.date() + timedelta(days=30)).isoformat()})
        assert response.status_code == 303, response.text
        location = response.headers["location"].split("?")[0]
        await web.get(location)
        followed = await web.post(location, {"version": "1", "repair_status": "repairing",
                                             "learning_notes": "Vi aftalte ugentlig sparring"})
        assert followed.status_code == 303, followed.text
        page = await web.get(followed.headers["location"])
        assert "Under reparation" in page.text and "Vi aftalte ugentlig sparring" in page.text
    breach = (await api.gql("query($id: ID!) { breach(id: $id) { repairStatus learningNotes effectUntil } }",
                            {"id": location.split("/")[-1]}, as_=METTE))["breach"]
    assert breach["repairStatus"] == "REPAIRING" and breach["learningNotes"] == "Vi aftalte ugentlig sparring"
    assert breach["effectUntil"] is not None


async def test_a_temporary_response_without_an_end_date_is_refused_with_the_form_kept(api, clock):
    ids = await api.ids()
    clock.value = NOW
    delegation = await _anna_delegation(api, ids)
    async with api.web(as_=METTE) as web:
        await web.get("/tillidsbrud/ny")
        before = await snapshot(api.db)
        response = await web.post("/tillidsbrud/ny", {
            "delegation": delegation["id"], "occurred_at": NOW.date().isoformat(), "description": "Mit udkast",
            "cause": "competence", "response": "suspension", "until": ""})
    assert response.status_code == 400
    assert 'role="alert"' in response.text and 'id="until-fejl"' in response.text
    assert "Mit udkast" in response.text and 'value="suspension" checked' in response.text
    assert await snapshot(api.db) == before


async def test_a_breach_dated_in_the_future_is_refused(api, clock):
    ids = await api.ids()
    clock.value = NOW
    delegation = await _anna_delegation(api, ids)
    async with api.web(as_=METTE) as web:
        await web.get("/tillidsbrud/ny")
        before = await snapshot(api.db)
        response = await web.post("/tillidsbrud/ny", {
            "delegation": delegation["id"], "occurred_at": (NOW.date() + timedelta(days=3)).isoformat(),
            "description": "x", "cause": "competence", "response": "dialogue"})
    assert response.status_code == 400 and 'id="occurred_at-fejl"' in response.text
    assert await snapshot(api.db) == before


async def test_a_colleague_or_a_post_without_the_form_token_records_no_breach(api, clock):
    ids = await api.ids()
    clock.value = NOW
    delegation = await _anna_delegation(api, ids)
    form = {"delegation": delegation["id"], "occurred_at": NOW.date().isoformat(), "description": "x",
            "cause": "intention", "response": "dialogue"}
    before = await snapshot(api.db)
    async with api.web(as_=FATIMA) as web:
        await web.get("/tillidsbrud")
        refused = await web.post("/tillidsbrud/ny", form)
        assert refused.status_code == 403 and texts.ERRORS_DA["not_authorised_to_record"] in refused.text
    async with api.web(as_=METTE) as web:
        await web.get("/tillidsbrud/ny")
        no_token = await web.post("/tillidsbrud/ny", form, csrf=False)
        assert no_token.status_code == 403 and "csrf_failed" in no_token.text
    assert await snapshot(api.db) == before


async def test_the_pages_send_a_stranger_to_the_login_page(api):
    async with api.web() as web:
        for path in ("/opfoelgning", "/tillidsbrud", "/tillidsbrud/ny", "/stedfortraedere/ny"):
            response = await web.get(path)
            assert response.status_code == 302 and response.headers["location"].startswith("/log-ind"), path


# --- the Danish texts in the API --------------------------------------------------------------------

async def test_graphql_answers_breaches_and_reviews_with_their_danish_texts(api, clock):
    ids = await api.ids()
    clock.value = NOW
    delegation = await _anna_delegation(api, ids)
    recorded = (await api.gql("""mutation($i: RecordBreachInput!) { recordBreach(input: $i) { __typename
        ... on BreachPayload { breach { cause causeDa response responseDa repairStatus repairStatusDa } } %s } }""" % ERR,
        {"i": {"delegationId": delegation["id"], "occurredAt": NOW.isoformat(), "description": "x",
               "cause": "CHANGED_CIRCUMSTANCES", "response": "GUIDANCE"}}, as_=METTE))["recordBreach"]
    assert recorded["breach"] == {"cause": "CHANGED_CIRCUMSTANCES", "causeDa": "Ændrede forhold",
                                  "response": "GUIDANCE", "responseDa": "Mere guidning og fastere rammer",
                                  "repairStatus": "OPEN", "repairStatusDa": "Åben"}
    reviewed = (await api.gql("""mutation($id: ID!, $v: Int!) { completeReview(delegationId: $id, version: $v,
        outcome: CONTINUE, nextReviewDate: "2099-06-01") { __typename ... on ReviewPayload { outcome outcomeDa } %s } }"""
        % ERR, {"id": delegation["id"], "v": delegation["version"]}, as_=METTE))["completeReview"]
    assert reviewed == {"__typename": "ReviewPayload", "outcome": "CONTINUE", "outcomeDa": "Fortsætter"}


async def test_the_review_form_is_shown_only_to_those_who_may_send_it(api):
    ids = await api.ids()
    async with api.db.read() as conn:
        delegation = await conn.fetchval("SELECT id FROM delegation WHERE tenant_id = $1 AND unit_id = $2 LIMIT 1",
                                         ids.tenant, __import__("uuid").UUID(ids.unit("Plejecenter Solhaven")))
    async with api.web(as_="fatima.ali@eksempel.dk") as web:
        refused = await web.get(f"/delegeringer/{delegation}/opfoelgning")
        assert refused.status_code == 403 and "Det kan kun lederen af enheden" in refused.text
    async with api.web(as_="mette.sorensen@eksempel.dk") as web:
        assert (await web.get(f"/delegeringer/{delegation}/opfoelgning")).status_code == 200
