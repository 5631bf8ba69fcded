"""A list of delegations with nested objects costs a fixed number of queries, not one per row."""

from datetime import datetime, timedelta, timezone
from uuid import UUID

from registry.services import delegations as delegation_uc
from registry.services.common import Ctx
from registry.storage.db import query_counter

NESTED = """query($u: ID!, $d: ID!, $n: Int!) { delegations(filter: {unitId: $u, delegatorId: $d}, first: $n) { nodes {
    id levelInfo { labelDa } delegator { name memberships { role unit { name } } }
    delegatePerson { name } delegateTeam { name members { person { name } } }
    area { key parent { key } } unit { name parent { name } } parent { id } subDelegations { id }
    trust { competence { note } } } } }"""


async def _add(api, ids, count):
    from registry.auth import Principal
    from registry.storage import org as org_sql

    async with api.db.read() as conn:
        mette = await org_sql.person_by_external_id(conn, ids.tenant, "mette.sorensen@eksempel.dk")
    ctx = Ctx(db=api.db, principal=Principal(tenant_id=ids.tenant, tenant_key="eksempel", person=mette))
    people = [p for k, p in ids.people.items() if k in ("anna", "maria", "fatima", "kasper")]
    for i in range(count):
        # Each person's delegations one after another: the same one twice at once would be a duplicate.
        start = datetime.now(timezone.utc) + timedelta(days=1 + i // len(people))
        await delegation_uc.declare(ctx, delegation_uc.DeclareInput(
            delegate_person_id=UUID(people[i % len(people)]), area_id=UUID(ids.areas["care/activities"]),
            unit_id=UUID(ids.unit("Demensafsnittet")), level=1 + i % 7, valid_from=start,
            valid_until=start + timedelta(days=1)))


async def _count(api, ids, n, who="mette.sorensen@eksempel.dk"):
    counter = [0]
    token = query_counter.set(counter)
    try:
        result = await api.gql(NESTED, {"u": ids.unit("Demensafsnittet"), "d": ids.people["mette"], "n": n}, as_=who)
    finally:
        query_counter.reset(token)
    return len(result["delegations"]["nodes"]), counter[0]


async def test_a_100_delegation_list_costs_the_same_queries_as_a_10_delegation_list(api):
    ids = await api.ids()
    await _add(api, ids, 100)
    rows_small, queries_small = await _count(api, ids, 10)
    rows_large, queries_large = await _count(api, ids, 100)
    assert rows_small == 10 and rows_large == 100
    assert queries_large == queries_small
    assert queries_large <= 16, queries_large  # auth (2) + list (1) + one batch per relation
    # Whether the caller may read the trust notes is decided once per batch, for a colleague too
    # (who may not: her authority and her teams are looked up once, not per delegation).
    _, colleague_small = await _count(api, ids, 10, "kasper.nielsen@eksempel.dk")
    _, colleague_large = await _count(api, ids, 100, "kasper.nielsen@eksempel.dk")
    assert colleague_large == colleague_small, (colleague_small, colleague_large)
