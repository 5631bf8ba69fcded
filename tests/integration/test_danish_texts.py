"""The Danish text next to every code, from the one catalogue: typed errors (`messageDa`), GraphQL
request errors (`extensions.messageDa`), REST errors (`message_da`), check reasons and obligations
(`reasonDa`/`labelDa` in GraphQL, `reason_da`/`label_da` in AuthZEN)."""

from registry import texts
from tests.support import api_key

METTE, ANNA = "mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk"
ALT = {"deviation": True, "citizen_category": "demens"}


async def test_a_typed_error_carries_its_danish_text(api):
    ids = await api.ids()
    refused = (await api.gql("""mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(input: {areaId: $a,
        unitId: $u, delegatePersonId: $p, level: 8}) { __typename ... on Error { code messageDa } } }""",
        {"a": ids.areas["care/relatives"], "u": ids.unit("Plejecenter Solhaven"), "p": ids.people["fatima"]},
        as_=METTE))["declareDelegation"]
    assert refused == {"__typename": "InvalidInputError", "code": "level_out_of_range",
                       "messageDa": "Delegeringsniveauet skal være mellem 1 og 7."}


async def test_a_refused_query_and_a_rest_error_carry_their_danish_text(api):
    response = await api.client.post("/graphql", json={"query": "query($id: ID!) { unit(id: $id) { name } }"},
                                     headers={"Authorization": f"Bearer {api.token(ANNA)}"})
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "graphql_validation"
    assert error["extensions"]["messageDa"] == texts.ERRORS_DA["graphql_validation"]
    rest = await api.client.post("/access/v1/evaluation", json={"subject": {}},
                                 headers={"X-Api-Key": await api_key(api.db, ["check"])})
    assert rest.status_code == 400
    assert rest.json()["error"]["message_da"] == texts.ERRORS_DA[rest.json()["error"]["code"]]
    anonymous = await api.client.post("/graphql", json={"query": "{ me { name } }"})
    assert anonymous.status_code == 401 and anonymous.json()["error"]["message_da"] == "Du skal logge ind."


async def test_check_answers_carry_the_reason_and_obligations_in_danish(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    request = {"person": ANNA, "area": "care/alternative-solutions", "unit": solhaven,
               "action": "ACT_AS_HVERDAGSDIREKTOER", "attributes": ALT}
    answer = (await api.gql("""query($i: CheckInput!) { check(input: $i) { reason reasonDa
        obligations { kind labelDa } } }""", {"i": request}, as_=ANNA))["check"]
    assert (answer["reason"], answer["reasonDa"]) == ("allowed", "Du har mandat")
    assert {"kind": "justify", "labelDa": "Begrund dit valg fagligt"} in answer["obligations"]
    refused = (await api.gql("query($i: CheckInput!) { check(input: $i) { reason reasonDa } }",
                             {"i": {**request, "person": "fatima.ali@eksempel.dk"}}, as_=ANNA))["check"]
    assert refused["reasonDa"] == texts.REASONS_DA[refused["reason"]]
    mandate = (await api.gql("query($p: String!) { mandate(person: $p) { owes { kind labelDa } } }", {"p": ANNA},
                             as_=ANNA))["mandate"]
    assert any(o == {"kind": "justify", "labelDa": "Begrund dit valg fagligt"} for e in mandate for o in e["owes"])
    key = await api_key(api.db, ["check"])
    authzen = (await api.client.post("/access/v1/evaluation", headers={"X-Api-Key": key}, json={
        "subject": {"type": "person", "id": ANNA}, "action": {"name": "act_as_hverdagsdirektoer"},
        "resource": {"type": "decision", "id": "care/alternative-solutions",
                     "properties": {"unit": solhaven, **ALT}}})).json()
    assert authzen["context"]["reason_da"] == "Du har mandat"
    justify = next(o for o in authzen["context"]["obligations"] if o["kind"] == "justify")
    assert justify["label_da"] == "Begrund dit valg fagligt"


async def test_a_delegations_status_carries_its_danish_text(api):
    page = (await api.gql("{ delegations(first: 50) { nodes { status statusDa level } } }", as_=METTE))["delegations"]
    nodes = page["nodes"]
    assert nodes
    for node in nodes:
        assert node["statusDa"] == texts.DELEGATION_STATUS_DA[node["status"].lower()]
    assert {"Gælder"} <= {node["statusDa"] for node in nodes}
