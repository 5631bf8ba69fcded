"""The Casbin export: the model, a tenant's (or a subtree's) policy, its catalogue (attribute types, units' external
ids) and a long-polled revision."""

from __future__ import annotations

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.di import Provide

from registry.api.principal import principal
from registry.auth import Principal
from registry.errors import Invalid, NotFound, Unavailable
from registry.policy.projection import catalogue, model_text, project


def _index(request: Request, who: Principal, tenant: str):
    if tenant != who.tenant_key:  # another tenant's export is simply not there for this caller
        raise NotFound(f"no organisation {tenant!r}", field="tenant")
    index = request.app.state.engine.index(who.tenant_id)
    if index is None:
        raise Unavailable()
    return index


@get("/casbin/{tenant:str}/model.conf", dependencies={"who": Provide(principal)})
async def casbin_model(request: Request, who: Principal, tenant: str) -> Response:
    _index(request, who, tenant)
    return Response(model_text(), media_type=MediaType.TEXT)


@get("/casbin/{tenant:str}/policy.csv", dependencies={"who": Provide(principal)})
async def casbin_policy(request: Request, who: Principal, tenant: str, unit: str | None = None) -> Response:
    index = _index(request, who, tenant)
    if unit is not None and unit not in index.unit_chain:
        raise NotFound(f"no unit {unit}", field="unit")
    if not request.app.state.engine.current(index.tenant_id):
        raise Unavailable()
    policy = project(index, request.app.state.clock().timestamp(), unit=unit)
    return Response(policy.csv(), media_type="text/csv",
                    headers={"X-Registry-Revision": str(index.revision)})


@get("/casbin/{tenant:str}/catalogue.json", dependencies={"who": Provide(principal)})
async def casbin_catalogue(request: Request, who: Principal, tenant: str) -> Response:
    """Each area's attribute types (its own and inherited) and the units' external ids, at the
    revision the policy is at: what a system needs to form requests to the policy by itself."""
    index = _index(request, who, tenant)
    if not request.app.state.engine.current():
        raise Unavailable()
    return Response(msgspec.json.encode(catalogue(index)), media_type=MediaType.JSON)


@get("/casbin/{tenant:str}/revision", dependencies={"who": Provide(principal)})
async def casbin_revision(request: Request, who: Principal, tenant: str, after: int | None = None,
                          wait: int = 0) -> dict:
    """The tenant's revision; with `after` and `wait`, waits up to `wait` seconds for a newer one."""
    if not 0 <= wait <= 60:
        raise Invalid("wait must be 0-60 seconds", field="wait", code="invalid_wait")
    index = _index(request, who, tenant)
    if after is not None and wait and index.revision <= after:
        engine = request.app.state.engine
        await engine.wait_for(who.tenant_id, after + 1, timeout=wait)
        index = engine.index(who.tenant_id)
    return {"tenant": tenant, "revision": index.revision}


ROUTES = [casbin_model, casbin_policy, casbin_catalogue, casbin_revision]
