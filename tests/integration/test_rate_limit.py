"""Per-principal rate limits answer 429 with a code and Retry-After, and count each principal apart."""

from registry.settings import Settings
from tests.conftest import JWT_SECRET
from tests.support import Api, api_key


async def test_a_person_over_the_limit_gets_429_and_others_are_unaffected(demo_db, demo_dsn, clock, tmp_path):
    settings = Settings.from_env({"REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_DATA_DIR": str(tmp_path),
                                  "REGISTRY_RATE_LIMIT_PERSON": "2", "REGISTRY_RATE_LIMIT_SYSTEM": "3"})
    async with Api.start(demo_db, settings, clock, demo_dsn) as api:
        token = api.token("anna.jensen@eksempel.dk")
        statuses = []
        for _ in range(8):
            response = await api.client.post("/graphql", json={"query": "{ me { name } }"},
                                              headers={"Authorization": f"Bearer {token}"})
            statuses.append(response.status_code)
        assert statuses[:4] == [200] * 4 and 429 in statuses  # 2/s with 2 s of burst
        limited = await api.client.post("/graphql", json={"query": "{ me { name } }"},
                                        headers={"Authorization": f"Bearer {token}"})
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        other = await api.gql("{ me { name } }", as_="mette.sorensen@eksempel.dk")
        assert other["me"]["name"] == "Mette Sørensen"
        key = await api_key(api.db, ["check"])
        codes = [(await api.client.post("/access/v1/evaluation", headers={"X-Api-Key": key}, json={})).status_code
                 for _ in range(10)]
        assert codes.count(400) >= 6 and 429 in codes  # a system's own bucket (6 of burst), then 429
