async def test_an_employee_reads_her_own_delegations_with_a_token(api):
    ids = await api.ids()
    result = await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) {
        nodes { level area { key } delegator { name } } } }""", {"p": ids.people["anna"]}, as_="anna.jensen@eksempel.dk")
    nodes = result["delegations"]["nodes"]
    assert {n["area"]["key"] for n in nodes} >= {"care/alternative-solutions", "care/activities"}
    assert all(n["level"] >= 1 for n in nodes)
