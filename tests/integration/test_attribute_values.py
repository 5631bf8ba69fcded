"""A string attribute may list the codes it takes (AreaAttribute.values): a check, a who-may or a
recorded act with any other value is refused (invalid_attribute), so a red line written for
'palliativ' cannot be passed with "Palliativ" (found by the second review); the web form offers the
codes as a choice."""

from __future__ import annotations

from registry.web.render import DANISH_TIME
from tests.support import snapshot

ANNA, METTE, ADMIN = "anna.jensen@eksempel.dk", "mette.sorensen@eksempel.dk", "jonas.kristensen@eksempel.dk"
CHECK = """query($u: ID!, $c: String!) { check(input: {person: "anna.jensen@eksempel.dk",
    area: "care/alternative-solutions", unit: $u, action: ACT_AS_HVERDAGSDIREKTOER,
    attributes: {deviation: true, citizen_category: $c}}) { decision reason } }"""


async def test_a_value_outside_the_listed_codes_is_refused_not_let_past_the_red_line(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    assert (await api.gql(CHECK, {"u": solhaven, "c": "palliativ"}, as_=ANNA))["check"] == \
        {"decision": False, "reason": "red_line"}
    assert (await api.gql(CHECK, {"u": solhaven, "c": "aeldre"}, as_=ANNA))["check"]["decision"] is True
    refused = await api.gql(CHECK, {"u": solhaven, "c": "Palliativ"}, as_=ANNA)
    assert refused.errors and refused.errors[0]["extensions"]["code"] == "invalid_attribute"
    area = (await api.gql('{ decisionArea(key: "care/alternative-solutions") { attributesInForce { name values } } }',
                          as_=ANNA))["decisionArea"]
    assert {"name": "citizen_category", "values": ["aeldre", "demens", "rehabilitering", "palliativ"]} in \
        area["attributesInForce"]


async def test_the_act_form_offers_the_codes_and_refuses_others(api):
    ids = await api.ids()
    async with api.web(as_=ANNA) as web:
        form = await web.get("/handlinger/ny?omraade=care/alternative-solutions")
        assert '<select id="attr-citizen-category"' in form.text and '<option value="palliativ"' in form.text
        before = await snapshot(api.db)
        now = api.clock().astimezone(DANISH_TIME)
        refused = await web.post("/handlinger/ny", {
            "omraade": "care/alternative-solutions", "enhed": ids.unit("Plejecenter Solhaven"), "sag": "x",
            "beskrivelse": "x", "attr.deviation": "ja", "attr.citizen_category": "Palliativ",
            "dato": now.date().isoformat(), "tid": f"{now:%H:%M}"})
        assert refused.status_code == 400 and "Oplysningen passer ikke til beslutningsområdet." in refused.text
        assert await snapshot(api.db) == before


async def test_only_a_string_attribute_lists_codes_and_each_must_be_readable(api):
    for attributes, fragment in ((
            '[{name: "amount", type: NUMBER, values: ["1"]}]', "only a string attribute"),
            ('[{name: "kind", type: STRING, values: ["a", "a"]}]', "each once"),
            ('[{name: "kind", type: STRING, values: ["it\'s"]}]', "not allowed")):
        result = await api.gql('mutation { createDecisionArea(input: {key: "test-area", nameDa: "Test", nameEn: "Test", '
                               f'attributes: {attributes}}}) {{ __typename ... on Error {{ code message }} }} }}',
                               as_=ADMIN)
        answer = result["createDecisionArea"]
        assert answer["__typename"] == "InvalidInputError" and answer["code"] == "invalid_attribute", answer
        assert fragment in answer["message"], answer
