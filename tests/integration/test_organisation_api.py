"""Every organisation entity can be created, read, updated and archived through GraphQL, with history."""

import pytest

from tests.support import snapshot

ADMIN = "jonas.kristensen@eksempel.dk"
ERR = "... on Error { code field message }"


async def _history(api, entity_id):
    result = await api.gql("""query($id: ID!) { history(entityId: $id) {
        nodes { operation actor onBehalfOf revision before after } } }""", {"id": entity_id}, as_=ADMIN)
    return result["history"]["nodes"]


async def test_admin_creates_updates_moves_and_archives_a_unit_with_history(api):
    ids = await api.ids()
    created = (await api.gql("""mutation($p: ID!) { createUnit(input: {name: "Rehabiliteringsteamet",
        kind: UNIT, parentId: $p, externalId: "LOS-9999"}) { ... on UnitPayload { revision unit { id version
        parent { name } } } %s } }""" % ERR, {"p": ids.unit("Center for Ældre")}, as_=ADMIN))["createUnit"]
    unit = created["unit"]
    assert unit["parent"]["name"] == "Center for Ældre og Pleje" and unit["version"] == 1
    moved = (await api.gql("""mutation($id: ID!, $p: ID!) { updateUnit(id: $id, version: 1,
        input: {name: "Rehab", parentId: $p}) { ... on UnitPayload { revision unit { name version parent { name } } }
        %s } }""" % ERR, {"id": unit["id"], "p": ids.unit("Center for Handicap")}, as_=ADMIN))["updateUnit"]
    assert moved["unit"] == {"name": "Rehab", "version": 2, "parent": {"name": "Center for Handicap og Psykiatri"}}
    assert moved["revision"] == created["revision"] + 1
    archived = (await api.gql("""mutation($id: ID!) { archiveUnit(id: $id, version: 2) {
        ... on UnitPayload { unit { archivedAt version } } %s } }""" % ERR, {"id": unit["id"]},
        as_=ADMIN))["archiveUnit"]
    assert archived["unit"]["archivedAt"] is not None
    listed = (await api.gql("{ units { nodes { id } } }", as_=ADMIN))["units"]["nodes"]
    assert unit["id"] not in {u["id"] for u in listed}

    history = await _history(api, unit["id"])
    admin_id = ids.people["jonas"]
    assert [h["operation"] for h in history] == ["create", "update", "update"]
    assert all(h["actor"] == f"person:{admin_id}" for h in history)
    assert history[0]["before"] is None and history[0]["after"]["name"] == "Rehabiliteringsteamet"
    assert history[1]["before"]["name"] == "Rehabiliteringsteamet" and history[1]["after"]["name"] == "Rehab"
    assert history[2]["before"]["archived_at"] is None and history[2]["after"]["archived_at"] is not None


async def test_admin_manages_a_person_membership_team_and_team_member(api):
    ids = await api.ids()
    person = (await api.gql("""mutation { createPerson(input: {externalId: "ny.kollega@eksempel.dk",
        name: "Ny Kollega", email: "ny.kollega@eksempel.dk"}) { ... on PersonPayload { person { id version } } %s } }"""
        % ERR, as_=ADMIN))["createPerson"]["person"]
    updated = (await api.gql("""mutation($id: ID!) { updatePerson(id: $id, version: 1, input: {name: "Nina Kollega"})
        { ... on PersonPayload { person { name version } } %s } }""" % ERR, {"id": person["id"]},
        as_=ADMIN))["updatePerson"]
    assert updated["person"] == {"name": "Nina Kollega", "version": 2}

    membership = (await api.gql("""mutation($p: ID!, $u: ID!) { addMembership(input: {personId: $p, unitId: $u,
        role: EMPLOYEE}) { ... on MembershipPayload { membership { id role unit { name } person { name } } } %s } }"""
        % ERR, {"p": person["id"], "u": ids.unit("Plejecenter Solhaven")}, as_=ADMIN))["addMembership"]["membership"]
    assert membership["unit"]["name"] == "Plejecenter Solhaven" and membership["person"]["name"] == "Nina Kollega"
    changed = (await api.gql("""mutation($id: ID!) { updateMembership(id: $id, version: 1, input: {role: DEPUTY})
        { ... on MembershipPayload { membership { role version } } %s } }""" % ERR, {"id": membership["id"]},
        as_=ADMIN))["updateMembership"]
    assert changed["membership"] == {"role": "DEPUTY", "version": 2}

    team = (await api.gql("""mutation($u: ID!) { createTeam(input: {unitId: $u, name: "Morgenholdet"}) {
        ... on TeamPayload { team { id name unit { name } } } %s } }""" % ERR,
        {"u": ids.unit("Plejecenter Solhaven")}, as_=ADMIN))["createTeam"]["team"]
    member = (await api.gql("""mutation($t: ID!, $p: ID!) { addTeamMember(input: {teamId: $t, personId: $p}) {
        ... on TeamMemberPayload { teamMember { id person { name } team { name } } } %s } }""" % ERR,
        {"t": team["id"], "p": person["id"]}, as_=ADMIN))["addTeamMember"]["teamMember"]
    assert member["team"]["name"] == "Morgenholdet"
    renamed = (await api.gql("""mutation($id: ID!) { updateTeam(id: $id, version: 1, input: {name: "Morgenvagten"})
        { ... on TeamPayload { team { name members { person { name } } } } %s } }""" % ERR, {"id": team["id"]},
        as_=ADMIN))["updateTeam"]
    assert renamed["team"] == {"name": "Morgenvagten", "members": [{"person": {"name": "Nina Kollega"}}]}

    for mutation, entity in (("archiveTeamMember", member["id"]), ("archiveTeam", team["id"]),
                             ("archiveMembership", membership["id"])):
        version = 2 if mutation == "archiveMembership" else (2 if mutation == "archiveTeam" else 1)
        result = await api.gql(f"""mutation($id: ID!) {{ {mutation}(id: $id, version: {version}) {{
            __typename {ERR} }} }}""", {"id": entity}, as_=ADMIN)
        assert result[mutation]["__typename"].endswith("Payload"), result[mutation]
    archived = (await api.gql("""mutation($id: ID!) { archivePerson(id: $id, version: 2) {
        ... on PersonPayload { person { archivedAt } } %s } }""" % ERR, {"id": person["id"]}, as_=ADMIN))
    assert archived["archivePerson"]["person"]["archivedAt"] is not None

    for entity in (person["id"], membership["id"], team["id"], member["id"]):
        history = await _history(api, entity)
        assert history[0]["operation"] == "create" and history[-1]["after"]["archived_at"] is not None
        assert {h["actor"] for h in history} == {f"person:{ids.people['jonas']}"}


async def test_admin_manages_a_decision_area_with_attributes(api):
    ids = await api.ids()
    created = (await api.gql("""mutation($p: ID!) { createDecisionArea(input: {key: "economy/travel",
        nameDa: "Rejser", nameEn: "Travel", parentId: $p, kle: "00.01",
        attributes: [{name: "nights", type: NUMBER, unit: "nætter"}]}) {
        ... on DecisionAreaPayload { decisionArea { id key attributes { name type unit } parent { key } } } %s } }"""
        % ERR, {"p": ids.areas["economy"]}, as_=ADMIN))["createDecisionArea"]["decisionArea"]
    assert created["attributes"] == [{"name": "nights", "type": "NUMBER", "unit": "nætter"}]
    assert created["parent"]["key"] == "economy"
    updated = (await api.gql("""mutation($id: ID!, $u: ID!) { updateDecisionArea(id: $id, version: 1,
        input: {description: "Tjenesterejser", delegable: false, reservedUnitId: $u}) {
        ... on DecisionAreaPayload { decisionArea { description delegable reservedUnit { name } version } } %s } }"""
        % ERR, {"id": created["id"], "u": ids.unit("Direktionen")}, as_=ADMIN))["updateDecisionArea"]
    assert updated["decisionArea"] == {"description": "Tjenesterejser", "delegable": False,
                                       "reservedUnit": {"name": "Direktionen"}, "version": 2}
    archived = await api.gql("""mutation($id: ID!) { archiveDecisionArea(id: $id, version: 2) {
        ... on DecisionAreaPayload { decisionArea { archivedAt } } } }""", {"id": created["id"]}, as_=ADMIN)
    assert archived["archiveDecisionArea"]["decisionArea"]["archivedAt"] is not None
    by_key = await api.gql('{ decisionArea(key: "economy/travel") { nameDa } }', as_=ADMIN)
    assert by_key["decisionArea"] == {"nameDa": "Rejser"}


async def test_organisation_data_needs_an_administrator_and_a_refusal_writes_nothing(api):
    ids = await api.ids()
    before = await snapshot(api.db)
    result = await api.gql("""mutation($p: ID!) { createUnit(input: {name: "Skyggeenhed", kind: UNIT, parentId: $p})
        { __typename %s } }""" % ERR, {"p": ids.unit("Plejecenter Solhaven")}, as_="mette.sorensen@eksempel.dk")
    assert result["createUnit"] == {"__typename": "ForbiddenError", "code": "admin_required", "field": None,
                                    "message": result["createUnit"]["message"]}
    assert await snapshot(api.db) == before


async def test_the_unit_tree_and_person_lookups(api):
    tree = (await api.gql("{ unitTree { name children { name children { name children { name } } } } }",
                          as_="anna.jensen@eksempel.dk"))["unitTree"]
    assert [u["name"] for u in tree] == ["Direktionen"]
    names = {c["name"] for c in tree[0]["children"]}
    assert names == {"Social- og Sundhedsforvaltningen", "Børne- og Ungeforvaltningen"}
    anna = (await api.gql('{ person(externalId: "anna.jensen@eksempel.dk") { name memberships { role } } }',
                          as_="anna.jensen@eksempel.dk"))["person"]
    assert anna == {"name": "Anna Jensen", "memberships": [{"role": "EMPLOYEE"}]}
    page1 = (await api.gql("{ people(first: 10) { nodes { id } pageInfo { endCursor hasNextPage } } }",
                           as_="anna.jensen@eksempel.dk"))["people"]
    assert len(page1["nodes"]) == 10 and page1["pageInfo"]["hasNextPage"]
    rest = (await api.gql("query($a: String) { people(first: 100, after: $a) { nodes { id } pageInfo { hasNextPage } } }",
                          {"a": page1["pageInfo"]["endCursor"]}, as_="anna.jensen@eksempel.dk"))["people"]
    assert len(rest["nodes"]) == 22 and not rest["pageInfo"]["hasNextPage"]
    assert not {n["id"] for n in page1["nodes"]} & {n["id"] for n in rest["nodes"]}
    levels = (await api.gql("{ involvementLevels { number shortDa labelDa teamLabelDa } }",
                            as_="anna.jensen@eksempel.dk"))["involvementLevels"]
    # DANISH.md's scale: a short name, and a sentence for a person and for a team.
    assert [lv["shortDa"] for lv in levels] == ["Orientering", "Begrundelse", "Høring", "Fælles beslutning",
                                                "Rådgivning", "Hverdagsdirektør", "Fuld delegering"]
    assert levels[5] == {"number": 6, "shortDa": "Hverdagsdirektør",
                         "labelDa": "Medarbejderen beslutter og kan bagefter begrunde sit valg fagligt; lederen spørger ind",
                         "teamLabelDa": "Teamet beslutter og kan bagefter begrunde valget fagligt"}


async def test_units_teams_and_areas_are_cursor_paginated(api):
    seen = []
    after = None
    while True:
        page = (await api.gql("query($a: String) { units(first: 5, after: $a) { nodes { id } pageInfo { endCursor "
                              "hasNextPage } } }", {"a": after}, as_=ADMIN))["units"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 12
    teams = (await api.gql("{ teams(first: 3) { nodes { name } pageInfo { hasNextPage } } }", as_=ADMIN))["teams"]
    assert len(teams["nodes"]) == 3 and teams["pageInfo"]["hasNextPage"]
    areas = (await api.gql("{ decisionAreas(first: 500) { nodes { key } } }", as_=ADMIN))["decisionAreas"]
    assert len(areas["nodes"]) == 14
    too_big = await api.gql("{ decisionAreas(first: 501) { nodes { key } } }", as_=ADMIN)
    assert too_big.errors[0]["extensions"]["code"] == "invalid_page_size"
    bad_cursor = await api.gql('{ units(after: "%%%") { nodes { id } } }', as_=ADMIN)
    assert bad_cursor.errors[0]["extensions"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("attributes, fragment", [
    ('[{name: "items", type: NUMBER}]', "reserved"),
    ('[{name: "Amount", type: NUMBER}]', "invalid attribute name"),
    ('[{name: "and", type: BOOLEAN}]', "reserved"),
    ('[{name: "x", type: NUMBER}, {name: "x", type: STRING}]', "twice"),
])
async def test_area_attributes_must_be_usable_in_conditions(api, attributes, fragment):
    before = await snapshot(api.db)
    result = (await api.gql("""mutation { createDecisionArea(input: {key: "misc", nameDa: "Diverse",
        nameEn: "Misc", attributes: %s}) { __typename ... on Error { code field message } } }""" % attributes,
        as_=ADMIN))["createDecisionArea"]
    assert (result["__typename"], result["code"], result["field"]) == ("InvalidInputError", "invalid_attribute",
                                                                       "attributes")
    assert fragment in result["message"]
    assert await snapshot(api.db) == before


@pytest.mark.parametrize("external_id", ["team:1234", "person:abc", "cn=x,ou=y", " padded", "a(b)"])
async def test_external_ids_that_would_break_the_casbin_export_are_refused(api, external_id):
    before = await snapshot(api.db)
    result = (await api.gql("""mutation($e: String!) { createPerson(input: {externalId: $e, name: "X"}) {
        __typename ... on Error { code field } } }""", {"e": external_id}, as_=ADMIN))["createPerson"]
    assert result == {"__typename": "InvalidInputError", "code": "invalid_external_id", "field": "externalId"}
    assert await snapshot(api.db) == before


async def test_a_unit_cannot_move_under_an_archived_one(api):
    ids = await api.ids()
    kastanjen = ids.unit("Demensafsnittet")
    version = (await api.gql("query($id: ID!) { unit(id: $id) { version } }", {"id": kastanjen}, as_=ADMIN))
    await api.gql("mutation($id: ID!, $v: Int!) { archiveUnit(id: $id, version: $v) { __typename } }",
                  {"id": kastanjen, "v": version["unit"]["version"]}, as_=ADMIN)
    before = await snapshot(api.db)
    moved = (await api.gql("""mutation($id: ID!, $p: ID!) { updateUnit(id: $id, version: 1, input: {parentId: $p})
        { __typename ... on Error { code field } } }""", {"id": ids.unit("Plejecenter Egelund"), "p": kastanjen},
        as_=ADMIN))["updateUnit"]
    assert moved == {"__typename": "InvalidInputError", "code": "archived", "field": "parentId"}
    assert await snapshot(api.db) == before


async def test_a_parent_area_cannot_declare_an_attribute_a_sub_area_already_declares(api):
    ids = await api.ids()
    version = (await api.gql("query($id: ID!) { decisionArea(id: $id) { version } }", {"id": ids.areas["economy"]},
                             as_=ADMIN))["decisionArea"]["version"]
    before = await snapshot(api.db)
    clash = (await api.gql("""mutation($id: ID!, $v: Int!) { updateDecisionArea(id: $id, version: $v,
        input: {attributes: [{name: "amount", type: STRING}]}) { __typename ... on Error { code field } } }""",
        {"id": ids.areas["economy"], "v": version}, as_=ADMIN))["updateDecisionArea"]
    assert clash == {"__typename": "InvalidInputError", "code": "invalid_attribute", "field": "attributes"}
    assert await snapshot(api.db) == before


async def test_an_area_key_and_another_areas_kle_code_are_kept_apart_and_a_clash_writes_nothing(api):
    # Checks name an area by its key or its KLE code (key first): a key that is another area's code
    # (economy/purchase carries KLE 88 in the demo) would turn every check by "88" to the new area.
    ids = await api.ids()
    version = (await api.gql("query($id: ID!) { decisionArea(id: $id) { version } }", {"id": ids.areas["economy"]},
                             as_=ADMIN))["decisionArea"]["version"]
    # an area whose key has the form of a KLE number (keys are lower-case paths: digits are allowed)
    made = (await api.gql("""mutation { createDecisionArea(input: {key: "42", nameDa: "Toogfyrre",
        nameEn: "Forty-two"}) { __typename } }""", as_=ADMIN))["createDecisionArea"]
    assert made["__typename"] == "DecisionAreaPayload", made
    before = await snapshot(api.db)
    by_key = (await api.gql("""mutation { createDecisionArea(input: {key: "88", nameDa: "Otteogfirs",
        nameEn: "Eighty-eight"}) { __typename ... on Error { code field } } }""", as_=ADMIN))["createDecisionArea"]
    assert by_key == {"__typename": "InvalidInputError", "code": "area_name_clash", "field": "key"}
    by_code = (await api.gql("""mutation { createDecisionArea(input: {key: "tilsyn", nameDa: "Tilsyn",
        nameEn: "Inspection", kle: "42"}) { __typename ... on Error { code field } } }""",
        as_=ADMIN))["createDecisionArea"]
    assert by_code == {"__typename": "InvalidInputError", "code": "area_name_clash", "field": "kle"}
    updated = (await api.gql("""mutation($id: ID!, $v: Int!) { updateDecisionArea(id: $id, version: $v,
        input: {kle: "42"}) { __typename ... on Error { code field } } }""",
        {"id": ids.areas["economy"], "v": version}, as_=ADMIN))["updateDecisionArea"]
    assert updated == {"__typename": "InvalidInputError", "code": "area_name_clash", "field": "kle"}
    assert await snapshot(api.db) == before


async def test_people_search_takes_percent_underscore_and_backslash_literally(api):
    for external_id, name in (("ida_h@eksempel.dk", "Ida 100% Hansen"), ("bo.back@eksempel.dk", "Bo \\ Back")):
        created = await api.gql("""mutation($e: String!, $n: String!) { createPerson(input: {externalId: $e,
            name: $n}) { __typename } }""", {"e": external_id, "n": name}, as_=ADMIN)
        assert created["createPerson"]["__typename"] == "PersonPayload"

    async def search(text):
        found = await api.gql("query($s: String) { people(search: $s, first: 100) { nodes { name } } }",
                              {"s": text}, as_=ADMIN)
        return sorted(p["name"] for p in found["people"]["nodes"])

    assert await search("%") == ["Ida 100% Hansen"]
    assert await search("_") == ["Ida 100% Hansen"]  # (her external id)
    assert await search("100%") == ["Ida 100% Hansen"]
    assert await search("1_0") == []
    assert await search("a%n") == []
    assert await search("\\") == ["Bo \\ Back"]
    assert await search("anna") == ["Anna Jensen"]


@pytest.mark.parametrize("kle, stored", [("88", "88"), ("88.01", "88.01"), ("88.01.00", "88.01.00"),
                                         ("88.01.00G01", "88.01.00G01"), (" 88.01.00 G01 ", "88.01.00G01")])
async def test_a_kle_number_is_kept_in_its_written_form(api, kle, stored):
    made = (await api.gql("""mutation($k: String!) { createDecisionArea(input: {key: "klagesager", nameDa: "Klager",
        nameEn: "Complaints", kle: $k}) { __typename ... on DecisionAreaPayload { decisionArea { kle } } } }""",
        {"k": kle}, as_=ADMIN))["createDecisionArea"]
    assert made["decisionArea"]["kle"] == stored


@pytest.mark.parametrize("kle", ["economy", "8", "88.1", "88.01.00.01", "88G01", "88.01.00g01", "88.01.00G1"])
async def test_a_kle_code_without_a_kle_numbers_form_is_refused_and_writes_nothing(api, kle):
    before = await snapshot(api.db)
    refused = (await api.gql("""mutation($k: String!) { createDecisionArea(input: {key: "klagesager",
        nameDa: "Klager", nameEn: "Complaints", kle: $k}) { __typename ... on Error { code field messageDa } } }""",
        {"k": kle}, as_=ADMIN))["createDecisionArea"]
    assert (refused["code"], refused["field"]) == ("invalid_kle", "kle"), refused
    assert refused["messageDa"].startswith("Et KLE-nummer skrives som")
    assert await snapshot(api.db) == before
