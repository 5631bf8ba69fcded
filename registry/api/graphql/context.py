"""The GraphQL context: the use-case context plus per-request loaders."""

from __future__ import annotations

import strawberry
from strawberry.litestar import BaseContext

from registry.api.graphql.loaders import Loaders
from registry.policy.engine import Engine
from registry.services.checks import MAX_BATCH
from registry.services.common import Ctx


class Context(BaseContext, kw_only=True):
    ctx: Ctx
    loaders: Loaders
    engine: Engine
    # Checks this request may still ask for in `checks` (aliases could otherwise repeat a full batch).
    checks_left: int = MAX_BATCH


Info = strawberry.Info[Context, None]
