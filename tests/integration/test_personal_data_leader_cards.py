"""The leader's card in the personal-data export (issue 12, part 4): the cards on the delegate's
delegations, and the cards a leader drew, each as the caller may read it. The demo's card: Mette
drew it on her delegation of alternative solutions to Anna."""

EXPORT = """query($p: ID!) { personalData(personId: $p) { truncated document } }"""
ANNA, METTE = "anna.jensen@eksempel.dk", "mette.sorensen@eksempel.dk"
ADMIN, HR = "jonas.kristensen@eksempel.dk", "louise.thomsen@eksempel.dk"
IDA = "ida.rasmussen@eksempel.dk"
DECIDED = "Badet for borgeren i lejlighed 14"


async def _cards(api, person: str, as_: str) -> dict:
    ids = await api.ids()
    found = (await api.gql(EXPORT, {"p": ids.people[person]}, as_=as_))["personalData"]
    assert found["truncated"] == [], found["truncated"]
    return found["document"]["leader_cards"]


async def test_the_delegate_and_the_leader_find_the_card_in_their_export(api):
    anna = await _cards(api, "anna", ANNA)
    assert [c["decided"][:len(DECIDED)] for c in anna["about_their_delegations"]] == [DECIDED]
    card = anna["about_their_delegations"][0]
    assert card["decided_by_name"] == "Mette Sørensen" and card["why"] and card["area_key"] == "care/alternative-solutions"
    assert card["delegate_person_name"] == "Anna Jensen" and card["unit_name"] == "Plejecenter Solhaven"
    assert anna["drawn"] == []
    mette = await _cards(api, "mette", METTE)
    assert [c["id"] for c in mette["drawn"]] == [card["id"]] and mette["drawn"][0]["why"] == card["why"]
    assert mette["about_their_delegations"] == []  # no card was drawn on a delegation to Mette


async def test_hr_reads_the_card_and_an_administrator_sees_only_that_it_exists(api):
    by_hr = (await _cards(api, "anna", HR))["about_their_delegations"]
    assert by_hr[0]["decided"].startswith(DECIDED) and "details_withheld" not in by_hr[0]
    by_admin = (await _cards(api, "anna", ADMIN))["about_their_delegations"]
    assert len(by_admin) == 1 and "decided" not in by_admin[0] and "why" not in by_admin[0]
    assert by_admin[0]["details_withheld"] and by_admin[0]["decided_at"]
    drawn = (await _cards(api, "mette", ADMIN))["drawn"]
    assert len(drawn) == 1 and "why" not in drawn[0]


async def test_a_colleagues_feedback_is_in_her_export_as_a_colleagues(api):
    ids = await api.ids()
    given = (await api.gql(EXPORT, {"p": ids.people["ida"]}, as_=IDA))["personalData"]["document"]["feedback_given"]
    assert [(f["feedback_role"], f["assessment"]) for f in given] == [("peer", "well_founded")]
