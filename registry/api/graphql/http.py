"""GraphQL over HTTP: strawberry's litestar controller, with request bodies it cannot parse answered 400
and the registry's own GraphiQL page (registry.api.graphiql) in place of strawberry's, which loads
GraphiQL from a public CDN."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException  # what strawberry raises and answers as a plain-text status
from litestar import Request, Response
from litestar.enums import MediaType
from strawberry.litestar import make_graphql_controller

from registry.api import graphiql


def graphql_controller(schema, **options: Any) -> type:
    """`strawberry.litestar.make_graphql_controller`, except that a body which is not UTF-8, or is JSON
    but neither an object nor a list (a batch), gets strawberry's own 400 answer instead of an
    exception from its parser (a 500), and so does an `operationName` that is not a string, like
    strawberry's own checks of `query` and `variables` (all found by fuzzing,
    tests/integration/test_fuzzing.py)."""
    base = make_graphql_controller(schema, **options)

    class GraphQLController(base):  # type: ignore[misc, valid-type]
        def decode_json(self, data: str | bytes) -> object:
            try:
                value = json.loads(data)
            except UnicodeDecodeError as exc:  # json.loads decodes bytes itself; not a JSONDecodeError
                raise HTTPException(400, "Unable to parse request body as JSON") from exc
            if not isinstance(value, (dict, list)):
                raise HTTPException(400, "The request body must be a JSON object")
            if isinstance(value, dict) and not isinstance(value.get("operationName"), (str, type(None))):
                raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, if "
                                         "provided.")
            return value

        async def render_graphql_ide(self, request: Request[Any, Any, Any]) -> Response[str]:
            return Response(graphiql.page(await graphiql.development_defaults(request)), media_type=MediaType.HTML)

    return GraphQLController
